"""``tril_indices`` and ``triu_indices`` (PyTorch's factories): the
coordinates of a triangle of a ``row`` by ``col`` matrix as a ``(2, N)``
integer tensor, row coordinates above column coordinates, ordered by row
and then by column.

Element ``(i, j)`` is in the lower triangle when ``j - i <= offset``, in the
upper one when ``j - i >= offset``: ``offset = 0`` is the main diagonal, a
positive offset a diagonal above it, a negative one below.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.factory_args import check_options, finish, int_arg
from tapegrad.tensor import Tensor

xp = B.xp


def tril_indices(
    row,
    col,
    offset=0,
    *,
    dtype=dtypes.int64,
    device=None,
    layout=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """The indices ``(i, j)`` with ``j - i <= offset`` of a ``row`` by ``col``
    matrix, shape ``(2, N)``, int64 (or int32)."""
    check_options("tril_indices", device, layout, pin_memory)
    return _triangle("tril_indices", xp.tril_indices, row, col, offset, dtype, requires_grad)


def triu_indices(
    row,
    col,
    offset=0,
    *,
    dtype=dtypes.int64,
    device=None,
    layout=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """The indices ``(i, j)`` with ``j - i >= offset`` of a ``row`` by ``col``
    matrix, shape ``(2, N)``, int64 (or int32)."""
    check_options("triu_indices", device, layout, pin_memory)
    return _triangle("triu_indices", xp.triu_indices, row, col, offset, dtype, requires_grad)


def _triangle(op: str, numpy_indices, row, col, offset, dtype, requires_grad: bool) -> Tensor:
    row, col = int_arg(row, "row", op), int_arg(col, "col", op)
    offset = int_arg(offset, "offset", op)
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{name} must be non-negative, got {n}")
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    if dtype not in (dtypes.int64, dtypes.int32):
        raise NotImplementedError(f"\"{op}\" not implemented for '{dtype}'")
    if requires_grad:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    rows, cols = numpy_indices(row, offset, col)  # (NumPy's order: by row, then column)
    return finish(xp.stack([rows, cols]).astype(dtype), False)
