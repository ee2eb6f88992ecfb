"""The log-gamma and polygamma functions on arrays, vectorised, in float64.

NumPy has neither; these follow the textbook route, accurate to a few ulp
away from the zeros of each function (absolutely to about 1e-15 near them):

* for ``x >= N`` the asymptotic (Stirling) series in ``1/x`` with the
  Bernoulli numbers ``B_2 .. B_16``: ``lgamma(x) = (x - 1/2) ln x - x +
  ln(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1))`` and
  ``psi^(n)(x) = (-1)^(n+1) [(n-1)!/x^n + n!/(2 x^(n+1))
  + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n))]`` (``ln x - 1/(2x) - ...``
  for ``n = 0``);
* below ``N``, the recurrences ``Gamma(x + 1) = x Gamma(x)`` and
  ``psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n+1) n! / x^(n+1)``, one step at a
  time up to ``N``;
* for negative ``x`` (``x < 1/2`` for the polygammas) the reflection
  formulas ``Gamma(x) Gamma(1 - x) = pi / sin(pi x)`` and its derivatives
  ``psi^(n)(1 - x) + (-1)^(n+1) psi^(n)(x) = (-1)^n pi d^n/dz^n cot(z)
  at z = pi x``, with ``d^n cot / dz^n = P_n(cot z)``, ``P_0(c) = c``,
  ``P_(n+1)(c) = -(1 + c^2) P_n'(c)``.

Poles and infinities are PyTorch's: ``lgamma`` is ``+inf`` at the
non-positive integers; ``digamma(+-0) = -+inf`` and NaN at the negative
integers; the higher orders are ``(-1)^(n+1) inf`` at the non-positive
integers (where PyTorch's trigamma gives what ``pi^2 / sin^2(pi x)`` is in
floating point, about ``6.6e32`` at -1) and, from ``n = 2``, NaN at ``+inf``.
"""

from __future__ import annotations

import math

from tapegrad import backend as B

xp = B.xp

# B_2, B_4, ..., B_16
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LGAMMA_N = 10.0  # the series is exact to double precision from here on


def _as_float64(x):
    """``x`` as a float64 array and the floating dtype to return it in."""
    x = xp.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else B.float64
    return x.astype(B.float64), dtype


def _shift_up(x, bound, term):
    """``(y, s)``: ``y = x + k`` with the least ``k >= 0`` making ``y >= bound``
    (NaN and ``+inf`` left as they are), and ``s = sum_{j < k} term(x + j)``."""
    y = x.copy()
    s = xp.zeros_like(x)
    low = xp.nonzero(y < bound)[0]
    while low.size:
        s[low] += term(y[low])
        y[low] += 1.0
        low = low[y[low] < bound]
    return y, s


# ------------------------------------------------------------------ lgamma
def _lgamma_stirling(y):
    """``ln Gamma(y)`` for ``y >= 10`` by Stirling's series."""
    z = 1.0 / y
    z2 = z * z
    series = xp.zeros_like(y)
    for k in range(len(_BERNOULLI), 0, -1):  # Horner in 1/y^2
        series = series * z2 + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    with xp.errstate(invalid="ignore"):  # (y = inf: inf - inf is not reached below)
        main = (y - 0.5) * xp.log(y) - y
    main = xp.where(xp.isinf(y), y, main)
    return main + _HALF_LOG_2PI + series * z


def _lgamma_positive(x):
    """``ln Gamma(x)`` for ``x > 0``: shifted up to 10, ``ln`` of the product
    of the steps taken off (one logarithm per step: no overflow)."""
    y, log_steps = _shift_up(x, _LGAMMA_N, xp.log)
    return _lgamma_stirling(y) - log_steps


