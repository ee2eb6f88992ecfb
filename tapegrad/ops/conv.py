"""Convolution primitives: the N-d convolution (``conv1d/2d/3d``), its
adjoints in the input (the transposed convolution) and in the weight, and
PyTorch's ``unfold``/``fold`` (im2col and its adjoint).

The three convolution entries are one bilinear form seen from its three
sides, ``T(x, w, y) = <y, conv(x, w)>``::

    conv(x, w)           = dT/dy     (N, O, *out)
    conv_transpose(y, w) = dT/dx     (N, C, *sp)     the input's gradient
    conv_weight(x, y)    = dT/dw     (O, C/G, *k)    the weight's gradient

so the vjps of each are the other two: the family is closed, its vjps run on
arrays (the first-order path) and on tensors (second derivatives: a gradient
penalty through a convolution backpropagates).  ``unfold`` and ``fold`` are
each other's vjps.  All of them share one geometry, ``stride``, ``padding``
(``(lo, hi)`` zeros per spatial dimension), ``dilation`` and ``groups``; the
array kernels (window views, im2col, one GEMM per block, col2im) are in
``tapegrad.ops.im2col``.  The public functions take PyTorch's arguments and
check them here, with errors that name what does not fit.
"""

from __future__ import annotations

import operator

from tapegrad.ops import im2col as K
from tapegrad.ops.registry import ShapeError, as_tensor_arg, cast_common, defprim
from tapegrad.ops.shape import squeeze, unsqueeze
from tapegrad.tensor import Tensor


def _geometry(stride, padding, dilation, groups) -> dict:
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _bias_grad(g):
    """``g`` summed over every axis but the channels (arrays or tensors)."""
    return g.sum((0,) + tuple(range(2, g.ndim)))


# ------------------------------------------------------------ the entries
def _conv_fwd(x, w, *b, stride, padding, dilation, groups):
    return K.conv(x, w, b[0] if b else None, stride, padding, dilation, groups)


def _conv_vjp(g, out, x, w, b=None, *, needs, stride, padding, dilation, groups):
    """``gx = conv_transpose(g, w)``, ``gw = conv_weight(x, g)``, ``gb = sum g``."""
    geo = _geometry(stride, padding, dilation, groups)
    gx = CONV_TRANSPOSE.apply(g, w, size=tuple(x.shape[2:]), **geo) if needs[0] else None
    gw = CONV_WEIGHT.apply(x, g, kernel=tuple(w.shape[2:]), **geo) if needs[1] else None
    gb = _bias_grad(g) if len(needs) > 2 and needs[2] else None
    return (gx, gw, gb)[: len(needs)]


CONV = defprim(
    "conv",
    _conv_fwd,
    vjp_all=_conv_vjp,
    partials=("conv_transpose(., b)", "conv_weight(a, .)", "1"),
    saves_for=((1,), (0,), ()),
    arrays=True,
    doc="out[n,o,p] = sum_{c,q} w[o,c,q] x[n, g(o) C/G + c, p stride + q dilation - lo] + b[o]",
)


def _conv_transpose_fwd(y, w, *b, size, stride, padding, dilation, groups):
    return K.conv_transpose(y, w, b[0] if b else None, size, stride, padding, dilation, groups)


def _conv_transpose_vjp(g, out, y, w, b=None, *, needs, size, stride, padding, dilation, groups):
    """``gy = conv(g, w)``, ``gw = conv_weight(g, y)``, ``gb = sum g``."""
    geo = _geometry(stride, padding, dilation, groups)
    gy = CONV.apply(g, w, **geo) if needs[0] else None
    gw = CONV_WEIGHT.apply(g, y, kernel=tuple(w.shape[2:]), **geo) if needs[1] else None
    gb = _bias_grad(g) if len(needs) > 2 and needs[2] else None
    return (gy, gw, gb)[: len(needs)]


CONV_TRANSPOSE = defprim(
    "conv_transpose",
    _conv_transpose_fwd,
    vjp_all=_conv_transpose_vjp,
    partials=("conv(., b)", "conv_weight(., a)", "1"),
    saves_for=((1,), (0,), ()),
    arrays=True,
    doc="out = the adjoint of conv in its input applied to y (the transposed convolution), + b",
)


def _conv_weight_fwd(x, y, kernel, stride, padding, dilation, groups):
    return K.conv_weight(x, y, kernel, stride, padding, dilation, groups)


