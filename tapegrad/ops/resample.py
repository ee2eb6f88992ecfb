"""Resampling: one primitive, ``resample``, that applies a sparse linear map
along one or more axes, and the maps of average pooling, adaptive average
pooling and interpolation (``F.interpolate``) built for it.

Along one axis a map ``A`` gives each output position ``j`` a few taps::

    out[..., j, ...] = sum_t w[j, t] * a[..., i[j, t], ...]

(an average-pooling window: the window's positions, weights ``1/divisor``;
linear interpolation: the two neighbours, weights ``1 - lambda`` and
``lambda``; nearest: one tap of weight 1).  A 2-D map applies one such map
along W, then one along H, which is PyTorch's order of operations for
bilinear and bicubic interpolation.  The map is linear in ``a``, so its vjp
is the transposed map ``A^T g``: the same primitive again, and second
derivatives come free.  A tap column that reads a regular stride of the axis
is a slice (a view), any other a gather (``take``).

Speed: along a short last or second-to-last axis (at most 16 positions per
tap), the map is applied as a matrix product instead, ``a @ D^T`` with ``D``
the dense ``(n_out, size)`` matrix: BLAS beats a few passes of NumPy per tap
there (measured 2 to 5 times faster for pooling and 2x interpolation of
24 x 24 maps).  Only for finite floats: in a product, ``0 * inf`` would
spread a NaN along the whole line.
"""

from __future__ import annotations

import functools
import math

from tapegrad import backend as B
from tapegrad.ops.registry import defprim

xp = B.xp
_BLAS = (B.float32, B.float64)  # (the dtypes a matrix product runs fast in)


class AxisMap:
    """A linear map along one axis: ``out[j] = sum_t weight[j, t] a[index[j, t]]``.

    ``index`` is ``(n_out, T)`` (positions into an axis of length ``size``),
    ``weight`` the same shape, or ``None`` for a single tap of weight 1 (a
    pure selection, which also works on integer arrays).  Immutable; ``.T``
    is the transposed map, made once."""

    __slots__ = ("index", "weight", "size", "_picks", "_transposed", "_dense")

    def __init__(self, index, weight, size: int):
        self.index = xp.asarray(index, dtype=B.int64)
        self.weight = weight
        self.size = int(size)
        self._picks = tuple(column_pick(self.index[:, t]) for t in range(self.index.shape[1]))
        self._transposed = None
        self._dense = {}

    @property
    def n_out(self) -> int:
        return self.index.shape[0]

    @property
    def T(self) -> AxisMap:
        """``A^T``: each input position gets the outputs whose taps read it."""
        if self._transposed is None:
            self._transposed = _transpose(self)
            self._transposed._transposed = self
        return self._transposed

    def dense(self, dtype):
        """The map as a matrix ``D (n_out, size)`` of ``dtype``: ``out = D a``."""
        d = self._dense.get(dtype)
        if d is None:
            d = xp.zeros((self.n_out, self.size))
            rows = xp.broadcast_to(xp.arange(self.n_out)[:, None], self.index.shape)
            B.scatter_add(d, (rows, self.index), 1.0 if self.weight is None else self.weight)
            d = self._dense[dtype] = d.astype(dtype)
        return d

    def apply(self, a, axis: int):
        """The map applied along ``axis`` of the array ``a`` (a new array)."""
        axis %= a.ndim
        if (
            a.dtype in _BLAS
            and axis >= a.ndim - 2
            and self.size <= 16 * self.index.shape[1]
            and xp.isfinite(a).all()
        ):
            d = self.dense(a.dtype)
            return a @ d.T if axis == a.ndim - 1 else xp.matmul(d, a)
        with xp.errstate(invalid="ignore"):  # (inf * 0 is NaN, as in PyTorch, silently)
            return self._taps(a, axis)

    def _taps(self, a, axis: int):
        lead = (slice(None),) * axis
        shape = (-1,) + (1,) * (a.ndim - axis - 1)  # a weight column, broadcast along `axis`
        out = None
        for t, pick in enumerate(self._picks):
            v = a[lead + (pick,)] if isinstance(pick, slice) else xp.take(a, pick, axis=axis)
            if self.weight is not None:
                v = v * self.weight[:, t].astype(a.dtype, copy=False).reshape(shape)
            if out is None:  # (a new array: a slice of `a` is copied)
                out = v.copy() if self.weight is None and isinstance(pick, slice) else v
            else:
                out += v
        return out


