"""Max pooling: the primitive ``max_pool2d`` and the pair that moves values
to and from each window's maximum (``pool_scatter``, ``pool_gather``).

A window's maximum is found by a scan over the kernel's positions in
row-major order, as PyTorch scans them: the first maximum wins a tie, and a
window holding NaN gives NaN, at its last NaN.  The scan keeps, for every
output, ``code``, the position of its maximum inside the window; PyTorch's
indices (into the flattened, unpadded input plane) are computed from it.

The vjp of ``max_pool2d`` sends each output's gradient to its maximum,
``pool_scatter``; the vjp of that is ``pool_gather`` (the value at each
maximum), whose vjp is ``pool_scatter`` again, so second derivatives work.
Max pooling in 1-D is the 2-D op on a plane of height 1.

Speed: what one kernel position reads in every window is a strided view of
the (padded) input; the scan copies it out and compares it with the best so
far, a few whole-array operations per kernel position.  The gradient goes
back through the same views where windows are disjoint, and by ``bincount``
over the flattened planes where they overlap (one pass over the outputs
instead of one per kernel position).  For ``max_pool2d(x, 2)`` on
``(64, 64, 24, 24)`` float32 that is about 2 ms forward and 2 to 3 ms
backward (PyTorch 2.13 on the CPU: about 6.5 ms forward, 7 ms forward and
backward); a reshape-and-reduce fast path measured 20 times slower than
the scan and a tournament between the four quarters of the windows no
faster, so there is one mechanism.
"""

from __future__ import annotations

import functools

from tapegrad import backend as B
from tapegrad.ops.registry import ShapeError, defprim
from tapegrad.ops.resample import column_pick
from tapegrad.tensor import Tensor

xp = B.xp


class PoolArgumentError(ValueError, RuntimeError):
    """An argument of a pooling or resampling op is out of range: a
    ``ValueError`` that is also the ``RuntimeError`` PyTorch raises."""