def _conv_weight_vjp(g, out, x, y, *, needs, kernel, stride, padding, dilation, groups):
    """``gx = conv_transpose(y, g)``, ``gy = conv(x, g)``."""
    geo = _geometry(stride, padding, dilation, groups)
    gx = CONV_TRANSPOSE.apply(y, g, size=tuple(x.shape[2:]), **geo) if needs[0] else None
    gy = CONV.apply(x, g, **geo) if needs[1] else None
    return gx, gy


CONV_WEIGHT = defprim(
    "conv_weight",
    _conv_weight_fwd,
    vjp_all=_conv_weight_vjp,
    partials=("conv_transpose(b, .)", "conv(a, .)"),
    saves=(0, 1),
    arrays=True,
    doc="out[o,c,q] = sum_{n,p} y[n,o,p] x[n, g(o) C/G + c, p stride + q dilation - lo]"
    " (conv's weight gradient)",
)

UNFOLD = defprim(
    "unfold",
    K.unfold,
    lambda g, out, a, kernel, stride, padding, dilation: FOLD.apply(
        g, size=tuple(a.shape[2:]), kernel=kernel, stride=stride, padding=padding, dilation=dilation
    ),
    partials="fold(.)",
    arrays=True,
    doc="out[n, (c,q), p] = a[n, c, p stride + q dilation - lo] (im2col)",
)

FOLD = defprim(
    "fold",
    K.fold,
    lambda g, out, a, size, kernel, stride, padding, dilation: UNFOLD.apply(
        g, kernel=kernel, stride=stride, padding=padding, dilation=dilation
    ),
    partials="unfold(.)",
    arrays=True,
    doc="out[n, c, p stride + q dilation - lo] += a[n, (c,q), p] (col2im, unfold's adjoint)",
)


# ------------------------------------------------------------ arguments
def _ints(value, d: int, what: str, op: str) -> tuple:
    """An int or a sequence of ``d`` ints (or of one, repeated), as PyTorch."""
    try:
        return (operator.index(value),) * d
    except TypeError:
        pass
    try:
        t = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(
            f"{op}: {what} must be an int or a tuple of {d} ints, not {value!r}"
        ) from None
    if len(t) == 1:
        return t * d
    if len(t) != d:
        raise ShapeError(
            f"{op}: expected {what} to be a single integer value or a list of {d} values to "
            f"match the convolution dimensions, but got {what}={list(t)}"
        )
    return t


def _sizes(values) -> str:
    return "(" + " x ".join(str(v) for v in values) + ")"


def _same_padding(kernel, dilation) -> tuple:
    """PyTorch's ``padding='same'``: ``dilation (k - 1)`` zeros in all, half
    before, the odd one after."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in total)


def _padding(padding, kernel, stride, dilation, op: str) -> tuple:
    d = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * d
        if padding != "same":
            raise ValueError(
                f"{op}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        return _same_padding(kernel, dilation)
    pads = _ints(padding, d, "padding", op)
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: negative padding is not supported, got padding={list(pads)}")
    return tuple((p, p) for p in pads)


def _tensors(input, weight, bias, d: int, op: str, transposed: bool):
    """The operands as tensors of one dtype, the input batched; the weight's
    and the input's dimensions checked."""
    x, w = as_tensor_arg(input), as_tensor_arg(weight)
    args = (x, w) if bias is None else (x, w, as_tensor_arg(bias))
    args = cast_common(*args)
    x, w = args[0], args[1]
    if x.ndim not in (d + 1, d + 2):
        raise ShapeError(
            f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to {op}, but got input "
            f"of size: {list(x.shape)}"
        )
    if w.ndim != d + 2:
        layout = "in, out/groups" if transposed else "out, in/groups"
        raise ShapeError(
            f"{op}: weight of size {list(w.shape)} should be {d + 2}-D: ({layout}) "
            f"channels, then {d} kernel sizes"
        )
    batched = x.ndim == d + 2
    if not batched:
        x = unsqueeze(x, 0)
    return x, w, (args[2] if len(args) > 2 else None), batched


