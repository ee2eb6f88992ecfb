"""Division that rounds, and the remainders it leaves, by PyTorch's rules::

    trunc quotient   trunc(a / b)     fmod(a, b)      = a - b trunc(a / b)   (sign of a)
    floor quotient   floor(a / b)     remainder(a, b) = a - b floor(a / b)   (sign of b)

``div(a, b, rounding_mode=...)``, ``floor_divide`` and ``//`` give a
quotient, ``fmod``, ``remainder`` and ``%`` a remainder, each computed here
once.  The operands are promoted as other binary ops' are (a Python number
takes the tensor's dtype); bool operands are refused.  On integers the
quotients are exact and a zero divisor raises ``ZeroDivisionError`` (a
``RuntimeError``, as PyTorch's); on floats it gives inf or NaN.

The remainders are differentiable: ``d/da = 1`` and ``d/db = -q`` with
``q`` the quotient, which is piecewise constant (as PyTorch's FmodBackward
and RemainderBackward).  The quotients are not: ``div`` with a rounding
mode gives a result without gradient; ``floor_divide``, and ``remainder``
of a Python number by a tensor, are recorded without a derivative, as in
PyTorch (see ``tapegrad.ops.no_derivative``).
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.no_derivative import without_derivative
from tapegrad.ops.operands import binary_operands
from tapegrad.ops.registry import ShapeError, defprim
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """An integer ``fmod``, ``remainder`` or rounded division by zero: the
    ``RuntimeError`` PyTorch raises, and a ``ZeroDivisionError``."""


def _division_operands(input, other, op: str, kernel: str, tensor: str):
    """``binary_operands`` of a division, which PyTorch has no kernel for on bools."""
    a, b = binary_operands(input, other, op, tensor=tensor)
    if a.dtype == B.bool_:
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{a.dtype}'")
    return a, b


# ------------------------------------------------------------------ arrays
def _divided(divide, x, y):
    """``divide(x, y)`` on arrays, quietly (IEEE inf and NaN on floats); on
    integers a zero divisor raises, as in PyTorch (unless nothing is divided)."""
    with xp.errstate(all="ignore"):
        out = divide(x, y)
    if out.dtype.kind in "iu" and out.size and not y.all():
        raise IntegerDivisionByZero("ZeroDivisionError: integer division or remainder by zero")
    return out


def _trunc(x, y):
    if x.dtype.kind == "f":
        return xp.trunc(x / y)
    q = xp.floor_divide(x, y)  # (exact on integers: the floor, one more where inexact below 0)
    return q + ((q < 0) & (q * y != x))


def _mod_with_sign_of_divisor(x, y):
    """PyTorch's remainder: ``fmod``, moved by ``y`` where its sign is not
    ``y``'s (a zero keeps fmod's sign, as in PyTorch)."""
    r = xp.fmod(x, y)
    return xp.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)


def trunc_quotient(x, y):
    """``trunc(x / y)`` of arrays (exact on integers)."""
    return _divided(_trunc, x, y)


def floor_quotient(x, y):
    """``floor(x / y)`` of arrays: on floats PyTorch's (and Python's)
    ``(x - fmod(x, y)) / y`` rounded, not the rounding of ``x / y``."""
    return _divided(xp.floor_divide, x, y)


_QUOTIENTS = {"trunc": trunc_quotient, "floor": floor_quotient}


def _constant_quotient(quotient, a, b):
    """``quotient(a, b)`` (arrays, or tensors: then a constant tensor).  The
    quotient is piecewise constant, its derivative 0, so a recorded backward
    needs no history for it."""
    if isinstance(a, Tensor):
        return new_tensor(xp.asarray(quotient(a._array, b._array)))
    return quotient(a, b)


# ------------------------------------------------------------------ entries
FMOD = defprim(
    "fmod",
    lambda x, y: _divided(xp.fmod, x, y),
    ("g", "-(g * _constant_quotient(trunc_quotient, a, b))"),
    partials=("1", "-trunc(a/b)"),
    saves_for=((), (0, 1)),
    elementwise=True,
    arrays=True,
    doc="out = a - b trunc(a/b), the remainder with the sign of a",
)
REMAINDER = defprim(
    "remainder",
    lambda x, y: _divided(_mod_with_sign_of_divisor, x, y),
    ("g", "-(g * _constant_quotient(floor_quotient, a, b))"),
    partials=("1", "-floor(a/b)"),
    saves_for=((), (0, 1)),
    elementwise=True,
    arrays=True,
    doc="out = a - b floor(a/b), the remainder with the sign of b",
)


@FMOD.public
def fmod(input, other) -> Tensor:
    """The C remainder ``input - other * trunc(input / other)``, with the
    sign of ``input``, elementwise with broadcasting; ``other`` may be a
    Python number.  Gradients ``1`` and ``-trunc(input / other)``."""
    a, b = _division_operands(input, other, "fmod", "fmod", "input")
    return FMOD.apply(a, b)


@REMAINDER.public
def remainder(input, other) -> Tensor:
    """Python's remainder ``input - other * floor(input / other)``, with the
    sign of ``other`` (``input % other``), elementwise with broadcasting;
    either may be a Python number.  Gradients ``1`` and
    ``-floor(input / other)``; with a number as ``input``, recorded without
    a derivative, as in PyTorch."""
    a, b = _division_operands(input, other, "remainder", "remainder", "either")
    if not isinstance(input, Tensor):
        return without_derivative("remainder", REMAINDER.forward(a._array, b._array), (b,))
    return REMAINDER.apply(a, b)


def rounded_div(input, other, rounding_mode: str) -> Tensor:
    """``trunc(input / other)`` or ``floor(input / other)``
    (``div``'s ``rounding_mode``), in the operands' promoted dtype, without
    gradient."""
    if rounding_mode not in _QUOTIENTS:
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    a, b = _division_operands(input, other, "div", f"div_{rounding_mode}", "neither")
    try:
        return new_tensor(xp.asarray(_QUOTIENTS[rounding_mode](a._array, b._array)))
    except ValueError as err:
        raise ShapeError(
            f"div: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit ({err})"
        ) from None


def floor_divide(input, other) -> Tensor:
    """``floor(input / other)`` (``input // other``), as ``div`` with
    ``rounding_mode='floor'``; either may be a Python number.  Recorded
    without a derivative, as in PyTorch: on an input that requires grad the
    result does too, and a backward pass through it raises."""
    quotient = rounded_div(input, other, "floor")
    return without_derivative("floor_divide", quotient._array, (input, other))
