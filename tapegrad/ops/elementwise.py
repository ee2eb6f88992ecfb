"""Elementwise primitives: arithmetic, functions of one variable, activations.

Each entry: the forward on arrays, the vjp in tapegrad ops, the local
partial.  Binary ops broadcast as NumPy does; the registry's adapter sums
each vjp's result back to its input's shape (``sum_to_shape``).  Vjps that
run on plain arrays too (``arrays=True``) call other primitives through
their appliers (``COS.apply(a)``), which compute on arrays when given
arrays.
"""

from __future__ import annotations

import math
import operator
from builtins import abs as builtins_abs

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.ops.division import rounded_div  # (div with a rounding mode)
from tapegrad.ops.registry import as_tensor_arg, binary_args, defprim, to_dtype
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp
_ONE = B.ONE  # 1 next to an array, without NumPy's conversion per op
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # d erf(a)/da = e^(-a^2) 2/sqrt(pi)

# ================================================================== binary
# Forwards by operator: on arrays the same ufunc, on NumPy scalars (0-d
# results) NumPy's scalar arithmetic, several times faster than a ufunc.
ADD = defprim(
    "add",
    operator.add,
    ("g", "g"),
    partials=("1", "1"),
    elementwise=True,
    arrays=True,
    public="binary",
    methods=("__add__", "__radd__"),
    inplace=operator.iadd,
    doc="out = a + b",
)
SUB = defprim(
    "sub",
    operator.sub,
    ("g", "-g"),
    partials=("1", "-1"),
    elementwise=True,
    arrays=True,
    public="binary",
    methods=("__sub__",),
    inplace=operator.isub,
    doc="out = a - b",
)
MUL = defprim(
    "mul",
    operator.mul,
    ("g * b", "g * a"),
    partials=("b", "a"),
    saves_for=((1,), (0,)),
    elementwise=True,
    arrays=True,
    public="binary",
    methods=("mul", "multiply", "__mul__", "__rmul__"),
    inplace=operator.imul,
    doc="out = a * b",
)
DIV = defprim(
    "div",
    operator.truediv,
    ("g / b", "-g * a / (b * b)"),
    partials=("1/b", "-a/b**2"),
    saves_for=((1,), (0, 1)),
    elementwise=True,
    arrays=True,
    inplace=operator.itruediv,
    doc="out = a / b",
)


def _pow_a(g, out, a, b):
    return where(b == 0, 0.0, g * (b * a ** (b - 1)))


def _pow_b(g, out, a, b):
    return where((a == 0) & (b >= 0), 0.0, g * (out * log(where(a == 0, 1.0, a))))


POW = defprim(
    "pow",
    operator.pow,
    (_pow_a, _pow_b),
    partials=("b*a**(b-1)", "a**b*log(a)"),
    saves=(0, 1),
    saves_output=True,
    elementwise=True,
    inplace=operator.ipow,
    doc="out = a ** b",
)


def _tie_share(g, a, b, wins):
    """The gradient of max/min for ``a``: all of it where ``a`` wins, half on a tie."""
    return where(a == b, g * 0.5, where(wins, g, 0.0))


MAXIMUM = defprim(
    "maximum",
    xp.maximum,
    (
        "_tie_share(g, a, b, a > b)",
        "_tie_share(g, b, a, b > a)",
    ),
    partials=("[a>b]", "[b>a]"),
    saves=(0, 1),
    elementwise=True,
    public="binary",
    doc="out = max(a, b) elementwise; ties share the gradient equally",
)
MINIMUM = defprim(
    "minimum",
    xp.minimum,
    (
        "_tie_share(g, a, b, a < b)",
        "_tie_share(g, b, a, b < a)",
    ),
    partials=("[a<b]", "[b<a]"),
    saves=(0, 1),
    elementwise=True,
    public="binary",
    doc="out = min(a, b) elementwise; ties share the gradient equally",
)
WHERE = defprim(
    "where",
    xp.where,
    (None, "where(a, g, 0.0)", "where(a, 0.0, g)"),
    partials=("0", "[c]", "[not c]"),
    saves=(0,),
    elementwise=True,
    doc="out = a where c else b",
)


# ``x + y`` and ``x - y``: tensors of one dtype at once, anything else promoted
add_operator, sub_operator = ADD.function, SUB.function


@ADD.public
def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting."""
    return add_operator(input, other if alpha == 1 else mul(other, alpha))


@SUB.public(methods=("sub", "subtract"))
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other`` with broadcasting."""
    return sub_operator(input, other if alpha == 1 else mul(other, alpha))


