"""The strong-Wolfe line search with cubic interpolation (Nocedal and Wright,
*Numerical Optimization*, algorithms 3.5 and 3.6), as ``torch.optim.LBFGS``
runs it (a port of ``minFunc``'s ``lswolfe``).

Along a descent direction ``d`` from ``x`` with loss ``f(0)`` and slope
``f'(0) = g . d < 0``, a step ``t`` satisfies the strong Wolfe conditions when

    f(t) <= f(0) + c1 t f'(0)        (sufficient decrease)
    |f'(t)| <= -c2 f'(0)             (curvature)

Scalars are whatever ``phi`` and the dot products give (0-d tensors of the
parameters' dtype, Python floats for losses), exactly as in PyTorch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tapegrad.tensor import Tensor

__all__ = ["cubic_interpolate", "strong_wolfe"]


class _Trial(NamedTuple):
    """One point the line search evaluated: step ``t``, loss ``f``, flat
    gradient ``g`` and slope ``gtd = g . d``."""

    t: Any
    f: float
    g: Tensor
    gtd: Any


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with
    slopes ``g1``, ``g2``, clamped to ``bounds`` (default: between the two
    points); their midpoint when the cubic has no minimum::

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2),   d2 = sqrt(d1^2 - g1 g2)
        x = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)    (x1 <= x2)
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


class _LineSearch:
    """The strong-Wolfe conditions for steps ``t`` along ``d`` from the point
    ``start`` (``t = 0``), and the evaluations spent on them."""

    def __init__(self, phi, start: _Trial, c1: float, c2: float):
        self.phi, self.start, self.c1, self.c2 = phi, start, c1, c2
        self.evals = 0

    def trial(self, t, d: Tensor) -> _Trial:
        f, g = self.phi(t)
        self.evals += 1
        return _Trial(t, f, g, g.dot(d))

    def sufficient_decrease(self, p: _Trial) -> bool:
        """Armijo: ``f(t) <= f(0) + c1 t f'(0)``."""
        return not p.f > self.start.f + self.c1 * p.t * self.start.gtd

    def curvature(self, p: _Trial) -> bool:
        """``|f'(t)| <= -c2 f'(0)``."""
        return bool(abs(p.gtd) <= -self.c2 * self.start.gtd)


def strong_wolfe(phi, d, t, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` satisfying the strong Wolfe conditions
    (Nocedal and Wright, algorithms 3.5 and 3.6, with cubic interpolation),
    from loss ``f``, gradient ``g`` and slope ``gtd`` at ``t = 0``;
    ``phi(t)`` returns the loss and flat gradient at ``x + t d``.  Returns
    ``(f, g, t, evaluations)`` at the step found, after at most about
    ``max_ls`` evaluations.  (The optimiser's ``tolerance_change`` does not
    reach this search: PyTorch keeps its own ``1e-9`` here.)"""
    search = _LineSearch(phi, _Trial(0, f, g, gtd), c1, c2)
    bracket, done = _bracket(search, d, t, max_ls)
    best = _zoom(search, d, bracket, done, tolerance_change, max_ls)
    return best.f, best.g, best.t, search.evals


def _bracket(search: _LineSearch, d, t, max_ls: int) -> tuple[list[_Trial], bool]:
    """Phase one: extrapolate the step (cubic, between 1.01 and 10 times the
    last) until ``[previous, new]`` brackets a Wolfe point or ``new`` is one
    (then ``([new], True)``).  Out of evaluations, the bracket is
    ``[start, last]``."""
    prev, new = search.start, search.trial(t, d)
    for ls_iter in range(max_ls):
        if not search.sufficient_decrease(new) or (ls_iter > 1 and new.f >= prev.f):
            return [prev, new], False
        if search.curvature(new):
            return [new], True
        if new.gtd >= 0:
            return [prev, new], False
        bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10)
        t = cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, bounds=bounds)
        prev, new = new, search.trial(t, d)
    return [search.start, new], False


def _zoom(search: _LineSearch, d, bracket, done, tolerance_change, max_ls) -> _Trial:
    """Phase two: shrink the bracket by cubic interpolation (kept a tenth of
    its width off the ends when progress stalls) until a point meets both
    Wolfe conditions, the bracket is shorter than ``tolerance_change`` (in
    max-norm of ``t d``) or the evaluations run out; the lower end wins."""
    d_norm = d.abs().max()
    low, high = _low_high(bracket)
    stalled = False
    while not done and search.evals - 1 < max_ls:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        t, stalled = _away_from_the_ends(t, min(a.t, b.t), max(a.t, b.t), stalled)
        new = search.trial(t, d)
        if not search.sufficient_decrease(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = _low_high(bracket)
            continue
        if search.curvature(new):
            done = True
        elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = new
    return bracket[low]


def _low_high(bracket: list[_Trial]) -> tuple[int, int]:
    """The positions of the lower and the higher loss in the bracket."""
    return (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)


def _away_from_the_ends(t, lo, hi, stalled: bool):
    """Keep a trial step at least a tenth of the bracket ``[lo, hi]`` from
    its ends when it lies on or outside an end, or near one twice in a row
    (too little progress); returns the step and whether it was near an end
    without being moved."""
    eps = 0.1 * (hi - lo)
    if not min(hi - t, t - lo) < eps:
        return t, False
    if not (stalled or t >= hi or t <= lo):
        return t, True
    return (hi - eps if abs(t - hi) < abs(t - lo) else lo + eps), False
