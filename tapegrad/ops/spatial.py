"""Pooling with PyTorch's signatures (``torch.nn.functional``):
``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_{avg,max}_pool1d/2d`` and
``max_unpool1d/2d`` (interpolation is in ``tapegrad.ops.interpolate``).

Each checks its arguments, naming what is wrong, and applies a primitive:
``max_pool2d`` (``tapegrad.ops.pool``; 1-D is a plane of height 1) or
``pool_gather``/``pool_scatter`` with the maxima it found, or ``resample``
(``tapegrad.ops.resample``) with the maps of an average pooling.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops import resample as RS
from tapegrad.ops.pool import (
    MAX_POOL2D,
    POOL_GATHER,
    POOL_SCATTER,
    Argmax,
    PoolArgumentError,
    adaptive_argmax,
    check_plane,
    pool_output_size,
    window_argmax,
)
from tapegrad.ops.registry import ShapeError, as_tensor_arg
from tapegrad.ops.shape import squeeze, unsqueeze
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def is_int(value) -> bool:
    """An int (a NumPy one too), not a bool."""
    return isinstance(value, (int, xp.integer)) and not isinstance(value, bool)


# ============================================================== arguments
def _tuple(value, n: int, name: str, op: str) -> tuple:
    """An int, or a tuple of 1 or ``n`` ints, as ``n`` ints."""
    if is_int(value):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) in (1, n):
        if all(is_int(v) for v in value):
            return tuple(int(v) for v in value) * (n if len(value) == 1 else 1)
    which = "an int" if n == 1 else f"an int or a tuple of {n} ints"
    raise PoolArgumentError(f"{op}: {name} must be {which}, got {value!r}")


def _sizes(values) -> str:
    return "x".join(str(v) for v in values)


def _shown(values):
    return values[0] if len(values) == 1 else values


def _pool_args(op, x, n, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked pooling arguments as ``n``-tuples, and the output size."""
    k = _tuple(kernel_size, n, "kernel_size", op)
    empty = stride is None or (isinstance(stride, (list, tuple)) and not stride)
    s = k if empty else _tuple(stride, n, "stride", op)
    p = _tuple(padding, n, "padding", op)
    d = _tuple(dilation, n, "dilation", op)
    for name, values in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if min(values) <= 0:
            raise PoolArgumentError(f"{op}: {name} must be positive, got {_shown(values)}")
    if min(p) < 0 or any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise PoolArgumentError(
            f"{op}: padding must be between 0 and half the kernel size, got "
            f"padding={_shown(p)} with kernel_size={_shown(k)}"
        )
    check_plane(x.shape, op, n)
    sizes = x.shape[-n:]
    out = tuple(pool_output_size(*a, bool(ceil_mode)) for a in zip(sizes, k, s, p, d))
    if min(out) < 1:
        raise ShapeError(
            f"{op}: output size would be {_sizes(out)} for input size {_sizes(sizes)} with "
            f"kernel_size={_shown(k)}, stride={_shown(s)}, padding={_shown(p)}, "
            f"dilation={_shown(d)}: the windows do not fit"
        )
    return k, s, p, d, out


def check_float(x: Tensor, op: str) -> None:
    if x._array.dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating-point input, got {x.dtype}")


def check_numeric(x: Tensor, op: str) -> None:
    if x._array.dtype.kind not in "fiu":
        raise TypeError(f"{op}: expects a floating-point or integer input, got {x.dtype}")


def _flat(x: Tensor) -> Tensor:
    """A 1-D signal ``(.., L)`` as a plane ``(.., 1, L)``."""
    return unsqueeze(x, -2)


