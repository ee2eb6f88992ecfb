"""The layer graph of a model: one box per layer (a module without
children), the tensors' shapes on the edges between them.

    from tapegrad.viz import draw_model
    draw_model(net, (1, 1, 28, 28), path="net.svg")

The model runs once on zeros (``tapegrad.nn.summary.trace``, eval mode,
parameters untouched) with the autograd graph recorded; an edge goes from
the layer (or the input) whose output a layer's input was computed from.
Functions applied between layers (``F.relu``, ``torch.flatten`` in a
``forward``) are named on the edge, as ``relu, flatten``.
"""

from __future__ import annotations

from tapegrad.viz.dot import _quote
from tapegrad.viz.render import output

__all__ = ["draw_model", "model_to_dot"]

_FILL = {"input": "#e8f0fe", "output": "#fff3c4", "layer": "#ffffff"}


def _leaf_calls(call):
    for child in call.children:
        if child.leaf:
            yield child
        else:
            yield from _leaf_calls(child)


def _op_name(node) -> str:
    name = node.name()
    return name[: -len("Backward")].lower() if name.endswith("Backward") else name.lower()


def _sources(tensor, producers: dict):
    """``[(producer, ops)]``: the layers (or inputs) that ``tensor`` was
    computed from, each with the names of the functions applied on the way
    (in the order they were applied)."""
    key = tensor.grad_fn if tensor.grad_fn is not None else id(tensor)
    if key in producers:
        return [(producers[key], [])]
    found, stack, seen = [], [(tensor.grad_fn, [])], set()
    while stack:
        node, ops = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node in producers:
            found.append((producers[node], ops))
            continue
        variable = getattr(node, "variable", None)  # an input leaf
        if variable is not None:
            if id(variable) in producers:
                found.append((producers[id(variable)], ops))
            continue
        for parent, _ in node.next_functions:
            stack.append((parent, [_op_name(node), *ops]))
    return found


def model_to_dot(model, input_size=None, *, input_data=None, dtype=None) -> str:
    """DOT text of ``model``'s layer graph on a batch of ``input_size``."""
    from tapegrad.nn.summary import trace

    root, out = trace(model, input_size, input_data=input_data, dtype=dtype, graph=True)
    lines = [
        "digraph model {",
        '  graph [rankdir=TB, nodesep=0.3, ranksep=0.35, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    producers: dict = {}
    for i, x in enumerate(root.inputs):
        shape = list(x.shape)
        lines.append(f'  in{i} [label="input\\n{shape}", fillcolor="{_FILL["input"]}"];')
        producers[_key(x)] = (f"in{i}", shape)
    for k, call in enumerate(_leaf_calls(root)):
        node = f"l{k}"
        label = _quote(f"{call.name}: {call.kind}")
        if call.params:
            label += f"\\n{call.params:,} params"
        lines.append(f'  {node} [label="{label}", fillcolor="{_FILL["layer"]}"];')
        for x in call.inputs:
            _edges(lines, _sources(x, producers), node, list(x.shape))
        if call.output is not None:
            producers[_key(call.output)] = (node, call.output_shape)
    if out is not None and hasattr(out, "shape"):
        lines.append(f'  out [label="output", fillcolor="{_FILL["output"]}"];')
        _edges(lines, _sources(out, producers), "out", list(out.shape))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _key(tensor):
    return tensor.grad_fn if tensor.grad_fn is not None else id(tensor)


def _edges(lines: list, sources, node: str, shape: list) -> None:
    for (src, _), ops in sources:
        label = (_quote(", ".join(ops)) + "\\n" if ops else "") + str(shape)
        lines.append(f'  {src} -> {node} [label="{label}"];')


def draw_model(model, input_size=None, *, input_data=None, dtype=None, format="svg", path=None):
    """Draw ``model``'s layer graph on a batch of ``input_size`` (with the
    batch dimension).  Without ``path`` returns the DOT text
    (``format="dot"``) or the rendered bytes (Graphviz ``dot``); with
    ``path`` writes the file (format from its suffix) and returns its path."""
    return output(model_to_dot(model, input_size, input_data=input_data, dtype=dtype), format, path)
