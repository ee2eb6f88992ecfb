"""``nn.SyncBatchNorm``: batch norm whose statistics are those of the global
batch, over the shares of all ranks of a process group.

In training, with ``n`` the rows times positions over all ranks::

    mean = (1/n) sum over ranks of sum(x)
    var  = (1/n) sum over ranks of sum((x - mean)^2)     (two passes: no cancellation)

each a sum over ranks (``all_reduce``) that autograd differentiates: its
backward is the sum over ranks of the incoming gradients, so each rank's
input gradient is that of the sum of every rank's loss, PyTorch's
``sum_dy`` exchange.  With ``DistributedDataParallel`` averaging the
parameter gradients, training equals one process on the global batch.  The
running statistics move with the global ``mean`` and unbiased ``var``; in
eval mode, or without other ranks, it is ``BatchNorm``.
(PyTorch's ``SyncBatchNorm`` trains on GPUs only; tapegrad's on the CPU.)
"""

from __future__ import annotations

import tapegrad as tg
import tapegrad.distributed as dist
from tapegrad.autograd.function import Function
from tapegrad.autograd.graph import no_grad
from tapegrad.nn.module import Module
from tapegrad.nn.normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class _SumOverRanks(Function):
    """``y = sum over ranks of x`` (each rank's ``x`` of the same shape); the
    gradient of ``x`` is the sum over ranks of the gradients of ``y``."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        total = x.detach().clone()
        dist.all_reduce(total, group=group)
        return total

    @staticmethod
    def backward(ctx, grad):
        total = grad.detach().clone()
        dist.all_reduce(total, group=ctx.group)
        return total, None


class SyncBatchNorm(_BatchNorm):
    """Batch norm of ``(N, C, *)`` input with the statistics of every rank's
    batch together (see the module); arguments as ``BatchNorm*d``, plus
    ``process_group`` (default: the default group)."""

    _input_dims = (2, 3, 4, 5)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def forward(self, input):
        synced = self.training and dist.is_initialized()
        if not synced or dist.get_world_size(self.process_group) == 1:
            return super().forward(input)
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm: input of shape {tuple(input.shape)} has {input.shape[1]} "
                f"channels, expected num_features={self.num_features}"
            )
        mean, var, n = self._global_statistics(input)
        if self.track_running_stats and self.running_mean is not None:
            self._update_running(mean, var, n)
        shape = (1, -1) + (1,) * (input.ndim - 2)
        y = (input - mean.reshape(shape)) / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y

    def _global_statistics(self, x):
        """Per channel: the mean and biased variance over the rows and
        positions of every rank, and their count ``n``."""
        dims = (0, *range(2, x.ndim))
        count = tg.tensor([x.numel() // x.shape[1]], dtype=tg.int64)
        dist.all_reduce(count, group=self.process_group)
        n = int(count.item())
        mean = _SumOverRanks.apply(x.sum(dims), self.process_group) / n
        shape = (1, -1) + (1,) * (x.ndim - 2)
        centred = x - mean.reshape(shape)
        var = _SumOverRanks.apply((centred * centred).sum(dims), self.process_group) / n
        return mean, var, n

    def _update_running(self, mean, var, n: int) -> None:
        """``running = (1 - m) running + m batch`` with the unbiased variance
        (``m``: ``momentum``, or ``1 / num_batches_tracked`` when it is None)."""
        with no_grad():
            self.num_batches_tracked.add_(1)
            m = 1.0 / int(self.num_batches_tracked) if self.momentum is None else self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach().to(self.running_mean.dtype) * m)
            unbiased = var.detach() * (n / max(n - 1, 1))
            self.running_var.mul_(1 - m).add_(unbiased.to(self.running_var.dtype) * m)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every ``BatchNorm*d`` inside replaced by a
        ``SyncBatchNorm`` holding its parameters, buffers and mode (the module
        itself when it is one)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            return _synced_copy(module, process_group)
        for name, child in list(module.named_children()):
            converted = cls.convert_sync_batchnorm(child, process_group)
            if converted is not child:
                setattr(module, name, converted)
        return module


def _synced_copy(bn: _BatchNorm, process_group) -> SyncBatchNorm:
    """A ``SyncBatchNorm`` sharing ``bn``'s parameters and buffers."""
    sync = SyncBatchNorm(
        bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats, process_group
    )
    if bn.affine:
        sync.weight, sync.bias = bn.weight, bn.bias
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        setattr(sync, name, getattr(bn, name))
    sync.train(bn.training)
    return sync
