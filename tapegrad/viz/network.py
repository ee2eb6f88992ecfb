"""Network diagrams in the lecture's conventions, and their conversion into
computation graphs.

``draw_network(model)`` draws an ``nn.Sequential``/``nn.MLP`` of ``Linear``
layers (with activation modules between them): one circle per input, hidden
or output unit, the activation named on the unit, directed edges labelled
with their weights, no loss nodes.  Layers with more connections than a
readable limit get thin faded edges without labels, and wide layers show
their first and last units around a "more" marker; a note says so.  Positions
are computed here and pinned, so Graphviz renders with ``neato -n2``.

``network_to_graph(model, x, target, loss)`` computes the same network on one
example as a computation graph in which every weight, feature, label and bias
is a node (scalar by scalar for small networks), ending in the loss when one
is given; ``draw_network(..., side_by_side=True)`` draws both.
"""

from __future__ import annotations

import re

import tapegrad as tg
from tapegrad.tensor import Tensor
from tapegrad.viz.dot import escape
from tapegrad.viz.render import output, render

MAX_LABELLED_EDGES = 24
MAX_UNITS = 12
_SKIP = ("Dropout", "Identity", "Flatten")


def _layers(model) -> list:
    """``[(linear, activation_module_or_None), ...]`` for a Sequential/MLP of
    Linear layers (a single Linear is allowed)."""
    from tapegrad import nn

    mods = [model] if isinstance(model, nn.Linear) else list(_items(model))
    layers: list = []
    for m in mods:
        name = type(m).__name__
        if isinstance(m, nn.Linear):
            layers.append([m, None])
        elif name in _SKIP:
            continue
        elif layers and layers[-1][1] is None and not list(m.parameters()):
            layers[-1][1] = m
        else:
            raise ValueError(
                f"draw_network: expected Linear layers, each followed by at most one activation; "
                f"cannot draw {name}"
            )
    if not layers:
        raise ValueError("draw_network: the model has no Linear layer")
    for (a, _), (b, _) in zip(layers, layers[1:]):
        if a.out_features != b.in_features:
            raise ValueError(
                f"draw_network: Linear({a.in_features}, {a.out_features}) is followed by "
                f"Linear({b.in_features}, {b.out_features})"
            )
    return [tuple(x) for x in layers]


def _items(model):
    try:
        return iter(model)
    except TypeError:
        raise ValueError(
            f"draw_network: expected nn.Sequential or nn.MLP, got {type(model).__name__}"
        ) from None


def _act_name(act) -> str:
    return "linear" if act is None else type(act).__name__


def _shown(n: int, limit: int) -> list:
    """Unit indices drawn for a layer of ``n`` units (``None`` = the marker)."""
    if n <= limit:
        return list(range(n))
    return list(range(limit - 2)) + [None, n - 1]


_SUB = str.maketrans("0123456789()", "₀₁₂₃₄₅₆₇₈₉₍₎")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def _unit_label(kind: str, layer: int, j: int, act: str, n_layers: int) -> str:
    """``x₁``; ``o₁⁽¹⁾`` with the activation under it; ``y`` (``y₁`` when several)."""
    sub = str(j + 1).translate(_SUB)
    if kind == "input":
        return f"<<I>x</I>{sub}>"
    if kind == "output":
        name = f"<I>y</I>{sub if n_layers else ''}"
    else:
        name = f"<I>o</I>{sub}{f'({layer})'.translate(_SUP)}"
    return f'<{name}<BR/><FONT POINT-SIZE="9">{escape(act)}</FONT>>'


#: fill colour of the units of each kind of layer
_FILL = {"input": "#e8f0fe", "hidden": "#ffffff", "output": "#fef7e0"}
#: horizontal and vertical distance between units, points
_DX, _DY = 150.0, 62.0


