"""Special functions on arrays, vectorised (no Python loop per element).

``erf``, ``erfc`` and ``erfinv`` in float64 to a few ulp over the whole real
line (tails, zero, +-inf and NaN included), and the standard normal CDF and
density GELU is made of.  Float32 and float16 arguments are computed in
float64 and rounded back, except for the float32 GELU kernels
(``normal_cdf``), which evaluate an approximation exact to float32 precision
in float32 (a few NumPy passes).

The approximations are this project's own: polynomials interpolating each
function at Chebyshev nodes, derived by ``scripts/fit_special.py`` (see there
for what each table approximates; the comments give the interpolation error):

* ``erf(x)``, ``|x| < 1/2``: ``x P(x^2)``;
* ``erfc(a)``, ``a >= 1/2``: ``e^(-a^2) F(a)``, ``F`` piecewise on ``[1/2, 3/2]``,
  ``[3/2, 3]``, ``[3, 6]``, and ``F(a) = G(1/a^2) / a`` above 6;
  ``e^(-a^2)`` is computed as ``e^(-h^2) e^(-(a-h)(a+h))`` with ``h`` the top 21
  bits of ``a`` (``h^2`` exact), so the rounding of ``a^2`` is not amplified;
  the rest follows from ``erf = 1 - erfc``, ``erfc(-a) = 2 - erfc(a)``;
* ``erfinv(y)``: a first guess ``y P(w)`` in ``w = -log(1 - y^2)`` (two pieces),
  then one Halley step on ``erf(x) = y`` (on ``erfc(x) = 1 - y`` for ``|y| >= 1/2``,
  exact near 1), which cubes the relative error;
* float32 ``Phi(x) = (1 + tanh(x q(x^2))) / 2``, ``q`` fitted to
  ``atanh(erf(x / sqrt 2)) / x`` (relative error of erf below 1e-7).
"""

from __future__ import annotations

import math

from tapegrad import backend as B

xp = B.xp

