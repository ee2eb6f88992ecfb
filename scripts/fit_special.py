"""Derive the polynomial coefficients of ``tapegrad/special_math.py``.

Each approximation there is a polynomial that interpolates a smooth function
at the Chebyshev nodes of an interval (near-minimax, no Runge effect), with
the function's values computed by mpmath at 50 digits and the polynomial
solved for in the monomial basis at that precision, then rounded to float64.
The functions interpolated:

* ``ERF_SMALL``: ``erf(x) / x`` as a polynomial in ``t = x^2``, ``|x| < 1/2``;
* ``ERFC_SCALED_*``: ``F(a) = erfc(a) e^(a^2)`` on ``[1/2, 3/2]``, ``[3/2, 3]``,
  ``[3, 6]``, in ``u`` scaled to ``[-1, 1]`` on each interval;
* ``ERFC_TAIL``: ``a F(a)`` as a polynomial in ``s = 1/a^2``, ``a >= 6``;
* ``ERFINV_CENTRAL`` / ``ERFINV_TAIL``: ``erfinv(y) / y`` in ``w - 5/2``
  (``w = -log(1 - y^2) < 5``) and in ``sqrt(w) - 3`` (``w >= 5``), a first
  guess that one Halley step makes exact;
* ``GELU_LOGIT``: ``atanh(erf(x / sqrt 2)) / x`` in ``t = x^2``, ``|x| <= 5.7``,
  so that float32 GELU is ``x/2 (1 + tanh(x q(x^2)))`` (weighted towards the
  relative error of ``erf``).

mpmath is needed only to run this script (it is not a dependency)::

    pip install mpmath
    python scripts/fit_special.py        # prints the tables and their errors
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 50


def interpolant(f, lo, hi, degree, scaled=True):
    """Monomial coefficients (lowest first) of the polynomial of ``degree``
    that interpolates ``f`` at the Chebyshev nodes of ``[lo, hi]``, in
    ``u = (v - mid) / half`` when ``scaled``, else in ``v``."""
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    n = degree + 1
    us = [mp.cos(mp.pi * (2 * k + 1) / (2 * n)) for k in range(n)]
    vs = [mid + half * u for u in us]
    xs = us if scaled else vs
    a = mp.matrix([[x**j for j in range(n)] for x in xs])
    c = mp.lu_solve(a, mp.matrix([f(v) for v in vs]))
    return [float(c[j]) for j in range(n)]


def horner(coeffs, u):
    out = np.full_like(u, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        out = out * u + c
    return out


def max_rel_error(f, coeffs, lo, hi, scaled=True, points=2000):
    vs = np.linspace(lo, hi, points)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    got = horner(coeffs, (vs - mid) / half if scaled else vs)
    want = np.array([float(f(mp.mpf(float(v)))) for v in vs])
    return float(np.max(np.abs(got / want - 1)))


def erf_small(t):
    if t == 0:
        return 2 / mp.sqrt(mp.pi)
    x = mp.sqrt(t)
    return mp.erf(x) / x


def erfc_scaled(a):
    return mp.erfc(a) * mp.exp(a * a)


def erfc_tail(s):
    if s == 0:
        return 1 / mp.sqrt(mp.pi)
    a = 1 / mp.sqrt(s)
    return a * erfc_scaled(a)


def erfinv_central(v):  # v = w - 5/2
    y = mp.sqrt(1 - mp.exp(-(v + mp.mpf(5) / 2)))
    return mp.erfinv(y) / y if y else mp.sqrt(mp.pi) / 2


def erfinv_tail(v):  # v = sqrt(w) - 3
    y = mp.sqrt(1 - mp.exp(-((v + 3) ** 2)))
    return mp.erfinv(y) / y


def gelu_logit(t):
    if t == 0:
        return mp.sqrt(2 / mp.pi)
    x = mp.sqrt(t)
    return mp.atanh(mp.erf(x / mp.sqrt(2))) / x


TABLES = [
    ("ERF_SMALL", erf_small, 0.0, 0.25, 9, False),
    ("ERFC_SCALED_1", erfc_scaled, 0.5, 1.5, 17, True),
    ("ERFC_SCALED_2", erfc_scaled, 1.5, 3.0, 17, True),
    ("ERFC_SCALED_3", erfc_scaled, 3.0, 6.0, 20, True),
    ("ERFC_TAIL", erfc_tail, 0.0, 1 / 36, 11, False),
    ("ERFINV_CENTRAL", erfinv_central, -2.5, 2.5, 11, False),
    ("ERFINV_TAIL", erfinv_tail, 5**0.5 - 3, 3.01, 13, False),
]


def gelu_logit_weighted(degree: int, x_max: float = 5.7, rounds: int = 30):
    """``GELU_LOGIT``: a weighted minimax fit (Lawson's iteration) of
    ``q(t)``, ``t = x^2``, minimising the relative error of
    ``erf(x/sqrt 2) = tanh(x q(x^2))``, i.e. ``(1 - erf^2) x dq / erf``."""
    xs = np.linspace(1e-3, x_max, 3000)
    xm = [mp.mpf(float(x)) for x in xs]
    erf = np.array([float(mp.erf(x / mp.sqrt(2))) for x in xm])
    target = np.array([float(gelu_logit(x * x)) for x in xm])
    scale = (1 - erf**2) * xs / erf
    vander = np.vander(xs**2, degree + 1, increasing=True)
    weights = np.ones_like(xs)
    for _ in range(rounds):
        w = np.sqrt(weights) * scale
        coeffs, *_ = np.linalg.lstsq(vander * w[:, None], target * w, rcond=None)
        err = np.abs((vander @ coeffs - target) * scale)
        weights *= err / err.sum()
        weights /= weights.sum()
    return [float(c) for c in coeffs], float(err.max())


def main() -> None:
    for name, f, lo, hi, degree, scaled in TABLES:
        coeffs = interpolant(f, lo, hi, degree, scaled)
        err = max_rel_error(f, coeffs, lo, hi, scaled)
        print(f"{name} = (  # max relative error {err:.1e}")
        for c in coeffs:
            print(f"    {c!r},")
        print(")")
    coeffs, err = gelu_logit_weighted(6)
    print(f"GELU_LOGIT = (  # max relative error of erf {err:.1e}")
    for c in coeffs:
        print(f"    {c!r},")
    print(")")


if __name__ == "__main__":
    main()
