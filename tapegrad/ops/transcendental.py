"""More functions of one variable as primitives of the table: the inverse
trigonometric and the hyperbolic functions, logarithms and powers to base 2
and 10, angle conversion, ``sinc`` and ``logit``; and ``float_power``.

Each entry is the forward on arrays beside its vjp in tapegrad ops, written
as PyTorch's derivative formula (``derivatives.yaml``), so values at the
edges (``+-1`` for ``asin``, ``0`` for ``log2``, ``+-inf``) are PyTorch's.
Integer and bool inputs give the default float dtype (``public="float"``).
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.ops.elementwise import COS, RSQRT, SIN, pow, where  # noqa: F401  (RSQRT: in vjps)
from tapegrad.ops.registry import as_tensor_arg, binary_args, defprim, to_dtype
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_DEG_TO_RAD, _RAD_TO_DEG = math.pi / 180.0, 180.0 / math.pi


def _unary(name: str, forward, vjp: str, partial: str, doc: str, alias=None, **saved):
    """An elementwise entry of one input with its public function and methods
    (``tg.<name>``, ``Tensor.<name>`` and ``Tensor.<alias>``), integers
    promoted to floats; it reads its input unless told what it saves."""
    saved = saved or {"saves": (0,)}
    return defprim(
        name,
        forward,
        vjp,
        partials=partial,
        elementwise=True,
        arrays=True,
        public="float",
        methods=(name,) if alias is None else (name, alias),
        doc=doc,
        **saved,
    )


# ------------------------------------------------ inverse trigonometric
ACOS = _unary(
    "acos",
    xp.arccos,
    "-(g * RSQRT.apply(1 - a * a))",
    "-1/sqrt(1-a**2)",
    "out = arccos(a)",
    alias="arccos",
)
ASIN = _unary(
    "asin",
    xp.arcsin,
    "g * RSQRT.apply(1 - a * a)",
    "1/sqrt(1-a**2)",
    "out = arcsin(a)",
    alias="arcsin",
)
ATAN = _unary("atan", xp.arctan, "g / (a * a + 1)", "1/(1+a**2)", "out = arctan(a)", alias="arctan")

# ------------------------------------------------------------ hyperbolic
SINH = _unary("sinh", xp.sinh, "g * COSH.apply(a)", "cosh(a)", "out = (e^a - e^-a)/2")
COSH = _unary("cosh", xp.cosh, "g * SINH.apply(a)", "sinh(a)", "out = (e^a + e^-a)/2")
ACOSH = _unary(
    "acosh",
    xp.arccosh,
    "g * RSQRT.apply(a * a - 1)",
    "1/sqrt(a**2-1)",
    "out = arcosh(a)",
    alias="arccosh",
)
ASINH = _unary(
    "asinh",
    xp.arcsinh,
    "g * RSQRT.apply(a * a + 1)",
    "1/sqrt(a**2+1)",
    "out = arsinh(a)",
    alias="arcsinh",
)
ATANH = _unary(
    "atanh", xp.arctanh, "g / (1 - a * a)", "1/(1-a**2)", "out = artanh(a)", alias="arctanh"
)

# ----------------------------------------------------- bases 2 and 10
LOG2 = _unary("log2", xp.log2, "g / (a * _LN2)", "1/(a*ln 2)", "out = log_2(a)")
LOG10 = _unary("log10", xp.log10, "g / (a * _LN10)", "1/(a*ln 10)", "out = log_10(a)")
EXP2 = _unary("exp2", xp.exp2, "g * out * _LN2", "2**a*ln 2", "out = 2^a", saves_output=True)

# ------------------------------------------------------- angle conversion
DEG2RAD = _unary(
    "deg2rad", lambda a: a * _DEG_TO_RAD, "g * _DEG_TO_RAD", "pi/180", "out = a pi/180", saves=()
)
RAD2DEG = _unary(
    "rad2deg", lambda a: a * _RAD_TO_DEG, "g * _RAD_TO_DEG", "180/pi", "out = a 180/pi", saves=()
)

acos, asin, atan = ACOS.function, ASIN.function, ATAN.function
arccos, arcsin, arctan = acos, asin, atan
sinh, cosh, acosh, asinh, atanh = (
    SINH.function,
    COSH.function,
    ACOSH.function,
    ASINH.function,
    ATANH.function,
)
arccosh, arcsinh, arctanh = acosh, asinh, atanh
log2, log10, exp2 = LOG2.function, LOG10.function, EXP2.function
deg2rad, rad2deg = DEG2RAD.function, RAD2DEG.function


# ------------------------------------------------------------------ sinc
def _sinc_fwd(a):
    """``sin(pi a) / (pi a)``, and 1 at ``a = 0`` (computed in ``a``'s dtype)."""
    p = a * math.pi
    with xp.errstate(divide="ignore", invalid="ignore"):
        return xp.where(a == 0, 1, xp.sin(p) / p).astype(a.dtype, copy=False)


def _sinc_slope(a):
    """``d sinc(a)/da = (pi a cos(pi a) - sin(pi a)) / (pi a^2)``, 0 where
    ``pi a^2`` is 0 (at ``a = 0`` and where it underflows), as PyTorch's."""
    p = a * math.pi
    square = p * a
    flat = square == 0
    return where(flat, 0.0, (p * COS.apply(p) - SIN.apply(p)) / where(flat, 1.0, square))


SINC = defprim(
    "sinc",
    _sinc_fwd,
    "g * _sinc_slope(a)",
    partials="(pi*a*cos(pi*a) - sin(pi*a))/(pi*a**2), 0 at a = 0",
    saves=(0,),
    elementwise=True,
    public="float",
    doc="out = sin(pi a)/(pi a), 1 at a = 0",
)
sinc = SINC.function


# ------------------------------------------------------------- logaddexp2
LOGADDEXP2 = defprim(
    "logaddexp2",
    xp.logaddexp2,
    ("g / (EXP2.apply(b - a) + 1)", "g / (EXP2.apply(a - b) + 1)"),
    partials=("1/(1 + 2**(b-a))", "1/(1 + 2**(a-b))"),
    saves=(0, 1),
    elementwise=True,
    arrays=True,
    doc="out = log_2(2^a + 2^b), computed without overflow",
)


@LOGADDEXP2.public
def logaddexp2(input, other) -> Tensor:
    """``log2(2^input + 2^other)`` with broadcasting, for floating inputs
    (integers are refused, as in PyTorch).  Gradients
    ``1 / (1 + 2^(other - input))`` and ``1 / (1 + 2^(input - other))``."""
    a, b = binary_args(input, other)
    if a._array.dtype.kind != "f":
        raise NotImplementedError(f"\"logaddexp2_cpu\" not implemented for '{a.dtype}'")
    return LOGADDEXP2.apply(a, b)


# ------------------------------------------------------------------ logit
def _logit_bounds(eps):
    """The interval PyTorch clamps to: ``[eps, 1 - eps]``, none for ``eps``
    None or negative."""
    return None if eps is None or eps < 0 else (eps, 1.0 - eps)


def _logit_fwd(a, eps):
    bounds = _logit_bounds(eps)
    if bounds is not None:  # PyTorch's clamp: x < lo gives lo, else x > hi gives hi
        lo, hi = bounds
        a = xp.where(a < lo, lo, xp.where(a > hi, hi, a)).astype(a.dtype, copy=False)
    with xp.errstate(divide="ignore", invalid="ignore"):
        return xp.log(a / (1 - a))


def _logit_vjp(g, out, a, eps):
    """``g / (a (1 - a))``; outside ``[0, 1]`` NaN without ``eps``, 0 outside
    ``[eps, 1 - eps]`` with it (PyTorch's ``logit_backward``)."""
    slope = g / (a * (1 - a) + 0.0)  # (+ 0: +inf at a = -0.0 too, as PyTorch's)
    bounds = _logit_bounds(eps)
    if bounds is None:
        return where((a < 0) | (a > 1), math.nan, slope)
    lo, hi = bounds
    return where((a < lo) | (a > hi), 0.0, slope)


LOGIT = defprim(
    "logit",
    _logit_fwd,
    _logit_vjp,
    partials="1/(a(1-a)), 0 outside [eps, 1-eps] (NaN outside [0, 1] without eps)",
    saves=(0,),
    doc="out = log(a/(1-a)), a clamped to [eps, 1 - eps] first when eps >= 0",
)


@LOGIT.public
def logit(input, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))`` elementwise; with ``eps >= 0``, ``p`` clamped to
    ``[eps, 1 - eps]`` first and the gradient 0 outside that interval (as
    PyTorch's; a negative ``eps`` clamps nothing).  Integer inputs give the
    default float dtype."""
    return LOGIT.apply(_floating(input), eps=None if eps is None else float(eps))


def _floating(input) -> Tensor:
    """``input`` as a tensor of a floating dtype (integers: the default)."""
    x = as_tensor_arg(input)
    if x._array.dtype.kind != "f":
        x = new_tensor(x._array.astype(dtypes.get_default_dtype()))
    return x


# ------------------------------------------------------------ float_power
def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64 (either may be a number):
    ``pow`` of both converted to float64, so the gradient is ``pow``'s and
    reaches a float32 input in float32, as in PyTorch."""
    return pow(_as_float64(input), _as_float64(exponent))


def _as_float64(x):
    if isinstance(x, Tensor):
        return to_dtype(x, dtypes.float64)
    if isinstance(x, (bool, int, float)):
        return float(x)
    return to_dtype(as_tensor_arg(x), dtypes.float64)


def float_power_(self: Tensor, exponent) -> Tensor:
    """``float_power`` of a float64 tensor, the only dtype that can hold the
    result in place: what ``Tensor.float_power_`` writes back."""
    if self.dtype != dtypes.float64:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {dtypes.scalar_type_name(self.dtype)} "
            "but the operation's result requires dtype Double"
        )
    return float_power(self, exponent)


# For tapegrad/_methods.py: the methods not made by the table's entries, and
# the functions whose in-place forms (``x.acos_()``) PyTorch has.
METHODS = {"float_power": float_power}
INPLACE = {
    **{f"{fn.__name__}_": fn for fn in (acos, asin, atan, sinh, cosh, acosh, asinh, atanh)},
    **{f"{al}_": fn for al, fn in (("arccos", acos), ("arcsin", asin), ("arctan", atan))},
    **{f"{al}_": fn for al, fn in (("arccosh", acosh), ("arcsinh", asinh), ("arctanh", atanh))},
    **{f"{fn.__name__}_": fn for fn in (log2, log10, exp2, deg2rad, rad2deg, sinc, logit)},
    "float_power_": float_power_,
}