subtract = sub
mul = multiply = MUL.function


@DIV.public(methods=("div", "divide", "true_divide", "__truediv__"))
def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other`` (true division, in floating point; ``rounding_mode``
    'trunc' or 'floor' gives an integer-valued result without gradient, as in
    PyTorch)."""
    if rounding_mode is not None:
        return rounded_div(input, other, rounding_mode)
    if (
        input.__class__ is Tensor
        and other.__class__ is Tensor
        and input._array.dtype is other._array.dtype
        and input._array.dtype.kind == "f"
    ):
        return DIV.apply(input, other)
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        input, other = _float_operand(input), _float_operand(other)
    a, b = binary_args(input, other)
    if a._array.dtype.kind != "f":
        a, b = to_dtype(a, dtypes.get_default_dtype()), to_dtype(b, dtypes.get_default_dtype())
    return DIV.apply(a, b)


divide = true_divide = div


def _float_operand(x):
    """True division computes in floating point: an integer or bool tensor
    beside a number becomes the default float dtype first, so the number
    keeps its value (``uint8 / -3`` is ``-1/3``, as in PyTorch)."""
    if isinstance(x, Tensor) and x._array.dtype.kind in "biu":
        return new_tensor(x._array.astype(dtypes.get_default_dtype()))
    return x


@POW.public(methods=("pow", "__pow__"))
def pow(input, exponent) -> Tensor:
    """``input ** exponent`` with broadcasting; either may be a number."""
    return POW.apply(*binary_args(input, exponent))


maximum = MAXIMUM.function
minimum = MINIMUM.function

LOGADDEXP = defprim(
    "logaddexp",
    xp.logaddexp,
    ("g * EXP.apply(a - out)", "g * EXP.apply(b - out)"),
    partials=("exp(a - out)", "exp(b - out)"),
    saves=(0, 1),
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="binary",
    doc="out = log(e^a + e^b), computed without overflow",
)


def _xlogy_fwd(a, b):
    with xp.errstate(divide="ignore", invalid="ignore"):
        return xp.where((a == 0) & (b == b), 0, a * xp.log(b)).astype(a.dtype, copy=False)


XLOGY = defprim(
    "xlogy",
    _xlogy_fwd,
    ("where(b == 0, 0.0, g * log(b))", "g * a / b"),
    partials=("log(b) (0 at b = 0, as PyTorch)", "a/b"),
    saves=(0, 1),
    elementwise=True,
    public="binary",
    doc="out = a log(b), and 0 where a = 0 (unless b is NaN)",
)
logaddexp, xlogy = LOGADDEXP.function, XLOGY.function


# atan2 and hypot: the polar coordinates of the point (b, a), computed in
# floating point only (public functions below).
def _inverse_or_zero(d):
    """``1/d``, and 0 where ``d = 0``: PyTorch's atan2 gradient is 0 at the
    origin.  (``d`` replaced by 1 there first, so the second order stays finite.)"""
    origin = d == 0
    return where(origin, 0.0, 1 / where(origin, 1.0, d))


ATAN2 = defprim(
    "atan2",
    xp.arctan2,
    ("g * b * _inverse_or_zero(a * a + b * b)", "g * -a * _inverse_or_zero(a * a + b * b)"),
    partials=("b/(a**2+b**2)", "-a/(a**2+b**2)"),
    saves=(0, 1),
    elementwise=True,
    doc="out = the angle of the point (b, a) in [-pi, pi]: atan(a/b) in a's and b's quadrant",
)
HYPOT = defprim(
    "hypot",
    xp.hypot,
    ("g * a / out", "g * b / out"),
    partials=("a/out", "b/out"),
    saves=(0, 1),
    saves_output=True,
    elementwise=True,
    arrays=True,
    doc="out = sqrt(a^2 + b^2), computed without overflow",
)


@ATAN2.public(methods=("atan2", "arctan2"))
def atan2(input, other) -> Tensor:
    """``atan(input / other)`` in the quadrant of the point ``(other, input)``,
    in ``[-pi, pi]``, with broadcasting; integer and bool inputs give the
    default float dtype, as in PyTorch.  Gradients ``other / r^2`` and
    ``-input / r^2`` with ``r^2 = input^2 + other^2`` (0 at the origin)."""
    a, b = binary_args(input, other)
    if a._array.dtype.kind != "f":
        default = dtypes.get_default_dtype()
        a, b = to_dtype(a, default), to_dtype(b, default)
    return ATAN2.apply(a, b)


arctan2 = atan2


@HYPOT.public
def hypot(input, other) -> Tensor:
    """``sqrt(input^2 + other^2)`` elementwise, with broadcasting, for
    floating inputs (integers are refused, as in PyTorch).  Gradients
    ``input / out`` and ``other / out`` (NaN at the origin, as PyTorch's)."""
    a, b = binary_args(input, other)
    if a._array.dtype.kind != "f":
        raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{a.dtype}'")
    return HYPOT.apply(a, b)


@WHERE.public
def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (broadcast together).
    With only ``condition``, the indices where it holds (``nonzero``)."""
    cond = as_tensor_arg(condition)
    if input is None and other is None:
        return tuple(new_tensor(i) for i in xp.nonzero(cond._array))
    if cond._array.dtype != B.bool_:
        cond = new_tensor(cond._array.astype(bool))
    a, b = binary_args(input, other)
    return WHERE.apply(cond, a, b)


def rsub(input, other, alpha=1) -> Tensor:
    """``other - alpha * input`` (PyTorch's ``rsub``)."""
    return sub(other, input, alpha=alpha)


# ================================================================== unary
NEG = defprim(
    "neg",
    xp.negative,
    "-g",
    partials="-1",
    elementwise=True,
    arrays=True,
    public="unary",
    methods=("neg", "negative", "__neg__"),
    doc="out = -a",
)
EXP = defprim(
    "exp",
    xp.exp,
    "g * out",
    partials="exp(a)",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = e^a",
)
LOG = defprim(
    "log",
    xp.log,
    "g / a",
    partials="1/a",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = ln(a)",
)
LOG1P = defprim(
    "log1p",
    xp.log1p,
    "g / (a + 1)",
    partials="1/(1+a)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = ln(1 + a)",
)
EXPM1 = defprim(
    "expm1",
    xp.expm1,
    "g * (out + 1)",
    partials="exp(a)",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = e^a - 1",
)
SQRT = defprim(
    "sqrt",
    xp.sqrt,
    "g / (out * 2)",
    partials="1/(2*sqrt(a))",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = a^(1/2)",
)
RSQRT = defprim(
    "rsqrt",
    lambda a: 1 / xp.sqrt(a),
    "g * out * out * out * -0.5",
    partials="-1/(2*a**1.5)",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = a^(-1/2)",
)
RECIPROCAL = defprim(
    "reciprocal",
    xp.reciprocal,
    "-(g * out * out)",
    partials="-1/a**2",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = 1/a",
)


def _sign_fwd(a):
    """``xp.sign``, with PyTorch's values where NumPy's differ: 0 at NaN, and
    booleans unchanged (NumPy has no boolean sign)."""
    if a.dtype.kind == "b":
        return a.copy()
    out = xp.sign(a)
    return xp.nan_to_num(out, nan=0.0) if a.dtype.kind == "f" else out


SIGN = defprim(
    "sign",
    _sign_fwd,
    "g * 0.0",
    partials="0",
    elementwise=True,
    arrays=True,
    public="unary",
    doc="out = sign(a): -1, 0 or 1 (0 at NaN)",
)
ABS = defprim(
    "abs",
    xp.abs,
    "g * SIGN.apply(a)",
    partials="sign(a)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="unary",
    methods=("abs", "__abs__"),
    doc="out = |a|",
)
SIN = defprim(
    "sin",
    xp.sin,
    "g * COS.apply(a)",
    partials="cos(a)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = sin(a)",
)
COS = defprim(
    "cos",
    xp.cos,
    "-(g * SIN.apply(a))",
    partials="-sin(a)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = cos(a)",
)
TAN = defprim(
    "tan",
    xp.tan,
    "g * (out * out + 1)",
    partials="1 + tan(a)**2",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = tan(a)",
)
ERF = defprim(
    "erf",
    B.erf,
    "g * EXP.apply(-(a * a)) * _TWO_OVER_SQRT_PI",
    partials="2/sqrt(pi)*exp(-a**2)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = erf(a)",
)

neg = negative = NEG.function
exp, log, log1p, expm1 = EXP.function, LOG.function, LOG1P.function, EXPM1.function
sqrt, rsqrt, reciprocal = SQRT.function, RSQRT.function, RECIPROCAL.function
sign, abs, sin, cos, tan, erf = (
    SIGN.function,
    ABS.function,
    SIN.function,
    COS.function,
    TAN.function,
    ERF.function,
)


# ------------------------------------------------------------- activations
# The backward of tanh, sigmoid and relu as primitives of their own (as
# PyTorch's tanh_backward, sigmoid_backward, threshold_backward): one node
# instead of three in a first-order backward, and differentiable for the
# second order.  ``y`` is the activation's output.
TANH_BACKWARD = defprim(
    "tanh_backward",
    lambda g, y: g * (_ONE[y.dtype] - y * y),
    ("TANH_BACKWARD.apply(g, b)", "g * a * b * -2.0"),
    partials=("1 - b**2", "-2*a*b"),
    saves=(0, 1),
    elementwise=True,
    arrays=True,
    doc="out = a * (1 - b^2): tanh's vjp, b = tanh(x)",
)
SIGMOID_BACKWARD = defprim(
    "sigmoid_backward",
    lambda g, y: g * y * (_ONE[y.dtype] - y),
    (
        "SIGMOID_BACKWARD.apply(g, b)",
        "g * a * (1 - b * 2.0)",
    ),
    partials=("b*(1-b)", "a*(1-2*b)"),
    saves=(0, 1),
    elementwise=True,
    arrays=True,
    doc="out = a * b * (1 - b): sigmoid's vjp, b = sigmoid(x)",
)

_SAME_SIZE_INT = {2: xp.int16, 4: xp.int32, 8: xp.int64}


def _threshold_bw_fwd(g, y):
    """``g`` where ``y > 0``, else +0.  As a bit mask (all bits of the mask set
    where y > 0): ``where`` is several times slower on a ReLU layer's random
    sign pattern.  Bit-identical to ``where`` (NaN, inf and -0.0 included)."""
    it = _SAME_SIZE_INT.get(g.dtype.itemsize)
    if it is None or g.dtype.kind != "f" or g.ndim == 0 or g.shape != y.shape:
        return xp.where(y > 0, g, xp.zeros((), dtype=g.dtype))
    mask = xp.greater(y, 0).view(xp.int8).astype(it)  # 0 or 1
    xp.negative(mask, out=mask)  # 0 or all bits set
    xp.bitwise_and(mask, g.view(it), out=mask)
    return mask.view(g.dtype)


THRESHOLD_BACKWARD = defprim(
    "threshold_backward",
    _threshold_bw_fwd,
    ("THRESHOLD_BACKWARD.apply(g, b)", "g * 0.0"),
    partials=("[b>0]", "0"),
    saves=(1,),
    elementwise=True,
    arrays=True,
    doc="out = a where b > 0, else 0: relu's vjp, b = relu(x)",
)
TANH = defprim(
    "tanh",
    xp.tanh,
    "TANH_BACKWARD.apply(g, out)",
    partials="1 - tanh(a)**2",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = tanh(a)",
)

# sigmoid(a) = 1 / (1 + e^-a) after raising ``a`` to a bound below which
# e^-a would overflow: one op more than the textbook formula, accurate to
# about one ulp; below the bound (where sigmoid(a) < 1e-38 in float32,
# 1e-308 in float64) the result stays at that tiny value instead of reaching 0.
_SIGMOID_LOW = {
    xp.dtype(name): B.Constant(lo)[xp.dtype(name)]
    for name, lo in (("float32", -88.0), ("float64", -709.0))
}


def _sigmoid_fwd(a):
    lo = _SIGMOID_LOW.get(a.dtype)
    if lo is None:  # another dtype: exp of a non-positive number only
        e = xp.exp(-xp.abs(a))
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
    one = _ONE[a.dtype]
    return one / (one + xp.exp(-xp.maximum(a, lo)))


SIGMOID = defprim(
    "sigmoid",
    _sigmoid_fwd,
    "SIGMOID_BACKWARD.apply(g, out)",
    partials="sigmoid(a)*(1-sigmoid(a))",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = 1/(1 + e^-a)",
)
RELU = defprim(
    "relu",
    lambda a: xp.maximum(a, 0),
    "THRESHOLD_BACKWARD.apply(g, out)",
    partials="[a>0]",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="unary",
    doc="out = max(a, 0)",
)

tanh, sigmoid, relu = TANH.function, SIGMOID.function, RELU.function


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``, differentiable in all three, in
    PyTorch's two forms: ``end - (end - input) * (1 - weight)`` where
    ``|weight| >= 1/2`` (each exact at its end)."""
    x = as_tensor_arg(input)
    if not isinstance(weight, Tensor):
        if builtins_abs(weight) < 0.5:
            return x + lerp_increment(x, end, weight)
        return end - (end - x) * (1 - weight)
    return where(
        abs(weight) < 0.5, x + lerp_increment(x, end, weight), end - (end - x) * (1 - weight)
    )


def lerp_increment(input, end, weight):
    """``weight (end - input)``: what ``lerp`` adds to ``input`` where
    ``|weight| < 1/2`` (tensors or arrays)."""
    return weight * (end - input)


def square(input) -> Tensor:
    """``input * input``."""
    return mul(input, input)


# ---------------------------------------------------------------- rounding
# Piecewise constant: gradient 0 (as PyTorch's FloorBackward & co.); on
# integer tensors the identity.  ``frac = a - trunc(a)`` has gradient 1.
def _rounding(fn):
    return lambda a: fn(a) if a.dtype.kind == "f" else a.copy()


def _zero_vjp(g, out, a, **params):
    return g * 0.0


FLOOR = defprim(
    "floor",
    _rounding(xp.floor),
    _zero_vjp,
    partials="0",
    elementwise=True,
    public="unary",
    doc="out = the largest integer <= a",
)
CEIL = defprim(
    "ceil",
    _rounding(xp.ceil),
    _zero_vjp,
    partials="0",
    elementwise=True,
    public="unary",
    doc="out = the smallest integer >= a",
)
TRUNC = defprim(
    "trunc",
    _rounding(xp.trunc),
    _zero_vjp,
    partials="0",
    elementwise=True,
    public="unary",
    methods=("trunc", "fix"),
    doc="out = a rounded toward zero",
)
FRAC = defprim(
    "frac",
    lambda a: a - xp.trunc(a),
    "g",
    partials="1",
    elementwise=True,
    public="float",
    doc="out = a - trunc(a)",
)
floor, ceil, trunc, frac = FLOOR.function, CEIL.function, TRUNC.function, FRAC.function
fix = trunc


def _round_fwd(a, decimals):
    if a.dtype.kind != "f":
        return a.copy()
    if not decimals:
        return xp.round(a)  # half to even, as PyTorch
    scale = 10.0**decimals
    return (xp.round(a * scale) / scale).astype(a.dtype, copy=False)


ROUND = defprim(
    "round",
    _round_fwd,
    _zero_vjp,
    partials="0",
    doc="out = a rounded to `decimals` places, halves to even",
)


@ROUND.public
def round(input, *, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch); ``decimals`` places (negative: tens,
    hundreds, ...); the gradient is 0."""
    return ROUND.apply(as_tensor_arg(input), decimals=int(decimals))


# ---------------------------------------------------------- with parameters
def _clamp_fwd(a, min, max):
    if min is not None:
        a = xp.maximum(a, xp.asarray(min, dtype=a.dtype))
    if max is not None:
        a = xp.minimum(a, xp.asarray(max, dtype=a.dtype))
    return a


def _clamp_vjp(g, out, a, min, max):
    keep = None
    if min is not None:
        keep = a >= min
    if max is not None:
        keep = (a <= max) if keep is None else keep & (a <= max)
    return g if keep is None else where(keep, g, 0.0)


CLAMP = defprim(
    "clamp",
    _clamp_fwd,
    _clamp_vjp,
    partials="[min<=a<=max]",
    saves=(0,),
    doc="out = min(max(a, min), max)",
)


@CLAMP.public(methods=("clamp", "clip"))
def clamp(input, min=None, max=None) -> Tensor:
    """Limit every element to ``[min, max]`` (either may be None); gradient 1
    inside the closed interval, 0 outside, as PyTorch."""
    x = as_tensor_arg(input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(x, min, max)
    return CLAMP.apply(x, min=min, max=max)


clip = clamp


def _clamp_tensors(x: Tensor, lo, hi) -> Tensor:
    """``clamp`` with tensor bounds, routing the gradient as PyTorch does:
    to ``x`` where ``lo <= x <= hi``, to ``lo`` where ``x < lo < hi``, to
    ``hi`` where ``x > hi`` or ``hi < lo``; nowhere where ``x < lo == hi``."""
    if lo is None:
        return where(x <= hi, x, hi)
    if hi is None:
        return where(x >= lo, x, lo)
    to_hi = (x > hi) | (hi < lo)
    inside = (x >= lo) & (x <= hi)
    hi_t = as_tensor_arg(hi)
    rest = where(to_hi, hi_t, hi_t.detach())  # value hi, but no gradient where x < lo == hi
    return where(inside, x, where((x < lo) & (lo < hi), lo, rest))
