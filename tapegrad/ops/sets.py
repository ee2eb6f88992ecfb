"""Searching sorted sequences and set functions, with no gradient:
``searchsorted``, ``bucketize``, ``unique``, ``unique_consecutive``, ``isin``
(PyTorch's signatures; indices and counts are int64, or int32 with
``out_int32``)."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.operands import binary_operands
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp


def _out(result: Tensor, out):
    """``result``, also written into ``out`` when given (PyTorch's ``out=``)."""
    if out is None:
        return result
    from tapegrad.tensor import assign

    if out.dtype != result.dtype:
        raise RuntimeError(f"out= tensor has dtype {out.dtype}, the result is {result.dtype}")
    return assign(out, result._array, "out")


def _side(right: bool, side) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise RuntimeError(
            "searchsorted: side and right can't be set to opposites, got side of left while "
            "right was True"
        )
    return side


def searchsorted(
    sorted_sequence,
    input,
    *,
    out_int32: bool = False,
    right: bool = False,
    side=None,
    out=None,
    sorter=None,
) -> Tensor:
    """For each value of ``input``, the index at which it would be inserted
    into the last dimension of ``sorted_sequence`` to keep it sorted (the
    first such index, or the last with ``right=True``/``side='right'``).
    ``sorted_sequence`` is 1-D, or has ``input``'s leading dimensions (one
    sorted row per row of ``input``); ``sorter`` sorts an unsorted one."""
    seq = as_tensor_arg(sorted_sequence)._array
    scalar = not isinstance(input, Tensor) and xp.ndim(input) == 0
    values = as_tensor_arg(input)._array
    how = _side(right, side)
    if sorter is not None:
        order = as_tensor_arg(sorter)._array
        if order.shape != seq.shape:
            raise RuntimeError(
                f"searchsorted: sorter of shape {order.shape} must have the shape of "
                f"sorted_sequence {seq.shape}"
            )
        seq = xp.take_along_axis(seq, order.astype(B.int64), axis=-1)
    if seq.ndim == 1:
        result = xp.searchsorted(seq, values, side=how)
    else:
        if scalar or values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "searchsorted: boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}"
            )
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        result = xp.stack([xp.searchsorted(r, v, side=how) for r, v in zip(rows, vals)])
        result = result.reshape(values.shape)
    dt = B.int32 if out_int32 else B.int64
    return _out(new_tensor(xp.asarray(result, dtype=dt)), out)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False, out=None):
    """The bucket of each value of ``input`` among the 1-D ascending
    ``boundaries``: ``i`` with ``b[i-1] < x <= b[i]`` (``b[i-1] <= x < b[i]``
    with ``right=True``)."""
    b = as_tensor_arg(boundaries)
    if b.ndim != 1:
        raise RuntimeError(
            f"bucketize: boundaries tensor must be 1 dimension, but got shape {tuple(b.shape)}"
        )
    return searchsorted(b, input, out_int32=out_int32, right=right, out=out)


def _results(values, inverse, counts, return_inverse: bool, return_counts: bool):
    out = [new_tensor(values)]
    if return_inverse:
        out.append(new_tensor(inverse.astype(B.int64)))
    if return_counts:
        out.append(new_tensor(counts.astype(B.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(
    input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None
):
    """The distinct elements of ``input`` in ascending order (flattened), or
    with ``dim`` its distinct slices along ``dim``; with ``return_inverse``
    the index of each element (slice) in that result, with
    ``return_counts`` how often each occurs.  (PyTorch sorts on the CPU
    whatever ``sorted`` says; so does tapegrad.)"""
    a = as_tensor_arg(input)._array
    if dim is None:
        values, inverse, counts = xp.unique(a, return_inverse=True, return_counts=True)
        return _results(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = _wrap_dim(dim, a.ndim, "unique")
    moved = xp.moveaxis(a, d, 0)
    if moved.shape[0] == 0:
        empty = xp.zeros(0, dtype=B.int64)
        return _results(a, empty, empty, return_inverse, return_counts)
    values, inverse, counts = xp.unique(moved, axis=0, return_inverse=True, return_counts=True)
    return _results(
        xp.moveaxis(values, 0, d), inverse.reshape(-1), counts, return_inverse, return_counts
    )


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """``input`` with each run of equal consecutive elements (slices along
    ``dim``) kept once, with the inverse indices and run lengths on request."""
    a = as_tensor_arg(input)._array
    moved = a.reshape(-1) if dim is None else xp.moveaxis(a, _wrap_dim(dim, a.ndim, "unique"), 0)
    n = moved.shape[0]
    if n == 0:
        empty = xp.zeros(0, dtype=B.int64)
        return _results(
            moved if dim is None else a,
            empty.reshape(a.shape if dim is None else -1),
            empty,
            return_inverse,
            return_counts,
        )
    flat = moved.reshape(n, -1)
    starts = xp.concatenate([[True], (flat[1:] != flat[:-1]).any(axis=1)])
    inverse = xp.cumsum(starts) - 1
    counts = xp.diff(xp.concatenate([xp.flatnonzero(starts), [n]]))
    values = moved[starts]
    if dim is None:
        return _results(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = _wrap_dim(dim, a.ndim, "unique")
    return _results(xp.moveaxis(values, 0, d), inverse, counts, return_inverse, return_counts)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs among ``test_elements``
    (whether it does not, with ``invert``): a bool tensor of ``elements``'
    shape.  Either may be a Python number, not both; the two are compared in
    their promoted dtype (a number takes the tensor's), and NaN occurs
    nowhere.  ``assume_unique`` is PyTorch's hint that both hold distinct
    values; the result is exact either way.  Bool operands are refused, as
    in PyTorch."""
    for name, flag in (("assume_unique", assume_unique), ("invert", invert)):
        if not isinstance(flag, bool):
            raise TypeError(f"isin(): argument '{name}' must be bool, not {type(flag).__name__}")
    a, b = binary_operands(elements, test_elements, "isin")
    for x in (elements, test_elements):
        if isinstance(x, bool) or (isinstance(x, Tensor) and x.dtype == B.bool_):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    return new_tensor(xp.asarray(xp.isin(a._array, b._array, invert=invert)))