def network_to_dot(
    model,
    weights: bool = True,
    max_labelled_edges: int = MAX_LABELLED_EDGES,
    max_units: int = MAX_UNITS,
) -> str:
    """DOT text (positions pinned, for ``neato -n2``) of the network diagram."""
    layers = _layers(model)
    sizes = [layers[0][0].in_features] + [lin.out_features for lin, _ in layers]
    acts = ["input"] + [_act_name(a) for _, a in layers]
    shown = [_shown(n, max_units) for n in sizes]
    lines = [
        "digraph network {",
        '  graph [splines=line, outputorder=edgesfirst, fontname="Helvetica"];',
        '  node [shape=circle, width=0.62, fixedsize=true, fontname="Helvetica", fontsize=12];',
        '  edge [arrowsize=0.6, fontname="Helvetica", fontsize=9];',
    ]
    where: dict = {}  # (layer, unit) -> its position
    notes = []
    tallest = min(max(sizes), max_units)
    for li, n in enumerate(sizes):
        kind = "input" if li == 0 else "output" if li == len(sizes) - 1 else "hidden"
        lines += _unit_lines(li, n, shown[li], kind, acts[li], tallest, where)
        if n > max_units:
            notes.append(f"layer {li} has {n} units: {max_units - 1} drawn")
    for li, (lin, _) in enumerate(layers):
        dense = sizes[li] * sizes[li + 1] > max_labelled_edges
        if dense:
            notes.append(
                f"layer {li + 1}: {sizes[li] * sizes[li + 1]} weights, edges faded and unlabelled"
            )
        w = lin.weight.detach().numpy() if weights and not dense else None
        lines += _edge_lines(li, shown[li], shown[li + 1], dense, w, where)
    if notes:
        text = "\\l".join(notes) + "\\l"
        mid = 40 + (len(sizes) - 1) * _DX / 2
        lines.append(f'  note [shape=plaintext, fontsize=10, label="{text}", pos="{mid:.1f},0!"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _unit_lines(li: int, n: int, shown: list, kind: str, act: str, tallest: int, where) -> list:
    """The DOT nodes of layer ``li``'s ``n`` units (those in ``shown``; a
    ``None`` there is the "more" marker), a column centred on the tallest
    layer's; each unit's position goes into ``where``."""
    lines = []
    top = (tallest - 1) * _DY / 2 + (len(shown) - 1) * _DY / 2 + 40
    for k, j in enumerate(shown):
        x, y = 40 + li * _DX, top - k * _DY
        if j is None:
            more = n - len(shown) + 1
            lines.append(
                f'  u{li}_more [shape=plaintext, label="⋮ {more} more", pos="{x:.1f},{y:.1f}!"];'
            )
            continue
        where[(li, j)] = (x, y)
        label = _unit_label(kind, li, j, act, n - 1)
        lines.append(
            f'  u{li}_{j} [label={label}, style=filled, fillcolor="{_FILL[kind]}", '
            f'pos="{x:.1f},{y:.1f}!"];'
        )
    return lines


def _edge_lines(li: int, sources: list, targets: list, dense: bool, w, where) -> list:
    """The DOT edges from layer ``li``'s shown units to layer ``li + 1``'s,
    faded when ``dense``, each with its weight ``w[j, i]`` as a label when
    ``w`` is given."""
    lines = []
    extra = ' [color="#5f636866", penwidth=0.4]' if dense else ""
    for i in sources:
        for j in targets:
            if i is None or j is None:
                continue
            lines.append(f"  u{li}_{i} -> u{li + 1}_{j}{extra};")
            if w is not None:
                px, py = _weight_position(where[(li, i)], where[(li + 1, j)])
                lines.append(
                    f"  w{li + 1}_{j}_{i} [shape=plaintext, fontsize=9, width=0, height=0, "
                    f"margin=0.01, style=filled, fillcolor=white, "
                    f'label="{float(w[j, i]):.3g}", pos="{px:.1f},{py:.1f}!"];'
                )
    return lines


def _weight_position(source, target) -> tuple:
    """Where a weight's label sits on its edge: 30% of the visible line
    (between the two circles) from the source, where the edges of one
    source fan apart."""
    (x0, y0), (x1, y1) = source, target
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1.0)
    f = (23 + 0.3 * (length - 46)) / length
    return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def network_to_graph(model, x=None, target=None, loss=None, scalar: bool | None = None) -> Tensor:
    """The computation graph of ``model`` on one example ``x`` (shape
    ``(in_features,)``; default all ones), returned as its output tensor
    (draw it with ``draw_graph``).

    Every feature ``x_i``, weight ``W<l>_<j><i>``, bias ``b<l>_<j>``, label
    ``t`` and the loss appear as named nodes; ``s<l>_<j> = sum_i W_ji o_i + b_j``
    and ``o<l>_<j> = act(s<l>_<j>)``.  ``loss``: ``None`` (with a ``target``,
    the lecture's ``1/2 (y - t)^2``), ``"squared"``, ``"mse"`` or a callable
    ``loss(y, t)``.  ``scalar=None`` builds the scalar graph for networks with
    at most 64 weights and one node per layer tensor above that.
    """
    layers = _layers(model)
    n_in = layers[0][0].in_features
    f64 = tg.float64
    xv = tg.ones(n_in, dtype=f64) if x is None else tg.tensor(_host(x), dtype=f64).reshape(-1)
    if xv.shape != (n_in,):
        raise ValueError(f"network_to_graph: x must have {n_in} features, got shape {xv.shape}")
    n_weights = sum(lin.weight.numel() for lin, _ in layers)
    if scalar is None:
        scalar = n_weights <= 64
    y = _scalar_forward(layers, xv) if scalar else _tensor_forward(layers, xv)
    if target is None and loss is None:
        return y
    n_out = layers[-1][0].out_features
    tv = tg.tensor(_host(target if target is not None else 0.0), dtype=f64).reshape(-1)
    if tv.shape != (n_out,):
        raise ValueError(f"network_to_graph: target must have {n_out} values, got {tv.shape}")
    if callable(loss):
        tv.name = "t"
        out = loss(y if y.ndim == 1 else y.reshape(1), tv)
    elif loss in (None, "squared", "mse"):
        ys = list(y.grad_fn.inputs) if y.ndim == 1 and scalar else [y]
        ts = [tg.tensor(float(tv[j].item()), dtype=f64) for j in range(n_out)] if scalar else [tv]
        for j, tj in enumerate(ts):
            tj.name = "t" if len(ts) == 1 else f"t{j + 1}"
        out = None
        for yj, tj in zip(ys, ts):
            term = (yj - tj) ** 2
            term = term.sum() if term.ndim else term
            out = term if out is None else out + term
        out = out * 0.5 if loss != "mse" else out / float(n_out)
    else:
        raise ValueError(
            f"network_to_graph: loss must be 'squared', 'mse' or a callable, not {loss!r}"
        )
    out.name = "loss"
    return out


