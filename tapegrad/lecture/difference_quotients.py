"""Finite differences against backprop, in float32 and float64.

:func:`finite_differences` reproduces the slide "Derivatives: intuition"
(``dy = f'(x) dx`` for a small ``dx``) numerically: it takes the gradient of
a small network's loss by ``loss.backward()`` and by forward and central
differences over a range of step sizes ``eps``, and measures how far each
finite-difference estimate is from backprop.  The error falls with ``eps``
(truncation: ``~eps`` forward, ``~eps^2`` central) until rounding takes over
(``~machine eps / eps``) -- which is why ``tg.autograd.gradcheck`` uses
central differences in float64.  Deterministic given ``seed``; tapegrad's
global random state is left as it was found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tapegrad as tg
from tapegrad.lecture.experiments import seeded

__all__ = ["FiniteDifferences", "finite_differences"]

METHODS = ("forward", "central")
PRECISIONS = ("float32", "float64")
ORDER = {"forward": 1, "central": 2}
MACHINE_EPS = {"float32": 2.0**-23, "float64": 2.0**-52}
_DTYPES = {"float32": tg.float32, "float64": tg.float64}
DEFAULT_EPS = tuple(10.0 ** (-1 - k / 2) for k in range(25))  # 1e-1 .. 1e-13
SIZES = (3, 4, 1)
BATCH = 8
WEIGHT_SCALE = 2.0
TRUNCATION_FACTOR = 3.0  # truncation side: error >= this x the smallest


@dataclass
class FiniteDifferences:
    """Result of :func:`finite_differences`.

    * ``sizes``: the network's layer widths (``3-4-1``, tanh hidden layer);
      ``n_params``: its number of parameters; ``loss``: the loss in float64;
      ``grad_max``: ``max_i |dL/dtheta_i|`` (float64 backprop);
    * ``eps``: the step sizes, largest first;
    * ``errors[method][precision][k]``: ``max_i |FD_i - g_i|`` at ``eps[k]``,
      where ``FD`` is the ``method`` (``"forward"``: ``(L(theta + eps e_i) -
      L(theta)) / eps``; ``"central"``: ``(L(theta + eps e_i) - L(theta - eps
      e_i)) / (2 eps)``) computed entirely in ``precision`` and ``g`` is the
      **float64** backprop gradient, the reference for both precisions (the
      float32 network's parameters are the float64 values rounded);
    * ``best_eps`` / ``min_error``: where the error is smallest, and its value;
    * ``truncation_slope``: the least-squares slope of ``log error`` against
      ``log eps`` on the truncation side (``eps`` above ``best_eps`` where the
      error is at least 3x ``min_error``); about 1 for forward, 2 for central;
      ``nan`` with fewer than two such points;
    * ``rounding_slope``: the same below ``best_eps`` (excluding the steps
      for which ``theta + eps e_i == theta`` for every ``i``, where the
      estimate is exactly 0); about -1, since the rounding error of ``L``
      (``~machine eps |L|``) is divided by ``eps`` (flatter and noisier in
      float32, where rounding ``theta + eps e_i`` adds its own error);
    * ``machine_eps[precision]``: ``2^-23`` and ``2^-52``;
    * ``backprop_error[precision]``: ``max_i |g_i(precision) - g_i|``,
      backprop's own error in that precision (0 for float64).
    """

    seed: int
    sizes: list[int]
    n_params: int
    loss: float
    grad_max: float
    eps: list[float]
    methods: list[str]
    precisions: list[str]
    errors: dict[str, dict[str, list[float]]]
    best_eps: dict[str, dict[str, float]]
    min_error: dict[str, dict[str, float]]
    truncation_slope: dict[str, dict[str, float]]
    rounding_slope: dict[str, dict[str, float]]
    machine_eps: dict[str, float]
    backprop_error: dict[str, float]


def _loss(params, x, t):
    """``1/2 sum (W2 tanh(W1 x + b1) + b2 - t)^2`` over the batch."""
    w1, b1, w2, b2 = params
    y = tg.tanh(x @ w1.T + b1) @ w2.T + b2
    return 0.5 * ((y - t) ** 2).sum()


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of ``log10 err`` against ``log10 eps``."""
    if len(points) < 2:
        return math.nan
    xs = [math.log10(e) for e, _ in points]
    ys = [math.log10(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sxx


def _estimates(values, x, t, dtype, eps: float):
    """Forward and central difference gradients (flat lists) in ``dtype``,
    and whether every perturbed parameter was rounded back to itself."""
    params = [tg.tensor(v, dtype=dtype) for v in values]
    xd, td = tg.tensor(x, dtype=dtype), tg.tensor(t, dtype=dtype)
    forward, central, unchanged = [], [], True
    with tg.no_grad():
        f0 = _loss(params, xd, td)
        for j, p in enumerate(params):
            basis = tg.eye(p.numel(), dtype=dtype)
            for k in range(p.numel()):
                step = eps * basis[k].reshape(p.shape)
                plus, minus = p + step, p - step
                unchanged = unchanged and bool((plus == p).all().item())
                fp = _loss(params[:j] + [plus] + params[j + 1 :], xd, td)
                fm = _loss(params[:j] + [minus] + params[j + 1 :], xd, td)
                forward.append(((fp - f0) / eps).item())
                central.append(((fp - fm) / (2 * eps)).item())
    return forward, central, unchanged


def _backprop(values, x, t, dtype) -> tuple[float, list[float]]:
    params = [tg.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    loss = _loss(params, tg.tensor(x, dtype=dtype), tg.tensor(t, dtype=dtype))
    loss.backward()
    return loss.item(), [g for p in params for g in p.grad.reshape(-1).tolist()]


def _fit(steps: list[float], errs: list[float], frozen: list[bool]) -> tuple:
    """``(best eps, smallest error, truncation slope, rounding slope)`` of one
    error curve: the slopes fitted on the points above the minimum (by
    ``TRUNCATION_FACTOR``), at larger and at smaller steps (leaving out the
    steps too small to change the parameter at all)."""
    k = min(range(len(errs)), key=errs.__getitem__)
    big = TRUNCATION_FACTOR * errs[k]
    truncation = _slope([(steps[i], errs[i]) for i in range(k) if errs[i] >= big])
    later = range(k + 1, len(steps))
    rounding = _slope([(steps[i], errs[i]) for i in later if errs[i] >= big and not frozen[i]])
    return steps[k], errs[k], truncation, rounding


def finite_differences(seed: int = 0, eps: tuple[float, ...] = DEFAULT_EPS) -> FiniteDifferences:
    """Backprop vs finite differences on a 3-4-1 tanh network.

    The network ``y = W2 tanh(W1 x + b1) + b2`` (21 parameters, weights and
    biases ``~ N(0, 2^2)``) sees a batch of 8 inputs ``x ~ N(0, 1)`` with
    targets ``t ~ N(0, 1)``; the loss is ``1/2 sum (y - t)^2``.  All values
    are drawn once in float64; the float32 network uses the same values,
    rounded.  For each ``eps`` and each parameter ``theta_i`` the derivative
    is estimated by forward and central differences, in float32 and in
    float64 (the perturbation, the loss and the quotient all in that
    precision), and compared with the float64 backprop gradient.
    """
    steps = sorted({float(e) for e in eps}, reverse=True)
    if not steps or steps[-1] <= 0.0:
        raise ValueError(f"finite_differences: every eps must be > 0, got {list(eps)}")
    w1, b1, w2, b2 = (SIZES[1], SIZES[0]), (SIZES[1],), (SIZES[2], SIZES[1]), (SIZES[2],)
    with seeded(seed):
        values = [
            (WEIGHT_SCALE * tg.randn(*shape, dtype=tg.float64)).tolist()
            for shape in (w1, b1, w2, b2)
        ]
        x = tg.randn(BATCH, SIZES[0], dtype=tg.float64).tolist()
        t = tg.randn(BATCH, SIZES[2], dtype=tg.float64).tolist()
    loss, ref = _backprop(values, x, t, tg.float64)
    backprop_error = {
        p: max(abs(a - b) for a, b in zip(_backprop(values, x, t, _DTYPES[p])[1], ref))
        for p in PRECISIONS
    }

    errors = {m: {p: [] for p in PRECISIONS} for m in METHODS}
    frozen = {p: [] for p in PRECISIONS}
    for p in PRECISIONS:
        for e in steps:
            fwd, cen, unchanged = _estimates(values, x, t, _DTYPES[p], e)
            frozen[p].append(unchanged)
            for m, est in (("forward", fwd), ("central", cen)):
                errors[m][p].append(max(abs(a - b) for a, b in zip(est, ref)))

    best, smallest, trunc, rnd = ({m: {} for m in METHODS} for _ in range(4))
    for m in METHODS:
        for p in PRECISIONS:
            best[m][p], smallest[m][p], trunc[m][p], rnd[m][p] = _fit(
                steps, errors[m][p], frozen[p]
            )
    return FiniteDifferences(
        seed=seed,
        sizes=list(SIZES),
        n_params=len(ref),
        loss=loss,
        grad_max=max(abs(g) for g in ref),
        eps=steps,
        methods=list(METHODS),
        precisions=list(PRECISIONS),
        errors=errors,
        best_eps=best,
        min_error=smallest,
        truncation_slope=trunc,
        rounding_slope=rnd,
        machine_eps=dict(MACHINE_EPS),
        backprop_error=backprop_error,
    )
