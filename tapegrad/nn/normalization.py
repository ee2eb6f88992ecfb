"""Normalisation and channel-dropout layers for ``(N, C, ...)`` inputs:
``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``GroupNorm`` and
``Dropout1d/2d/3d``, with PyTorch's arguments, initialisation, buffers,
state-dict keys and reprs.  The computation is in
``tapegrad.nn.functional`` (``batch_norm``, ``instance_norm``, ``group_norm``,
``dropout2d``, ...)."""

from __future__ import annotations

import warnings

import tapegrad as tg
from tapegrad.nn import functional as F
from tapegrad.nn import init
from tapegrad.nn.module import Module, Parameter
from tapegrad.tensor import Tensor

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
]


def _vector(n: int, dtype, fill: float) -> Tensor:
    return tg.full((n,), fill, dtype=dtype)


class _NormBase(Module):
    """What batch and instance norm share: ``weight`` (ones) and ``bias``
    (zeros) of shape ``(num_features,)`` when ``affine``; the buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` (an int64 0) when ``track_running_stats``."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_vector(num_features, dtype, 1.0))
            if bias:
                self.bias = Parameter(_vector(num_features, dtype, 0.0))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _vector(num_features, dtype, 0.0))
            self.register_buffer("running_var", _vector(num_features, dtype, 1.0))
            self.register_buffer("num_batches_tracked", tg.tensor(0, dtype=tg.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input) -> None:
        dims = self._input_dims
        if input.ndim not in dims:
            expected = " or ".join(f"{d}D" for d in dims)
            raise ValueError(
                f"expected {expected} input (got {input.ndim}D input of shape {tuple(input.shape)})"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Batch norm over N and every position of ``(N, C, *)`` input (see
    ``F.batch_norm``).  In training, ``num_batches_tracked`` counts the
    batches and the running statistics move by ``momentum`` (``None``: the
    cumulative average, ``1 / num_batches_tracked``); in eval mode they
    normalise.  With ``track_running_stats=False`` the batch statistics are
    used in both modes."""

    _input_dims: tuple = ()

    def forward(self, input):
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input of shape {tuple(input.shape)} has "
                f"{input.shape[1]} channels, expected num_features={self.num_features}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm of ``(N, C)`` or ``(N, C, L)`` input: each channel over N
    (and L)."""

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of ``(N, C, H, W)`` input: each channel over N, H and W."""

    _input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm of ``(N, C, D, H, W)`` input: each channel over N, D, H and W."""

    _input_dims = (5,)


class _InstanceNorm(_NormBase):
    """Instance norm (see ``F.instance_norm``): each channel of each sample
    over its positions.  PyTorch's defaults: ``affine=False``,
    ``track_running_stats=False``; with tracking, the running statistics
    move by ``momentum`` in training (``None`` counts as 0) and normalise in
    eval mode (``num_batches_tracked`` exists but is not counted, as in
    PyTorch).  Unbatched input (one dimension fewer) is one sample."""

    _input_dims: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input):
        self._check_input_dim(input)
        unbatched = input.ndim == self._input_dims[0]
        dim = 0 if unbatched else 1
        if input.shape[dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[dim]} (input of shape "
                    f"{tuple(input.shape)})."
                )
            warnings.warn(
                f"input's size at dim={dim} does not match num_features. You can silence this "
                "warning by not passing in num_features, which is not used because affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if unbatched else input
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of ``(N, C, L)`` or ``(C, L)`` input: each ``(n, c)`` over L."""

    _input_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of ``(N, C, H, W)`` or ``(C, H, W)`` input: each ``(n, c)``
    over H and W."""

    _input_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input."""

    _input_dims = (4, 5)


class GroupNorm(Module):
    """Group norm (see ``F.group_norm``): the ``num_channels`` channels in
    ``num_groups`` groups, each group of each sample normalised over its
    channels and positions; ``weight`` (ones) and ``bias`` (zeros) per
    channel when ``affine``.  No running statistics: the same in training
    and eval mode."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(_vector(num_channels, dtype, 1.0))
            if bias:
                self.bias = Parameter(_vector(num_channels, dtype, 0.0))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """In training, zero whole channels of ``(N, C, L)`` or ``(C, L)`` input
    with probability ``p``, the rest scaled by ``1/(1-p)`` (``F.dropout1d``)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training, zero whole channels (``H x W`` maps) of ``(N, C, H, W)``
    input with probability ``p``, the rest scaled by ``1/(1-p)``
    (``F.dropout2d``, with PyTorch's reading of 3-D input as ``(N, C, L)``)."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training, zero whole channels of ``(N, C, D, H, W)`` or
    ``(C, D, H, W)`` input with probability ``p`` (``F.dropout3d``)."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)