def _host(v):
    if isinstance(v, Tensor):
        return v.detach().numpy().tolist()
    return v


def _leaf(value, name: str) -> Tensor:
    return tg.tensor(value, dtype=tg.float64, requires_grad=True, name=name)


def _scalar_forward(layers, xv) -> Tensor:
    o = []
    for i in range(xv.shape[0]):
        xi = tg.tensor(float(xv[i].item()), dtype=tg.float64, name=f"x{i + 1}")
        o.append(xi)
    last = len(layers)
    for li, (lin, act) in enumerate(layers, start=1):
        w = lin.weight.detach().numpy()
        b = lin.bias.detach().numpy() if lin.bias is not None else None
        nxt = []
        sep = "_" if max(lin.in_features, lin.out_features) >= 10 else ""  # W2_10_3, W2_13
        for j in range(lin.out_features):
            s = None
            for i in range(lin.in_features):
                term = _leaf(float(w[j, i]), f"W{li}_{j + 1}{sep}{i + 1}") * o[i]
                s = term if s is None else s + term
            if b is not None:
                s = s + _leaf(float(b[j]), f"b{li}_{j + 1}")
            single = li == last and lin.out_features == 1
            if act is None:
                s.name = ("y" if single else f"y{j + 1}") if li == last else f"o{li}_{j + 1}"
                nxt.append(s)
                continue
            s.name = f"s{li}_{j + 1}"
            oj = act(s)
            oj.name = ("y" if single else f"y{j + 1}") if li == last else f"o{li}_{j + 1}"
            nxt.append(oj)
        o = nxt
    return o[0] if len(o) == 1 else _named(tg.stack(o), "y")


def _named(t: Tensor, name: str) -> Tensor:
    t.name = name
    return t