def column_pick(column):
    """A column of positions as a slice when it reads a regular stride, else
    the array itself (for ``take``)."""
    if column.size < 2:
        return slice(int(column[0]), int(column[0]) + 1) if column.size else column
    step = int(column[1] - column[0])
    if step > 0 and (xp.diff(column) == step).all():
        return slice(int(column[0]), int(column[-1]) + 1, step)
    return column


def _transpose(m: AxisMap) -> AxisMap:
    """``A^T`` as taps: the (output, weight) pairs that read each input
    position, in output order, padded with weight 0 to the largest count."""
    n, taps = m.index.shape
    weight = m.weight if m.weight is not None else xp.ones((n, taps), dtype=B.float64)
    keep = (weight != 0).ravel()
    src = m.index.ravel()[keep]
    dst = xp.repeat(xp.arange(n), taps)[keep]
    w = weight.ravel()[keep]
    order = xp.argsort(src, kind="stable")
    src, dst, w = src[order], dst[order], w[order]
    counts = xp.bincount(src, minlength=m.size)
    width = max(int(counts.max(initial=0)), 1)
    slot = xp.arange(src.size) - (xp.cumsum(counts) - counts)[src]
    index = xp.zeros((m.size, width), dtype=B.int64)
    weights = xp.zeros((m.size, width), dtype=weight.dtype)
    index[src, slot] = dst
    weights[src, slot] = w
    if m.weight is None and width == 1 and (counts == 1).all():
        weights = None  # a permutation stays a pure selection
    return AxisMap(index, weights, n)


# ================================================================ the entry
def _resample_fwd(a, maps):
    for axis, m in maps:
        a = m.apply(a, axis)
    return a


def _resample_vjp(g, out, a, maps):
    return RESAMPLE.apply(g, maps=tuple((axis, m.T) for axis, m in reversed(maps)))


RESAMPLE = defprim(
    "resample",
    _resample_fwd,
    _resample_vjp,
    partials="A (the map: pooling or interpolation weights)",
    arrays=True,
    doc="out = a with a sparse linear map applied along each given axis, "
    "out[.., j, ..] = sum_t w[j, t] a[.., i[j, t], ..] (average pooling, interpolation)",
)


def resample(x, maps):
    """``RESAMPLE`` on a tensor: ``maps`` is a sequence of ``(axis, AxisMap)``
    applied in order."""
    return RESAMPLE.apply(x, maps=tuple(maps))


# ============================================================ the maps
# Each builder is cached: a training loop asks for the same maps every step.
_cached = functools.lru_cache(maxsize=256)


def _frozen(*arrays):
    for a in arrays:
        if a is not None:
            a.flags.writeable = False


@_cached
def window_map(size: int, out: int, kernel: int, stride: int, padding: int, divisor, dtype):
    """Average pooling along one axis (PyTorch's windows): window ``o`` spans
    ``[o s - p, min(o s - p + k, size + p))``, of which the part inside the
    input is summed and divided by ``divisor``: ``"window"`` (its length with
    the padding, ``count_include_pad``), ``"valid"`` (the part inside) or a
    number (``divisor_override``, 1 along all axes but one)."""
    start = xp.arange(out) * stride - padding
    end = xp.minimum(start + kernel, size + padding)
    lo, hi = xp.maximum(start, 0), xp.minimum(end, size)
    valid = hi - lo
    t = xp.arange(kernel)
    index = lo[:, None] + xp.minimum(t[None, :], valid[:, None] - 1)
    if divisor == "window":
        scale = 1 / (end - start).astype(dtype)
    elif divisor == "valid":
        scale = 1 / valid.astype(dtype)
    else:
        scale = xp.full(out, 1 / dtype.type(divisor), dtype=dtype)
    weight = xp.where(t[None, :] < valid[:, None], scale[:, None], 0).astype(dtype)
    _frozen(index, weight)
    return AxisMap(index, weight, size)


@_cached
def adaptive_map(size: int, out: int, dtype):
    """Adaptive average pooling along one axis: window ``o`` is
    ``[floor(o size / out), ceil((o + 1) size / out))``, averaged."""
    o = xp.arange(out)
    start = o * size // out
    end = ((o + 1) * size + out - 1) // out
    length = end - start
    t = xp.arange(int(length.max(initial=1)))
    index = start[:, None] + xp.minimum(t[None, :], length[:, None] - 1)
    weight = xp.where(t[None, :] < length[:, None], 1 / length.astype(dtype)[:, None], 0)
    weight = weight.astype(dtype)
    _frozen(index, weight)
    return AxisMap(index, weight, size)


