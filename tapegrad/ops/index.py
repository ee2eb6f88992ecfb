"""Indexing primitives: ``x[key]``, the scatter that is its gradient,
``x[key] = v`` as an op, ``gather`` and ``scatter_add``.

Keys are read as PyTorch reads them (``tapegrad.ops.index_key``: ints,
slices, ``None``, ``...``, ranges, lists, integer and bool tensors, NumPy
arrays); each primitive takes the NumPy key that computes it.  The gradient
of an indexed read scatters back and adds up at repeated indices
(``x[[0, 0]]`` sends twice the gradient to ``x[0]``)."""

from __future__ import annotations

import numbers

from tapegrad import backend as B
from tapegrad.ops.index_key import basic_key, index_error, index_steps
from tapegrad.ops.registry import (
    ShapeError,
    as_tensor_arg,
    binary_args,
    defprim,
    scalar_operand,
    sum_to_shape,
    to_dtype,
)
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp
_BASIC = (int, slice, type(None), type(Ellipsis))


def _getitem_fwd(a, key):
    try:
        return a[key]
    except IndexError as e:
        raise index_error(e, a.shape, key) from None


def _getitem_vjp(g, out, a, key):
    return INDEX_SCATTER.apply(g, shape=a.shape, key=key)


GETITEM = defprim(
    "getitem",
    _getitem_fwd,
    _getitem_vjp,
    partials="1",
    view=lambda base, value, key: INDEX_PUT.apply(base, value, key=key),
    doc="out = a[key] with a basic key (ints, slices, None, ...): a view",
)
INDEX = defprim(
    "index",
    _getitem_fwd,
    _getitem_vjp,
    partials="1",
    doc="out = a[key] with integer arrays or boolean masks: a copy",
)


def _is_basic_key(key) -> bool:
    return all(isinstance(k, _BASIC) for k in key)


def _take(a, key):
    """``a[key]`` for a NumPy key (a view when it is basic): the vjps' read."""
    return (GETITEM if _is_basic_key(key) else INDEX).apply(a, key=key)


def _scatter_fwd(g, shape, key):
    out = xp.zeros(shape, dtype=g.dtype)
    if _is_basic_key(key):
        out[key] = g
    else:
        B.scatter_add(out, key, g)
    return out


INDEX_SCATTER = defprim(
    "index_scatter",
    _scatter_fwd,
    lambda g, out, a, shape, key: _take(g, key),
    partials="1",
    doc="out = zeros(shape) with a added at [key] (repeated indices add up)",
)


@GETITEM.public(methods=("__getitem__",))
def getitem(input, key) -> Tensor:
    """``input[key]`` read as PyTorch reads it (``tapegrad.ops.index_key``):
    a view for ints, slices, ``None`` and ``...``, a copy with index arrays
    or masks; the gradient scatters back, adding up at repeated indices."""
    x = as_tensor_arg(input)
    items = basic_key(key)
    if items is not None:
        return GETITEM.apply(x, key=items)
    for items, basic in index_steps(key, x._array.shape):
        x = (GETITEM if basic else INDEX).apply(x, key=items)
    return x


# ----------------------------------------------------------------- setitem
def _index_put_fwd(a, v, key):
    out = xp.array(a)  # (a copy, and an array even of a NumPy scalar)
    try:
        out[key] = v
    except IndexError as e:
        raise index_error(e, a.shape, key) from None
    except ValueError:
        raise ShapeError(
            f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to "
            f"indexing result of shape {list(a[key].shape)}"
        ) from None
    return out


def _index_put_a(g, out, a, v, key):
    keep = xp.ones(a.shape, dtype=bool)
    keep[key] = False
    from tapegrad.ops.elementwise import where

    return where(new_tensor(keep), g, 0.0)


def _index_put_v(g, out, a, v, key):
    part = _take(g, key)
    if part.shape != v.shape:
        part = sum_to_shape(part, v.shape)
    return part