# ============================================================ max pooling
def _max_pool(x, k, s, p, d, ceil_mode, return_indices):
    params = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
    if not return_indices:
        return MAX_POOL2D.apply(x, **params)
    where = window_argmax(x._array, **params)
    return POOL_GATHER.apply(x, where=where), new_tensor(where.index)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
) -> Tensor | tuple[Tensor, Tensor]:
    """``out[n, c, i, j] = max`` of ``input[n, c]`` over window ``(i, j)``:
    rows ``i s_h - p_h + a d_h``, columns ``j s_w - p_w + b d_w`` for
    ``a < k_h, b < k_w`` (padding counts as -inf).  ``(N, C, H, W)`` or
    ``(C, H, W)`` in, ``(.., H_out, W_out)`` out; with ``return_indices``
    also each maximum's index into the flattened ``H x W`` plane."""
    x = as_tensor_arg(input)
    k, s, p, d, _ = _pool_args(
        "max_pool2d", x, 2, kernel_size, stride, padding, dilation, ceil_mode
    )
    check_numeric(x, "max_pool2d")
    return _max_pool(x, k, s, p, d, ceil_mode, return_indices)


MAX_POOL2D.public(max_pool2d, methods=())


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling over the last axis: ``(N, C, L)`` or ``(C, L)`` in,
    ``(.., L_out)`` out (and the indices into ``L`` with ``return_indices``)."""
    x = as_tensor_arg(input)
    k, s, p, d, _ = _pool_args(
        "max_pool1d", x, 1, kernel_size, stride, padding, dilation, ceil_mode
    )
    check_numeric(x, "max_pool1d")
    out = _max_pool(_flat(x), (1,) + k, (1,) + s, (0,) + p, (1,) + d, ceil_mode, return_indices)
    if return_indices:
        return squeeze(out[0], -2), squeeze(out[1], -2)
    return squeeze(out, -2)


def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _adaptive_size(output_size, sizes, op: str) -> tuple:
    """``output_size`` as ints, ``None`` entries keeping the input's size."""
    n = len(sizes)
    if isinstance(output_size, (tuple, list)) and len(output_size) in (1, n):
        values = tuple(output_size) * (n if len(output_size) == 1 else 1)
    else:
        values = (output_size,) * n
    out = tuple(s if v is None else v for v, s in zip(values, sizes))
    if not all(is_int(v) and v >= 0 for v in out):
        raise PoolArgumentError(
            f"{op}: output_size must be a non-negative int or a tuple of {n} of them "
            f"(or None), got {output_size!r}"
        )
    return tuple(int(v) for v in out)


def adaptive_max_pool2d(input, output_size, return_indices=False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive windows: output ``i`` of a size-``n`` axis
    pooled to ``m`` covers ``[floor(i n / m), ceil((i + 1) n / m))``."""
    x = as_tensor_arg(input)
    check_plane(x.shape, "adaptive_max_pool2d", 2)
    check_float(x, "adaptive_max_pool2d")
    out = _adaptive_size(output_size, x.shape[-2:], "adaptive_max_pool2d")
    where = adaptive_argmax(x._array, out)
    values = POOL_GATHER.apply(x, where=where)
    return (values, new_tensor(where.index)) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False) -> Tensor | tuple[Tensor, Tensor]:
    x = as_tensor_arg(input)
    check_plane(x.shape, "adaptive_max_pool1d", 1)
    (m,) = _adaptive_size(output_size, x.shape[-1:], "adaptive_max_pool1d")
    out = adaptive_max_pool2d(_flat(x), (1, m), return_indices)
    if return_indices:
        return squeeze(out[0], -2), squeeze(out[1], -2)
    return squeeze(out, -2)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def _unpool_args(op, n, kernel_size, stride, padding):
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = k if stride is None else _tuple(stride, n, "stride", op)
    return k, s, _tuple(padding, n, "padding", op)


def _unpool_size(op, sizes, k, s, p, output_size) -> tuple:
    """PyTorch's default ``(in - 1) s - 2 p + k``, or ``output_size`` (its
    last entries), which must lie within a stride of it."""
    default = tuple((n - 1) * si - 2 * pi + ki for n, ki, si, pi in zip(sizes, k, s, p))
    if output_size is None:
        return default
    wanted = tuple(int(v) for v in tuple(output_size)[-len(sizes) :])
    for w, dflt, si in zip(wanted, default, s):
        if not dflt - si < w < dflt + si or len(wanted) != len(sizes):
            raise PoolArgumentError(
                f"{op}: output_size {tuple(output_size)} must be within a stride {s} of the "
                f"default {default}"
            )
    return wanted


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of ``max_pool2d`` as far as it goes: zeros of the pooled
    input's size with ``input`` written at ``indices`` (from
    ``max_pool2d(..., return_indices=True)``)."""
    x, idx = as_tensor_arg(input), as_tensor_arg(indices)
    op = "max_unpool2d"
    check_plane(x.shape, op, 2)
    k, s, p = _unpool_args(op, 2, kernel_size, stride, padding)
    return _unpool(op, x, idx, _unpool_size(op, x.shape[-2:], k, s, p, output_size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    x, idx = as_tensor_arg(input), as_tensor_arg(indices)
    op = "max_unpool1d"
    check_plane(x.shape, op, 1)
    k, s, p = _unpool_args(op, 1, kernel_size, stride, padding)
    (n,) = _unpool_size(op, x.shape[-1:], k, s, p, output_size)
    return squeeze(_unpool(op, _flat(x), _flat(idx), (1, n)), -2)


def _unpool(op, x, idx, plane):
    if idx._array.dtype.kind not in "iu" or idx.shape != x.shape:
        raise ShapeError(
            f"{op}: indices must be integers of the input's shape {tuple(x.shape)}, got "
            f"{idx.dtype} of shape {tuple(idx.shape)}"
        )
    index = idx._array.astype(B.int64)
    size = plane[0] * plane[1]
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)][0]
        raise IndexError(f"{op}: index {bad} is out of range for an output of size {_sizes(plane)}")
    where = Argmax(x.shape[:-2] + tuple(plane), index=index)
    return POOL_SCATTER.apply(x, where=where, accumulate=False)


