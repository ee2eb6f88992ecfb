"""The HTML stepper in a real browser (the ``browser`` fixture of
``tests/conftest.py``: Debian's Chromium through Playwright)."""

import shutil

import pytest
from vizhelpers import DY_DX, DY_DZ

from tapegrad.viz import save_backward_html


def _open(browser, path):
    page = browser.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("#app[data-current-node]:not([data-current-node=''])")
    return page


def _state(page):
    return (
        page.get_attribute("#app", "data-current-node"),
        float(page.get_attribute("#adjoint", "data-value")),
        page.eval_on_selector("g.node.current", "e => e.id"),
    )


@pytest.mark.parametrize("graphviz", [True, False], ids=["graphviz-svg", "built-in-layout"])
def test_next_walks_the_backward_pass_in_reverse_topological_order(
    browser, tmp_path, program_graph, graphviz
):
    from tapegrad.viz.steps import backward_steps

    y, g = program_graph
    if graphviz and not shutil.which("dot"):
        pytest.skip("Graphviz `dot` is not installed")
    path = save_backward_html(y, tmp_path / "steps.html", graph=g, graphviz=graphviz)
    expected = list(backward_steps(y, g))
    page = _open(browser, path)
    seen = []
    for k, frame in enumerate(expected):
        if k:
            page.click("#btn-next")
        name, value, node_id = _state(page)
        assert name == frame["name"]
        assert node_id == f"n{frame['node']}"
        assert value == pytest.approx(frame["adjoint"], rel=1e-9)
        seen.append(name)
    assert seen == ["y", "v1", "f", "e", "d", "c", "b", "a", "x", "z"]
    # the last two frames are the inputs: dy/dx and dy/dz
    page.click("#btn-back")
    assert _state(page)[:2] == ("x", pytest.approx(DY_DX, rel=1e-9))
    page.keyboard.press("ArrowRight")
    assert _state(page)[:2] == ("z", pytest.approx(DY_DZ, rel=1e-9))
    assert "809.707" in page.text_content("#adjoint")
    page.close()


def test_forward_mode_and_keyboard(browser, tmp_path, program_graph):
    y, g = program_graph
    page = _open(browser, save_backward_html(y, tmp_path / "f.html", graph=g))
    page.click("#btn-forward")
    assert page.get_attribute("#app", "data-mode") == "forward"
    assert page.get_attribute("#app", "data-current-node") == "x"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#app", "data-current-node") == "a"
    assert float(page.get_attribute("#adjoint", "data-value")) == 6.0
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#app", "data-current-node") == "z"
    page.close()
