"""DOT text and Graphviz drawings in the lecture's conventions."""

import re

import pytest
from vizhelpers import needs_dot, svg_root

import tapegrad as tg
from tapegrad.viz import draw_graph
from tapegrad.viz.dot import graph_to_dot
from tapegrad.viz.graph import build_graph


def _edges(dot_text):
    return re.findall(r"(n\d+):out:s -> (n\d+):i(\d+):n", dot_text)


def test_division_enters_numerator_left_of_denominator():
    a = tg.tensor(3.0, requires_grad=True, name="a")
    b = tg.tensor(4.0, requires_grad=True, name="b")
    text = draw_graph(a / b, format="dot")
    edges = _edges(text)
    assert ("n0", "n2", "0") in edges and ("n1", "n2", "1") in edges
    # the ports sit left to right in argument order inside the box
    label = [line for line in text.splitlines() if line.strip().startswith("n2 ")][0]
    assert label.index('PORT="i0"') < label.index('PORT="i1"')


def test_square_has_two_edges():
    a = tg.tensor(3.0, requires_grad=True, name="a")
    assert _edges(draw_graph(a * a, format="dot")) == [("n0", "n1", "0"), ("n0", "n1", "1")]


def test_name_is_outside_the_box_and_op_inside(program_graph):
    _, g = program_graph
    text = graph_to_dot(g)
    line = [s for s in text.splitlines() if s.strip().startswith("n6 ")][0]  # e = a / b
    name_at = line.index("<I>e</I>")
    box_at = line.index('BORDER="1"')
    assert name_at < box_at  # the name cell precedes the bordered box table
    assert "a / b" in line[box_at:]
    assert "xlabel" not in text


def test_dot_text_is_deterministic(program_graph):
    _, g = program_graph
    assert graph_to_dot(g, True, True) == graph_to_dot(g, True, True)


def test_values_and_gradients_appear_under_the_box(program_graph):
    _, g = program_graph
    text = graph_to_dot(g, values=True, grads=True)
    assert "g = 1208.38" in text and "= 412.191" in text


@needs_dot
def test_svg_has_one_node_group_per_variable_with_labels(program_graph):
    _, g = program_graph
    root, ns = svg_root(draw_graph(g, values=True, grads=True, format="svg"))
    nodes = [el for el in root.iter(f"{ns}g") if el.get("class") == "node"]
    assert len(nodes) == len(g.vars)
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{ns}text")}
    for name in ["x", "z", "a", "b", "c", "d", "e", "f", "y"]:
        assert name in texts
    for op in ["x * z", "log(x)", "sin(b)", "exp(a)", "a / b", "c / a"]:
        assert op in texts
    edges = [el for el in root.iter(f"{ns}g") if el.get("class") == "edge"]
    assert len(edges) == len(g.edges())


@needs_dot
def test_path_writes_svg_and_dot(tmp_path, expression_output):
    y, _, _ = expression_output
    out = draw_graph(y, values=True, path=tmp_path / "g.svg")
    assert out.exists() and (tmp_path / "g.dot").exists()
    svg_root(out.read_bytes())


def test_missing_graphviz_names_the_install_command_and_keeps_the_dot(
    tmp_path, monkeypatch, expression_output
):
    from tapegrad.viz import render

    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    y, _, _ = expression_output
    with pytest.raises(render.GraphvizNotFoundError, match="apt-get install graphviz"):
        draw_graph(y, path=tmp_path / "g.svg")
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


@needs_dot
def test_thousand_node_graph_draws_without_recursion_error():
    x = tg.tensor(0.5, dtype=tg.float64, requires_grad=True, name="x")
    y = x
    for _ in range(1000):
        y = tg.tanh(y)
    g = build_graph(y)
    assert len(g.vars) == 1001
    text = graph_to_dot(g)
    assert text.count(" -> ") == 1000
    root, ns = svg_root(draw_graph(g, format="svg"))
    assert sum(1 for el in root.iter(f"{ns}g") if el.get("class") == "node") == 1001


@needs_dot
def test_png_output_is_a_png(expression_output):
    y, _, _ = expression_output
    assert draw_graph(y, format="png")[:8] == b"\x89PNG\r\n\x1a\n"
