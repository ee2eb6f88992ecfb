"""Graphviz DOT text for a computation graph, in the lecture's conventions.

One node per variable (``n0, n1, ...`` in forward order).  Each node is an
HTML-like table: the variable's name in a cell *outside* the box, the box
itself (a bordered inner table) with the op inside, and above the op one port
per argument (``i0, i1, ...``) so that edges enter the box left to right in
argument order (``a/b``: ``a`` enters left of ``b``; ``a*a`` has two edges).
Edges are directed and unlabelled.  Optional forward values and gradients go
under the box.  The text is deterministic: the same graph gives the same
bytes.  No ``xlabel`` is used (it collides with arrowheads).
"""

from __future__ import annotations

from tapegrad.viz.graph import Graph, format_number, op_label

_FILL = {"input": "#e8f0fe", "constant": "#f1f3f4", "op": "#ffffff"}


def escape(text: str) -> str:
    """Text made safe inside an HTML-like label."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def node_id(index: int) -> str:
    return f"n{index}"


def _label(graph: Graph, v, values: bool, grads: bool, highlight: bool, adjoint: str = "g") -> str:
    nargs = len(v.args)
    fill = "#fff3c4" if highlight else _FILL[v.kind]
    inner = [
        f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" BGCOLOR="{fill}"'
        ' PORT="box">'
    ]
    if nargs:
        ports = "".join(f'<TD PORT="i{k}" HEIGHT="3" WIDTH="18"></TD>' for k in range(nargs))
        inner.append(f"<TR>{ports}</TR>")
    span = f' COLSPAN="{nargs}"' if nargs > 1 else ""
    inner.append(f"<TR><TD{span}>{escape(op_label(graph, v))}</TD></TR>")
    inner.append("</TABLE>")
    rows = [
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">',
        f'<TR><TD ALIGN="RIGHT"><I>{escape(v.name)}</I></TD><TD>{"".join(inner)}</TD></TR>',
    ]
    under = []
    if values and v.value is not None:
        under.append(f"= {escape(format_number(v.value))}")
    if grads and v.grad is not None:
        under.append(f"{escape(adjoint)} = {escape(format_number(v.grad))}")
    port_row = ' PORT="out"'
    if under:
        text = "<BR/>".join(under)
        rows.append(f'<TR><TD></TD><TD{port_row}><FONT POINT-SIZE="10">{text}</FONT></TD></TR>')
    else:
        rows.append(f'<TR><TD></TD><TD{port_row} HEIGHT="1"></TD></TR>')
    rows.append("</TABLE>>")
    return "".join(rows)


def graph_to_dot(
    graph: Graph,
    values: bool = False,
    grads: bool = False,
    title: str | None = None,
    highlight: int | None = None,
    adjoint_names: dict | None = None,
) -> str:
    """DOT text for ``graph`` (see the module docstring).

    ``adjoint_names``: ``{variable name: text}`` to print instead of ``g`` before
    a variable's adjoint, e.g. ``{"s1": "r"}`` for the backward recursion's ``r``."""
    lines = [
        "digraph computation {",
        '  graph [rankdir=TB, nodesep=0.35, ranksep=0.45, fontname="Helvetica"];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=12];',
        "  edge [arrowsize=0.7];",
    ]
    if title:
        lines.append(f'  label="{_quote(title)}"; labelloc=t;')
    for v in graph.vars:
        adjoint = (adjoint_names or {}).get(v.name, "g")
        label = _label(graph, v, values, grads, highlight == v.index, adjoint)
        lines.append(f"  {node_id(v.index)} [id={node_id(v.index)}, label={label}];")
    for src, dst, pos in graph.edges():
        lines.append(f"  {node_id(src)}:out:s -> {node_id(dst)}:i{pos}:n;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def draw_graph(
    tensor,
    values: bool = False,
    grads: bool = False,
    format: str = "svg",
    path=None,
    title: str | None = None,
    names: dict | None = None,
):
    """Draw the computation graph behind ``tensor`` in the lecture's
    conventions (see the module docstring).

    ``values``/``grads`` print each variable's forward value and its adjoint
    ``dy/dv`` under the box (the gradients are computed here; no ``backward``
    call is needed).  Without ``path`` returns the DOT text (``format="dot"``)
    or the rendered bytes (``"svg"``, ``"png"``, ``"pdf"``, through Graphviz
    ``dot``); with ``path`` writes the file (format from its suffix; a
    rendered format writes the ``.dot`` beside it too) and returns its path.
    ``names``: ``{name: tensor}`` for unnamed tensors, e.g.
    ``dict(model.named_parameters())``.
    """
    from tapegrad.viz.graph import build_graph
    from tapegrad.viz.render import output

    graph = tensor if isinstance(tensor, Graph) else build_graph(tensor, values, grads, names=names)
    return output(graph_to_dot(graph, values, grads, title), format, path)
