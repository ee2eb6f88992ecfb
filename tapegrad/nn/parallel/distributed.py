"""``DistributedDataParallel``: one copy of the model per rank, each on its
share of the batch, gradients averaged over the ranks during ``backward()``.

Each of ``N`` ranks computes the gradient ``g_r`` of its own loss; after
``backward()`` every rank holds ``(1/N) sum_r g_r``, so with a mean loss on
``B/N`` rows each, the ranks take the step one process would take on the
whole batch of ``B`` rows, and their parameters stay identical.  The
averaging overlaps with the backward pass (``reducer.py``).

As in PyTorch: the parameters and buffers of rank 0 are broadcast at
construction; buffers (BatchNorm's running statistics) are broadcast from
rank 0 before each forward that follows a training forward
(``broadcast_buffers``), while the batch statistics of a forward stay each
rank's own; ``no_sync()`` accumulates gradients locally (the first backward
after it averages the sums); ``find_unused_parameters`` lets a forward leave
parameters out.
"""

from __future__ import annotations

from contextlib import contextmanager

import tapegrad as tg
import tapegrad.distributed as dist
from tapegrad.autograd.graph import is_grad_enabled, no_grad
from tapegrad.nn.module import Module
from tapegrad.nn.parallel.reducer import DEFAULT_BUCKET_CAP_MB, Reducer

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module)``: ``module`` whose gradients are
    averaged over the ranks of the default process group in every
    ``backward()``; call it as the module (the wrapped one is ``.module``,
    and ``state_dict`` keys start with ``module.``, as in PyTorch)."""

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        broadcast_buffers: bool = True,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
    ):
        super().__init__()
        if device_ids or output_device is not None:
            raise ValueError(
                "DistributedDataParallel: device_ids and output_device are for GPU modules; "
                f"tapegrad runs on the CPU: leave them out (got device_ids={device_ids!r}, "
                f"output_device={output_device!r})"
            )
        if bucket_cap_mb is not None and bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        _check_same_model(params, process_group)
        if init_sync:
            _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), process_group)
        self.reducer = Reducer(params, bucket_cap_mb, find_unused_parameters, process_group)

    def forward(self, *inputs, **kwargs):
        """``module(*inputs, **kwargs)``, announced to the reducer when its
        backward must average (grad mode on, outside ``no_sync``)."""
        reducing = is_grad_enabled() and self.require_backward_grad_sync
        if reducing:
            self.reducer.rebuild_buckets()
        if self.require_forward_param_sync and self.broadcast_buffers:
            _broadcast_coalesced(list(self.module.buffers()), self.process_group)
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = reducing
        if reducing:
            self.reducer.prepare_for_backward(output)
        return output

    @contextmanager
    def no_sync(self):
        """Inside, forward and backward passes accumulate gradients on each
        rank without communicating; the first backward after the block
        averages the accumulated sums (include the forward in the block)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _check_same_model(params: list, group) -> None:
    """Every rank wraps a model with the same parameter shapes (a mismatch
    would make the collectives exchange garbage or hang)."""
    shapes = [s for p in params for s in (p.ndim, *p.shape)]
    mine = tg.tensor([len(params), len(shapes), hash(tuple(shapes)) % 2**61], dtype=tg.int64)
    everyone = [tg.zeros(3, dtype=tg.int64) for _ in range(dist.get_world_size(group))]
    dist.all_gather(everyone, mine, group=group)
    for rank, theirs in enumerate(everyone):
        if theirs.tolist() != mine.tolist():
            raise RuntimeError(
                f"DDP expects same model across all ranks, but rank {dist.get_rank(group)} has "
                f"{len(params)} params ({mine.tolist()[1]} shape numbers) while rank {rank} has "
                f"{theirs.tolist()[0]} params ({theirs.tolist()[1]}) or other shapes"
            )


def _broadcast_coalesced(tensors: list, group, src: int = 0) -> None:
    """``t <- t of rank src`` for every tensor: one broadcast per dtype, of
    the tensors laid end to end."""
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    with no_grad():
        for same in by_dtype.values():
            flat = tg.cat([t.detach().reshape(-1) for t in same])
            dist.broadcast(flat, src=src, group=group)
            start = 0
            for t in same:
                n = t.numel()
                t.copy_(flat[start : start + n].view(t.shape))
                start += n
