"""Comparisons and logical ops: boolean tensors, no gradient."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.registry import ShapeError, as_tensor_arg, binary_args
from tapegrad.tensor import Tensor

xp = B.xp


def _t(x) -> Tensor:
    return x if type(x) is Tensor else as_tensor_arg(x)


def _compare(fn, name):
    def op(input, other) -> Tensor:
        a, b = binary_args(input, other)
        try:
            return Tensor(fn(a._array, b._array))
        except ValueError:
            raise ShapeError(
                f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit"
            ) from None

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (a boolean tensor, no gradient)."
    return op


eq = _compare(xp.equal, "eq")
ne = _compare(xp.not_equal, "ne")
lt = _compare(xp.less, "lt")
le = _compare(xp.less_equal, "le")
gt = _compare(xp.greater, "gt")
ge = _compare(xp.greater_equal, "ge")
logical_and = _compare(xp.logical_and, "logical_and")
logical_or = _compare(xp.logical_or, "logical_or")
logical_xor = _compare(xp.logical_xor, "logical_xor")


def logical_not(input) -> Tensor:
    return Tensor(xp.logical_not(_t(input)._array))


def isnan(input) -> Tensor:
    return Tensor(xp.isnan(_t(input)._array))


def isinf(input) -> Tensor:
    return Tensor(xp.isinf(_t(input)._array))


def isfinite(input) -> Tensor:
    return Tensor(xp.isfinite(_t(input)._array))


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(xp.allclose(_t(input)._array, _t(other)._array, rtol=rtol, atol=atol,
                            equal_nan=equal_nan))  # fmt: skip


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol |other|`` (bool, no gradient)."""
    return Tensor(xp.isclose(_t(input)._array, _t(other)._array, rtol=rtol, atol=atol,
                             equal_nan=equal_nan))  # fmt: skip


def equal(input, other) -> bool:
    a, b = _t(input), _t(other)
    return a.shape == b.shape and bool(xp.array_equal(a._array, b._array))
