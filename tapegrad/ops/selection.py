"""Selecting and placing elements, as compositions of the table's index ops
(so each gradient is theirs): ``masked_select``, ``take``, ``argwhere``,
``index_copy``, ``masked_scatter`` and ``scatter_reduce``.

``scatter_reduce`` with ``'sum'`` and ``'mean'`` is ``scatter_add`` and a
division, differentiable to any order.  For ``'amax'``, ``'amin'`` and
``'prod'`` the values are reduced on the arrays and the gradient is PyTorch's
(``amax``/``amin``: shared evenly by the elements equal to the result;
``prod``: the product of the other elements), attached through a linear
surrogate whose value is subtracted again: first derivatives are exact,
higher ones are not recorded."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.dtypes import scalar_type_name
from tapegrad.ops.elementwise import where
from tapegrad.ops.index import index_put, nonzero, scatter_add
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import broadcast_tensors, movedim, reshape
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _bool_mask(mask, op: str) -> Tensor:
    m = as_tensor_arg(mask)
    if m.dtype != dtypes.bool:
        raise RuntimeError(f"{op}: expected BoolTensor for mask")
    return m


def masked_select(input, mask) -> Tensor:
    """The elements of ``input`` where the boolean ``mask`` is true (both
    broadcast), as a 1-D tensor in row-major order."""
    x, m = broadcast_tensors(as_tensor_arg(input), _bool_mask(mask, "masked_select"))
    return x[m._array]


def _long_index(index, op: str) -> Tensor:
    i = as_tensor_arg(index)
    if i.dtype != dtypes.int64:
        raise RuntimeError(
            f"{op}: Expected a long tensor for index, but got {scalar_type_name(i.dtype)}"
        )
    return i


def take(input, index) -> Tensor:
    """``input.flatten()[index]``: a tensor of ``index``'s shape (negative
    indices count from the end)."""
    x = as_tensor_arg(input)
    i = _long_index(index, "take()")._array
    n = x.numel()
    bad = (i >= n) | (i < -n)
    if bad.any():
        raise IndexError(
            f"out of range: tried to access index {int(i[bad].reshape(-1)[0])} on a tensor of "
            f"{n} elements."
        )
    return reshape(x, -1)[i]


def argwhere(input) -> Tensor:
    """The indices of the non-zero elements, one row per element: ``(n, ndim)``."""
    x = as_tensor_arg(input)
    if x.ndim == 0:  # (one row without columns where the scalar is non-zero)
        return new_tensor(xp.zeros((int(x._array != 0), 0), dtype=B.int64))
    return nonzero(x)


def index_copy(input, dim: int, index, source) -> Tensor:
    """``input`` with its slices ``index[k]`` along ``dim`` replaced by the
    slices ``k`` of ``source``."""
    x, s = as_tensor_arg(input), as_tensor_arg(source)
    i = _long_index(index, "index_copy_()")
    if i.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got 2)")
    d = _wrap_dim(dim, x.ndim, "index_copy_()")
    positions = i._array.reshape(-1)
    source_rows = s.shape[d] if s.ndim else 1
    if positions.size != source_rows:
        raise IndexError(
            f"index_copy_(): Number of indices ({positions.size}) should be equal to "
            f"source.size(dim) ({source_rows})"
        )
    size = x.shape[d] if x.ndim else 1
    bad = (positions >= size) | (positions < -size)
    if bad.any():
        raise IndexError(
            f"index_copy_(): index {int(positions[bad][0])} is out of bounds for dimension {d} "
            f"with size {size}"
        )
    if x.ndim == 0:
        return reshape(index_put(reshape(x, 1), (positions,), reshape(s, 1)), ())
    copied = index_put(movedim(x, d, 0), (positions,), movedim(s, d, 0))
    return movedim(copied, 0, d)


def masked_scatter(input, mask, source) -> Tensor:
    """``input`` with the elements where ``mask`` is true (broadcast) replaced,
    in row-major order, by the leading elements of ``source``."""
    m = as_tensor_arg(mask)
    if m.dtype != dtypes.bool:
        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{scalar_type_name(m.dtype)}"
        )
    x, s = as_tensor_arg(input), as_tensor_arg(source)
    if x.dtype != s.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{scalar_type_name(x.dtype)} and {scalar_type_name(s.dtype)}"
        )
    x, m = broadcast_tensors(x, m)
    chosen = m._array
    if int(chosen.sum()) > s.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if s.numel() == 0:  # (then nothing is chosen)
        return x.clone()
    # the k-th chosen position takes source element k; others pick element 0 and are dropped
    order = xp.maximum(xp.cumsum(chosen.reshape(-1)) - 1, 0).reshape(chosen.shape)
    return where(m, reshape(s, -1)[order], x)


# --------------------------------------------------------------- scatter_reduce
def _scatter_reduce_args(input, dim, index, src, reduce):
    x, s = as_tensor_arg(input), as_tensor_arg(src)
    i = as_tensor_arg(index)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if i.dtype != dtypes.int64:
        raise RuntimeError("scatter_reduce(): Expected dtype int64 for index")
    if x.dtype != s.dtype:
        raise RuntimeError("scatter_reduce(): Expected self.dtype to be equal to src.dtype")
    return x, _wrap_dim(dim, x.ndim, "scatter_reduce"), i, s


def _counts(x: Tensor, d: int, i: Tensor, include_self: bool):
    """How many elements reduce into each position (``include_self`` counts
    the input's own) and where any ``src`` element lands."""
    hits = xp.zeros(x.shape, dtype=B.int64)
    xp.add.at(hits, _src_positions(i, d), 1)
    return hits + int(include_self), hits > 0


def _src_positions(i: Tensor, d: int) -> tuple:
    """The position in the output that each element of ``src[:index.shape]`` goes to."""
    positions = list(xp.indices(i.shape))
    positions[d] = i._array
    return tuple(positions)


def _identity(dtype, reduce: str):
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _reduced(a, d: int, i: Tensor, src, reduce: str, touched, include_self: bool):
    """``amax``/``amin``/``prod`` of the arrays scattered into ``a`` (NaN
    propagates, as PyTorch)."""
    out = a.copy()
    if not include_self:
        out[touched] = _identity(out.dtype, reduce)
    ufunc = {"amax": xp.fmax, "amin": xp.fmin, "prod": xp.multiply}[reduce]
    ufunc.at(out, _src_positions(i, d), src)
    if reduce != "prod" and out.dtype.kind == "f":  # (fmax skips NaN; PyTorch keeps it)
        nan_src = xp.zeros(out.shape, dtype=bool)
        xp.logical_or.at(nan_src, _src_positions(i, d), xp.isnan(src))
        out[nan_src | (xp.isnan(a) & (include_self | ~touched))] = xp.nan
    return out


def _with_gradient(value, surrogate: Tensor) -> Tensor:
    """A tensor with the value ``value`` and the gradient of ``surrogate``."""
    return new_tensor(value) + (surrogate - surrogate.detach())


def _others_product(a, out, nonzero_out, zeros):
    """The product of the other elements reduced with each element of ``a``
    (``out``, ``nonzero_out``, ``zeros``: the product, the product of the
    non-zero elements and the number of zeros where it went): ``out / a``
    where ``a != 0``; ``nonzero_out`` where ``a`` is the only zero; else 0."""
    safe = xp.where(a != 0, a, 1)
    return xp.where(a != 0, out / safe, xp.where(zeros == 1, nonzero_out, 0))


def _product_weights(a, d, i, src, out, touched, own, include_self):
    """PyTorch's gradient of ``prod``: the product of the other elements."""
    nonzero_out = _reduced(
        xp.where(a == 0, 1, a), d, i, xp.where(src == 0, 1, src), "prod", touched, include_self
    )
    zeros = (own & (a == 0)).astype(B.int64)
    xp.add.at(zeros, _src_positions(i, d), (src == 0).astype(B.int64))
    at_src = [t[_src_positions(i, d)] for t in (out, nonzero_out, zeros)]
    return _others_product(a, out, nonzero_out, zeros), _others_product(src, *at_src)


def _tie_weights(a, d, i, src, out, own):
    """PyTorch's gradient of ``amax``/``amin``: shared evenly by the
    elements equal to the result (NaN equal to NaN)."""
    out_at_src = out[_src_positions(i, d)]
    # PyTorch counts the input's own ties even where include_self=False drops its gradient
    equal_self = (a == out) | (xp.isnan(a) & xp.isnan(out))
    equal_src = (src == out_at_src) | (xp.isnan(src) & xp.isnan(out_at_src))
    ties = equal_self.astype(out.dtype)
    xp.add.at(ties, _src_positions(i, d), equal_src)
    shared = xp.maximum(ties, 1)
    return equal_self / shared, equal_src / shared[_src_positions(i, d)]


def _extreme_or_prod(x, d, i, s, reduce, include_self):
    """``scatter_reduce`` for ``amax``/``amin``/``prod``: values reduced on the
    arrays, PyTorch's gradient attached through a linear surrogate."""
    a, src_t = x._array, s[tuple(xp.indices(i.shape))]
    src = src_t._array
    touched = _counts(x, d, i, include_self)[1]
    out = _reduced(a, d, i, src, reduce, touched, include_self)
    if not (x.requires_grad or s.requires_grad) or out.dtype.kind != "f":
        return new_tensor(out)
    own = include_self | ~touched  # where the input's own element takes part
    if reduce == "prod":
        w_self, w_src = _product_weights(a, d, i, src, out, touched, own, include_self)
    else:
        w_self, w_src = _tie_weights(a, d, i, src, out, own)
    w_self = new_tensor(xp.where(own, w_self, 0).astype(out.dtype))
    surrogate = scatter_add(x * w_self, d, i, src_t * new_tensor(w_src.astype(out.dtype)))
    return _with_gradient(out, surrogate)


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """``out[..., index[j], ...]`` (along ``dim``) reduced with ``reduce`` over
    every ``src[j]`` sent there, and over ``input``'s own element when
    ``include_self``; positions nothing is sent to keep ``input``'s value.
    ``'mean'`` of integers rounds down, as PyTorch."""
    x, d, i, s = _scatter_reduce_args(input, dim, index, src, reduce)
    if reduce in ("amax", "amin", "prod"):
        return _extreme_or_prod(x, d, i, s, reduce, include_self)
    counts, touched = _counts(x, d, i, include_self)
    base = x if include_self else where(new_tensor(touched), 0, x)
    total = scatter_add(base, d, i, s[tuple(xp.indices(i.shape))])
    if reduce == "sum":
        return total
    divisor = new_tensor(xp.maximum(counts, 1).astype(x._array.dtype))
    averaged = total // divisor if x._array.dtype.kind in "biu" else total / divisor
    return where(new_tensor(touched), averaged, x)
