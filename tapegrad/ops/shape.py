"""Shape primitives: reshape, permute, repeat, cat, flip, constant padding,
and the composites built from them (flatten, squeeze, stack, split, ...)."""

from __future__ import annotations

import builtins
import operator

from tapegrad import backend as B
from tapegrad.ops.registry import (
    BROADCAST_TO,
    SUM_TO,
    ShapeError,
    as_tensor_arg,
    cast_common,
    defprim,
)
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor


class ShapeMismatch(ShapeError, RuntimeError):
    """Shapes that do not fit: a ``ValueError`` (``tg.ShapeError``) that is also
    the ``RuntimeError`` PyTorch raises in the same place."""


xp = B.xp


def _shape_arg(shape) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


# ------------------------------------------------------------------ reshape
def _reshape_fwd(a, shape):
    try:
        return a.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: a tensor of shape {tuple(a.shape)} ({a.size} elements) cannot take "
            f"the shape {tuple(shape)}"
        ) from None


RESHAPE = defprim(
    "reshape",
    _reshape_fwd,
    lambda g, out, a, shape: reshape(g, a.shape),
    partials="1",
    view=lambda base, value, shape: reshape(value, base.shape),
    doc="out = a with the same elements in the shape `shape`",
)


@RESHAPE.public(methods=("reshape", "view"))
def reshape(input, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    x = as_tensor_arg(input)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x if not x.requires_grad else RESHAPE.apply(x, shape=shape)
    return RESHAPE.apply(x, shape=shape)


view = reshape


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        return reshape(x, (1,))
    s = _wrap_dim(start_dim, x.ndim, "flatten")
    e = _wrap_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:s] + (-1,) + x.shape[e + 1 :]
    return reshape(x, shape)


def unflatten(input, dim: int, sizes) -> Tensor:
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])


def unsqueeze(input, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def squeeze(input, dim=None) -> Tensor:
    """Remove dimensions of size 1 (only ``dim`` when given; a ``dim`` whose
    size is not 1 leaves the tensor as it is, as in PyTorch)."""
    x = as_tensor_arg(input)
    if dim is None:
        dims = [i for i, n in enumerate(x.shape) if n == 1]
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap_dim(d, x.ndim, "squeeze") for d in dims]
        dims = [d for d in dims if x.ndim and x.shape[d] == 1]
    if not dims:
        return x
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in dims))


# ------------------------------------------------------------------ permute
def _permute_vjp(g, out, a, dims):
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return permute(g, tuple(inverse))


PERMUTE = defprim(
    "permute",
    lambda a, dims: a.transpose(dims),
    _permute_vjp,
    partials="1",
    view=lambda base, value, dims: _permute_vjp(value, None, base, dims),
    doc="out = a with its dimensions reordered as `dims`",
)


