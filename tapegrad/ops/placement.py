"""Ops that place a tensor's elements at computed positions of a new one:
``diag_embed`` (along a diagonal of 2-D planes) and ``Tensor.unfold``
(sliding windows along one dimension).

Both are composites of indexing ops, so their gradients are the indexing
gradients: ``diag_embed``'s is the diagonal of the incoming gradient,
``unfold``'s adds up where windows overlap.  (``F.unfold``, im2col over
image patches, is another function: ``tapegrad.ops.conv``.)
"""

from __future__ import annotations

import builtins
import operator

from tapegrad import backend as B
from tapegrad.ops.index import getitem, index_put
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import movedim, permute, reshape
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp


def _int_arg(value, name: str, op: str) -> int:
    """An int argument (or anything with ``__index__``), else PyTorch's ``TypeError``."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{op}(): argument '{name}' must be int, not {type(value).__name__}"
        ) from None


# -------------------------------------------------------------- diag_embed
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Each vector along the last dimension of ``input (*, n)`` as the
    ``offset`` diagonal of a square plane of side ``m = n + |offset|``, zeros
    elsewhere: ``out[..., i, i + offset] = input[..., i]`` (rows at ``i -
    offset`` for a negative ``offset``).  The plane's rows and columns are
    the output's dimensions ``dim1`` and ``dim2`` (counted in the output's
    ``ndim + 1`` dimensions), the other dimensions of ``input`` fill the rest
    in order.  The gradient is the ``offset`` diagonal of the incoming
    gradient's planes."""
    x = as_tensor_arg(input)
    offset = _int_arg(offset, "offset", "diag_embed")
    ndim = x.ndim + 1
    op = "diag_embed's output"  # (dim1 and dim2 count the output's dimensions)
    rows_dim = _wrap_dim(_int_arg(dim1, "dim1", "diag_embed"), ndim, op)
    cols_dim = _wrap_dim(_int_arg(dim2, "dim2", "diag_embed"), ndim, op)
    if rows_dim == cols_dim:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = x.shape[-1]
    side = n + builtins.abs(offset)
    k = xp.arange(n)
    diagonal = (Ellipsis, k + builtins.max(-offset, 0), k + builtins.max(offset, 0))
    zeros = new_tensor(xp.zeros(x.shape[:-1] + (side, side), dtype=x._array.dtype))
    planes = index_put(zeros, diagonal, x)  # (*, side, side)
    return permute(planes, _plane_order(ndim, rows_dim, cols_dim))


def _plane_order(ndim: int, rows_dim: int, cols_dim: int) -> tuple:
    """The permutation taking ``(*batch, rows, cols)`` to the output's order:
    rows at ``rows_dim``, columns at ``cols_dim``, the batch dims in order
    at the other places."""
    batch = iter(range(ndim - 2))
    order = []
    for d in range(ndim):
        order.append(ndim - 2 if d == rows_dim else ndim - 1 if d == cols_dim else next(batch))
    return tuple(order)


# ------------------------------------------------------------------ unfold
def unfold(input, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: the windows ``input[..., s : s + size, ...]`` along
    ``dimension`` for ``s = 0, step, 2 step, ...`` while they fit.  That
    dimension, of length ``n``, becomes the window index, of length
    ``(n - size) // step + 1``, and each window is a new last dimension of
    length ``size``.  A copy, not a view; the gradient adds up over the
    windows an element is in.  A 0-d tensor counts as one element."""
    x = as_tensor_arg(input)
    d = _wrap_dim(_int_arg(dimension, "dimension", "unfold"), x.ndim, "unfold")
    size = _int_arg(size, "size", "unfold")
    step = _int_arg(step, "step", "unfold")
    n = x.shape[d] if x.ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if x.ndim == 0:  # (one window, without a window dimension: PyTorch's shape (size,))
        return getitem(reshape(x, (1,)), slice(0, size))
    starts = xp.arange(0, n - size + 1, step)
    positions = starts[:, None] + xp.arange(size)  # (windows, size)
    windows = getitem(x, (slice(None),) * d + (positions,))  # dim d -> (windows, size)
    return movedim(windows, d + 1, -1)
