"""Elementwise functions without a gradient: tests of the sign bit and of
infinities, the Heaviside step, the neighbouring float, gcd and lcm; and
``sgn``, which is ``sign`` on real tensors.

The tests give bool tensors.  ``heaviside`` and ``nextafter`` of inputs that
require grad are recorded as PyTorch records them, without a derivative (a
backward pass through one raises); ``gcd`` and ``lcm`` take integers only.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.elementwise import sign
from tapegrad.ops.no_derivative import without_derivative
from tapegrad.ops.registry import ShapeError, as_tensor_arg, binary_args
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp

sgn = sign  # (on real tensors; PyTorch's sgn differs from sign on complex ones only)


# ------------------------------------------------------------------- tests
def signbit(input) -> Tensor:
    """True where the sign bit is set: negative numbers, ``-0.0``, ``-inf``
    and NaNs with the bit set; a bool tensor."""
    a = as_tensor_arg(input)._array
    return new_tensor(xp.signbit(a) if a.dtype.kind in "fi" else xp.zeros(a.shape, bool))


def isposinf(input) -> Tensor:
    """True where an element is ``+inf``; a bool tensor."""
    a = as_tensor_arg(input)._array
    return new_tensor(xp.isposinf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool))


def isneginf(input) -> Tensor:
    """True where an element is ``-inf``; a bool tensor."""
    a = as_tensor_arg(input)._array
    return new_tensor(xp.isneginf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool))


def isreal(input) -> Tensor:
    """True where an element has no imaginary part: everywhere on the real
    tensors tapegrad has; a bool tensor."""
    return new_tensor(xp.ones(as_tensor_arg(input).shape, bool))


# ------------------------------------------------------- of two tensors
def _two_tensors(op: str, input, other, kinds: str, kernel: str):
    """``input`` and ``other``, both tensors (PyTorch takes no numbers here),
    promoted to one dtype of the kinds ``kinds`` (NumPy's letters)."""
    for position, name, x in ((1, "input", input), (2, "other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(x).__name__}"
            )
    a, b = binary_args(input, other)
    if a._array.dtype.kind not in kinds:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{a.dtype}'")
    return a, b


def _broadcast(op: str, a: Tensor, b: Tensor) -> tuple:
    """The shape ``a`` and ``b`` broadcast to, or the error naming both."""
    try:
        return xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ShapeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit") from None


def heaviside(input, values) -> Tensor:
    """The step ``0`` where ``input < 0``, ``values`` where ``input == 0``,
    ``1`` where ``input > 0`` (and 0 at NaN), with broadcasting; both tensors
    of one dtype, as PyTorch requires.  No derivative."""
    if isinstance(input, Tensor) and isinstance(values, Tensor) and input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, b = _two_tensors("heaviside", input, values, "biuf", "heaviside_cpu")
    _broadcast("heaviside", a, b)
    x, v = a._array, b._array
    step = xp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)
    return without_derivative("heaviside", step, (a, b))


def nextafter(input, other) -> Tensor:
    """The floating-point number next to ``input`` in the direction of
    ``other``, elementwise with broadcasting (floating tensors only).  No
    derivative."""
    a, b = _two_tensors("nextafter", input, other, "f", "nextafter_cpu")
    _broadcast("nextafter", a, b)
    return without_derivative("nextafter", xp.nextafter(a._array, b._array), (a, b))


def gcd(input, other) -> Tensor:
    """The greatest common divisor of the elements, non-negative (``gcd(0, 0)
    = 0``), with broadcasting; integer tensors only."""
    a, b = _two_tensors("gcd", input, other, "iu", "gcd_cpu")
    _broadcast("gcd", a, b)
    return new_tensor(xp.gcd(a._array, b._array))


def lcm(input, other) -> Tensor:
    """The least common multiple ``|a / gcd(a, b) * b|`` (0 where either is 0),
    with broadcasting; integer tensors only, wrapping on overflow as
    PyTorch's."""
    a, b = _two_tensors("lcm", input, other, "iu", "lcm_cpu")
    _broadcast("lcm", a, b)
    x, y = a._array, b._array
    g = xp.gcd(x, y)
    zero = g == 0
    return new_tensor(xp.where(zero, 0, xp.abs(x // xp.where(zero, 1, g) * y)).astype(x.dtype))


# For tapegrad/_methods.py: the methods of these functions, and their in-place
# forms PyTorch has (``x.gcd_(y)``).
METHODS = {
    fn.__name__: fn for fn in (signbit, isposinf, isneginf, isreal, heaviside, nextafter, gcd, lcm)
}
METHODS["sgn"] = sign
INPLACE = {"sgn_": sign, "heaviside_": heaviside, "nextafter_": nextafter}
INPLACE.update({"gcd_": gcd, "lcm_": lcm})