def lgamma(x):
    """``ln |Gamma(x)|`` elementwise (``+inf`` at the non-positive integers
    and at ``+-inf``)."""
    x, dtype = _as_float64(x)
    flat = x.reshape(-1)
    out = xp.full(flat.shape, xp.inf)
    pos = xp.nonzero(flat > 0)[0]
    out[pos] = _lgamma_positive(flat[pos])
    out[xp.isnan(flat)] = xp.nan
    neg = xp.nonzero((flat < 0) & (flat != xp.floor(flat)))[0]  # poles stay at inf
    v = flat[neg]
    sin_pi_v = xp.abs(xp.sin(math.pi * (v - xp.trunc(v))))  # reduced: exact near the poles
    out[neg] = math.log(math.pi) - xp.log(sin_pi_v) - _lgamma_positive(1.0 - v)
    return out.reshape(x.shape).astype(dtype, copy=False)


# --------------------------------------------------------------- polygamma
def _polygamma_bound(n: int) -> float:
    """Where the asymptotic series of ``psi^(n)`` reaches double precision."""
    return 10.0 + n


def _polygamma_series(n: int, y):
    """``psi^(n)(y)`` for ``y`` at least ``_polygamma_bound(n)``."""
    z = 1.0 / y
    z2 = z * z
    series = xp.zeros_like(y)
    for k in range(len(_BERNOULLI), 0, -1):  # sum_k B_2k (2k+n-1)!/(2k)! z^(2k+n)
        coeff = _BERNOULLI[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        series = series * z2 + coeff
    series *= z2 * z**n
    if n == 0:
        with xp.errstate(invalid="ignore"):
            return xp.where(xp.isinf(y), y, xp.log(y) - 0.5 * z - series)
    sign = (-1.0) ** (n + 1)
    return sign * (math.factorial(n - 1) * z**n + 0.5 * math.factorial(n) * z ** (n + 1) + series)


def _polygamma_right(n: int, x):
    """``psi^(n)(x)`` for ``x >= 1/2``."""
    step = (-1.0) ** (n + 1) * math.factorial(n)
    y, s = _shift_up(x, _polygamma_bound(n), lambda v: 1.0 / v ** (n + 1))
    return _polygamma_series(n, y) + step * s


def _cot_derivative(n: int, c):
    """``P_n(c)``: the ``n``-th derivative of ``cot z`` at ``cot z = c``."""
    poly = xp.polynomial.Polynomial([0.0, 1.0])  # P_0(c) = c
    one_plus_c2 = xp.polynomial.Polynomial([1.0, 0.0, 1.0])
    for _ in range(n):
        poly = -one_plus_c2 * poly.deriv()
    return poly(c)


def _polygamma_reflected(n: int, x):
    """``psi^(n)(x)`` for ``x < 1/2`` by reflection from ``1 - x``; ``cot(pi x)``
    of the reduced argument ``x - trunc(x)`` (exact), so accurate near the poles."""
    right = _polygamma_right(n, 1.0 - x)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cot = 1.0 / xp.tan(math.pi * (x - xp.trunc(x)))
        return (-1.0) ** n * right - math.pi ** (n + 1) * _cot_derivative(n, cot)


def polygamma(n: int, x):
    """``psi^(n)(x)``, the ``n``-th derivative of ``digamma = psi = Gamma'/Gamma``,
    elementwise (``n = 0``: digamma, ``n = 1``: trigamma)."""
    x, dtype = _as_float64(x)
    flat = x.reshape(-1)
    out = xp.full(flat.shape, xp.nan)
    right = xp.nonzero(flat >= 0.5)[0]
    out[right] = _polygamma_right(n, flat[right])
    left = xp.nonzero(flat < 0.5)[0]
    out[left] = _polygamma_reflected(n, flat[left])
    pole = (flat <= 0) & (flat == xp.floor(flat))  # (-inf included)
    if n == 0:
        out[pole] = xp.nan
        zero = flat == 0
        out[zero] = xp.copysign(xp.inf, -flat[zero])
    else:
        out[pole] = (-1.0) ** (n + 1) * xp.inf
    if n == 1:
        out[flat == -xp.inf] = xp.nan  # (PyTorch's: sin(pi x) is NaN there)
    if n >= 2:
        out[flat == xp.inf] = xp.nan
    return out.reshape(x.shape).astype(dtype, copy=False)


def digamma(x):
    """``psi(x) = Gamma'(x) / Gamma(x)`` elementwise."""
    return polygamma(0, x)
