"""Graphviz pictures of the lecture's two worked examples.

* :func:`worked_example_pictures`: the computation graph of the autodiff
  slide's ``y = f(x, z)`` at ``x = 2, z = 3`` (names ``a .. f`` as on the
  slide, values and adjoints under the boxes) and the step-by-step backward
  page.
* :func:`relu_network_pictures`: the 1-2-3-1 ReLU network as a diagram with
  its weights, and its computation graph in matrix form, with ``s(l)``,
  ``o(l)`` and the backward recursion's ``r(l) = dloss/ds(l)`` of every layer.

The drawings use ``tapegrad.viz`` and the Graphviz programs ``dot`` and
``neato``, not matplotlib.  Where Graphviz is missing, the DOT text is
written instead of the picture and a note says what to install; the HTML
page needs no Graphviz (it then lays the graph out itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tapegrad as tg

__all__ = [
    "Pictures",
    "relu_network_graph",
    "relu_network_pictures",
    "worked_example_graph",
    "worked_example_pictures",
]

WORKED_EXAMPLE_SVG = "lecture-worked-example.svg"
WORKED_EXAMPLE_HTML = "lecture-worked-example-backward.html"
RELU_NETWORK_SVG = "lecture-relu-network.svg"
RELU_GRAPH_SVG = "lecture-relu-network-graph.svg"


@dataclass
class Pictures:
    """``files``: what was written, in order; ``notes``: one line per picture
    that could not be rendered (Graphviz missing), empty when all were."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _render(dot_text: str, path: Path, pics: Pictures, engine: str = "dot", args=()) -> None:
    """Render ``dot_text`` to the SVG ``path``; without Graphviz write
    ``path`` with suffix ``.dot`` instead and add a note."""
    from tapegrad.viz.render import have_graphviz, render, write_atomic

    if have_graphviz(engine):
        pics.files.append(write_atomic(path, render(dot_text, "svg", engine, args)))
        return
    dot_path = write_atomic(path.with_suffix(".dot"), dot_text)
    pics.files.append(dot_path)
    pics.notes.append(
        f"Graphviz (`{engine}`) is needed for the picture {path.name}: install it with "
        f"`apt-get install graphviz`; wrote the DOT text {dot_path.name} instead"
    )


# ----------------------------------------------------------- worked example
def worked_example_graph(x: float = 2.0, z: float = 3.0):
    """``(y, graph)``: the slide's program ``a = xz, b = ln x, c = sin b,
    d = e^a, e = a/b, f = c/a, y = d + e + f`` in float64 tensors named as on
    the slide, and its ``viz`` graph with values and adjoints (``y = d + e + f``
    is two additions: the partial sum ``d + e`` is the unnamed ``v1``)."""
    from tapegrad.lecture.examples import slide_program
    from tapegrad.viz.graph import build_graph

    program = slide_program(x, z)
    y = program["y"]
    order = list(program.values())
    return y, build_graph(y, values=True, grads=True, order_hint=order)


def worked_example_pictures(out: Path) -> Pictures:
    """Write ``out/lecture-worked-example.svg`` (the graph with values and
    adjoints) and ``out/lecture-worked-example-backward.html`` (the stepper)."""
    from tapegrad.viz.dot import graph_to_dot
    from tapegrad.viz.html import save_backward_html

    out = Path(out)
    y, graph = worked_example_graph()
    pics = Pictures()
    title = "y = exp(xz) + xz/ln(x) + sin(ln(x))/(xz) at x = 2, z = 3;  g = dy/dv"
    _render(
        graph_to_dot(graph, values=True, grads=True, title=title), out / WORKED_EXAMPLE_SVG, pics
    )
    page = save_backward_html(
        y,
        out / WORKED_EXAMPLE_HTML,
        title="The worked example, backward pass step by step",
        graph=graph,
    )
    pics.files.append(page)
    return pics


# ------------------------------------------------------------- ReLU network
def relu_network_graph(x: float = 1.0, t: float = 1.0):
    """``(loss, graph)``: the 1-2-3-1 ReLU network of the slides in matrix
    form, ``s(l) = W(l) o(l-1) + b(l)`` (one ``linear`` node per layer),
    ``o(l) = relu(s(l))``, ``y = s(3)``, ``loss = 1/2 (y - t)^2``, with values
    and adjoints.  Variables are named ``o0`` (the input ``x``), ``W1``,
    ``b1``, ``s1``, ``o1``, ..., ``y``; the adjoint of ``s<l>`` (and of ``y =
    s(3)``) is the recursion's ``r`` at layer ``l``."""
    from tapegrad.lecture.examples import LECTURE_WEIGHTS
    from tapegrad.nn.functional import linear
    from tapegrad.viz.graph import build_graph

    f64 = tg.float64
    o = tg.tensor([float(x)], dtype=f64, name="o0")
    order = [o]
    last = len(LECTURE_WEIGHTS)
    for layer, (w, b) in enumerate(LECTURE_WEIGHTS, start=1):
        wt = tg.tensor(w, dtype=f64, requires_grad=True, name=f"W{layer}")
        bt = tg.tensor(b, dtype=f64, requires_grad=True, name=f"b{layer}")
        s = linear(o, wt, bt)
        s.name = "y" if layer == last else f"s{layer}"
        order += [wt, bt, s]
        if layer < last:
            o = tg.relu(s)
            o.name = f"o{layer}"
            order.append(o)
    y = s
    target = tg.tensor([float(t)], dtype=f64, name="t")
    loss = (0.5 * (y - target) ** 2).sum()
    loss.name = "loss"
    order += [target, loss]
    return loss, build_graph(loss, values=True, grads=True, order_hint=order)


def relu_network_pictures(out: Path, x: float = 1.0, t: float = 1.0) -> Pictures:
    """Write ``out/lecture-relu-network.svg`` (the network diagram with the
    slides' weights) and ``out/lecture-relu-network-graph.svg`` (its
    computation graph: ``s``, ``o`` and ``r`` of every layer)."""
    from tapegrad.lecture.examples import _lecture_model
    from tapegrad.viz.dot import graph_to_dot
    from tapegrad.viz.network import network_to_dot

    out = Path(out)
    pics = Pictures()
    _render(network_to_dot(_lecture_model()), out / RELU_NETWORK_SVG, pics, "neato", ("-n2",))
    _, graph = relu_network_graph(x, t)
    layers = [v.name for v in graph.vars if v.name.startswith("s") or v.name == "y"]
    title = (
        f"1-2-3-1 ReLU network at x = {x:g}, t = {t:g}: s(l) = W(l) o(l-1) + b(l), "
        "o(l) = relu(s(l)), y = s(3)\nunder each box its value and its adjoint "
        "g = dloss/dv; under s(l) and y the recursion's r = dloss/ds(l)"
    )
    dot_text = graph_to_dot(
        graph, values=True, grads=True, title=title, adjoint_names=dict.fromkeys(layers, "r")
    )
    _render(dot_text, out / RELU_GRAPH_SVG, pics)
    return pics
