"""The lecture's backward derivation, written out for a small graph.

``explain_backward(y)`` starts from ``g_y = 1`` and, for every variable in
reverse topological order, writes its adjoint as a sum over its consumers,
``g_b = g_e (-a/b^2) + g_c cos(b)``: each term is the consumer's adjoint
times the local partial of the consumer with respect to that argument.  The
partial comes from the primitive table (``div``: ``-a/b**2``) with ``a, b, c,
out`` replaced by the names of the actual arguments.  A second line plugs in
the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tapegrad.tensor import Tensor
from tapegrad.viz.expr import ExprError, evaluate_number
from tapegrad.viz.graph import Graph, build_graph, format_number

_TOKEN = re.compile(r"\b(a|b|c|out)\b")
_SIMPLE = re.compile(r"^(-?[\w']+|[a-z]+\([\w']+\)|e\^[\w']+|[\w']+\^T)$")


@dataclass
class EdgePartial:
    """The local partial d(consumer)/d(argument) on one edge."""

    src: int
    dst: int
    pos: int
    text: str  # display form, argument names substituted (``-a/b^2``)
    value: object = None  # numeric partial for scalars, else None
    contribution: object = None  # host array: g_dst times the partial (vjp)


@dataclass
class Explanation:
    """``text`` and ``latex`` of the derivation; ``lines`` one dict per
    variable (``name``, ``symbolic``, ``numeric``, ``grad``)."""

    text: str
    latex: str
    lines: list = field(default_factory=list)

    def __str__(self) -> str:
        return self.text


def display_partial(raw: str, names: list, out_name: str) -> str:
    """``-a/b**2`` with ``names=['a', 'b']`` -> ``-a/b^2``; ``exp(a)`` -> ``e^a``."""
    if raw == "custom":  # a user Function: its partial has no formula in the table
        arg = names[0] if names else "a"
        return f"d{out_name}/d{arg}"
    subst = {"out": out_name}
    for letter, name in zip("abc", names):
        subst[letter] = name
    text = _TOKEN.sub(lambda m: subst.get(m.group(1), m.group(1)), raw)
    text = text.replace("**", "^")
    return re.sub(r"\bexp\(([\w']+)\)", r"e^\1", text)


def edge_partials(graph: Graph) -> dict:
    """``{(src, dst, pos): EdgePartial}`` for every edge; contributions need
    the adjoints (``build_graph(..., grads=True)``)."""
    import tapegrad as tg

    out: dict = {}
    for v in graph.vars:
        if v.op is None:
            continue
        names = [graph.vars[a].name for a in v.args]
        contribs = _vjp_contributions(v, tg)
        for pos, a in enumerate(v.args):
            raw = v.partials[pos] if pos < len(v.partials) else "?"
            text = display_partial(raw, [names[pos]] if raw == "custom" else names, v.name)
            value = None
            scalars = {"out": v.value}
            for letter, arg in zip("abc", v.args):
                scalars[letter] = graph.vars[arg].value
            if all(getattr(s, "size", 0) == 1 for s in scalars.values()):
                try:
                    value = evaluate_number(raw, {k: float(s) for k, s in scalars.items()})
                except ExprError:
                    c, g = contribs[pos], v.grad
                    if c is not None and g is not None and float(g) != 0:
                        value = float(c) / float(g)
            out[(a, v.index, pos)] = EdgePartial(a, v.index, pos, text, value, contribs[pos])
    return out


def _vjp_contributions(v, tg) -> list:
    """The gradient each argument of ``v`` receives from ``v`` (the vjp run
    on the recorded node with ``g = v.grad``), or ``None`` where unknown."""
    n = len(v.args)
    node = v.node
    if v.grad is None or node is None or node.inputs is None:
        return [None] * n
    try:
        with tg.no_grad():
            gs = node(tg.tensor(v.grad))
            gs = gs if isinstance(gs, tuple) else (gs,)
    except Exception:  # a user Function or an op that cannot run here: skip numbers
        return [None] * n
    return [None if gi is None else gi.detach().numpy() for gi in gs]


def backward_order(graph: Graph) -> list:
    """The output, the other ops in reverse forward order, then the leaves
    that require grad in forward order: every variable after its consumers."""
    ops = [v.index for v in reversed(graph.vars) if v.op is not None and v.index != graph.output]
    leaves = [v.index for v in graph.vars if v.op is None and v.requires_grad]
    first = [graph.output]
    return first + [i for i in ops if i != graph.output] + [i for i in leaves if i not in first]


def _term(g_name: str, partial: str, shown: str | None = None) -> str:
    """``g_c cos(b)`` for a single factor, ``g_f (1/a)`` otherwise."""
    latex = shown is not None
    shown = partial if shown is None else shown
    if partial == "1":
        return g_name
    if partial == "-1":
        return f"-{g_name}"
    if _SIMPLE.match(partial) and not partial.startswith("-"):
        return f"{g_name} {shown}"
    return rf"{g_name} \left({shown}\right)" if latex else f"{g_name} ({shown})"


def _latex_name(name: str) -> str:
    m = re.match(r"^([A-Za-z]+)(\d+)$", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    return name.replace("_", r"\_")


def _latex_expr(text: str) -> str:
    text = re.sub(r"\^([\w']+|\([^()]*\))", lambda m: "^{" + m.group(1).strip("()") + "}", text)
    text = re.sub(r"\b([A-Za-z]+)(\d+)\b", r"\1_{\2}", text)
    for fn in ("cos", "sin", "tan", "tanh", "log", "exp", "sqrt"):
        text = re.sub(rf"\b{fn}\(", rf"\\{fn}(", text)
    return text.replace("*", r" \cdot ")


def explain_backward(tensor: Tensor, graph: Graph | None = None) -> Explanation:
    """The adjoint equations of the graph behind ``tensor``, symbolically and
    with numbers: ``g_y = 1``, then ``g_v = sum_c g_c (dc/dv)`` for each
    variable ``v`` in reverse topological order (``c`` runs over consumers)."""
    if graph is None:
        graph = build_graph(tensor, values=True, grads=True)
    partials = edge_partials(graph)
    consumers = graph.consumers()
    out = graph.vars[graph.output]
    text_lines, latex_lines, lines = [], [], []
    for i in backward_order(graph):
        v = graph.vars[i]
        g = f"g_{v.name}"
        lg = f"g_{{{_latex_name(v.name)}}}"
        if i == graph.output:
            sym = f"{g} = d{out.name}/d{out.name} = 1"
            text_lines.append(sym)
            latex_lines.append(rf"{lg} = \frac{{\partial {out.name}}}{{\partial {out.name}}} = 1")
            lines.append({"name": v.name, "symbolic": sym, "numeric": "1", "grad": 1.0})
            continue
        uses = sorted(consumers[i], key=lambda cp: (-cp[0], cp[1]))
        terms, lterms, nums = [], [], []
        for c, pos in uses:
            ep = partials[(i, c, pos)]
            cname = graph.vars[c].name
            terms.append(_term(f"g_{cname}", ep.text))
            lp = _latex_expr(ep.text)
            lterms.append(_term(rf"g_{{{_latex_name(cname)}}}", ep.text, lp))
            gc = graph.vars[c].grad
            gtxt = format_number(gc) if gc is not None else "?"
            if ep.value is not None:
                nums.append(f"{_paren(gtxt)} × {_paren(format_number(ep.value))}")
            elif ep.contribution is not None:
                nums.append(format_number(ep.contribution))
            else:
                nums.append("?")
        total = format_number(v.grad) if v.grad is not None else "0"
        sym = f"{g} = " + (" + ".join(terms) if terms else "0")
        num = " + ".join(nums) + f" = {total}" if nums else total
        text_lines.append(f"{sym}\n    = {num}")
        latex_lines.append(f"{lg} = " + (" + ".join(lterms) if lterms else "0") + f" = {total}")
        lines.append({"name": v.name, "symbolic": sym, "numeric": num, "grad": v.grad})
    text = "\n".join(text_lines) + "\n"
    latex = (
        "\\begin{aligned}\n"
        + " \\\\\n".join(line.replace(" = ", " &= ", 1) for line in latex_lines)
        + "\n\\end{aligned}\n"
    )
    return Explanation(text, latex, lines)


def _paren(s: str) -> str:
    return f"({s})" if s.startswith("-") else s
