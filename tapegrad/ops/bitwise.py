"""Bit shifts of integer tensors, with no gradient, by PyTorch's rules.

``bitwise_left_shift(a, n)`` (``a << n``) is ``a * 2**n`` and
``bitwise_right_shift(a, n)`` (``a >> n``) is ``floor(a / 2**n)``, on the
two's-complement bits of the operands' promoted dtype: bits shifted out of
the left end are lost, a right shift fills with the sign bit.  A shift by a
negative amount, or by the dtype's width or more, shifts every bit out: 0
to the left, the sign fill (0 or -1) to the right.  A Python number takes
the tensor's dtype (wrapping, as in PyTorch); floating operands, and two
bool ones, are refused.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.operands import binary_operands
from tapegrad.ops.registry import ShapeError
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def _left_shift(x, n):
    zero = xp.zeros((), dtype=x.dtype)
    out = (n < 0) | (n >= x.dtype.itemsize * 8)
    return xp.where(out, zero, xp.left_shift(x, xp.where(out, zero, n)))


def _right_shift(x, n):
    width = x.dtype.itemsize * 8
    zero = xp.zeros((), dtype=x.dtype)
    out = (n < 0) | (n >= width)
    sign_fill = xp.right_shift(x, width - 1) if x.dtype.kind == "i" else zero
    return xp.where(out, sign_fill, xp.right_shift(x, xp.where(out, zero, n)))


def _shift(shift, input, other, op: str, kernel: str) -> Tensor:
    a, b = binary_operands(input, other, op)
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{a.dtype}'")
    try:
        return new_tensor(xp.asarray(shift(a._array, b._array)))
    except ValueError as err:
        raise ShapeError(
            f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit ({err})"
        ) from None


def bitwise_left_shift(input, other) -> Tensor:
    """``input << other``: the bits of ``input`` moved ``other`` places to
    the left (``input * 2**other``, wrapping), elementwise with
    broadcasting; either may be a Python number."""
    return _shift(_left_shift, input, other, "bitwise_left_shift", "lshift")


def bitwise_right_shift(input, other) -> Tensor:
    """``input >> other``: the bits of ``input`` moved ``other`` places to
    the right, the sign bit filling in (``floor(input / 2**other)``),
    elementwise with broadcasting; either may be a Python number."""
    return _shift(_right_shift, input, other, "bitwise_right_shift", "rshift")