def _check_common(x, w, b, stride, dilation, groups, out_channels, op: str, transposed=False):
    if any(s <= 0 for s in stride):
        raise ValueError(f"{op}: non-positive stride is not supported, got stride={list(stride)}")
    if any(dl <= 0 for dl in dilation):
        raise ValueError(f"{op}: dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise ValueError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if w.shape[0] % groups:
        raise ShapeError(
            f"{op}: given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {list(w.shape)} instead"
        )
    in_channels = w.shape[0] if transposed else w.shape[1] * groups
    if x.shape[1] != in_channels:
        given = "transposed=1" if transposed else f"groups={groups}"
        raise ShapeError(
            f"{op}: given {given}, weight of size {list(w.shape)}, expected input"
            f"{list(x.shape)} to have {in_channels} channels, but got {x.shape[1]} channels "
            "instead"
        )
    if b is not None and tuple(b.shape) != (out_channels,):
        raise ShapeError(
            f"{op}: given weight of size {list(w.shape)}, expected bias to be 1-dimensional "
            f"with {out_channels} elements, but got bias of size {list(b.shape)} instead"
        )


# ------------------------------------------------------------ public functions
def _convolution(op, d, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    x, w, b, batched = _tensors(input, weight, bias, d, op, transposed=False)
    groups = _ints(groups, 1, "groups", op)[0]
    kernel = tuple(w.shape[2:])
    stride = _ints(stride, d, "stride", op)
    dilation = _ints(dilation, d, "dilation", op)
    _check_common(x, w, b, stride, dilation, groups, w.shape[0], op)
    pads = _padding(padding, kernel, stride, dilation, op)
    full = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
    reach = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation)]
    if any(r > n for r, n in zip(reach, full)):
        raise ShapeError(
            f"{op}: calculated padded input size per channel: {_sizes(full)}. Kernel size: "
            f"{_sizes(reach)}. Kernel size can't be greater than actual input size"
        )
    args = (x, w) if b is None else (x, w, b)
    out = CONV.apply(*args, **_geometry(stride, pads, dilation, groups))
    return out if batched else squeeze(out, 0)