def _source_scale(size: int, out: int, scale, ftype):
    """PyTorch's ``compute_scales_value``: ``1/scale_factor`` when one was
    given, else ``size/out``, in the kernel's float type."""
    if scale is not None and scale > 0:
        return ftype.type(1.0 / scale)
    return ftype.type(size) / ftype.type(out)


@_cached
def nearest_map(size: int, out: int, scale, exact: bool, shortcuts: bool = False):
    """'nearest': ``src = min(floor(dst * s), size - 1)`` in float32 with
    ``s`` the source scale (PyTorch's legacy rule); 'nearest-exact':
    ``min(floor((dst + 0.5) s), size - 1)``.  With ``shortcuts`` (PyTorch's
    2-D kernel, not its 1-D and 3-D ones), an output of the input's size
    copies it and one of twice its size repeats each element, whatever the
    scale factor."""
    dst = xp.arange(out)
    s = _source_scale(size, out, scale, B.float32)
    if shortcuts and out == size:
        src = dst
    elif shortcuts and out == 2 * size:
        src = dst >> 1
    else:
        src = xp.floor((dst + (0.5 if exact else 0)).astype(B.float32) * s).astype(B.int64)
    index = xp.minimum(src, size - 1)[:, None]
    _frozen(index)
    return AxisMap(index, None, size)


def _linear_source(size: int, out: int, align_corners: bool, scale, ftype, cubic: bool):
    """PyTorch's ``area_pixel_compute_source_index``: the real source
    coordinate of each output position, in the kernel's float type."""
    dst = xp.arange(out).astype(ftype)
    if align_corners:
        s = ftype.type(size - 1) / ftype.type(out - 1) if out > 1 else ftype.type(0)
        return s * dst
    s = _source_scale(size, out, scale, ftype)
    half = ftype.type(0.5)
    src = s * (dst + half) - half
    return src if cubic else xp.maximum(src, ftype.type(0))


def _index_and_lambda(src, size: int, ftype):
    """PyTorch's ``guard_index_and_lambda``."""
    i0 = xp.minimum(xp.floor(src).astype(B.int64), size - 1)
    lam = xp.clip(src - i0.astype(ftype), ftype.type(0), ftype.type(1))
    return i0, lam


@_cached
def linear_map(size: int, out: int, align_corners: bool, scale, dtype):
    """'linear' along one axis: ``out = (1 - l) a[i0] + l a[i0 + 1]`` at the
    source coordinate ``i0 + l`` (computed as PyTorch computes it, in
    float32 for float32 and float16 inputs, float64 for float64)."""
    ftype = B.float64 if dtype == B.float64 else B.float32
    if out == size:
        index = xp.arange(size)[:, None]
        weight = xp.ones((size, 1), dtype=dtype)
    else:
        src = _linear_source(size, out, align_corners, scale, ftype, cubic=False)
        i0, lam = _index_and_lambda(src, size, ftype)
        i1 = i0 + (i0 < size - 1)
        index = xp.stack([i0, i1], axis=1)
        weight = xp.stack([ftype.type(1) - lam, lam], axis=1).astype(dtype)
    _frozen(index, weight)
    return AxisMap(index, weight, size)


_CUBIC_A = -0.75


def _cubic_weights(t, ftype):
    """Keys' cubic convolution weights (A = -0.75) of the four neighbours
    ``i - 1 .. i + 2`` at the fraction ``t``."""
    a = ftype.type(_CUBIC_A)
    one = ftype.type(1)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + one

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + one), near(t), near(one - t), far(one - t + one)]


@_cached
def cubic_map(size: int, out: int, align_corners: bool, scale, dtype):
    """'bicubic' along one axis: four neighbours ``i0 - 1 .. i0 + 2``
    (clamped to the axis) with Keys' weights at the fraction ``l``."""
    ftype = B.float64 if dtype == B.float64 else B.float32
    src = _linear_source(size, out, align_corners, scale, ftype, cubic=True)
    i0, lam = _index_and_lambda(src, size, ftype)
    index = xp.clip(i0[:, None] + xp.arange(-1, 3)[None, :], 0, size - 1)
    weight = xp.stack(_cubic_weights(lam, ftype), axis=1).astype(dtype)
    _frozen(index, weight)
    return AxisMap(index, weight, size)


def output_size(size: int, scale: float) -> int:
    """The output length PyTorch gives ``size * scale_factor``: its floor."""
    return int(math.floor(float(size) * scale))