# fmt: off
ERF_SMALL = (  # max relative error 2.2e-16
    1.1283791670955126,
    -0.3761263890318375,
    0.1128379167095487,
    -0.02686617064499972,
    0.0052239776220169365,
    -0.0008548326510724796,
    0.00012055286202005714,
    -1.4923003368152099e-05,
    1.637123442577e-06,
    -1.462091340945175e-07,
)
ERFC_SCALED_1 = (  # max relative error 2.2e-16
    0.427583576155807,
    -0.13660600739194928,
    0.03859289034297706,
    -0.009903371117665836,
    0.002348268513457043,
    -0.0005206834090756343,
    0.00010890847459472877,
    -2.1633318559382548e-05,
    4.102614914773928e-06,
    -7.460049472944939e-07,
    1.3053004128102987e-07,
    -2.204290098630261e-08,
    3.6021995098915975e-09,
    -5.707871626603288e-10,
    8.752691998398392e-11,
    -1.3119944895310412e-11,
    2.1033681858846656e-12,
    -2.986615905543666e-13,
)
ERFC_SCALED_2 = (  # max relative error 2.2e-16
    0.23108725873039188,
    -0.06636487710656187,
    0.01799585291852205,
    -0.004641494381623108,
    0.001145072748845768,
    -0.00027141213039929147,
    6.203181699788344e-05,
    -1.3711609150693113e-05,
    2.938639469656719e-06,
    -6.119615124942491e-07,
    1.240590191226888e-07,
    -2.452298097967961e-08,
    4.734992174059793e-09,
    -8.935606652120681e-10,
    1.6354623529743163e-10,
    -2.9622036934621625e-11,
    6.068962795459959e-12,
    -1.0526381001546833e-12,
)
ERFC_SCALED_3 = (  # max relative error 2.2e-16
    0.12248480427384142,
    -0.03902389294640972,
    0.012179532227877552,
    -0.0037279443941659234,
    0.0011201614260534323,
    -0.0003307141043979527,
    9.60143346271528e-05,
    -2.7431421831294042e-05,
    7.717539021887589e-06,
    -2.1394019967389742e-06,
    5.846992603125327e-07,
    -1.5762571887276165e-07,
    4.1934986514687315e-08,
    -1.1012273176206117e-08,
    2.8570511492547087e-09,
    -7.357171528471107e-10,
    1.8636935637488512e-10,
    -4.405936483816362e-11,
    1.0945550360903806e-11,
    -3.855602478028782e-12,
    9.298269402514383e-13,
)
ERFC_TAIL = (  # max relative error 2.2e-16
    0.5641895835477563,
    -0.28209479177387614,
    0.423142187657374,
    -1.0578554668150224,
    3.7024933181454154,
    -16.66105108654937,
    91.61360141116079,
    -593.5689246859926,
    4340.881806994268,
    -32664.532813267168,
    207801.1890951126,
    -755374.7157046796,
)
ERFINV_CENTRAL = (  # max relative error 6.0e-10 (then one Halley step)
    1.5014093517481764,
    0.24664027674858424,
    -0.004177325080457763,
    -0.0012527079573557702,
    0.0002182641252155226,
    -4.996000110143956e-06,
    -3.426266209734268e-06,
    4.786897084558858e-07,
    1.650364404121373e-08,
    -1.0861761271594343e-08,
    4.340626803853993e-10,
    1.2346577114502573e-10,
)
ERFINV_TAIL = (  # max relative error 2.3e-08 (then one Halley step)
    2.832976781231423,
    1.0016753927178284,
    0.009446097111660367,
    -0.007646508865402483,
    0.005684049952544812,
    -0.0035438683653238805,
    0.0014704322580321525,
    -0.00016945482027435566,
    -0.00023846460673764653,
    0.00018572684360963356,
    -7.004682341111766e-05,
    1.5468807038821782e-05,
    -1.9112610155134205e-06,
    1.0244159819375645e-07,
)
GELU_LOGIT = (  # max relative error of erf 9.5e-08
    0.7978846366327872,
    0.036334347876662836,
    -3.3910779163174565e-05,
    -5.478198969045441e-05,
    3.873115718307045e-06,
    -1.2526210053795551e-07,
    1.5674288328189238e-09,
)
# fmt: on

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_HIGH_BITS = 0xFFFFFFFF00000000  # the sign, exponent and top 20 mantissa bits of a float64
_ERFC_PIECES = ((0.5, 1.5, ERFC_SCALED_1), (1.5, 3.0, ERFC_SCALED_2), (3.0, 6.0, ERFC_SCALED_3))
_ERFC_ZERO = 27.5  # erfc(a) = 0 in float64 from about 27.23 on


def _horner(coeffs, u):
    """``sum_k coeffs[k] u^k``, in place on one new array."""
    out = u * coeffs[-1]
    out += coeffs[-2]
    for c in coeffs[-3::-1]:
        out *= u
        out += c
    return out


def _as_float64(x):
    """``x`` as a float64 array and the dtype to return (floating dtypes are
    kept; integers and booleans give float64)."""
    x = xp.asarray(x)
    kind = x.dtype.kind
    return x.astype(B.float64, copy=False), (x.dtype if kind == "f" else B.float64)


def _exp_neg_square(a):
    """``e^(-a^2)`` for ``0 <= a <= 27.5``, with ``a^2`` split into an exact
    ``h^2`` and a small remainder."""
    h = (a.view(xp.uint64) & xp.uint64(_HIGH_BITS)).view(B.float64)
    return xp.exp(-(h * h)) * xp.exp(-((a - h) * (a + h)))


def _erfc_positive(a):
    """``erfc(a)`` for a 1-d float64 array of ``a >= 1/2`` (NaN-free)."""
    a = xp.minimum(a, _ERFC_ZERO)
    f = xp.empty_like(a)
    piece = xp.searchsorted(xp.asarray([1.5, 3.0, 6.0]), a, side="right")
    for k, (lo, hi, coeffs) in enumerate(_ERFC_PIECES):
        i = xp.nonzero(piece == k)[0]
        if i.size:
            f[i] = _horner(coeffs, (a[i] - (lo + hi) / 2) * (2 / (hi - lo)))
    i = xp.nonzero(piece == 3)[0]
    if i.size:
        ai = a[i]
        f[i] = _horner(ERFC_TAIL, 1.0 / (ai * ai)) / ai
    f *= _exp_neg_square(a)
    return f


def _erf_small(x):
    """``erf(x)`` for ``|x| < 1/2``."""
    return x * _horner(ERF_SMALL, x * x)


