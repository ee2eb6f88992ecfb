"""The slides "Lots of activation functions!" and "Derivative of ReLU": every
elementwise activation of tapegrad, its value and its derivative on a grid.

* :func:`activations`: for each function ``f``, ``f(x)`` and ``f'(x)`` on a
  grid (401 points in ``[-5, 5]`` by default) and at a few points, and the
  largest derivative on the grid and where it is reached.

The derivative is tapegrad's own backward pass (``x.requires_grad``,
``f(x).sum().backward()``, ``x.grad``), not a formula written again, so at a
kink it is whatever the backward pass gives: PyTorch's conventions, e.g.
``relu'(0) = 0``, ``leaky_relu'(0) = 0.01``, ``elu'(0) = celu'(0) = 1``,
``selu'(0) = 1.0507 * 1.6733``,
``hardtanh'(+-1) = 0``, ``hardsigmoid'(+-3) = 0``, ``hardswish'(-3) = 0``,
``hardswish'(3) = 1``,
``threshold'(1) = 0`` and ``hardshrink'(+-0.5) = softshrink'(+-0.5) = 0``.
The activations along a dimension (softmax, log-softmax, softmin, Softmax2d,
GLU) are not functions of one number and are left out.

(This module is not named ``activations``: importing a submodule sets the
package's attribute of that name, which would hide the function
``tapegrad.lecture.activations``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tapegrad as tg
from tapegrad.nn import functional as F

__all__ = ["ACTIVATION_FUNCTIONS", "Activations", "activations"]

PRELU_INIT = 0.25  # nn.PReLU's default slope
THRESHOLD, THRESHOLD_VALUE = 1.0, 0.0  # nn.Threshold has no defaults: the picture's choice

# name -> (the function, what it computes), in the order of the picture.
ACTIVATION_FUNCTIONS: dict[str, tuple[Callable, str]] = {
    "sigmoid": (F.sigmoid, "1 / (1 + e^-x)"),
    "tanh": (F.tanh, "tanh(x)"),
    "relu": (F.relu, "max(x, 0)"),
    "leaky_relu": (F.leaky_relu, "x if x > 0 else 0.01 x"),
    "prelu": (
        lambda x: F.prelu(x, tg.tensor([PRELU_INIT], dtype=x.dtype)),
        f"x if x > 0 else a x, a = {PRELU_INIT:g} (learnt)",
    ),
    "rrelu": (F.rrelu, "x if x > 0 else a x, a = (1/8 + 1/3) / 2 (eval; random in training)"),
    "elu": (F.elu, "x if x > 0 else e^x - 1"),
    "selu": (F.selu, "1.0507 (x if x > 0 else 1.6733 (e^x - 1))"),
    "celu": (F.celu, "max(0, x) + min(0, alpha (e^(x/alpha) - 1)), alpha = 1"),
    "gelu": (F.gelu, "x Phi(x)"),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        "x Phi(x), tanh approximation",
    ),
    "silu": (F.silu, "x sigmoid(x)"),
    "mish": (F.mish, "x tanh(softplus(x))"),
    "softplus": (F.softplus, "ln(1 + e^x)"),
    "logsigmoid": (F.logsigmoid, "ln(sigmoid(x))"),
    "hardtanh": (F.hardtanh, "clamp(x, -1, 1)"),
    "relu6": (F.relu6, "clamp(x, 0, 6)"),
    "hardsigmoid": (F.hardsigmoid, "clamp(x/6 + 1/2, 0, 1)"),
    "hardswish": (F.hardswish, "x hardsigmoid(x)"),
    "softsign": (F.softsign, "x / (1 + |x|)"),
    "tanhshrink": (F.tanhshrink, "x - tanh(x)"),
    "threshold": (
        lambda x: F.threshold(x, THRESHOLD, THRESHOLD_VALUE),
        f"x if x > {THRESHOLD:g} else {THRESHOLD_VALUE:g}",
    ),
    "hardshrink": (F.hardshrink, "x if |x| > 0.5 else 0"),
    "softshrink": (F.softshrink, "x - 0.5 sign(x) if |x| > 0.5 else 0"),
}


@dataclass
class Activations:
    """Result of :func:`activations`; every number a Python float.

    * ``names``: the functions, in order; ``formulas[name]``: what it computes;
    * ``grid``: the grid's points; ``value[name]`` and ``derivative[name]``:
      ``f`` and ``f'`` there (``f'`` from tapegrad's backward pass);
    * ``points``: a few inputs; ``at_points[name]``: ``f'`` there;
    * ``max_derivative[name]``: the largest ``f'`` on the grid;
      ``argmax_from[name]`` / ``argmax_to[name]``: the first and the last
      grid point where ``f'`` equals it (the same point unless ``f'`` is flat
      there, like ReLU's ``1`` for every ``x > 0``);
    * ``dtype``: the dtype computed in (``'float64'`` by default).
    """

    names: list[str]
    formulas: dict[str, str]
    grid: list[float]
    points: list[float]
    value: dict[str, list[float]]
    derivative: dict[str, list[float]]
    at_points: dict[str, list[float]]
    max_derivative: dict[str, float]
    argmax_from: dict[str, float]
    argmax_to: dict[str, float]
    dtype: str


def _value_and_derivative(fn: Callable, x: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """``fn(x)`` and ``d fn / dx`` elementwise, by ``fn(x).sum().backward()``."""
    t = tg.tensor(x.tolist(), dtype=dtype, requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return np.asarray(y.detach().tolist(), dtype=float), np.asarray(t.grad.tolist(), dtype=float)


def activations(
    points: tuple[float, ...] = (-3.0, -1.0, 0.0, 1.0, 3.0),
    grid: tuple[float, float, int] = (-5.0, 5.0, 401),
    dtype=tg.float64,
) -> Activations:
    """Every activation of :data:`ACTIVATION_FUNCTIONS` and its derivative.

    ``grid = (lo, hi, n)``: ``n`` evenly spaced points from ``lo`` to ``hi``,
    computed as ``(lo (n - 1 - i) + hi i) / (n - 1)`` (one rounding) so that
    round numbers (the kinks at 0, +-1, +-3 with the default grid) are hit
    exactly.  The grid
    and the ``points`` go through each function in one tensor and one
    backward pass.  Deterministic: nothing is random.
    """
    lo, hi, n = float(grid[0]), float(grid[1]), int(grid[2])
    if n < 2 or not hi > lo:
        raise ValueError(f"activations: grid must be (lo, hi, n) with hi > lo, n >= 2; got {grid}")
    i = np.arange(n, dtype=float)
    xs = (lo * (n - 1 - i) + hi * i) / (n - 1)
    pts = np.asarray([float(p) for p in points], dtype=float)
    both = np.concatenate([xs, pts])
    value, derivative, at_points = {}, {}, {}
    max_derivative, argmax_from, argmax_to = {}, {}, {}
    for name, (fn, _) in ACTIVATION_FUNCTIONS.items():
        y, dy = _value_and_derivative(fn, both, dtype)
        d = dy[:n]
        top = float(d.max())
        where = np.flatnonzero(d == top)
        value[name] = y[:n].tolist()
        derivative[name] = d.tolist()
        at_points[name] = dy[n:].tolist()
        max_derivative[name] = top
        argmax_from[name] = float(xs[where[0]])
        argmax_to[name] = float(xs[where[-1]])
    return Activations(
        names=list(ACTIVATION_FUNCTIONS),
        formulas={k: f for k, (_, f) in ACTIVATION_FUNCTIONS.items()},
        grid=xs.tolist(),
        points=pts.tolist(),
        value=value,
        derivative=derivative,
        at_points=at_points,
        max_derivative=max_derivative,
        argmax_from=argmax_from,
        argmax_to=argmax_to,
        dtype=str(dtype).removeprefix("tapegrad."),
    )
