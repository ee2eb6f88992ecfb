"""One self-contained HTML file that steps through forward and backward.

``save_backward_html(y, path)`` writes a page that opens from disk with no
network: the graph as inline SVG (from Graphviz when it is installed, else
drawn by the page's own layered layout), the frames of ``forward_steps`` and
``backward_steps`` as inline JSON, and the stepper script and style inline.
Controls: Forward pass / Backward pass, Back, Next, Play, and the arrow keys.
"""

from __future__ import annotations

import html as _html
import json
import re
from importlib import resources
from pathlib import Path

from tapegrad.tensor import Tensor
from tapegrad.viz.dot import graph_to_dot
from tapegrad.viz.graph import Graph, build_graph, op_label
from tapegrad.viz.render import GraphvizNotFoundError, have_graphviz, render, write_atomic
from tapegrad.viz.steps import backward_steps, forward_steps, jsonable


def _asset(name: str) -> str:
    return resources.files("tapegrad.viz").joinpath(name).read_text(encoding="utf-8")


def stepper_data(graph: Graph, tensor: Tensor | None = None) -> dict:
    """Everything the page needs, JSON ready."""
    nodes = [
        {
            "name": v.name,
            "op": op_label(graph, v),
            "kind": v.kind,
            "args": list(v.args),
            "value": jsonable(v.value),
            "grad": jsonable(v.grad),
            "requires_grad": bool(v.requires_grad),
        }
        for v in graph.vars
    ]
    return {
        "nodes": nodes,
        "output": graph.vars[graph.output].name,
        "forward": list(forward_steps(tensor, graph)),
        "backward": list(backward_steps(tensor, graph)),
    }


def _inline_svg(graph: Graph) -> str:
    """Graphviz SVG of the graph (values shown) without its XML prolog, or ''
    when Graphviz is missing."""
    if not have_graphviz("dot"):
        return ""
    try:
        svg = render(graph_to_dot(graph, values=True), "svg").decode("utf-8")
    except (GraphvizNotFoundError, RuntimeError):
        return ""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()


def backward_html(
    tensor: Tensor, title: str | None = None, graph: Graph | None = None, graphviz: bool = True
) -> str:
    """The page as text (see the module docstring)."""
    if graph is None:
        graph = build_graph(tensor, values=True, grads=True)
    data = stepper_data(graph, tensor)
    title = title or f"Backprop step by step: {data['output']}"
    payload = json.dumps(data, allow_nan=True).replace("</", "<\\/")
    svg = _inline_svg(graph) if graphviz else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_html.escape(title)}</title>
<style>
{_asset("stepper.css")}
</style>
</head>
<body>
<div id="app" data-mode="backward" data-step="0" data-current-node="">
<h1>{_html.escape(title)}</h1>
<div class="controls">
<button id="btn-forward" type="button">Forward pass</button>
<button id="btn-backward" type="button">Backward pass</button>
<button id="btn-back" type="button" title="previous step (left arrow)">Back</button>
<button id="btn-next" type="button" title="next step (right arrow)">Next</button>
<button id="btn-play" type="button" title="play/pause (space)">Play</button>
<span id="step-counter"></span>
</div>
<div class="main">
<div id="graph">{svg}</div>
<div id="panel">
<div id="current-text"></div>
<div id="adjoint" data-value=""></div>
<ul id="edges"></ul>
<table class="adjoints">
<thead><tr><th>variable</th><th>computes</th><th id="col-parts"></th><th id="col-total"></th></tr>
</thead>
<tbody id="adjoint-rows"></tbody>
</table>
</div>
</div>
</div>
<script type="application/json" id="tapegrad-data">{payload}</script>
<script>
{_asset("stepper.js")}
</script>
</body>
</html>
"""


def save_backward_html(
    tensor: Tensor,
    path,
    title: str | None = None,
    graph: Graph | None = None,
    graphviz: bool = True,
) -> Path:
    """Write the stepper page for ``tensor`` to ``path`` (atomically)."""
    return write_atomic(Path(path), backward_html(tensor, title, graph, graphviz))
