"""The forward and backward passes as a sequence of frames, one per step.

``backward_steps(y)`` yields one frame per variable in reverse topological
order (``g_y = 1`` first, the inputs last).  In frame ``k`` the current
variable's adjoint is complete: it is the sum of the partial adjoints its
consumers have sent; the frame then lists each outgoing edge's local partial
and contribution ``g_v * d v / d arg``, and the partial adjoints accumulated
so far for every variable.  ``forward_steps(y)`` yields one frame per
variable in forward order with its value.  Frames are plain dicts (JSON
ready): numbers are floats for scalars and short strings for arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from tapegrad.tensor import Tensor
from tapegrad.viz.explain import backward_order, edge_partials, explain_backward
from tapegrad.viz.graph import Graph, build_graph, format_number, op_label


def jsonable(value):
    """A scalar array as a float, a larger one as its short summary text."""
    if value is None:
        return None
    if getattr(value, "size", 1) == 1:
        v = float(value.reshape(())) if hasattr(value, "reshape") else float(value)
        return v if math.isfinite(v) else str(v)
    return format_number(value)


def forward_steps(tensor: Tensor, graph: Graph | None = None) -> Iterator[dict]:
    """Frames ``{"step", "node", "name", "op", "value", "text"}`` in forward
    order: ``a = x * z = 6``."""
    if graph is None:
        graph = build_graph(tensor, values=True, grads=False)
    for k, v in enumerate(graph.vars):
        label = op_label(graph, v)
        value = format_number(v.value) if v.value is not None else "?"
        text = f"{v.name} = {value}" if v.op is None else f"{v.name} = {label} = {value}"
        yield {
            "step": k,
            "node": v.index,
            "name": v.name,
            "op": label,
            "value": jsonable(v.value),
            "text": text,
        }


def backward_steps(tensor: Tensor, graph: Graph | None = None) -> Iterator[dict]:
    """Frames of the backward pass (see the module docstring).  Keys:
    ``step, node, name, adjoint, text, edges, accumulated, done``;
    ``edges`` lists ``{"to", "to_name", "pos", "partial", "partial_value",
    "contribution"}``; ``accumulated`` maps each variable's name to the list
    of ``{"from", "value"}`` partial adjoints received so far; ``done`` the
    names whose adjoint is complete."""
    if graph is None:
        graph = build_graph(tensor, values=True, grads=True)
    partials = edge_partials(graph)
    equations = {d["name"]: d for d in explain_backward(tensor, graph).lines}
    accumulated: dict = {v.name: [] for v in graph.vars if v.requires_grad}
    done: list = []
    out = graph.vars[graph.output]
    for k, i in enumerate(backward_order(graph)):
        v = graph.vars[i]
        adjoint = jsonable(v.grad)
        if i == graph.output:
            text = f"g_{v.name} = d{out.name}/d{v.name} = 1"
        else:
            eq = equations[v.name]
            text = f"{eq['symbolic']}\n    = {eq['numeric']}"
        edges = []
        for pos, a in enumerate(v.args):
            arg = graph.vars[a]
            ep = partials[(a, i, pos)]
            entry = {
                "to": a,
                "to_name": arg.name,
                "pos": pos,
                "partial": ep.text,
                "partial_value": ep.value,
                "contribution": jsonable(ep.contribution),
            }
            edges.append(entry)
            if arg.requires_grad and ep.contribution is not None:
                accumulated[arg.name].append(
                    {"from": v.name, "value": jsonable(ep.contribution), "raw": ep.contribution}
                )
        done.append(v.name)
        yield {
            "step": k,
            "node": i,
            "name": v.name,
            "adjoint": adjoint,
            "adjoint_text": format_number(v.grad) if v.grad is not None else "0",
            "text": text,
            "edges": edges,
            "accumulated": {
                n: [{"from": r["from"], "value": r["value"]} for r in rs]
                for n, rs in accumulated.items()
            },
            "done": list(done),
        }
