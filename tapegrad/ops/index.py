"""Indexing primitives: ``x[key]``, the scatter that is its gradient,
``x[key] = v`` as an op, ``gather`` and ``scatter_add``.

Keys follow NumPy (and PyTorch): ints, slices, ``None``, ``...``, boolean
masks and integer arrays.  The gradient of an indexed read scatters back and
adds up at repeated indices (``x[[0, 0]]`` sends twice the gradient to
``x[0]``)."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.registry import ShapeError, as_tensor_arg, binary_args, defprim, sum_to_shape
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp
_BASIC = (int, slice, type(None), type(Ellipsis))


def normalize_key(key):
    """A user's index as a tuple of NumPy index items, and whether it is basic
    (ints, slices, None, ...), which gives a view."""
    if not isinstance(key, tuple):
        key = (key,)
    items, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            k = k._array
            basic = False
        elif isinstance(k, (list, B.ndarray)):
            k = xp.asarray(k)
            basic = False
        elif isinstance(k, bool):
            k = xp.asarray(k)
            basic = False
        elif isinstance(k, B.xp.integer):
            k = int(k)
        elif not isinstance(k, _BASIC):
            raise TypeError(f"index: unsupported index item {k!r} of type {type(k).__name__}")
        if isinstance(k, B.ndarray) and k.dtype.kind not in "iub":
            raise TypeError(
                f"index: tensors used as indices must be integer or bool, got {k.dtype}"
            )
        items.append(k)
    return tuple(items), basic


class IndexOutOfRange(ShapeError, IndexError):
    """An index past a dimension's end: the ``IndexError`` PyTorch raises
    (and a ``tg.ShapeError``, so the op passes it on unchanged)."""


def _getitem_fwd(a, key):
    try:
        return a[key]
    except IndexError as e:
        raise IndexOutOfRange(
            f"getitem: {e} (indexing a tensor of shape {tuple(a.shape)})"
        ) from None


def _getitem_vjp(g, out, a, key):
    return INDEX_SCATTER.apply(g, shape=a.shape, key=key)


GETITEM = defprim(
    "getitem",
    _getitem_fwd,
    _getitem_vjp,
    partials="1",
    view=True,
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
    lambda g, out, a, shape, key: getitem(g, key),
    partials="1",
    doc="out = zeros(shape) with a added at [key] (repeated indices add up)",
)


@GETITEM.public(methods=("__getitem__",))
def getitem(input, key) -> Tensor:
    """``input[key]`` with NumPy's (and PyTorch's) indexing rules."""
    x = as_tensor_arg(input)
    items, basic = normalize_key(key)
    return (GETITEM if basic else INDEX).apply(x, key=items)


# ----------------------------------------------------------------- setitem
def _index_put_fwd(a, v, key):
    out = xp.array(a)  # (a copy, and an array even of a NumPy scalar)
    try:
        out[key] = v
    except (ValueError, IndexError) as e:
        raise ValueError(f"setitem: value of shape {v.shape} does not fit a[{key}] ({e})") from None
    return out


def _index_put_a(g, out, a, v, key):
    keep = xp.ones(a.shape, dtype=bool)
    keep[key] = False
    from tapegrad.ops.elementwise import where

    return where(new_tensor(keep), g, 0.0)


def _index_put_v(g, out, a, v, key):
    part = getitem(g, key)
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
def index_put(input, key, value) -> Tensor:
    """A copy of ``input`` with ``out[key] = value`` (``value`` broadcast)."""
    x = as_tensor_arg(input)
    items, _ = normalize_key(key)
    x, v = binary_args(x, value)
    if v.dtype != x._array.dtype:
        from tapegrad.ops.registry import to_dtype

        v = to_dtype(v, x._array.dtype)
    return INDEX_PUT.apply(x, v, key=items)


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
    PyTorch); the gradient of ``src`` is ``gather(g, dim, index)``."""
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
    """``value`` where ``mask`` is true, ``input`` elsewhere."""
    from tapegrad.ops.elementwise import where

    x = as_tensor_arg(input)
    return where(mask, value if isinstance(value, Tensor) else as_tensor_arg(value, x), x)


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