@CONV.public(methods=())
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (PyTorch's cross-correlation): ``input (N, C, H, W)``
    (or ``(C, H, W)``), ``weight (O, C/groups, kH, kW)``, ``bias (O,)`` ->
    ``(N, O, H', W')`` with ``H' = (H + 2 pad - dilation (kH - 1) - 1) // stride + 1``.
    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (stride 1;
    the odd zero goes after).  One node."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution: ``input (N, C, L)``, ``weight (O, C/groups, k)`` ->
    ``(N, O, L')``; the arguments as ``conv2d``'s."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D convolution: ``input (N, C, D, H, W)``, ``weight (O, C/groups, kD, kH, kW)``
    -> ``(N, O, D', H', W')``; the arguments as ``conv2d``'s."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _transposed(op, d, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, w, b, batched = _tensors(input, weight, bias, d, op, transposed=True)
    groups = _ints(groups, 1, "groups", op)[0]
    kernel = tuple(w.shape[2:])
    stride = _ints(stride, d, "stride", op)
    dilation = _ints(dilation, d, "dilation", op)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of {d} ints, not {padding!r}")
    pads = _ints(padding, d, "padding", op)
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: negative padding is not supported, got padding={list(pads)}")
    extra = _ints(output_padding, d, "output_padding", op)
    _check_common(x, w, b, stride, dilation, groups, w.shape[1] * groups, op, transposed=True)
    if any(e < 0 or (e >= s and e >= dl) for e, s, dl in zip(extra, stride, dilation)):
        raise ValueError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={list(extra)}, stride={list(stride)}, dilation={list(dilation)}"
        )
    size = tuple(
        (n - 1) * s - 2 * p + dl * (k - 1) + e + 1
        for n, s, p, dl, k, e in zip(x.shape[2:], stride, pads, dilation, kernel, extra)
    )
    if any(n <= 0 for n in size):
        raise ShapeError(
            f"{op}: given input size per channel: {_sizes(x.shape[2:])}. Calculated output size "
            f"per channel: {_sizes(size)}. Output size is too small"
        )
    # the adjoint of the convolution from `size` to the input's size: the
    # output_padding rows lie past its last window (hi = p - output_padding)
    geo = _geometry(stride, tuple((p, p - e) for p, e in zip(pads, extra)), dilation, groups)
    args = (x, w) if b is None else (x, w, b)
    out = CONV_TRANSPOSE.apply(*args, size=size, **geo)
    return out if batched else squeeze(out, 0)


@CONV_TRANSPOSE.public(methods=())
def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """2-D transposed convolution, the adjoint of ``conv2d`` in its input
    (``input (N, C_in, H, W)``, ``weight (C_in, C_out/groups, kH, kW)``) ->
    ``(N, C_out, H', W')`` with ``H' = (H - 1) stride - 2 pad + dilation (kH - 1)
    + output_padding + 1``.  One node."""
    args = (input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _transposed("conv_transpose2d", 2, *args)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """1-D transposed convolution: ``input (N, C_in, L)``, ``weight (C_in, C_out/groups, k)``;
    the arguments as ``conv_transpose2d``'s."""
    args = (input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _transposed("conv_transpose1d", 1, *args)


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """3-D transposed convolution: ``input (N, C_in, D, H, W)``,
    ``weight (C_in, C_out/groups, kD, kH, kW)``; the arguments as ``conv_transpose2d``'s."""
    args = (input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _transposed("conv_transpose3d", 3, *args)


def _block_args(kernel_size, dilation, padding, stride, op: str):
    kernel = _ints(kernel_size, 2, "kernel_size", op)
    dilation = _ints(dilation, 2, "dilation", op)
    pads = _ints(padding, 2, "padding", op)
    stride = _ints(stride, 2, "stride", op)
    if min(kernel) <= 0 or min(dilation) <= 0 or min(stride) <= 0 or min(pads) < 0:
        raise ValueError(
            f"{op}: kernel_size, dilation and stride must be positive and padding not negative, "
            f"got kernel_size={kernel}, dilation={dilation}, padding={pads}, stride={stride}"
        )
    return kernel, dilation, pads, stride


def _block_counts(size, kernel, dilation, pads, stride) -> tuple:
    return K.output_size(size, kernel, stride, tuple((p, p) for p in pads), dilation)


@UNFOLD.public(methods=())
def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: the sliding blocks of ``input (N, C, H, W)`` (or ``(C, H, W)``)
    as columns, ``(N, C kH kW, L)`` with ``L`` the number of blocks, each
    column ordered (channel, kernel row, kernel column) as PyTorch's."""
    op = "unfold"
    x = as_tensor_arg(input)
    if x.ndim not in (3, 4) or 0 in x.shape[1:]:
        raise ShapeError(
            f"{op}: expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(x.shape)}"
        )
    kernel, dilation, pads, stride = _block_args(kernel_size, dilation, padding, stride, op)
    blocks = _block_counts(x.shape[-2:], kernel, dilation, pads, stride)
    if min(blocks) < 1:
        raise ShapeError(
            f"{op}: given input with spatial size {tuple(x.shape[-2:])}, kernel_size={kernel}, "
            f"dilation={dilation}, padding={pads}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one"
        )
    batched = x.ndim == 4
    xb = x if batched else unsqueeze(x, 0)
    geo = dict(kernel=kernel, stride=stride, padding=tuple((p, p) for p in pads), dilation=dilation)
    out = UNFOLD.apply(xb, **geo)
    return out if batched else squeeze(out, 0)


@FOLD.public(methods=())
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of ``unfold``: columns ``(N, C kH kW, L)`` (or
    ``(C kH kW, L)``) summed into ``(N, C, *output_size)``, each entry added
    where ``unfold`` would have taken it (overlaps add up)."""
    op = "fold"
    cols = as_tensor_arg(input)
    if cols.ndim not in (2, 3) or 0 in cols.shape[1:]:
        raise ShapeError(
            f"{op}: expected 2D or 3D (batch mode) tensor with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(cols.shape)}"
        )
    size = _ints(output_size, 2, "output_size", op)
    kernel, dilation, pads, stride = _block_args(kernel_size, dilation, padding, stride, op)
    batched = cols.ndim == 3
    cb = cols if batched else unsqueeze(cols, 0)
    per_block = kernel[0] * kernel[1]
    if cb.shape[1] % per_block:
        raise ShapeError(
            f"{op}: expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={cb.shape[1]} and kernel_size={kernel}"
        )
    blocks = _block_counts(size, kernel, dilation, pads, stride)
    if min(blocks) < 1 or cb.shape[2] != blocks[0] * blocks[1]:
        raise ShapeError(
            f"{op}: given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={pads}, stride={stride}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={cb.shape[2]}"
        )
    pairs = tuple((p, p) for p in pads)
    out = FOLD.apply(cb, size=size, kernel=kernel, stride=stride, padding=pairs, dilation=dilation)
    return out if batched else squeeze(out, 0)


__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "fold",
    "unfold",
]
