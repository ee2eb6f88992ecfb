"""Elementwise primitives: arithmetic, functions of one variable, activations.

Each entry: the forward on arrays, the vjp in tapegrad ops, the local partial.
Binary ops broadcast as NumPy does; their vjps undo it with ``sum_to_shape``.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.ops.registry import (
    allow_array_vjps,
    apply,
    as_tensor_arg,
    binary_args,
    defprim,
    recorder,
    sum_to_shape,
)
from tapegrad.tensor import Tensor

xp = B.xp
_ONE = B.ONE  # 1 next to an array, without NumPy's conversion per op


def _t(x) -> Tensor:
    return x if type(x) is Tensor else as_tensor_arg(x)


# ================================================================== binary
# ``x if x.shape == a.shape else sum_to_shape(...)``: the common case (no
# broadcasting) without a call; sum_to_shape undoes broadcasting otherwise.
def _add_a(g, ans, a, b):
    return g if g.shape == a.shape else sum_to_shape(g, a.shape)


def _add_b(g, ans, a, b):
    return g if g.shape == b.shape else sum_to_shape(g, b.shape)


def _sub_b(g, ans, a, b):
    return sum_to_shape(-g, b.shape)


# The vjps of mul and exp use the operator: a first-order backward runs them
# on plain arrays (NumPy's own ``*``); with create_graph, on tensors.
def _mul_a(g, ans, a, b):
    d = g * b
    return d if d.shape == a.shape else sum_to_shape(d, a.shape)


def _mul_b(g, ans, a, b):
    d = g * a
    return d if d.shape == b.shape else sum_to_shape(d, b.shape)


def _div_a(g, ans, a, b):
    return sum_to_shape(g / b, a.shape)


def _div_b(g, ans, a, b):
    return sum_to_shape(-g * a / (b * b), b.shape)


def _pow_a(g, ans, a, b):
    d = b * a ** (b - 1)
    return sum_to_shape(where(b == 0, 0.0, g * d), a._array.shape)


def _pow_b(g, ans, a, b):
    d = ans * log(where(a == 0, 1.0, a))
    return sum_to_shape(where((a == 0) & (b >= 0), 0.0, g * d), b._array.shape)


def _maximum_a(g, ans, a, b):
    share = where(a == b, g * 0.5, where(a > b, g, 0.0))
    return sum_to_shape(share, a._array.shape)


def _maximum_b(g, ans, a, b):
    share = where(a == b, g * 0.5, where(b > a, g, 0.0))
    return sum_to_shape(share, b._array.shape)


def _minimum_a(g, ans, a, b):
    share = where(a == b, g * 0.5, where(a < b, g, 0.0))
    return sum_to_shape(share, a._array.shape)


def _minimum_b(g, ans, a, b):
    share = where(a == b, g * 0.5, where(b < a, g, 0.0))
    return sum_to_shape(share, b._array.shape)


ADD = defprim("add", xp.add, (_add_a, _add_b), partials=("1", "1"), doc="out = a + b")
SUB = defprim("sub", xp.subtract, (_add_a, _sub_b), partials=("1", "-1"), doc="out = a - b")
MUL = defprim(
    "mul",
    xp.multiply,
    (_mul_a, _mul_b),
    partials=("b", "a"),
    saves_for=((1,), (0,)),
    doc="out = a * b",
)
DIV = defprim(
    "div", xp.true_divide, (_div_a, _div_b), partials=("1/b", "-a/b**2"), saves_for=((1,), (0, 1)),
    doc="out = a / b",
)  # fmt: skip
POW = defprim(
    "pow", xp.power, (_pow_a, _pow_b), partials=("b*a**(b-1)", "a**b*log(a)"), saves=(0, 1),
    uses_ans=True, doc="out = a ** b",
)  # fmt: skip
MAXIMUM = defprim(
    "maximum", xp.maximum, (_maximum_a, _maximum_b), partials=("[a>b]", "[b>a]"), saves=(0, 1),
    doc="out = max(a, b) elementwise; ties share the gradient equally",
)  # fmt: skip
MINIMUM = defprim(
    "minimum", xp.minimum, (_minimum_a, _minimum_b), partials=("[a<b]", "[b<a]"), saves=(0, 1),
    doc="out = min(a, b) elementwise; ties share the gradient equally",
)  # fmt: skip


def _where_fwd(cond, a, b):
    return xp.where(cond, a, b)


def _where_a(g, ans, cond, a, b):
    return sum_to_shape(where(cond, g, 0.0), a._array.shape)


def _where_b(g, ans, cond, a, b):
    return sum_to_shape(where(cond, 0.0, g), b._array.shape)


def _no_grad_vjp(g, ans, *args, **params):
    raise RuntimeError("this argument has no gradient")


WHERE = defprim(
    "where", _where_fwd, (_no_grad_vjp, _where_a, _where_b), partials=("0", "[c]", "[not c]"),
    saves=(0,), doc="out = a where c else b",
)  # fmt: skip


def _with_alpha(prim, input, other, alpha) -> Tensor:
    """``input (+|-) alpha * other``: tensors of one dtype with ``alpha = 1``
    are recorded at once; anything else is scaled and promoted first."""
    if (input.__class__ is Tensor and other.__class__ is Tensor
            and input._array.dtype is other._array.dtype and alpha == 1):  # fmt: skip
        return prim.record2(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = binary_args(input, other)
    return apply(prim, a, b)


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting."""
    return _with_alpha(ADD, input, other, alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other`` with broadcasting."""
    return _with_alpha(SUB, input, other, alpha)


def _public(op, name: str, doc: str, prim):
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.prim = prim
    return op


def _binary(prim, name: str, doc: str):
    """The public function of a binary primitive: both tensors of one dtype
    are recorded at once (``recorder``); anything else is promoted by
    ``binary_args`` first."""

    def promoted(input, other) -> Tensor:
        a, b = binary_args(input, other)
        return prim.record2(a, b)

    return _public(recorder(prim, 2, fallback=promoted), name, doc, prim)


def _operator(prim, public):
    """``Tensor.__add__`` and the like: tensors of one dtype recorded at once,
    anything else through the public function (promotion, ``alpha``)."""
    return _public(recorder(prim, 2, fallback=public), public.__name__, public.__doc__, prim)


mul = _binary(MUL, "mul", "``input * other`` elementwise, with broadcasting.")
add_operator = _operator(ADD, add)  # Tensor.__add__
sub_operator = _operator(SUB, sub)  # Tensor.__sub__


def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other`` (true division; ``rounding_mode`` 'trunc' or 'floor'
    gives an integer-valued result without gradient, as in PyTorch)."""
    if rounding_mode is None:
        if (input.__class__ is Tensor and other.__class__ is Tensor
                and input._array.dtype is other._array.dtype and input._array.dtype.kind == "f"):  # fmt: skip
            return DIV.record2(input, other)
        if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
            input, other = _int_operands_to_float(input), _int_operands_to_float(other)
    a, b = binary_args(input, other)
    if rounding_mode is None:
        if a._array.dtype.kind != "f":
            from tapegrad.dtypes import get_default_dtype
            from tapegrad.ops.registry import to_dtype

            a, b = to_dtype(a, get_default_dtype()), to_dtype(b, get_default_dtype())
        return apply(DIV, a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    q = (
        xp.trunc(a._array / b._array)
        if rounding_mode == "trunc"
        else xp.floor_divide(a._array, b._array)
    )
    return Tensor(q.astype(a._array.dtype) if a._array.dtype.kind in "iu" else q)


pow = _binary(POW, "pow", "``input ** exponent`` with broadcasting; either may be a number.")
maximum = _binary(MAXIMUM, "maximum", "Elementwise maximum; ties share the gradient equally.")
minimum = _binary(MINIMUM, "minimum", "Elementwise minimum; ties share the gradient equally.")


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (broadcast together).
    With only ``condition``, the indices where it holds (``nonzero``)."""
    cond = _t(condition)
    if input is None and other is None:
        return tuple(Tensor(i) for i in xp.nonzero(cond._array))
    if cond._array.dtype != B.bool_:
        cond = Tensor(cond._array.astype(bool))
    a, b = binary_args(input, other)
    return apply(WHERE, cond, a, b)


def _int_operands_to_float(x):
    """True division computes in floating point: an integer or bool tensor
    becomes the default float dtype first, so a Python number next to it
    keeps its value (``uint8 / -3`` is ``-1/3``, as in PyTorch)."""
    if isinstance(x, Tensor) and x._array.dtype.kind in "biu":
        from tapegrad.dtypes import get_default_dtype

        return Tensor(x._array.astype(get_default_dtype()))
    return x


def true_divide(input, other) -> Tensor:
    return div(input, other)


def rsub(input, other, alpha=1) -> Tensor:
    return sub(other, input, alpha=alpha)


# ================================================================== unary
def _unary(name, fwd, vjp, partial, doc, *, saves=(0,), uses_ans=False, float_only=True):
    prim = defprim(
        name, fwd, vjp, partials=partial, saves=() if uses_ans else saves, uses_ans=uses_ans,
        doc=doc,
    )  # fmt: skip

    # a tensor (of a floating dtype, with float_only) is recorded at once
    # (``recorder``); anything else is converted first
    if float_only:

        def converted(input) -> Tensor:
            x = input if isinstance(input, Tensor) else as_tensor_arg(input)
            if x._array.dtype.kind != "f":
                x = _to_default_float(x)
            return prim.record1(x)

    else:

        def converted(input) -> Tensor:
            return prim.record1(input if isinstance(input, Tensor) else as_tensor_arg(input))

    op = recorder(prim, 1, fallback=converted, float_only=float_only)
    return _public(op, name, doc, prim)


def _to_default_float(x: Tensor) -> Tensor:
    from tapegrad.dtypes import get_default_dtype

    return Tensor(x._array.astype(get_default_dtype()))


neg = _unary("neg", xp.negative, lambda g, ans, a: -g, "-1", "out = -a", saves=(),
             float_only=False)  # fmt: skip
exp = _unary("exp", xp.exp, lambda g, ans, a: g * ans, "exp(a)", "out = e^a", uses_ans=True)
log = _unary("log", xp.log, lambda g, ans, a: g / a, "1/a", "out = ln(a)")
log1p = _unary("log1p", xp.log1p, lambda g, ans, a: g / (a + 1), "1/(1+a)", "out = ln(1 + a)")
expm1 = _unary(
    "expm1", xp.expm1, lambda g, ans, a: g * (ans + 1), "exp(a)", "out = e^a - 1", uses_ans=True
)
sqrt = _unary(
    "sqrt", xp.sqrt, lambda g, ans, a: g / (ans * 2), "1/(2*sqrt(a))", "out = a^(1/2)",
    uses_ans=True,
)  # fmt: skip


def _rsqrt_fwd(a):
    return 1 / xp.sqrt(a)


rsqrt = _unary(
    "rsqrt", _rsqrt_fwd, lambda g, ans, a: g * ans * ans * ans * -0.5, "-1/(2*a**1.5)",
    "out = a^(-1/2)", uses_ans=True,
)  # fmt: skip
reciprocal = _unary(
    "reciprocal", xp.reciprocal, lambda g, ans, a: neg(g * ans * ans), "-1/a**2", "out = 1/a",
    uses_ans=True,
)  # fmt: skip
abs = _unary("abs", xp.abs, lambda g, ans, a: g * sign(a), "sign(a)", "out = |a|",
             float_only=False)  # fmt: skip
sin = _unary("sin", xp.sin, lambda g, ans, a: g * COS.record1(a), "cos(a)", "out = sin(a)")
cos = _unary("cos", xp.cos, lambda g, ans, a: -(g * SIN.record1(a)), "-sin(a)", "out = cos(a)")
SIN, COS = sin.prim, cos.prim
tan = _unary(
    "tan", xp.tan, lambda g, ans, a: g * (ans * ans + 1), "1 + tan(a)**2", "out = tan(a)",
    uses_ans=True,
)  # fmt: skip
# The backward of the activations as primitives of their own (as PyTorch's
# tanh_backward, sigmoid_backward, threshold_backward): one node instead of
# three in a first-order backward, and differentiable for second order.
TANH_BACKWARD = defprim(
    "tanh_backward", lambda g, y: g * (_ONE[y.dtype] - y * y),
    (lambda gg, ans, g, y: tanh_backward(gg, y), lambda gg, ans, g, y: gg * g * y * -2.0),
    partials=("1 - b**2", "-2*a*b"), saves=(0, 1), doc="out = a * (1 - b^2): tanh's vjp, b = tanh(x)",
)  # fmt: skip
SIGMOID_BACKWARD = defprim(
    "sigmoid_backward", lambda g, y: g * y * (_ONE[y.dtype] - y),
    (lambda gg, ans, g, y: sigmoid_backward(gg, y), lambda gg, ans, g, y: gg * g * (1 - y * 2.0)),
    partials=("b*(1-b)", "a*(1-2*b)"), saves=(0, 1),
    doc="out = a * b * (1 - b): sigmoid's vjp, b = sigmoid(x)",
)  # fmt: skip


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
    "threshold_backward", _threshold_bw_fwd,
    (lambda gg, ans, g, y: threshold_backward(gg, y), lambda gg, ans, g, y: gg * 0.0),
    partials=("[b>0]", "0"), saves=(1,), doc="out = a where b > 0, else 0: relu's vjp, b = relu(x)",
)  # fmt: skip


def tanh_backward(g, y) -> Tensor:
    return TANH_BACKWARD.record2(g, y)


def sigmoid_backward(g, y) -> Tensor:
    return SIGMOID_BACKWARD.record2(g, y)


def threshold_backward(g, y) -> Tensor:
    return THRESHOLD_BACKWARD.record2(g, y)


tanh = _unary(
    "tanh", xp.tanh, lambda g, ans, a: TANH_BACKWARD.record2(g, ans), "1 - tanh(a)**2",
    "out = tanh(a)", uses_ans=True,
)  # fmt: skip


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


sigmoid = _unary(
    "sigmoid", _sigmoid_fwd, lambda g, ans, a: SIGMOID_BACKWARD.record2(g, ans),
    "sigmoid(a)*(1-sigmoid(a))", "out = 1/(1 + e^-a)", uses_ans=True,
)  # fmt: skip


def _relu_fwd(a):
    return xp.maximum(a, 0)


relu = _unary(
    "relu", _relu_fwd, lambda g, ans, a: threshold_backward(g, ans), "[a>0]", "out = max(a, 0)",
    uses_ans=True, float_only=False,
)  # fmt: skip


def _erf_vjp(g, ans, a):
    return g * exp(neg(a * a)) * (2.0 / math.sqrt(math.pi))


erf = _unary("erf", B.erf, _erf_vjp, "2/sqrt(pi)*exp(-a**2)", "out = erf(a)")


def _sign_fwd(a):
    return xp.sign(a)


sign = _unary(
    "sign", _sign_fwd, lambda g, ans, a: g * 0.0, "0", "out = sign(a)", saves=(),
    float_only=False,
)  # fmt: skip


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``, differentiable in all three (a number
    ``weight`` too, as PyTorch's ``lerp``)."""
    x = _t(input)
    return x + weight * (end - x)


# ---------------------------------------------------------------- rounding
# Piecewise constant: gradient 0 (as PyTorch's FloorBackward & co.); on
# integer tensors the identity.  ``frac = a - trunc(a)`` has gradient 1.
def _rounding(name, fn, doc):
    def fwd(a):
        return fn(a) if a.dtype.kind == "f" else a.copy()

    return _unary(name, fwd, lambda g, ans, a: g * 0.0, "0", doc, saves=(), float_only=False)


floor = _rounding("floor", xp.floor, "out = the largest integer <= a")
ceil = _rounding("ceil", xp.ceil, "out = the smallest integer >= a")
trunc = _rounding("trunc", xp.trunc, "out = a rounded toward zero")
fix = trunc
frac = _unary(
    "frac", lambda a: a - xp.trunc(a), lambda g, ans, a: g, "1", "out = a - trunc(a)", saves=(),
)  # fmt: skip


def _round_fwd(a, decimals):
    if a.dtype.kind != "f":
        return a.copy()
    if not decimals:
        return xp.round(a)  # half to even, as PyTorch
    scale = 10.0**decimals
    return (xp.round(a * scale) / scale).astype(a.dtype, copy=False)


ROUND = defprim(
    "round", _round_fwd, lambda g, ans, a, decimals: g * 0.0, partials="0",
    doc="out = a rounded to `decimals` places, halves to even",
)  # fmt: skip


def round(input, *, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch); ``decimals`` places (negative: tens,
    hundreds, ...); the gradient is 0."""
    return apply(ROUND, _t(input), decimals=int(decimals))


def square(input) -> Tensor:
    return mul(input, input)


# ---------------------------------------------------------- with parameters
def _clamp_fwd(a, min, max):
    if min is not None:
        a = xp.maximum(a, xp.asarray(min, dtype=a.dtype))
    if max is not None:
        a = xp.minimum(a, xp.asarray(max, dtype=a.dtype))
    return a


def _clamp_vjp(g, ans, a, min, max):
    keep = None
    if min is not None:
        keep = a >= min
    if max is not None:
        keep = (a <= max) if keep is None else keep & (a <= max)
    return g if keep is None else where(keep, g, 0.0)


CLAMP = defprim(
    "clamp", _clamp_fwd, _clamp_vjp, partials="[min<=a<=max]", saves=(0,),
    doc="out = min(max(a, min), max)",
)  # fmt: skip


def clamp(input, min=None, max=None) -> Tensor:
    """Limit every element to ``[min, max]`` (either may be None); gradient 1
    inside the closed interval, 0 outside, as PyTorch."""
    x = _t(input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(x, min, max)
    return apply(CLAMP, x, min=min, max=max)


clip = clamp


def _clamp_tensors(x: Tensor, lo, hi) -> Tensor:
    """``clamp`` with tensor bounds, routing the gradient as PyTorch does:
    to ``x`` where ``lo <= x <= hi``, to ``lo`` where ``x < lo < hi``, to
    ``hi`` where ``x > hi`` or ``hi < lo``; nowhere where ``x < lo == hi``."""
    if lo is None:
        return where(x <= hi, x, hi)
    if hi is None:
        return where(x >= lo, x, lo)
    from tapegrad.ops.registry import _make

    to_hi = (x > hi) | (hi < lo)
    inside = (x >= lo) & (x <= hi)
    hi_t = _t(hi)
    rest = where(to_hi, hi_t, _make(hi_t._array))  # value hi, but no gradient where x < lo == hi
    return where(inside, x, where((x < lo) & (lo < hi), lo, rest))


# These vjps use only operators, primitives' record1/record2 and sum_to_shape, and read
# their arguments' .shape: a first-order backward runs them on plain arrays.
allow_array_vjps(
    ADD,
    SUB,
    MUL,
    DIV,
    neg.prim,
    exp.prim,
    log.prim,
    SIN,
    COS,
    tanh.prim,
    sigmoid.prim,
    relu.prim,
    TANH_BACKWARD,
    SIGMOID_BACKWARD,
    THRESHOLD_BACKWARD,
)
