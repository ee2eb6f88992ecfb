"""Convolution layers (``torch.nn``'s names, arguments, initialisation and
reprs): ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, and ``Unfold``/``Fold``.

Each layer calls its function in ``tapegrad.nn.functional`` (one node of the
graph per call).  ``padding_mode`` other than ``'zeros'`` pads with
``F.pad`` first, as PyTorch does.  Initialisation is PyTorch's: the weight
from ``kaiming_uniform_(a=sqrt(5))``, that is U(-1/sqrt(fan_in),
1/sqrt(fan_in)), and the bias from the same range, ``fan_in`` being the
weight's ``shape[1] * prod(kernel_size)``.
"""

from __future__ import annotations

import math

import tapegrad as tg
from tapegrad.nn import functional as F
from tapegrad.nn import init
from tapegrad.nn.module import Module, Parameter
from tapegrad.tensor import Tensor

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _check_channels(in_channels, out_channels, groups, padding_mode) -> None:
    """PyTorch's checks of a convolution layer's channels, groups and
    padding mode, with its messages."""
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ValueError(
                f"{name} must be divisible by groups, got {name}={channels} and groups={groups}"
            )
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode={padding_mode!r}"
        )


def _padding_arg(padding, stride: tuple, n: int):
    """``padding`` as the layer keeps it: ``'valid'`` or ``'same'`` (the latter
    for stride 1 only, as PyTorch), or an ``n``-tuple."""
    if not isinstance(padding, str):
        return _ntuple(padding, n)
    if padding not in ("valid", "same"):
        raise ValueError(f"Invalid padding string {padding!r}, should be one of ('valid', 'same')")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    return padding


class _ConvNd(Module):
    """What the convolution layers share: arguments, parameters, init, repr."""

    _dims = 0
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride,
        padding,
        dilation,
        output_padding,
        groups: int,
        bias: bool,
        padding_mode: str,
        dtype=None,
    ) -> None:
        super().__init__()
        n = self._dims
        _check_channels(in_channels, out_channels, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.dilation = _ntuple(dilation, n)
        self.padding = _padding_arg(padding, self.stride, n)
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._reversed_padding()
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(tg.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(tg.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _reversed_padding(self) -> list:
        """``F.pad``'s widths for ``padding_mode``, last dimension first
        (``'same'``: the odd zero after, as ``F.conv`` does)."""
        out = []
        for i in reversed(range(self._dims)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += [total // 2, total - total // 2]
            elif self.padding == "valid":
                out += [0, 0]
            else:
                out += [self.padding[i], self.padding[i]]
        return out

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.weight.shape[2:])
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _function = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            0,
            groups,
            bias,
            padding_mode,
            dtype,
        )

    def forward(self, input) -> Tensor:
        conv = type(self)._function
        if self.padding_mode == "zeros":
            padding = self.padding
        else:
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        return conv(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution: ``(N, C_in, L)`` -> ``(N, C_out, L')``; ``weight
    (C_out, C_in/groups, k)``, ``bias (C_out,)``.  See ``F.conv1d``."""

    _dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution: ``(N, C_in, H, W)`` -> ``(N, C_out, H', W')``; ``weight
    (C_out, C_in/groups, kH, kW)``, ``bias (C_out,)``.  See ``F.conv2d``."""

    _dims = 2
    _function = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution: ``(N, C_in, D, H, W)`` -> ``(N, C_out, D', H', W')``;
    ``weight (C_out, C_in/groups, kD, kH, kW)``.  See ``F.conv3d``."""

    _dims = 3
    _function = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    _function = None
    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}, got '
                f"{padding_mode!r}"
            )
        if isinstance(padding, str):
            raise ValueError(
                f"{type(self).__name__} takes padding as an int or a tuple, not {padding!r}"
            )
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            output_padding,
            groups,
            bias,
            padding_mode,
            dtype,
        )

    def forward(self, input, output_size=None) -> Tensor:
        extra = self._output_padding(input, output_size)
        conv = type(self)._function
        return conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            extra,
            self.groups,
            self.dilation,
        )

    def _output_padding(self, input, output_size) -> tuple:
        """``output_padding``, or the one that gives ``output_size`` (its
        last ``d`` entries; in the range the stride leaves open)."""
        if output_size is None:
            return self.output_padding
        d = self._dims
        size = list(output_size)
        batch_dims = 2 if input.ndim == d + 2 else 1
        if len(size) == batch_dims + d:
            size = size[batch_dims:]
        if len(size) != d:
            raise ValueError(
                f"{type(self).__name__}: for {input.ndim}D input, output_size must have {d} or "
                f"{batch_dims + d} elements (got {len(output_size)})"
            )
        spatial = tuple(input.shape[-d:])
        smallest = [
            (n - 1) * s - 2 * p + dl * (k - 1) + 1
            for n, s, p, dl, k in zip(
                spatial, self.stride, self.padding, self.dilation, self.kernel_size
            )
        ]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        if any(not lo <= n <= hi for n, lo, hi in zip(size, smallest, largest)):
            raise ValueError(
                f"requested an output size of {tuple(size)}, but valid sizes range from "
                f"{smallest} to {largest} (for an input of {spatial})"
            )
        return tuple(n - lo for n, lo in zip(size, smallest))


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (the adjoint of ``Conv1d`` in its input):
    ``(N, C_in, L)`` -> ``(N, C_out, L')``; ``weight (C_in, C_out/groups, k)``."""

    _dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution: ``(N, C_in, H, W)`` -> ``(N, C_out, H', W')``
    with ``H' = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1``;
    ``weight (C_in, C_out/groups, kH, kW)``.  ``forward(input, output_size)``
    picks the ``output_padding`` that gives ``output_size``."""

    _dims = 2
    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution: ``(N, C_in, D, H, W)`` -> ``(N, C_out, D', H', W')``;
    ``weight (C_in, C_out/groups, kD, kH, kW)``."""

    _dims = 3
    _function = staticmethod(F.conv_transpose3d)


class Unfold(Module):
    """``F.unfold`` as a layer: ``(N, C, H, W)`` -> ``(N, C kH kW, L)``, the
    sliding blocks as columns."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """``F.fold`` as a layer: ``(N, C kH kW, L)`` -> ``(N, C, *output_size)``,
    overlapping entries summed."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )


__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Fold",
    "Unfold",
]
