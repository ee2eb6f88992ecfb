"""Ordering: ``sort``, ``argsort``, ``topk``.  The indices come from NumPy's
stable sort (no gradient); the values are ``gather(input, dim, indices)``, so
their gradient goes back to the positions they came from."""

from __future__ import annotations

import collections

from tapegrad import backend as B
from tapegrad.ops.index import gather
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp

return_types_sort = collections.namedtuple("sort", ["values", "indices"])
return_types_topk = collections.namedtuple("topk", ["values", "indices"])


def _order(a, dim: int, descending: bool):
    """Stable order along ``dim``: ties keep their positions' order, NaN is
    the largest value (last ascending, first descending), as PyTorch."""
    if a.ndim == 0:
        return xp.zeros((), dtype=xp.int64)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]
    flipped = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(flipped, dim)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64; always stable)."""
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "argsort") if x.ndim else 0
    return new_tensor(_order(x._array, d, descending).astype(xp.int64))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim``; the values carry the
    gradient back to where each came from.  Always stable."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        return return_types_sort(x * 1, new_tensor(xp.zeros((), dtype=xp.int64)))
    idx = argsort(x, dim, descending)
    return return_types_sort(gather(x, dim, idx), idx)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices,
    in order; the values carry the gradient back."""
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "topk") if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise IndexError(f"topk: k={k} is out of range for dimension {dim} of size {n}")
    if x.ndim == 0:
        return return_types_topk(x * 1, new_tensor(xp.zeros((), dtype=xp.int64)))
    order = _order(x._array, d, largest)
    idx = new_tensor(xp.take(order, xp.arange(k), axis=d).astype(xp.int64))
    return return_types_topk(gather(x, d, idx), idx)
