"""The lecture's pictures: the worked example's graph and backward page, the
ReLU network's diagram and graph (Graphviz), the optimisers' paths (matplotlib)."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from tapegrad.lecture import commands, plots
from tapegrad.lecture.commands import main
from tapegrad.lecture.training import PATH_OPTIMIZERS, optimizer_paths

needs_dot = pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz `dot` is not installed")
needs_neato = pytest.mark.skipif(
    not shutil.which("neato"), reason="Graphviz `neato` is not installed"
)

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path) -> list[str]:
    """The text of every <text> element of a valid SVG file."""
    root = ET.fromstring(path.read_bytes())
    assert root.tag == SVG + "svg"
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def stepper_data(path) -> dict:
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    m = re.search(r'<script type="application/json" id="tapegrad-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


# ----------------------------------------------------------- worked example
@needs_dot
def test_worked_example_graph_has_the_slides_names_values_and_adjoints(tmp_path, capsys):
    assert main(["worked-example", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    svg = tmp_path / "lecture-worked-example.svg"
    html = tmp_path / "lecture-worked-example-backward.html"
    assert f"wrote {svg}" in out and f"wrote {html}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([svg.name, html.name])
    texts = svg_texts(svg)
    for name in "xzabcdefy":
        assert name in texts
    joined = "\n".join(texts)
    assert "= 412.191" in joined  # y
    assert "g = 1208.38" in joined and "g = 809.707" in joined  # g_x, g_z
    assert "g = 404.854" in joined and "g = -12.36" in joined  # g_a, g_b
    assert "x * z" in texts and "log(x)" in texts and "a / b" in texts


def test_worked_example_backward_page_steps_through_the_slides_graph(tmp_path):
    out = commands.RUNNERS["worked-example"].run(0, tmp_path)
    html = tmp_path / "lecture-worked-example-backward.html"
    assert html in out.files
    data = stepper_data(html)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert set("xzabcdefy") <= set(nodes)
    assert nodes["y"]["value"] == pytest.approx(412.19145728412)
    assert nodes["x"]["grad"] == pytest.approx(1208.3812151266)
    assert nodes["z"]["grad"] == pytest.approx(809.70747921856)
    assert data["output"] == "y" and len(data["backward"]) > 0


def test_worked_example_without_graphviz_writes_dot_text_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)
    out_dir = tmp_path / "out"
    assert main(["worked-example", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Graphviz (`dot`) is needed for the picture lecture-worked-example.svg" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["lecture-worked-example-backward.html", "lecture-worked-example.dot"]
    dot_text = (out_dir / "lecture-worked-example.dot").read_text()
    assert dot_text.startswith("digraph computation {") and "412.191" in dot_text
    assert "1208.38" in dot_text
    # the page lays the graph out itself: no inline Graphviz SVG, the data is there
    data = stepper_data(out_dir / "lecture-worked-example-backward.html")
    assert {n["name"] for n in data["nodes"]} >= set("abcdef")


# ------------------------------------------------------------- ReLU network
@needs_dot
@needs_neato
def test_relu_network_pictures_show_weights_and_s_o_r_of_every_layer(tmp_path, capsys):
    from tapegrad.lecture import relu_network

    assert main(["relu-network", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    net = tmp_path / "lecture-relu-network.svg"
    graph = tmp_path / "lecture-relu-network-graph.svg"
    assert f"wrote {net}" in out and f"wrote {graph}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([net.name, graph.name])

    weights = svg_texts(net)
    for w in ("3", "-1", "1", "0", "0.333"):
        assert w in weights

    texts = "\n".join(svg_texts(graph))
    r = relu_network()
    for name in ("s1", "o1", "s2", "o2", "y", "loss"):
        assert name in svg_texts(graph)
    # s(l) and o(l): the forward table's values
    assert "= [3, -1]" in texts and "= [3, 0]" in texts  # s(1), o(1)
    assert "= [-1, -2, 3]" in texts and "= [0, 0, 3]" in texts  # s(2), o(2)
    assert "= 6" in texts and "= 12.5" in texts  # y = s(3), the loss
    # r(l) = dloss/ds(l): the recursion's vectors
    assert r.r[1] == pytest.approx([5 / 3, 0.0]) and r.r[3] == [5.0]
    assert "r = [1.667, 0]" in texts and "r = [0, 0, 1.667]" in texts and "r = 5" in texts
    assert len([t for t in svg_texts(graph) if t.startswith("r = ")]) == 3  # s1, s2, y


def test_relu_network_without_graphviz_writes_both_dot_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    out_dir = tmp_path / "out"
    assert main(["relu-network", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Graphviz (`neato`) is needed for the picture lecture-relu-network.svg" in out
    assert "Graphviz (`dot`) is needed for the picture lecture-relu-network-graph.svg" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["lecture-relu-network-graph.dot", "lecture-relu-network.dot"]
    graph_dot = (out_dir / "lecture-relu-network-graph.dot").read_text()
    assert "r = [0, 0, 1.667]" in graph_dot


def test_graph_examples_draw_without_matplotlib():
    assert commands.RUNNERS["worked-example"].draws is False
    assert commands.RUNNERS["relu-network"].draws is False


# --------------------------------------------------------- optimiser paths
def test_paths_all_start_at_the_same_point_and_are_deterministic():
    a = optimizer_paths()
    b = optimizer_paths()
    assert a.names == list(PATH_OPTIMIZERS)
    for n in a.names:
        assert a.paths[n][0] == a.start == (-1.2, 1.0)
        assert len(a.paths[n]) == a.steps + 1
    assert a.paths == b.paths and a.final_loss == b.final_loss


@pytest.mark.parametrize("function", ["rosenbrock", "beale"])
def test_momentum_and_adam_end_closer_to_the_minimum_than_sgd(function):
    r = optimizer_paths(function=function)
    sgd = r.distance["SGD"]
    for n in ("SGD(momentum=0.9)", "Adam"):
        assert r.distance[n] < 0.5 * sgd and r.final_loss[n] < 0.1 * r.final_loss["SGD"]
    # the lecture's averaging momentum at SGD's learning rate takes SGD's steady-state
    # step, so it ends where SGD ends, not where PyTorch's (summing) momentum does
    assert r.lr["EMAMomentum"] == r.lr["SGD"] == r.lr["SGD(momentum=0.9)"]
    assert r.distance["EMAMomentum"] == pytest.approx(sgd, rel=0.1)
    # every point of every path is finite
    assert all(len(p) == r.steps + 1 for p in r.paths.values())


def test_paths_final_loss_is_the_function_at_the_last_point():
    r = optimizer_paths(steps=20)
    for n in r.names:
        x, y = r.paths[n][-1]
        assert r.final_loss[n] == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2)
        assert r.distance[n] == pytest.approx(((x - 1) ** 2 + (y - 1) ** 2) ** 0.5)


def test_paths_reject_an_unknown_function():
    with pytest.raises(ValueError, match="unknown function 'himmelblau'"):
        optimizer_paths(function="himmelblau")


def test_optimizers_picture_has_the_paths_beside_the_curves(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    import tapegrad.lecture as lecture
    from tapegrad.lecture.training import optimizers_comparison

    def quick(seed=0):
        return optimizers_comparison(seed=seed, epochs=2, n=64)

    monkeypatch.setattr(lecture, "optimizers_comparison", quick)
    assert main(["optimizers", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    png = tmp_path / "lecture-optimizers.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width > 2 * height  # two panels side by side
    assert [p.name for p in tmp_path.iterdir()] == [png.name]
    r = optimizer_paths()
    head, paths_table = out.split("rosenbrock function from (-1.2, 1.0)")
    for n in r.names:
        line = next(ln for ln in paths_table.splitlines() if ln.startswith(n + " "))
        assert f"{r.final_loss[n]:.6g}" in line
