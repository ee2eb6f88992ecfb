"""The lecture's two worked examples, computed by tapegrad and returned as data.

* :func:`worked_example`: reverse-mode autodiff of
  ``y = exp(xz) + xz / ln(x) + sin(ln(x)) / (xz)`` at ``x = 2, z = 3``, with the
  slide's intermediates ``a .. f`` and adjoints ``g_y .. g_z``.
* :func:`relu_network`: the 1-2-3-1 ReLU network of the slides, its forward
  values ``s(l), o(l)`` and each parameter's gradient twice: from
  ``loss.backward()`` and from the slide's matrix-form recursion.

Both run in float64 so that the numbers match the slides' exact arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import tapegrad as tg
from tapegrad import nn

__all__ = ["ReluNetwork", "WorkedExample", "relu_network", "worked_example"]


@dataclass
class WorkedExample:
    """The autodiff slide: inputs, intermediates and adjoints (all floats).

    ``values``: ``x, z, a, b, c, d, e, f, y`` in forward order;
    ``adjoints``: ``g_y, g_d, g_e, g_f, g_c, g_b, g_a, g_x, g_z`` in the order
    the backward pass finds them; ``formulas``: the slide's expression of each
    (same keys); ``tape``: the same adjoints read from tapegrad's ``.grad``
    (``x.grad``, ``z.grad`` and the retained grads of ``a .. f``)."""

    values: dict[str, float]
    adjoints: dict[str, float]
    formulas: dict[str, str]
    tape: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, float]]:
        """``(name, formula, value)`` for the forward table then the adjoints."""
        return [(k, self.formulas[k], v) for k, v in self.values.items()] + [
            (k, self.formulas[k], v) for k, v in self.adjoints.items()
        ]


_FORMULAS = {
    "x": "input",
    "z": "input",
    "a": "x z",
    "b": "ln(x)",
    "c": "sin(b)",
    "d": "exp(a)",
    "e": "a / b",
    "f": "c / a",
    "y": "d + e + f",
    "g_y": "1",
    "g_d": "g_y",
    "g_e": "g_y",
    "g_f": "g_y",
    "g_c": "g_f (1/a)",
    "g_b": "g_e (-a/b^2) + g_c cos(b)",
    "g_a": "g_f (-c/a^2) + g_e (1/b) + g_d exp(a)",
    "g_x": "g_a z + g_b (1/x)",
    "g_z": "g_a x",
}


def slide_program(x: float = 2.0, z: float = 3.0) -> dict:
    """The slide's program on float64 tensors named as on the slide:
    ``{"x", "z", "a", ..., "f", "y"}`` in the order of the program
    (``y = d + e + f`` is two additions; the partial sum is unnamed)."""
    xt = tg.tensor(float(x), dtype=tg.float64, requires_grad=True, name="x")
    zt = tg.tensor(float(z), dtype=tg.float64, requires_grad=True, name="z")
    p = {"x": xt, "z": zt, "a": xt * zt, "b": tg.log(xt)}
    p["c"] = tg.sin(p["b"])
    p["d"] = tg.exp(p["a"])
    p["e"] = p["a"] / p["b"]
    p["f"] = p["c"] / p["a"]
    p["y"] = p["d"] + p["e"] + p["f"]
    for name in "abcdefy":
        p[name].name = name
    return p


def worked_example(x: float = 2.0, z: float = 3.0) -> WorkedExample:
    """The slide's reverse-mode example, by hand (the slide's adjoint
    equations) and by tapegrad's tape; both in float64.

    ``a = xz, b = ln x, c = sin b, d = e^a, e = a/b, f = c/a, y = d + e + f``;
    at ``x = 2, z = 3``: ``y = 412.1914...``, ``dy/dx = 1208.3812...``,
    ``dy/dz = 809.7074...``."""
    if x <= 0 or x == 1:
        raise ValueError(f"worked_example: needs x > 0 and x != 1 (ln x in a denominator), got {x}")
    named = slide_program(x, z)
    xt, zt, y = named["x"], named["z"], named["y"]
    inter = {k: named[k] for k in "abcdef"}
    for t in inter.values():
        t.retain_grad()
    y.retain_grad()
    y.backward()
    values = {"x": float(x), "z": float(z)}
    values.update({k: t.item() for k, t in inter.items()})
    values["y"] = y.item()

    # The slide's adjoint equations, evaluated on the forward values.
    v = values
    g = {"g_y": 1.0}
    g["g_d"] = g["g_e"] = g["g_f"] = g["g_y"]
    g["g_c"] = g["g_f"] / v["a"]
    g["g_b"] = g["g_e"] * (-v["a"] / v["b"] ** 2) + g["g_c"] * math.cos(v["b"])
    g["g_a"] = g["g_f"] * (-v["c"] / v["a"] ** 2) + g["g_e"] / v["b"] + g["g_d"] * math.exp(v["a"])
    g["g_x"] = g["g_a"] * v["z"] + g["g_b"] / v["x"]
    g["g_z"] = g["g_a"] * v["x"]

    tape = {"g_y": y.grad.item()}
    tape.update({f"g_{k}": t.grad.item() for k, t in inter.items()})
    tape["g_x"], tape["g_z"] = xt.grad.item(), zt.grad.item()
    tape = {k: tape[k] for k in g}
    return WorkedExample(values=values, adjoints=g, formulas=dict(_FORMULAS), tape=tape)


# --------------------------------------------------------------- 1-2-3-1 net
LECTURE_WEIGHTS = [
    ([[3.0], [-1.0]], [0.0, 0.0]),
    ([[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]], [2.0, -2.0, 0.0]),
    ([[-1.0, 1.0, 1.0 / 3.0]], [5.0]),
]


@dataclass
class ReluNetwork:
    """The 1-2-3-1 ReLU network of the slides, forward and backward.

    ``s[l]``, ``o[l]``: pre- and post-activation of layer ``l = 1, 2, 3``
    (lists of floats; ``o[0]`` is the input; the last layer has no
    activation, so ``o[3] = s[3] = [y]``); ``grads_autograd`` and
    ``grads_recursion``: ``{"W1": [[...]], "b1": [...], ...}``; ``r``: the
    vector ``r = dloss/ds(l)`` of the recursion at each layer; ``agree``:
    whether both ways give the same gradients (to 1e-12)."""

    x: list[float]
    t: float
    s: dict[int, list[float]]
    o: dict[int, list[float]]
    y: float
    loss: float
    grads_autograd: dict[str, list]
    grads_recursion: dict[str, list]
    r: dict[int, list[float]]
    agree: bool


def _lecture_model() -> nn.Sequential:
    lins = [nn.Linear(len(w[0]), len(w), dtype=tg.float64) for w, _ in LECTURE_WEIGHTS]
    with tg.no_grad():
        for lin, (w, b) in zip(lins, LECTURE_WEIGHTS):
            lin.weight.copy_(tg.tensor(w, dtype=tg.float64))
            lin.bias.copy_(tg.tensor(b, dtype=tg.float64))
    return nn.Sequential(lins[0], nn.ReLU(), lins[1], nn.ReLU(), lins[2])


def _recursion(weights, s, o, dloss_dy: float):
    """The slide's backprop in matrix form, on plain lists.

    ``r <- dloss/do(L)``; for ``l = L .. 1``: ``r <- r * sigma'(s(l))``,
    ``dW(l) = r o(l-1)^T``, ``db(l) = r``, ``r <- W(l)^T r``.  The output
    layer is linear (``sigma' = 1``), the hidden ones ReLU (``sigma' =
    [s > 0]``)."""
    L = len(weights)
    r = [dloss_dy]
    grads, rs = {}, {}
    for layer in range(L, 0, -1):
        if layer < L:
            r = [ri if si > 0 else 0.0 for ri, si in zip(r, s[layer])]
        rs[layer] = list(r)
        grads[f"W{layer}"] = [[ri * oj for oj in o[layer - 1]] for ri in r]
        grads[f"b{layer}"] = list(r)
        w = weights[layer - 1]
        r = [sum(w[i][j] * r[i] for i in range(len(r))) for j in range(len(w[0]))]
    return grads, rs


def relu_network(x: float = 1.0, t: float = 1.0) -> ReluNetwork:
    """Forward and backward pass of the slides' network (float64).

    ``W1 = [[3], [-1]], b1 = [0, 0]``, ``W2 = [[-1, 1], [0, 1], [1, 1]],
    b2 = [2, -2, 0]``, ``W3 = [[-1, 1, 1/3]], b3 = 5``, ReLU hidden units,
    ``loss = 1/2 (y - t)^2``.  At ``x = 1, t = 1``: ``y = 6``, ``loss = 12.5``."""
    model = _lecture_model()
    lins = [model[0], model[2], model[4]]
    xin = tg.tensor([[float(x)]], dtype=tg.float64)
    s, o = {}, {0: [float(x)]}
    h = xin
    for i, lin in enumerate(lins, start=1):
        pre = lin(h)
        h = tg.relu(pre) if i < len(lins) else pre
        s[i] = pre.detach().numpy()[0].tolist()
        o[i] = h.detach().numpy()[0].tolist()
    y = h[0, 0]
    loss = 0.5 * (y - float(t)) ** 2
    loss.backward()

    auto = {}
    for i, lin in enumerate(lins, start=1):
        auto[f"W{i}"] = lin.weight.grad.numpy().tolist()
        auto[f"b{i}"] = lin.bias.grad.numpy().tolist()
    weights = [w for w, _ in LECTURE_WEIGHTS]
    rec, rs = _recursion(weights, s, o, y.item() - float(t))
    agree = all(_close(auto[k], rec[k]) for k in auto)
    return ReluNetwork(
        x=[float(x)],
        t=float(t),
        s=s,
        o=o,
        y=y.item(),
        loss=loss.item(),
        grads_autograd=auto,
        grads_recursion=rec,
        r=rs,
        agree=agree,
    )


def _flat(v) -> list[float]:
    if isinstance(v, list):
        return [u for item in v for u in _flat(item)]
    return [float(v)]


def _close(a, b, tol: float = 1e-12) -> bool:
    fa, fb = _flat(a), _flat(b)
    return len(fa) == len(fb) and all(abs(p - q) <= tol * max(1.0, abs(q)) for p, q in zip(fa, fb))
