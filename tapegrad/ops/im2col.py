"""The array kernels behind the convolutions of ``tapegrad.ops.conv``: window
views, im2col, one matrix product per block, col2im.

A convolution of ``x (N, C, *sp)`` with ``w (O, C/G, *k)`` (``G`` groups) is,
for every output position ``p`` and output channel ``o`` of group ``g``::

    out[n, o, p] = sum_{c, q} w[o, c, q] * x[n, g C/G + c, p * stride + q * dilation]

* **Windows, no copy.** ``windows`` is an ``as_strided`` view
  ``(N, *out, G, *k, C/G)`` of the (zero-padded) input: the window under each
  output position, channels innermost.
* **im2col, then one GEMM.** A block of images is copied out of that view
  into ``cols (G, rows, Kg)`` (``rows`` = images x output positions,
  ``Kg = prod(k) C/G``) and multiplied by the weight as a matrix
  ``(G, Kg, O/G)``: one BLAS product per group and block.
* **Channels-last results.** The product's rows are output positions, its
  columns channels, so the result is written ``(N, *out, O)`` and handed on
  as the view ``(N, O, *out)``: no transposing copy, and the next
  convolution's windows read runs of whole channels.
* **col2im by strided adds.** The adjoint (``conv_transpose``, ``fold``)
  multiplies first and then adds each kernel offset's slab into the strided
  slice of the zeroed result it came from: ``prod(k)`` vectorised adds.
* **Blocks.** The batch goes through in blocks of images whose ``cols`` take
  about ``BLOCK_BYTES``: the copy and the product then meet in the cache,
  which measured faster than one product for the whole batch, and the
  memory a convolution needs does not grow with the batch.
* **Parts on threads.** The batch is first cut into one contiguous part
  per thread (``tapegrad.intraop.split_batch``), and each part goes
  through its blocks on its own thread with the BLAS at one thread: copy,
  product and adds of a block stay in one core's cache.  The weight
  gradient sums the parts' products in part order.

Padding is ``((lo, hi), ...)`` per spatial dimension; a negative ``hi``
drops trailing entries (the geometry of a transposed convolution's
``output_padding``).  Every function takes and returns arrays of one dtype.
"""

from __future__ import annotations

import itertools
import math

from tapegrad import backend as B
from tapegrad.intraop import split_batch

xp = B.xp
_as_strided = xp.lib.stride_tricks.as_strided

#: bytes of ``cols`` per block of images (the L2/L3 sweet spot, measured)
BLOCK_BYTES = 1 << 22


def output_size(size, kernel, stride, padding, dilation) -> tuple:
    """The number of windows along each spatial dimension:
    ``(size + lo + hi - dilation (k - 1) - 1) // stride + 1``."""
    return tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(size, kernel, stride, padding, dilation)
    )


def _check_windows(size, out, kernel, stride, padding, dilation, op: str) -> None:
    """``out`` must be the number of windows over ``size``: the window views
    read memory by strides, so a mismatch is refused here."""
    if tuple(out) != output_size(size, kernel, stride, padding, dilation):
        raise ValueError(
            f"{op}: {tuple(out)} windows do not fit an input of size {tuple(size)} with "
            f"kernel {tuple(kernel)}, stride {stride}, padding {padding}, dilation {dilation}"
        )


def padded(x, padding):
    """``x (N, C, *sp)`` with ``lo`` zeros before and ``hi`` after each spatial
    dimension (a negative ``hi`` crops), in channels-last memory."""
    if not any(lo or hi for lo, hi in padding):
        return x
    x = x[_spatial(slice(0, n + min(hi, 0)) for n, (_, hi) in zip(x.shape[2:], padding))]
    if not any(lo or hi > 0 for lo, hi in padding):
        return x
    size = tuple(n + lo + max(hi, 0) for n, (lo, hi) in zip(x.shape[2:], padding))
    buf = xp.zeros((x.shape[0],) + size + (x.shape[1],), x.dtype)
    view = xp.moveaxis(buf, -1, 1)
    view[_interior(x.shape[2:], padding)] = x
    return view


def _spatial(slices) -> tuple:
    """An index of ``(N, C, *sp)`` taking ``slices`` along the spatial dimensions."""
    return (slice(None), slice(None), *slices)


def _interior(size, padding) -> tuple:
    """The index of the unpadded ``size`` inside ``(N, C, *padded)``."""
    return _spatial(slice(lo, lo + n) for n, (lo, _) in zip(size, padding))


