"""Comparisons and logical ops: boolean tensors, no gradient."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.registry import ShapeError, as_tensor_arg, binary_args
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def _compare(fn, name):
    def op(input, other) -> Tensor:
        a, b = binary_args(input, other)
        try:
            return new_tensor(fn(a._array, b._array))
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
    return new_tensor(xp.logical_not(as_tensor_arg(input)._array))


def isnan(input) -> Tensor:
    return new_tensor(xp.isnan(as_tensor_arg(input)._array))


def isinf(input) -> Tensor:
    return new_tensor(xp.isinf(as_tensor_arg(input)._array))


def isfinite(input) -> Tensor:
    return new_tensor(xp.isfinite(as_tensor_arg(input)._array))


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(
        xp.allclose(
            as_tensor_arg(input)._array,
            as_tensor_arg(other)._array,
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
        )
    )


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol |other|`` (bool, no gradient)."""
    return new_tensor(
        xp.isclose(
            as_tensor_arg(input)._array,
            as_tensor_arg(other)._array,
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
        )
    )


def equal(input, other) -> bool:
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    return a.shape == b.shape and bool(xp.array_equal(a._array, b._array))