# ============================================================ average pooling
def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """``out[n, c, i, j] = sum`` of ``input[n, c]`` over window ``(i, j)``
    (zero padding) divided by the window's size with its padding
    (``count_include_pad``), without it, or by ``divisor_override``."""
    x = as_tensor_arg(input)
    op = "avg_pool2d"
    k, s, p, _, out = _pool_args(op, x, 2, kernel_size, stride, padding, 1, ceil_mode)
    check_float(x, op)
    if divisor_override is not None and divisor_override == 0:
        raise PoolArgumentError(f"{op}: divisor_override must be non-zero")
    divisor = "window" if count_include_pad else "valid"
    divisors = (divisor, divisor) if divisor_override is None else (divisor_override, 1)
    dtype = x._array.dtype
    maps = [
        (axis, RS.window_map(x.shape[axis], out[axis], k[axis], s[axis], p[axis], div, dtype))
        for axis, div in zip((-1, -2), reversed(divisors))
    ]
    return RS.resample(x, maps)


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
) -> Tensor:
    """Average pooling over the last axis: ``(N, C, L)`` or ``(C, L)`` in."""
    x = as_tensor_arg(input)
    k, s, p, _, out = _pool_args("avg_pool1d", x, 1, kernel_size, stride, padding, 1, ceil_mode)
    check_float(x, "avg_pool1d")
    divisor = "window" if count_include_pad else "valid"
    m = RS.window_map(x.shape[-1], out[0], k[0], s[0], p[0], divisor, x._array.dtype)
    return RS.resample(x, [(-1, m)])


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """The mean over PyTorch's adaptive windows (see ``adaptive_max_pool2d``)."""
    x = as_tensor_arg(input)
    check_plane(x.shape, "adaptive_avg_pool2d", 2)
    check_float(x, "adaptive_avg_pool2d")
    out = _adaptive_size(output_size, x.shape[-2:], "adaptive_avg_pool2d")
    dtype = x._array.dtype
    maps = [(axis, RS.adaptive_map(x.shape[axis], out[axis], dtype)) for axis in (-1, -2)]
    return RS.resample(x, maps)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    x = as_tensor_arg(input)
    check_plane(x.shape, "adaptive_avg_pool1d", 1)
    check_float(x, "adaptive_avg_pool1d")
    (m,) = _adaptive_size(output_size, x.shape[-1:], "adaptive_avg_pool1d")
    return RS.resample(x, [(-1, RS.adaptive_map(x.shape[-1], m, x._array.dtype))])