def _tensor_forward(layers, xv) -> Tensor:
    import tapegrad.nn.functional as F

    o = xv
    o.name = "x"
    for li, (lin, act) in enumerate(layers, start=1):
        w = _leaf(lin.weight.detach().numpy().tolist(), f"W{li}")
        b = _leaf(lin.bias.detach().numpy().tolist(), f"b{li}") if lin.bias is not None else None
        s = F.linear(o, w, b)
        s.name = f"s{li}" if act is not None else ("y" if li == len(layers) else f"o{li}")
        o = s if act is None else _named(act(s), "y" if li == len(layers) else f"o{li}")
    return o


def side_by_side_svg(left: bytes, right: bytes, gap: float = 30.0) -> bytes:
    """Two Graphviz SVGs in one, left beside right (centred vertically)."""
    items = []
    for svg in (left, right):
        text = svg.decode("utf-8")
        text = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", "", text, flags=re.S).strip()
        w = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', text).group(1))
        h = float(re.search(r'<svg[^>]*\sheight="([\d.]+)pt"', text).group(1))
        items.append((text, w, h))
    width = sum(w for _, w, _ in items) + gap
    height = max(h for _, _, h in items)
    parts, x = [], 0.0
    for text, w, h in items:
        tag_end = text.index(">", text.index("<svg")) + 1
        tag = re.sub(r'\s(width|height)="([\d.]+)pt"', r' \1="\2"', text[:tag_end])
        tag = tag.replace("<svg", f'<svg x="{x:.1f}" y="{(height - h) / 2:.1f}"', 1)
        parts.append(tag + text[tag_end:])
        x += w + gap
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.1f} {height:.1f}">\n'
    )
    return (head + "\n".join(parts) + "\n</svg>\n").encode("utf-8")


def draw_network(
    model,
    format: str = "svg",
    path=None,
    weights: bool = True,
    side_by_side: bool = False,
    x=None,
    target=None,
    loss=None,
    max_labelled_edges: int = MAX_LABELLED_EDGES,
    max_units: int = MAX_UNITS,
):
    """Draw ``model`` as a network diagram (see the module docstring).

    Returns the DOT text (``format="dot"``) or rendered bytes, or writes
    ``path`` (format from its suffix) and returns it.  ``side_by_side=True``
    puts the computation graph of the same network (``network_to_graph(model,
    x, target, loss)``, with values and gradients) to its right: SVG only.
    """
    from pathlib import Path

    from tapegrad.viz.dot import draw_graph

    dot_text = network_to_dot(model, weights, max_labelled_edges, max_units)
    if not side_by_side:
        return output(dot_text, format, path, engine="neato", args=("-n2",))
    if path is not None:
        suffix = Path(path).suffix.lower().lstrip(".")
        format = suffix or format
    if format != "svg":
        raise ValueError("draw_network: side_by_side drawings are SVG only")
    net = render(dot_text, "svg", "neato", ("-n2",))
    y = network_to_graph(model, x, target, loss)
    graph = draw_graph(y, values=True, grads=y.requires_grad, format="svg")
    data = side_by_side_svg(net, graph)
    if path is None:
        return data
    from tapegrad.viz.render import write_atomic

    return write_atomic(Path(path), data)


def make_mlp(sizes, activation: str = "relu", seed: int = 0):
    """An ``nn.MLP(sizes, activation)`` in float64 with seeded weights."""
    from tapegrad import nn

    acts = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
    if activation.lower() not in acts:
        raise ValueError(f"activation must be one of {', '.join(acts)}, got {activation!r}")
    tg.manual_seed(seed)
    model = nn.MLP(list(sizes), activation=acts[activation.lower()])
    return model


def lecture_network():
    """The lecture's 1-2-3-1 ReLU network with its weights, an example input
    ``x = 1`` (the slides leave it open) and the label ``t = 1`` of the loss
    ``1/2 (y - 1)^2``.  Returns ``(model, x, t)``."""
    from tapegrad import nn

    model = nn.MLP([1, 2, 3, 1], activation=nn.ReLU)
    values = [
        ([[3.0], [-1.0]], [0.0, 0.0]),
        ([[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]], [2.0, -2.0, 0.0]),
        ([[-1.0, 1.0, 1.0 / 3.0]], [5.0]),
    ]
    lins = [m for m in model if isinstance(m, nn.Linear)]
    with tg.no_grad():
        for lin, (w, b) in zip(lins, values):
            lin.weight.copy_(tg.tensor(w))
            lin.bias.copy_(tg.tensor(b))
    return model, [1.0], [1.0]