def _split(x):
    """``x`` as float64, flat; the indices with ``|x| < 1/2``, with ``|x| >= 1/2``
    (NaN in neither), and ``|x|`` at the latter."""
    x, dtype = _as_float64(x)
    flat = x.reshape(-1)
    a = xp.abs(flat)
    small = xp.nonzero(a < 0.5)[0]
    large = xp.nonzero(a >= 0.5)[0]
    return x, dtype, flat, small, large, a[large]


def erf(x):
    """The error function ``2/sqrt(pi) int_0^x e^(-t^2) dt``, elementwise."""
    x, dtype, flat, small, large, a = _split(x)
    out = xp.full(flat.shape, xp.nan)
    out[small] = _erf_small(flat[small])
    out[large] = xp.copysign(1.0 - _erfc_positive(a), flat[large])
    return out.reshape(x.shape).astype(dtype, copy=False)


def erfc(x):
    """The complementary error function ``1 - erf(x)``, elementwise, accurate
    in the right tail (down to 1e-308)."""
    x, dtype, flat, small, large, a = _split(x)
    out = xp.full(flat.shape, xp.nan)
    out[small] = 1.0 - _erf_small(flat[small])
    tail = _erfc_positive(a)
    out[large] = xp.where(flat[large] > 0, tail, 2.0 - tail)
    return out.reshape(x.shape).astype(dtype, copy=False)


def erfinv(y):
    """The inverse error function: ``erf(erfinv(y)) = y`` on ``[-1, 1]``
    (``+-inf`` at ``+-1``, NaN outside), elementwise."""
    y, dtype = _as_float64(y)
    flat = y.reshape(-1)
    a = xp.abs(flat)
    out = xp.where(a == 1.0, xp.inf, xp.nan)
    inside = xp.nonzero(a < 1.0)[0]
    a = a[inside]
    w = -xp.log((1.0 - a) * (1.0 + a))
    x = xp.empty_like(a)
    central = w < 5.0
    i, j = xp.nonzero(central)[0], xp.nonzero(~central)[0]
    x[i] = a[i] * _horner(ERFINV_CENTRAL, w[i] - 2.5)
    x[j] = a[j] * _horner(ERFINV_TAIL, xp.sqrt(w[j]) - 3.0)
    # One Halley step on r(x) = erf(x) - a: r' = 2/sqrt(pi) e^(-x^2), r'' = -2 x r'.
    r = xp.empty_like(a)
    lower = xp.nonzero(a < 0.5)[0]
    upper = xp.nonzero(a >= 0.5)[0]
    r[lower] = erf(x[lower]) - a[lower]
    r[upper] = (1.0 - a[upper]) - erfc(x[upper])
    step = r / (_TWO_OVER_SQRT_PI * xp.exp(-(x * x)))
    x -= step / (1.0 + x * step)
    out[inside] = x
    return xp.copysign(out, flat).reshape(y.shape).astype(dtype, copy=False)


# ------------------------------------------------------------------ for GELU
def normal_cdf(x):
    """``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, the standard normal CDF, in
    ``x``'s floating dtype: float64 through ``erfc(-x / sqrt 2)`` (no
    cancellation in the left tail), float32 as ``(1 + tanh(x q(x^2))) / 2``
    in float32."""
    if x.dtype == B.float32:
        with xp.errstate(over="ignore", invalid="ignore"):  # (huge |x|: k = +-inf, Phi = 1 or 0)
            k = _horner(_GELU_LOGIT32, x * x)
            k *= x
        xp.tanh(k, out=k)
        k += _ONE32
        k *= _HALF32
        return k
    return (erfc(x * -_INV_SQRT_2) * 0.5).astype(x.dtype, copy=False)


def normal_pdf(x):
    """``phi(x) = e^(-x^2/2) / sqrt(2 pi)``, the standard normal density."""
    c = xp.asarray(-0.5, dtype=x.dtype)
    out = x * x
    out *= c
    xp.exp(out, out=out)
    out *= xp.asarray(_INV_SQRT_2PI, dtype=x.dtype)
    return out


_GELU_LOGIT32 = tuple(B.xp.float32(c) for c in GELU_LOGIT)
_ONE32 = B.xp.float32(1.0)
_HALF32 = B.xp.float32(0.5)
