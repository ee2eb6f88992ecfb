"""Interpolation and pixel shuffles with PyTorch's signatures
(``torch.nn.functional``): ``interpolate`` (and the deprecated ``upsample``,
``upsample_nearest``, ``upsample_bilinear``), ``pixel_shuffle`` and
``pixel_unshuffle``.

``interpolate`` builds one map per spatial axis (``tapegrad.ops.resample``:
nearest, linear, cubic or area weights, computed as PyTorch's kernels
compute them) and applies them with the ``resample`` primitive, the last
axis first.  Pixel shuffles are a reshape, a permutation and a reshape.
"""

from __future__ import annotations

import warnings

from tapegrad.ops import resample as RS
from tapegrad.ops.pool import PoolArgumentError
from tapegrad.ops.registry import ShapeError, as_tensor_arg
from tapegrad.ops.shape import permute, reshape
from tapegrad.ops.spatial import check_float, check_numeric, is_int
from tapegrad.tensor import Tensor

# ============================================================ interpolation
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_NEEDS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _interpolate_sizes(x, dim, size, scale_factor, recompute_scale_factor, mode):
    """The output sizes and the scale factors the kernels see (``None``
    where the sizes alone count), with PyTorch's rules."""
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError(
            "interpolate: recompute_scale_factor is not meaningful with an explicit size"
        )
    spatial = tuple(x.shape[2:])
    given = size if size is not None else scale_factor
    values = tuple(given) if isinstance(given, (tuple, list)) else (given,) * dim
    if len(values) != dim:
        what = "size" if size is not None else "scale_factor"
        raise ValueError(
            f"interpolate: {what} {given!r} has {len(values)} entries for an input with "
            f"{dim} spatial dimensions {spatial}"
        )
    if size is not None:
        if not all(is_int(v) for v in values):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        out, scales = tuple(int(v) for v in values), (None,) * dim
    else:
        scales = tuple(float(v) for v in values)
        out = tuple(RS.output_size(n, sc) for n, sc in zip(spatial, scales))
        if recompute_scale_factor or mode == "area":
            scales = (None,) * dim
    if min(out) <= 0:
        raise ShapeError(
            f"interpolate: output size {out} must be positive (input size {spatial}, "
            f"{'size' if size is not None else 'scale_factor'}={given!r})"
        )
    return out, scales


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
) -> Tensor:
    """Resample the spatial dims of ``(N, C, d1, ..)`` to ``size`` (or
    ``floor(d * scale_factor)``), as PyTorch: 'nearest' takes
    ``min(floor(i * scale), d - 1)``, 'nearest-exact' the pixel whose centre
    is nearest, 'linear'/'bilinear'/'trilinear' and 'bicubic' weigh the
    neighbours of the source coordinate ``(i + 0.5) scale - 0.5`` (or
    ``i (d - 1) / (out - 1)`` with ``align_corners``), 'area' averages
    (adaptive average pooling)."""
    x = as_tensor_arg(input)
    dim = x.ndim - 2
    if mode not in _MODES or not 1 <= dim <= 3:
        raise NotImplementedError(
            f"interpolate: expects a 3-D, 4-D or 5-D input and a mode among {', '.join(_MODES)}; "
            f"got a {x.ndim}-D input and mode {mode!r}"
        )
    if mode in _NEEDS and _NEEDS[mode] != dim:
        raise NotImplementedError(
            f"interpolate: got a {x.ndim}-D input, but mode {mode!r} needs a "
            f"{_NEEDS[mode] + 2}-D input"
        )
    linear = mode in _NEEDS
    if not linear and align_corners is not None:
        raise ValueError(
            "interpolate: align_corners can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    out, scales = _interpolate_sizes(x, dim, size, scale_factor, recompute_scale_factor, mode)
    if mode.startswith("nearest"):
        check_numeric(x, "interpolate")
    else:
        check_float(x, "interpolate")
    dtype, corners = x._array.dtype, bool(align_corners)
    maps = []
    for i in reversed(range(dim)):  # the last axis first, as PyTorch's kernels
        n, m, sc = x.shape[2 + i], out[i], scales[i]
        if mode in ("nearest", "nearest-exact"):
            axis_map = RS.nearest_map(
                n, m, sc, mode == "nearest-exact", mode == "nearest" and dim == 2
            )
        elif mode == "area":
            axis_map = RS.adaptive_map(n, m, dtype)
        elif mode == "bicubic":
            axis_map = RS.cubic_map(n, m, corners, sc, dtype)
        else:
            axis_map = RS.linear_map(n, m, corners, sc, dtype)
        maps.append((i - dim, axis_map))
    return RS.resample(x, maps)


def _deprecated(name: str) -> None:
    warnings.warn(
        f"nn.functional.{name} is deprecated. Use nn.functional.interpolate instead.",
        UserWarning,
        stacklevel=3,
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ============================================================ pixel shuffle
def _shuffle_check(x, factor, op: str, name: str) -> int:
    if x.ndim < 3:
        raise ShapeError(f"{op}: expects at least 3 dimensions (.., C, H, W), got shape {x.shape}")
    if not is_int(factor) or factor <= 0:
        raise PoolArgumentError(f"{op}: {name} must be a positive int, got {factor!r}")
    return int(factor)


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """``(.., C r^2, H, W) -> (.., C, H r, W r)``:
    ``out[.., c, h r + i, w r + j] = input[.., c r^2 + i r + j, h, w]``."""
    x = as_tensor_arg(input)
    r = _shuffle_check(x, upscale_factor, "pixel_shuffle", "upscale_factor")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle: the channels {c} of input shape {x.shape} are not divisible by "
            f"upscale_factor**2 = {r * r}"
        )
    n = len(lead)
    y = reshape(x, (*lead, c // (r * r), r, r, h, w))
    y = permute(y, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(y, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """``(.., C, H r, W r) -> (.., C r^2, H, W)``, the inverse of ``pixel_shuffle``."""
    x = as_tensor_arg(input)
    r = _shuffle_check(x, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ShapeError(
            f"pixel_unshuffle: the height and width of input shape {x.shape} are not "
            f"divisible by downscale_factor {r}"
        )
    n = len(lead)
    y = reshape(x, (*lead, c, h // r, r, w // r, r))
    y = permute(y, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(y, (*lead, c * r * r, h // r, w // r))