@PERMUTE.public
def permute(input, *dims) -> Tensor:
    """Reorder the dimensions: ``out.shape[i] = input.shape[dims[i]]``."""
    x = as_tensor_arg(input)
    dims = _shape_arg(dims)
    if len(dims) != x.ndim or sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(
        range(x.ndim)
    ):
        raise ShapeMismatch(
            f"permute: dims {dims} are not a permutation of the {x.ndim} dims of {x.shape}"
        )
    return PERMUTE.apply(x, dims=tuple(d % builtins.max(x.ndim, 1) for d in dims))


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    x = as_tensor_arg(input)
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0, d1 = _wrap_dim(dim0, x.ndim, "transpose"), _wrap_dim(dim1, x.ndim, "transpose")
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return PERMUTE.apply(x, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(input) -> Tensor:
    """Transpose of a tensor of at most 2 dims."""
    x = as_tensor_arg(input)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {x.shape}")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def movedim(input, source: int, destination: int) -> Tensor:
    x = as_tensor_arg(input)
    s, d = _wrap_dim(source, x.ndim, "movedim"), _wrap_dim(destination, x.ndim, "movedim")
    dims = [i for i in range(x.ndim) if i != s]
    dims.insert(d, s)
    return PERMUTE.apply(x, dims=tuple(dims))


# ------------------------------------------------------------ broadcasting
@BROADCAST_TO.public
def broadcast_to(input, shape) -> Tensor:
    """A read-only view of ``input`` repeated to ``shape`` (NumPy's rules)."""
    x = as_tensor_arg(input)
    shape = tuple(int(s) for s in shape)
    if shape == x.shape:
        return x
    return BROADCAST_TO.apply(x, shape=shape)


def expand(input, *sizes) -> Tensor:
    """``broadcast_to`` where -1 keeps a dimension's size (PyTorch's expand)."""
    x = as_tensor_arg(input)
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeMismatch(f"expand: cannot expand shape {x.shape} to fewer dims {sizes}")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def expand_as(input, other) -> Tensor:
    return broadcast_to(input, as_tensor_arg(other).shape)


def broadcast_tensors(*tensors):
    ts = [as_tensor_arg(x) for x in tensors]
    shape = xp.broadcast_shapes(*[x.shape for x in ts])
    return tuple(broadcast_to(x, shape) for x in ts)


def sum_to_size(input, *size) -> Tensor:
    return SUM_TO.apply(as_tensor_arg(input), shape=_shape_arg(size))


# ------------------------------------------------------------------- repeat
def _repeat_fwd(a, repeats):
    lead = len(repeats) - a.ndim
    return xp.tile(a.reshape((1,) * lead + a.shape), repeats)


def _repeat_vjp(g, out, a, repeats):
    shape = (1,) * (len(repeats) - a.ndim) + a.shape
    split = []
    for r, s in zip(repeats, shape):
        split += [r, s]
    n = len(repeats)
    gathered = permute(reshape(g, split), [2 * i for i in range(n)] + [2 * i + 1 for i in range(n)])
    return reshape(SUM_TO.apply(gathered, shape=shape), a.shape)


REPEAT = defprim(
    "repeat",
    _repeat_fwd,
    _repeat_vjp,
    partials="1",
    doc="out = a tiled `repeats` times along each dimension",
)


@REPEAT.public
def repeat(input, *repeats) -> Tensor:
    """Tile the tensor: dimension ``i`` is repeated ``repeats[i]`` times."""
    x = as_tensor_arg(input)
    repeats = _shape_arg(repeats)
    if len(repeats) < x.ndim:
        raise ValueError(
            f"repeat: {len(repeats)} repeats given for a tensor of {x.ndim} dims (shape {x.shape})"
        )
    return REPEAT.apply(x, repeats=repeats)


# ---------------------------------------------------------------------- cat
def _cat_fwd(*arrays, dim):
    return xp.concatenate(arrays, axis=dim)


def _cat_vjp(g, out, *inputs, dim, needs):
    out, start = [], 0
    for x, need in zip(inputs, needs):
        n = x.shape[dim]
        out.append(narrow(g, dim, start, n) if need else None)
        start += n
    return tuple(out)


CAT = defprim(
    "cat",
    _cat_fwd,
    vjp_all=_cat_vjp,
    partials=("1", "1"),
    doc="out = the inputs joined along `dim` (any number of inputs)",
)


@CAT.public(methods=())
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape but for ``dim`` along ``dim``."""
    ts = cast_common(*[as_tensor_arg(x) for x in tensors])
    if not ts:
        raise ValueError("cat: expects a non-empty list of tensors")
    d = _wrap_dim(dim, ts[0].ndim, "cat")
    shapes = [x.shape for x in ts]
    if any(
        len(s) != len(shapes[0]) or s[:d] + s[d + 1 :] != shapes[0][:d] + shapes[0][d + 1 :]
        for s in shapes
    ):
        listed = ", ".join(str(s) for s in shapes)
        raise ShapeMismatch(f"cat: shapes {listed} do not fit along dim {dim}")
    return CAT.apply(*ts, dim=d)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    ts = [as_tensor_arg(x) for x in tensors]
    if not ts:
        raise ValueError("stack: expects a non-empty list of tensors")
    if any(x.shape != ts[0].shape for x in ts):
        raise ShapeMismatch(f"stack: shapes {', '.join(str(x.shape) for x in ts)} differ")
    d = _wrap_dim(dim, ts[0].ndim + 1, "stack")
    return cat([unsqueeze(x, d) for x in ts], d)


def hstack(tensors) -> Tensor:
    ts = [as_tensor_arg(x) for x in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([x if as_tensor_arg(x).ndim > 1 else unsqueeze(x, 0) for x in tensors], 0)


def narrow(input, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start+length-1`` along ``dim`` (a view)."""
    from tapegrad.ops.index import getitem

    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "narrow")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` (the last may be smaller) or of the listed sizes."""
    x = as_tensor_arg(tensor)
    d = _wrap_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ShapeMismatch(
                f"split: sizes {sizes} do not add up to {n} (dim {dim} of {x.shape})"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(x, d, start, s))
        start += s
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of ceil(n / chunks) (the last may be smaller)."""
    x = as_tensor_arg(input)
    n = x.shape[_wrap_dim(dim, x.ndim, "chunk")]
    return split(x, builtins.max(1, -(-n // chunks)), dim)


def unbind(input, dim: int = 0):
    from tapegrad.ops.index import getitem

    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def select(input, dim: int, index: int) -> Tensor:
    from tapegrad.ops.index import getitem

    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, "select")
    return getitem(x, (slice(None),) * d + (index,))


# --------------------------------------------------------------------- flip
FLIP = defprim(
    "flip",
    lambda a, dims: xp.flip(a, dims).copy(),  # (a copy, as PyTorch's: NumPy's flip is a view)
    lambda g, out, a, dims: FLIP.apply(g, dims=dims),
    partials="1",
    doc="out = a reversed along `dims`",
)


@FLIP.public
def flip(input, *dims_given, dims=None) -> Tensor:
    """A copy of ``input`` with the order of its elements reversed along each
    of ``dims``.  PyTorch's forms: ``flip(x, dims)`` and ``flip(x, dims=...)``
    with a sequence, the method's ``x.flip(0, 1)``, ``x.flip((0, 1))`` and
    ``x.flip(dims=(0, 1))``; also ``flip(x, 0, 1)``."""
    x = as_tensor_arg(input)
    wrapped = tuple(_wrap_dim(d, x.ndim, "flip") for d in _flip_dims(dims_given, dims))
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return FLIP.apply(x, dims=wrapped if x.ndim else ())  # (a 0-d tensor has nothing to reverse)


def _flip_dims(dims_given: tuple, dims) -> tuple:
    """``flip``'s dimensions as a tuple of ints, from the positional form
    (``0, 1`` or one sequence) or the keyword ``dims`` (a sequence or an int)."""
    if dims_given and dims is not None:
        raise TypeError("flip(): dims given both by position and as the keyword dims")
    if dims is None:
        if not dims_given:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        dims = dims_given[0] if len(dims_given) == 1 else dims_given
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    try:
        return tuple(operator.index(d) for d in dims)
    except TypeError:
        raise TypeError(f"flip(): dims must be ints or one sequence of ints, got {dims}") from None


# ----------------------------------------------------------- triangles
def _tri_fwd(a, diagonal, lower):
    if a.ndim < 2:
        raise ValueError(
            f"{'tril' if lower else 'triu'}: input needs at least 2 dimensions, got shape {a.shape}"
        )
    return xp.tril(a, diagonal) if lower else xp.triu(a, diagonal)


TRI = defprim(
    "tri",
    _tri_fwd,
    lambda g, out, a, diagonal, lower: TRI.apply(g, diagonal=diagonal, lower=lower),
    partials="[kept]",
    doc="out = a with the entries above (tril) or below (triu) `diagonal` zeroed",
)


@TRI.public(methods=("tril",))
def tril(input, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions: entries ``[i, j]`` with
    ``j - i <= diagonal`` kept, the rest 0 (the gradient likewise)."""
    return TRI.apply(as_tensor_arg(input), diagonal=int(diagonal), lower=True)


@TRI.public(methods=("triu",))
def triu(input, diagonal: int = 0) -> Tensor:
    """The upper triangle: entries with ``j - i >= diagonal`` kept, the rest 0."""
    return TRI.apply(as_tensor_arg(input), diagonal=int(diagonal), lower=False)


def roll(input, shifts, dims=None) -> Tensor:
    """Elements shifted along ``dims`` by ``shifts`` (wrapping around); with no
    ``dims``, over the flattened tensor and back to its shape."""
    from tapegrad.ops.index import index_select

    x = as_tensor_arg(input)
    if dims is None:
        if not isinstance(shifts, int):
            raise ValueError("roll: without dims, shifts must be one int")
        return reshape(roll(reshape(x, (-1,)), shifts, 0), x.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    for shift, dim in zip(shifts, dims):
        d = _wrap_dim(dim, x.ndim, "roll")
        n = x.shape[d]
        if n:
            x = index_select(x, d, new_tensor((xp.arange(n) - shift) % n))
    return x


def tile(input, dims) -> Tensor:
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims``
    than dimensions are padded with ones in front (unlike ``repeat``)."""
    x = as_tensor_arg(input)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, *dims)


def repeat_interleave(input, repeats: int, dim=None) -> Tensor:
    """Each element repeated ``repeats`` times in place along ``dim``
    (``[a, b] -> [a, a, b, b]``); over the flattened tensor without ``dim``.
    ``repeats`` is one int."""
    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 0:
        raise TypeError(f"repeat_interleave: repeats must be a non-negative int, got {repeats!r}")
    x = as_tensor_arg(input)
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    d = _wrap_dim(dim, x.ndim, "repeat_interleave")
    shape = x.shape
    wide = expand(unsqueeze(x, d + 1), *shape[: d + 1], repeats, *shape[d + 1 :])
    return reshape(wide, shape[:d] + (shape[d] * repeats,) + shape[d + 1 :])


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: with ``indexing='ij'`` (PyTorch's
    default) output ``k`` varies along dimension ``k``; ``'xy'`` swaps the
    first two (NumPy's default).  Differentiable (each grid expands its
    input)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [as_tensor_arg(t) for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-d or 1-D tensors, got shape {tuple(t.shape)}")
    ts = [reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = tuple(t.shape[0] for t in ts)
    grids = []
    for k, t in enumerate(ts):
        view = (1,) * k + (sizes[k],) + (1,) * (len(ts) - k - 1)
        grids.append(expand(reshape(t, view), *sizes))
    if swap:  # the grids of (second, first, ...) in ij order, returned first first
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def diag(input, diagonal: int = 0) -> Tensor:
    """A 1-D ``input`` as the ``diagonal`` of a square matrix (zeros
    elsewhere); a 2-D ``input``'s ``diagonal`` as a 1-D tensor."""
    from tapegrad.ops.index import getitem

    x = as_tensor_arg(input)
    if x.ndim == 1:
        n = x.shape[0]
        size = n + builtins.abs(diagonal)
        rows = xp.arange(n) + builtins.max(-diagonal, 0)
        cols = xp.arange(n) + builtins.max(diagonal, 0)
        from tapegrad.ops.index import index_put

        return index_put(new_tensor(xp.zeros((size, size), dtype=x.dtype)), (rows, cols), x)
    if x.ndim == 2:
        r, c = x.shape
        start_r, start_c = builtins.max(-diagonal, 0), builtins.max(diagonal, 0)
        n = builtins.max(0, builtins.min(r - start_r, c - start_c))
        return getitem(x, (xp.arange(n) + start_r, xp.arange(n) + start_c))
    raise ValueError(f"diag: input must be 1-D or 2-D, got shape {tuple(x.shape)}")


# ------------------------------------------------------------------ padding
def _pad_fwd(a, widths, value):
    return xp.pad(a, widths, mode="constant", constant_values=value)


def _pad_vjp(g, out, a, widths, value):
    from tapegrad.ops.index import getitem

    return getitem(g, tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape)))


PAD = defprim(
    "pad",
    _pad_fwd,
    _pad_vjp,
    partials="1",
    doc="out = a surrounded by `value` (widths per dimension, before and after)",
)


@PAD.public(methods=())
def pad(input, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's ``F.pad``: ``pad = (left_last, right_last, left_2nd_last, ...)``
    widths from the last dimension backwards; negative widths crop.  Modes
    'constant', 'reflect', 'replicate' and 'circular'."""
    x = as_tensor_arg(input)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: {len(pad)} widths do not fit a tensor of shape {x.shape}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        crop = tuple(
            slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n)
            for (lo, hi), n in zip(widths, x.shape)
        )
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            from tapegrad.ops.index import getitem

            x = getitem(x, crop)
        widths = tuple((builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in widths)
        return PAD.apply(x, widths=widths, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: unknown mode {mode!r}; use constant, reflect, replicate or circular"
        )
    from tapegrad.ops.index import index_select

    out = x
    for d, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        n = x.shape[d]
        pos = xp.arange(-lo, n + hi)
        if mode == "replicate":
            idx = xp.clip(pos, 0, n - 1)
        elif mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError(
                    f"pad: circular padding ({lo}, {hi}) of dim {d} with size {n} wraps "
                    "around more than once; each width must be at most the size"
                )
            idx = pos % n
        else:
            if lo >= n or hi >= n:
                raise RuntimeError(
                    f"pad: reflect padding ({lo}, {hi}) of dim {d} must be less than its size {n}"
                )
            period = 2 * (n - 1)
            m = pos % period
            idx = xp.where(m < n, m, period - m)
        out = index_select(out, d, new_tensor(idx.astype(B.int64)))
    return out