# ================================================================ windows
def pool_output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's output length: ``floor((size + 2p - d(k-1) - 1) / s) + 1``
    (the ceiling with ``ceil_mode``, where the last window must start inside
    the input or the left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class Windows:
    """The pooling windows of a plane: for each output row (column), the
    rows (columns) of the padded input its window reads, ``rows (oh, kh)``
    and ``cols (ow, kw)``, the padding ``(top, bottom, left, right)`` and
    the input plane ``(H, W)``.  A table column with a regular stride is
    read as a slice."""

    def __init__(self, rows, cols, pad, plane):
        self.rows, self.cols, self.pad, self.plane = rows, cols, pad, plane
        self.out = (rows.shape[0], cols.shape[0])
        self.row_picks = [column_pick(rows[:, i]) for i in range(rows.shape[1])]
        self.col_picks = [column_pick(cols[:, j]) for j in range(cols.shape[1])]
        self.sliced = all(isinstance(p, slice) for p in self.row_picks + self.col_picks)
        self.disjoint = _distinct(rows) and _distinct(cols)
        # every input position in exactly one window: nothing left over to zero
        self.tiles = self.disjoint and not any(pad) and rows.size * cols.size == plane[0] * plane[1]

    def padded(self, a, fill):
        """``a`` inside its padding, filled with ``fill`` (``a`` itself when unpadded)."""
        top, bottom, left, right = self.pad
        if not any(self.pad):
            return a
        h, w = a.shape[-2:]
        out = _laid_out_as(a, a.shape[:-2] + (top + h + bottom, left + w + right), a.dtype)
        out.fill(fill)
        out[..., top : top + h, left : left + w] = a
        return out

    def view(self, p, i: int, j: int):
        """What kernel position ``(i, j)`` of every window reads from the padded ``p``."""
        rows, cols = self.row_picks[i], self.col_picks[j]
        v = p[..., rows, :] if isinstance(rows, slice) else xp.take(p, rows, axis=-2)
        return v[..., cols] if isinstance(cols, slice) else xp.take(v, cols, axis=-1)

    def flat_index(self, code):
        """PyTorch's index (into the flattened, unpadded plane) of the window
        position ``code`` of every window: a lookup in the table of every
        window's positions."""
        oh, ow = self.out
        k = self.rows.shape[1] * self.cols.shape[1]
        rows, cols, w = self.rows - self.pad[0], self.cols - self.pad[2], self.plane[1]
        table = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(-1)
        start = (xp.arange(oh * ow) * k).reshape(oh, ow)  # each window's first entry
        return table[start + code]

    def first_valid(self):
        """The code of each window's first position inside the input (PyTorch's
        index of a window whose values are all the lowest value)."""
        (h, w), (top, _, left, _) = self.plane, self.pad
        i0 = ((self.rows >= top) & (self.rows < top + h)).argmax(axis=1)
        j0 = ((self.cols >= left) & (self.cols < left + w)).argmax(axis=1)
        return i0[:, None] * self.cols.shape[1] + j0[None, :]


def _distinct(table) -> bool:
    return xp.unique(table).size == table.size


@functools.lru_cache(maxsize=256)  # (a training loop asks for the same windows every step)
def regular_windows(plane, kernel_size, stride, padding, dilation, ceil_mode) -> Windows:
    """PyTorch's windows: output ``o`` reads ``o s + i d`` (padded coordinates)."""
    tables, pads = [], []
    for n, k, s, p, d in zip(plane, kernel_size, stride, padding, dilation):
        out = pool_output_size(n, k, s, p, d, ceil_mode)
        table = xp.arange(out)[:, None] * s + xp.arange(k)[None, :] * d
        tables.append(table)
        pads += [p, max(0, int(table[-1, -1]) + 1 - (n + p))]
    return Windows(tables[0], tables[1], tuple(pads), tuple(plane))


@functools.lru_cache(maxsize=256)
def adaptive_windows(plane, out) -> Windows:
    """Adaptive windows: ``[floor(o n / out), ceil((o + 1) n / out))``, the
    shorter ones filled up with their last position (which changes neither
    the maximum nor which position is first or last to hold it)."""
    tables = []
    for n, m in zip(plane, out):
        o = xp.arange(m)
        start = o * n // m
        length = ((o + 1) * n + m - 1) // m - start
        t = xp.arange(int(length.max(initial=1)))
        tables.append(start[:, None] + xp.minimum(t[None, :], length[:, None] - 1))
    return Windows(tables[0], tables[1], (0, 0, 0, 0), tuple(plane))


# ================================================================ the argmax
class Argmax:
    """Where each window's maximum is, for an input of ``shape``: ``code``
    (the position in the window, row-major over the kernel) with its
    ``windows``, or directly ``index``, PyTorch's index into the flattened
    unpadded plane (made from ``code`` when asked for).  ``values`` holds
    the maxima between the scan and the forward that returns them."""

    def __init__(self, shape, code=None, windows: Windows | None = None, index=None):
        self.shape, self.code, self.windows, self._index = tuple(shape), code, windows, index
        self.values = None

    @property
    def out_shape(self) -> tuple:
        return (self.code if self.code is not None else self._index).shape

    @property
    def index(self):
        if self._index is None:
            self._index = self.windows.flat_index(self.code)
        return self._index


def _lowest(dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _scan(a, win: Windows, nan_rule: bool):
    """The maxima of the windows of ``a`` and the code of each, by a scan over
    the kernel positions: a position takes over when it is greater (or, with
    ``nan_rule``, NaN).  Codes only grow during the scan, so taking over is
    ``code = max(code, better * k)``.  Each position's view is copied out
    first, into buffers laid out as the input is (a channels-last input
    gives channels-last outputs, as in PyTorch): the comparisons then run on
    contiguous memory, several times faster than on the strided view."""
    p = win.padded(a, _lowest(a.dtype))
    kh, kw = win.rows.shape[1], win.cols.shape[1]
    ctype = B.uint8 if kh * kw <= 256 else B.int32
    first = win.first_valid()
    view = win.view(p, 0, 0)

    def buffer(dtype):
        return xp.empty_like(view, dtype=dtype, order="K")

    v, better, moved, best = buffer(a.dtype), buffer(bool), buffer(ctype), buffer(a.dtype)
    nan = buffer(bool) if nan_rule else None
    code = buffer(ctype)
    if first.any():  # some windows start in the padding
        best.fill(_lowest(a.dtype))
        code[...] = first.astype(ctype)
        start = 0
    else:  # every window's first position opens its scan
        xp.copyto(best, view)
        code.fill(0)
        start = 1
    for k in range(start, kh * kw):
        xp.copyto(v, win.view(p, k // kw, k % kw))
        xp.greater(v, best, out=better)
        if nan_rule:
            xp.logical_or(better, xp.isnan(v, out=nan), out=better)
        xp.maximum(best, v, out=best)
        xp.multiply(better, ctype.type(k), out=moved)
        xp.maximum(code, moved, out=code)
    return best, code


def window_argmax(a, kernel_size, stride, padding, dilation, ceil_mode) -> Argmax:
    """The maxima of max pooling over the last two axes of the array ``a``
    and where they are (the ``Argmax``, its ``values`` set)."""
    if isinstance(a, Tensor):  # (the vjps on tensors compute it again from the input)
        a = a._array
    win = regular_windows(a.shape[-2:], kernel_size, stride, padding, dilation, ceil_mode)
    return _argmax(a, win)


def _argmax(a, win: Windows) -> Argmax:
    values, code = _scan(a, win, nan_rule=False)
    if a.dtype.kind == "f" and xp.isnan(values).any():  # (NaN is rare: scan again for it)
        values, code = _scan(a, win, nan_rule=True)
    am = Argmax(a.shape, code, win)
    am.values = values
    return am


def adaptive_argmax(a, out) -> Argmax:
    """Adaptive max pooling's maxima and where they are."""
    return _argmax(a, adaptive_windows(a.shape[-2:], out))


# ================================================================ entries
def _max_pool_fwd(a, aux, kernel_size, stride, padding, dilation, ceil_mode):
    values, aux.values = aux.values, None
    return values


def _max_pool_vjp(g, out, a, aux, kernel_size, stride, padding, dilation, ceil_mode):
    return POOL_SCATTER.apply(g, where=aux, accumulate=True)


MAX_POOL2D = defprim(
    "max_pool2d",
    _max_pool_fwd,
    _max_pool_vjp,
    partials="1 at each window's maximum, else 0",
    saves=(0,),
    saves_aux=window_argmax,
    arrays=True,
    doc="out[.., i, j] = the maximum of a over window (i, j) of the last two axes "
    "(kernel, stride, padding with -inf, dilation, ceil_mode as PyTorch)",
)


def _order(a) -> tuple:
    """The axes of ``a`` from the slowest-varying in memory to the fastest."""
    return tuple(sorted(range(a.ndim), key=lambda i: -a.strides[i]))


def _laid_out_as(like, shape, dtype, zero: bool = False):
    """A new array of ``shape`` whose axes lie in memory in the order of
    ``like``'s (a gradient laid out as its input, as in PyTorch)."""
    order = _order(like)
    new = (xp.zeros if zero else xp.empty)(tuple(shape[i] for i in order), dtype=dtype)
    return new.transpose(tuple(order.index(i) for i in range(len(order))))


def _scatter_windows(g, am: Argmax):
    """``g`` sent to the window positions its codes name when no two windows
    share a position: one strided write per kernel position,
    ``g * (code == k)`` where ``g`` is finite (several times faster than
    ``where``, which keeps infinities and NaN out of the other positions)."""
    win = am.windows
    top, bottom, left, right = win.pad
    h, w = win.plane
    shape = am.shape[:-2] + (top + h + bottom, left + w + right)
    out = _laid_out_as(am.code, shape, g.dtype, zero=not win.tiles)
    if _order(g) != _order(am.code):  # (one copy: then every pass below streams)
        laid = xp.empty_like(am.code, dtype=g.dtype)
        xp.copyto(laid, g)
        g = laid
    finite = g.dtype.kind != "f" or bool(xp.isfinite(g).all())
    zero = xp.zeros((), g.dtype)
    hit = xp.empty_like(am.code, dtype=bool)
    kw = win.cols.shape[1]
    for k in range(win.rows.shape[1] * kw):
        part = out[..., win.row_picks[k // kw], win.col_picks[k % kw]]
        xp.equal(am.code, k, out=hit)
        if finite:
            xp.multiply(g, hit, out=part)
        else:
            part[...] = xp.where(hit, g, zero)
    return out[..., top : top + h, left : left + w] if any(win.pad) else out


def _plane_rows(shape):
    lead = 1
    for n in shape[:-2]:
        lead *= n
    return lead, shape[-2] * shape[-1]


def _scatter_fwd(g, where: Argmax, accumulate: bool):
    """Disjoint windows: through the window views; else by index into the
    flattened planes, summed with ``bincount`` where windows overlap (one
    pass over the outputs, not one per kernel position)."""
    win = where.windows
    if where.code is not None and win.sliced and win.disjoint:
        return _scatter_windows(g, where)
    lead, plane = _plane_rows(where.shape)
    flat = (xp.arange(lead)[:, None] * plane + where.index.reshape(lead, -1)).reshape(-1)
    if accumulate and g.dtype.kind == "f":
        out = xp.bincount(flat, weights=g.reshape(-1), minlength=lead * plane)
        return out.astype(g.dtype, copy=False).reshape(where.shape)
    out = xp.zeros(lead * plane, dtype=g.dtype)
    if accumulate:
        B.scatter_add(out, flat, g.reshape(-1))
    else:
        out[flat] = g.reshape(-1)
    return out.reshape(where.shape)


def _gather_fwd(a, where: Argmax):
    lead, plane = _plane_rows(where.shape)
    index = where.index.reshape(lead, -1)
    return xp.take_along_axis(a.reshape(lead, plane), index, axis=1).reshape(where.out_shape)


POOL_SCATTER = defprim(
    "pool_scatter",
    _scatter_fwd,
    lambda g, out, a, where, accumulate: POOL_GATHER.apply(g, where=where),
    partials="1 at each window's maximum",
    arrays=True,
    doc="out = zeros of the pooled input's shape with a[i] added (or, for "
    "max_unpool, written) at the position of window i's maximum",
)
POOL_GATHER = defprim(
    "pool_gather",
    _gather_fwd,
    lambda g, out, a, where: POOL_SCATTER.apply(g, where=where, accumulate=True),
    partials="1 at each window's maximum",
    arrays=True,
    doc="out[i] = a at the position of window i's maximum",
)


def check_plane(shape, op: str, spatial: int) -> None:
    """The input is ``(C, *spatial)`` or ``(N, C, *spatial)`` with non-zero C
    and spatial sizes (N may be 0)."""
    if len(shape) not in (spatial + 1, spatial + 2) or 0 in shape[-spatial - 1 :]:
        names = ("L",) if spatial == 1 else ("H", "W")
        inner = ", ".join(("C",) + names)
        raise ShapeError(
            f"{op}: expects a {spatial + 1}-D ({inner}) or {spatial + 2}-D (N, {inner}) input "
            f"with non-zero sizes, got shape {tuple(shape)}"
        )