def windows(x, kernel, out, stride, dilation, groups: int):
    """The read-only view ``(N, *out, G, *k, C/G)`` of ``x (N, C, *sp)``
    whose entry ``[n, p, g, q, c]`` is ``x[n, g C/G + c, p stride + q dilation]``."""
    sn, sc, *ss = x.strides
    per_group = x.shape[1] // groups
    shape = (x.shape[0], *out, groups, *kernel, per_group)
    strides = (
        sn,
        *(s * st for s, st in zip(ss, stride)),
        sc * per_group,
        *(s * d for s, d in zip(ss, dilation)),
        sc,
    )
    return _as_strided(x, shape, strides, writeable=False)


def _blocks(n: int, bytes_per_image: int) -> list:
    """Slices of the batch ``0..n`` of about ``BLOCK_BYTES`` each."""
    step = max(1, BLOCK_BYTES // max(bytes_per_image, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _im2col_blocks(win, groups: int):
    """For each block of images, ``(block, cols)``: the windows ``(n, *out,
    G, *k, C/G)`` of the block copied into one matrix per group,
    ``cols (G, rows, Kg)``, in one buffer reused from block to block."""
    d = (win.ndim - 3) // 2
    per_group = math.prod(win.shape[d + 2 :])
    blocks = _blocks(win.shape[0], math.prod(win.shape[1:]) * win.itemsize)
    buf = xp.empty((blocks[0].stop,) + win.shape[1:], win.dtype) if blocks else None
    # one channel per group: copied kernel offset by kernel offset, whose
    # runs along the output rows are longer than a window's row (measured)
    offsets = _offsets(win.shape[d + 2 : -1]) if win.shape[-1] == 1 else None
    for blk in blocks:
        cols = buf[: blk.stop - blk.start]
        if offsets is None:
            xp.copyto(cols, win[blk])
        else:
            block = win[blk]
            for q in offsets:
                at = (Ellipsis, *q, 0)
                cols[at] = block[at]
        yield blk, cols.reshape(-1, groups, per_group).transpose(1, 0, 2)


def _rows(y, groups: int):
    """``y (n, O, *out)`` as one matrix per group, ``(G, rows, O/G)``: a view
    when ``y`` is channels-last in memory."""
    cl = xp.moveaxis(y, 1, -1)
    return cl.reshape(-1, groups, y.shape[1] // groups).transpose(1, 0, 2)


def _offsets(kernel):
    return list(itertools.product(*(range(k) for k in kernel)))


def _window_slices(q, out, stride, dilation) -> tuple:
    """Where the windows' entries at kernel offset ``q`` lie in the input."""
    return tuple(
        slice(qi * d, qi * d + s * (o - 1) + 1, s) for qi, o, s, d in zip(q, out, stride, dilation)
    )


# ------------------------------------------------------------ convolution
def conv(x, w, b, stride, padding, dilation, groups):
    """``out (N, O, *out)``, the convolution above (``b (O,)`` added): per
    block, im2col and one product ``cols @ W`` per group, written channels-last."""
    n, o, kernel = x.shape[0], w.shape[0], w.shape[2:]
    xpad = padded(x, padding)
    out_sp = output_size(x.shape[2:], kernel, stride, padding, dilation)
    win = windows(xpad, kernel, out_sp, stride, dilation, groups)
    wm = _weight_matrix(w, groups)  # (G, Kg, O/G)
    out = xp.empty((n, *out_sp, o), dtype=x.dtype)

    def images(lo, hi):
        for blk, cols in _im2col_blocks(win[lo:hi], groups):
            dest = out[lo:hi][blk]
            xp.matmul(cols, wm, out=dest.reshape(-1, groups, o // groups).transpose(1, 0, 2))
            if b is not None:  # (while the block is in the cache)
                dest += b

    split_batch(n, images)
    return xp.moveaxis(out, -1, 1)


def _weight_matrix(w, groups: int):
    """``w (O, C/G, *k)`` as ``(G, Kg, O/G)``, rows ordered as the windows' (k, c)."""
    o, c, kernel = w.shape[0], w.shape[1], w.shape[2:]
    d = len(kernel)
    wg = w.reshape(groups, o // groups, c, *kernel)
    wg = wg.transpose(0, *range(3, 3 + d), 2, 1)  # (G, *k, C/G, O/G)
    return wg.reshape(groups, -1, o // groups)


def conv_transpose(y, w, b, size, stride, padding, dilation, groups):
    """The adjoint of ``conv`` in its input, ``out (N, C, *size)``, for
    ``y (N, O, *out)``: per block, ``prods = rows(y) @ W_q^T`` for every kernel
    offset ``q`` in one batched product, then col2im (``b (C,)`` added)."""
    n, out_sp, kernel = y.shape[0], y.shape[2:], w.shape[2:]
    _check_windows(size, out_sp, kernel, stride, padding, dilation, "conv_transpose")
    per_group = w.shape[1]
    full = tuple(s + lo + max(hi, 0) for s, (lo, hi) in zip(size, padding))
    buf = xp.empty((n, *full, groups, per_group), dtype=y.dtype)
    wq = _weight_per_offset(w, groups)  # (G, prod(k), O/G, C/G)
    offsets = _offsets(kernel)
    where = [(slice(None),) + _window_slices(q, out_sp, stride, dilation) for q in offsets]
    inner = (slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(size, padding)))
    image = math.prod(out_sp) * len(offsets) * per_group * groups * y.itemsize

    def images(lo, hi):
        blocks = _blocks(hi - lo, image)
        if not blocks:  # an empty batch
            return
        # the products of a block, one buffer for all blocks
        space = xp.empty(
            (groups, len(offsets), blocks[0].stop * math.prod(out_sp), per_group), y.dtype
        )
        for blk in blocks:
            rows = _rows(y[lo:hi][blk], groups)
            prods = space[:, :, : rows.shape[1]]
            xp.matmul(rows[:, None], wq, out=prods)  # (G, prod(k), rows, C/G)
            # (prod(k), n, *out, G, C/G): the slab of each offset, channels-last
            slabs = xp.moveaxis(prods.reshape(groups, len(offsets), -1, *out_sp, per_group), 0, -2)
            target = buf[lo:hi][blk]
            target[...] = 0
            for at, slab in zip(where, slabs):
                target[at] += slab
            if b is not None:
                target[inner] += b.reshape(groups, per_group)

    split_batch(n, images)
    out = buf[inner].reshape(n, *size, groups * per_group)
    return xp.moveaxis(out, -1, 1)


def _weight_per_offset(w, groups: int):
    """``w (O, C/G, *k)`` as ``(G, prod(k), O/G, C/G)``: one matrix per kernel offset."""
    o, c, kernel = w.shape[0], w.shape[1], w.shape[2:]
    d = len(kernel)
    wg = w.reshape(groups, o // groups, c, *kernel)
    wg = wg.transpose(0, *range(3, 3 + d), 1, 2)  # (G, *k, O/G, C/G)
    return wg.reshape(groups, -1, o // groups, c)


def conv_weight(x, y, kernel, stride, padding, dilation, groups):
    """The adjoint of ``conv`` in its weight, ``(O, C/G, *k)``:
    ``sum_blocks cols^T @ rows(y)`` per group."""
    o, c = y.shape[1], x.shape[1] // groups
    _check_windows(x.shape[2:], y.shape[2:], kernel, stride, padding, dilation, "conv_weight")
    win = windows(padded(x, padding), kernel, y.shape[2:], stride, dilation, groups)

    def images(lo, hi):
        acc = xp.zeros((groups, math.prod(kernel) * c, o // groups), dtype=x.dtype)
        for blk, cols in _im2col_blocks(win[lo:hi], groups):
            acc += xp.matmul(cols.transpose(0, 2, 1), _rows(y[lo:hi][blk], groups))
        return acc

    acc = sum(split_batch(x.shape[0], images))  # (G, Kg, O/G)
    gw = xp.moveaxis(acc.reshape(groups, *kernel, c, o // groups), (-2, -1), (2, 1))
    return xp.ascontiguousarray(gw.reshape(o, c, *kernel))


# ------------------------------------------------------------ im2col itself
def unfold(x, kernel, stride, padding, dilation):
    """PyTorch's ``unfold``: ``(N, C prod(k), L)``, the windows of ``x (N, C, *sp)``
    as columns, rows ordered (c, q), columns the ``L`` output positions."""
    n, c, d = x.shape[0], x.shape[1], len(kernel)
    out_sp = output_size(x.shape[2:], kernel, stride, padding, dilation)
    win = windows(padded(x, padding), kernel, out_sp, stride, dilation, 1)  # (N, *out, 1, *k, C)
    cols = win[(slice(None),) * (d + 1) + (0,)]  # (N, *out, *k, C)
    cols = cols.transpose(0, 2 * d + 1, *range(d + 1, 2 * d + 1), *range(1, d + 1))
    return cols.reshape(n, c * math.prod(kernel), math.prod(out_sp))


def fold(cols, size, kernel, stride, padding, dilation):
    """PyTorch's ``fold``, the adjoint of ``unfold``: ``(N, C, *size)``, each
    column's entries added back where ``unfold`` took them (col2im)."""
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(kernel)
    out_sp = output_size(size, kernel, stride, padding, dilation)
    src = cols.reshape(n, c, *kernel, *out_sp)
    full = tuple(s + lo + max(hi, 0) for s, (lo, hi) in zip(size, padding))
    buf = xp.zeros((n, c, *full), dtype=cols.dtype)
    for q in _offsets(kernel):
        buf[_spatial(_window_slices(q, out_sp, stride, dilation))] += src[_spatial(q)]
    return buf[_interior(size, padding)]