INDEX_PUT = defprim(
    "index_put",
    _index_put_fwd,
    (_index_put_a, _index_put_v),
    partials=("[not key]", "1"),
    doc="out = a copy of a with out[key] = b",
)


@INDEX_PUT.public(methods=())
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``out[indices] = values`` (``values``
    broadcast, in ``input``'s dtype), or with ``accumulate`` the values added
    there (repeated positions add up), as ``torch.index_put``; ``indices``
    is any key ``input[indices]`` reads.  ``x[key] = v`` is its in-place
    form."""
    x = as_tensor_arg(input)
    v = to_dtype(_source(values, x), x._array.dtype)
    items = basic_key(indices)
    if items is not None and not accumulate:
        return INDEX_PUT.apply(x, v, key=items)
    steps = ((items, True),) if items is not None else index_steps(indices, x._array.shape)
    _check_source_dtype(x, values, steps)
    return _put(x, steps, v, accumulate)


def _source(values, x: Tensor) -> Tensor:
    """``values`` as a tensor; a Python number as the constant PyTorch makes
    of it beside ``x`` (cached: ``fill_`` and ``zero_`` come this way)."""
    if values.__class__ in (float, int, bool):
        return new_tensor(scalar_operand(values, x._array.dtype))
    return as_tensor_arg(values, x)


def _check_source_dtype(x: Tensor, values, steps: tuple) -> None:
    """PyTorch writes through index arrays and masks only a tensor of
    ``x``'s own dtype (numbers are converted; a 0-d tensor written through
    one mask alone is a ``masked_fill``, which converts too)."""
    (key, basic) = steps[-1]
    if basic or not isinstance(values, Tensor) or values.dtype == x.dtype:
        return
    if values.ndim == 0 and len(steps) == 1 and len(key) == 1 and key[0].dtype.kind == "b":
        return
    raise RuntimeError(
        "Index put requires the source and destination dtypes match, got "
        f"{x.dtype} for the destination and {values.dtype} for the source."
    )


def _put(x: Tensor, steps: tuple, v: Tensor, accumulate: bool) -> Tensor:
    """``x`` with ``v`` written (or added) where the steps of a key lead: a
    later step writes into the part of ``x`` the first one reads."""
    (key, _), later = steps[0], steps[1:]
    if later:
        v, accumulate = _put(_take(x, key), later, v, accumulate), False
    if not accumulate:
        return INDEX_PUT.apply(x, v, key=key)
    from tapegrad.ops.shape import broadcast_to

    added = broadcast_to(v, _take(x.detach(), key).shape)
    return x + INDEX_SCATTER.apply(added, shape=x.shape, key=key)


# ------------------------------------------------------- gather / scatter
def _full_index(index, dim):
    """The index tuple that places ``index`` along ``dim`` and the identity
    along every other dimension (for take/put along an axis)."""
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _gather_fwd(a, index, dim):
    if index.ndim != a.ndim:
        raise ValueError(
            f"gather: index has {index.ndim} dims but input has {a.ndim} (shapes {index.shape} "
            f"and {a.shape})"
        )
    for d in range(a.ndim):
        if d != dim and index.shape[d] > a.shape[d]:
            raise ValueError(
                f"gather: index shape {index.shape} exceeds input shape {a.shape} in dim {d}"
            )
    return a[_full_index(index, dim)]


def _gather_vjp(g, out, a, index, dim):
    zeros = new_tensor(xp.zeros(a.shape, dtype=g.dtype))
    return scatter_add(zeros, dim, index, g)


GATHER = defprim(
    "gather",
    _gather_fwd,
    (_gather_vjp, None),
    partials=("1", "0"),
    doc="out[i][j] = a[index[i][j]][j] (dim 0): values picked along `dim`",
)


@GATHER.public
def gather(input, dim: int, index) -> Tensor:
    """``out[...,i,...] = input[..., index[...,i,...], ...]`` along ``dim``."""
    x = as_tensor_arg(input)
    idx = as_tensor_arg(index)
    if idx._array.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got {idx.dtype}")
    return GATHER.apply(x, idx, dim=_wrap_dim(dim, x.ndim, "gather"))


def _scatter_target(a, index, src, dim, op: str):
    """For ``scatter``/``scatter_add``: a copy of ``a`` to write into, the
    positions ``index`` names along ``dim``, and the part of ``src`` that
    ``index`` covers."""
    if index.ndim != a.ndim or src.ndim != a.ndim:
        raise ValueError(
            f"{op}: input, index and src need the same number of dims, got shapes "
            f"{a.shape}, {index.shape} and {src.shape}"
        )
    return xp.array(a), _full_index(index, dim), src[tuple(slice(0, n) for n in index.shape)]


def _scatter_add_fwd(a, index, src, dim):
    out, key, part = _scatter_target(a, index, src, dim, "scatter_add")
    B.scatter_add(out, key, part)
    return out


def _scatter_add_src(g, out, a, index, src, dim):
    part = gather(g, dim, index)
    if part.shape != src.shape:
        from tapegrad.ops.shape import pad

        widths = []
        for n, m in reversed(list(zip(part.shape, src.shape))):
            widths += [0, m - n]
        part = pad(part, widths)
    return part


SCATTER_ADD = defprim(
    "scatter_add",
    _scatter_add_fwd,
    (lambda g, out, a, index, src, dim: g, None, _scatter_add_src),
    partials=("1", "0", "1"),
    doc="out = a with src[i][j] added at out[index[i][j]][j] (dim 0)",
)


@SCATTER_ADD.public
def scatter_add(input, dim: int, index, src) -> Tensor:
    """A copy of ``input`` with ``src`` added at the positions ``index`` names
    along ``dim`` (repeated positions add up)."""
    x, s = binary_args(input, src)
    idx = as_tensor_arg(index)
    return SCATTER_ADD.apply(x, idx, s, dim=_wrap_dim(dim, x.ndim, "scatter_add"))


def _scatter_fwd(a, index, src, dim):
    out, key, part = _scatter_target(a, index, src, dim, "scatter")
    out[key] = part
    return out


def _scatter_input(g, out, a, index, src, dim):
    keep = xp.ones(a.shape, dtype=bool)
    keep[_full_index(index._array, dim)] = False  # written over: no gradient
    from tapegrad.ops.elementwise import where

    return where(new_tensor(keep), g, 0.0)


SCATTER = defprim(
    "scatter",
    _scatter_fwd,
    (_scatter_input, None, _scatter_add_src),
    partials=("[kept]", "0", "1"),
    doc="out = a with out[index[i][j]][j] = src[i][j] (dim 0); repeated positions: one of them",
)


@SCATTER.public
def scatter(input, dim: int, index, src=None, *, value=None) -> Tensor:
    """A copy of ``input`` with ``src`` (or the number ``value``) written at the
    positions ``index`` names along ``dim``.  Where ``index`` repeats a
    position, one of the values is kept (which one is unspecified, as in
    PyTorch); the gradient of ``src`` is ``gather(g, dim, index)``.  A number
    in the place of ``src`` is ``value`` (PyTorch's ``scatter(input, dim,
    index, value)``, as in ``x.scatter_(1, labels, 1.0)``)."""
    if isinstance(src, numbers.Number) and value is None:
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src and value")
    x = as_tensor_arg(input)
    idx = as_tensor_arg(index)
    if idx._array.dtype.kind not in "iu":
        raise TypeError(f"scatter: index must be an integer tensor, got {idx.dtype}")
    if src is None:
        src = new_tensor(xp.full(idx._array.shape, value, dtype=x._array.dtype))
    x, s = binary_args(x, src)
    return SCATTER.apply(x, idx, s, dim=_wrap_dim(dim, x.ndim, "scatter"))


def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added to the slices that the
    1-D ``index`` names along ``dim`` (repeated indices add up)."""
    x, src = as_tensor_arg(input), as_tensor_arg(source)
    d = _wrap_dim(dim, x.ndim, "index_add")
    idx = as_tensor_arg(index)._array.reshape(-1)
    if src.ndim != x.ndim or src.shape[d] != idx.size:
        raise ValueError(
            f"index_add: source of shape {tuple(src.shape)} does not fit {idx.size} indices "
            f"along dimension {d} of an input of shape {tuple(x.shape)}"
        )
    view = [1] * x.ndim
    view[d] = idx.size
    full = new_tensor(xp.broadcast_to(idx.reshape(view), src.shape).copy())
    return scatter_add(x, d, full, src * alpha if alpha != 1 else src)


