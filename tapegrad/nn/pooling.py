"""Pooling, resampling, padding and reshaping layers (``torch.nn``'s
``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``Upsample``,
``PixelShuffle``, ``ZeroPad2d``, ``Unflatten`` ...): no parameters, each a
call of its function in ``tapegrad.nn.functional`` with the arguments it
was built with, and PyTorch's constructor signatures and reprs."""

from __future__ import annotations

from tapegrad.nn.module import Module
from tapegrad.ops import interpolate as I
from tapegrad.ops import spatial as S
from tapegrad.ops.shape import pad, unflatten


def _n(value, n: int) -> tuple:
    """PyTorch's ``_single``/``_pair``: an int repeated, a sequence as a tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


# ------------------------------------------------------------ max pooling
class _MaxPoolNd(Module):
    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)


class MaxPool1d(_MaxPoolNd):
    """``F.max_pool1d`` over ``(N, C, L)`` or ``(C, L)``."""

    def forward(self, input):
        return S.max_pool1d(input, *self._args(), return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """``F.max_pool2d`` over ``(N, C, H, W)`` or ``(C, H, W)``."""

    def forward(self, input):
        return S.max_pool2d(input, *self._args(), return_indices=self.return_indices)


class _MaxUnpoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, *, n: int) -> None:
        super().__init__()
        self.kernel_size = _n(kernel_size, n)
        self.stride = _n(stride if stride is not None else kernel_size, n)
        self.padding = _n(padding, n)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """``F.max_unpool1d``: the pooled values back at their indices, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__(kernel_size, stride, padding, n=1)

    def forward(self, input, indices, output_size=None):
        args = (self.kernel_size, self.stride, self.padding, output_size)
        return S.max_unpool1d(input, indices, *args)


class MaxUnpool2d(_MaxUnpoolNd):
    """``F.max_unpool2d``: the pooled values back at their indices, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__(kernel_size, stride, padding, n=2)

    def forward(self, input, indices, output_size=None):
        args = (self.kernel_size, self.stride, self.padding, output_size)
        return S.max_unpool2d(input, indices, *args)


# ------------------------------------------------------------ average pooling
class AvgPool1d(Module):
    """``F.avg_pool1d`` over ``(N, C, L)`` or ``(C, L)``."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ) -> None:
        super().__init__()
        self.kernel_size = _n(kernel_size, 1)
        self.stride = _n(stride if stride is not None else kernel_size, 1)
        self.padding = _n(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return S.avg_pool1d(input, *args, self.count_include_pad)


class AvgPool2d(Module):
    """``F.avg_pool2d`` over ``(N, C, H, W)`` or ``(C, H, W)``."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return S.avg_pool2d(input, *args, self.count_include_pad, self.divisor_override)


# ------------------------------------------------------------ adaptive pooling
class _AdaptivePool(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    def forward(self, input):
        return S.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    def forward(self, input):
        return S.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    def forward(self, input):
        return S.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    def forward(self, input):
        return S.adaptive_max_pool2d(input, self.output_size, self.return_indices)


# ------------------------------------------------------------ resampling
class Upsample(Module):
    """``F.interpolate`` with the size or scale factor and mode it was built with."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode="nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return I.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with ``align_corners=True``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """``(N, C r^2, H, W) -> (N, C, H r, W r)``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return I.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(N, C, H r, W r) -> (N, C r^2, H, W)``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return I.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


# ------------------------------------------------------------ padding
class _PadNd(Module):
    """``F.pad(input, padding, mode, value)``; ``padding`` an int (every side)
    or ``(left, right[, top, bottom])``."""

    mode = "constant"
    sides = 2

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _n(padding, self.sides)
        if len(self.padding) != self.sides:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of {self.sides} ints, "
                f"got {padding!r}"
            )

    def forward(self, input):
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    sides = 2


class ConstantPad2d(_ConstantPadNd):
    sides = 4


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    mode, sides = "reflect", 2


class ReflectionPad2d(_PadNd):
    mode, sides = "reflect", 4


class ReplicationPad1d(_PadNd):
    mode, sides = "replicate", 2


class ReplicationPad2d(_PadNd):
    mode, sides = "replicate", 4


class CircularPad1d(_PadNd):
    mode, sides = "circular", 2


class CircularPad2d(_PadNd):
    mode, sides = "circular", 4


# ------------------------------------------------------------ reshaping
class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: ``tg.unflatten``."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