def index_select(input, dim: int, index) -> Tensor:
    """The slices at ``index`` (1-D integer tensor) along ``dim``."""
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "index_select")
    idx = as_tensor_arg(index)
    return getitem(x, (slice(None),) * d + (idx._array.reshape(-1),))


def masked_fill(input, mask, value) -> Tensor:
    """``value`` where the bool tensor ``mask`` is true, ``input`` elsewhere
    (the two broadcast together); ``value``, a number or a 0-d tensor, takes
    ``input``'s dtype (2.7 fills an integer tensor with 2).  The gradient
    reaches ``input`` where the mask is false, and a tensor ``value`` summed
    over where it is true."""
    from tapegrad.ops.elementwise import where

    x = as_tensor_arg(input)
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype != B.bool_:
        raise RuntimeError(
            f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    return where(mask, _fill_value(value, x, "masked_fill"), x)


def _fill_value(value, x: Tensor, op: str) -> Tensor:
    """A fill ``value`` (number or 0-d tensor) as a 0-d tensor of ``x``'s
    dtype; a tensor stays differentiable when ``x`` is floating."""
    if not isinstance(value, Tensor):
        return new_tensor(xp.asarray(value).astype(x.dtype))
    if value.ndim:
        raise RuntimeError(
            f"{op} only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    return to_dtype(value if x.dtype.kind == "f" else value.detach(), x.dtype)


def index_fill(input, dim: int, index, value) -> Tensor:
    """A copy of ``input`` with ``value`` in the slices along ``dim`` that
    ``index`` names (an int64 tensor of at most one dimension; repeats
    allowed): ``masked_fill`` with the mask of those slices, so the gradient
    of ``input`` is zero there."""
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "index_fill")
    size = x.shape[d] if x.ndim else 1
    chosen = xp.zeros(size, dtype=bool)
    chosen[_fill_indices(index, d, size)] = True
    along = [1] * x.ndim  # (the mask's shape: ``size`` along ``dim``)
    if x.ndim:
        along[d] = size
    return masked_fill(x, new_tensor(chosen.reshape(along)), value)


def _fill_indices(index, dim: int, size: int):
    """``index_fill``'s ``index`` as a NumPy array, checked as PyTorch does."""
    if not isinstance(index, Tensor):
        raise TypeError(
            f"index_fill(): argument 'index' must be Tensor, not {type(index).__name__}"
        )
    if index.dtype != B.int64:
        raise IndexError(f"index_fill(): expected dtype int64 for index, got {index.dtype}")
    if index.ndim > 1:
        raise RuntimeError(
            f"index_fill(): index has to be a vector or a scalar, got shape {tuple(index.shape)}"
        )
    indices = index._array.reshape(-1)
    outside = indices[(indices < -size) | (indices >= size)]
    if outside.size:
        raise IndexError(
            f"index {outside[0]} is out of bounds for dimension {dim} with size {size}"
        )
    return indices


def take_along_dim(input, indices, dim: int) -> Tensor:
    return gather(input, dim, indices)


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or a
    tuple of 1-D index tensors with ``as_tuple=True``."""
    x = as_tensor_arg(input)
    idx = xp.nonzero(x._array)
    if as_tuple:
        return tuple(new_tensor(i.astype(B.int64)) for i in idx)
    return new_tensor(xp.stack(idx, axis=-1).astype(B.int64))
