"""``fit`` and ``evaluate`` on a ``DistributedDataParallel`` model: every rank
runs them on its share of the data, and what they report is that of all
the shares together.

A metric is accumulated as a sum of ``value * rows`` and a count of rows on
each rank; summing both over the ranks before dividing gives the mean over
every row any rank saw (the same on all ranks).  Ctrl-C reaches the ranks at
slightly different moments (``mpiexec`` passes it on to each): after each
batch the ranks agree whether any was interrupted, so that all stop after
the same batch.  A plain model runs in one process: nothing is exchanged.
"""

from __future__ import annotations

import tapegrad as tg
import tapegrad.distributed as dist
from tapegrad.nn.parallel import DistributedDataParallel

__all__ = ["ranks_of"]


class _OneProcess:
    """A plain model: the metrics and the interrupt are this process's."""

    def sum(self, sums: dict, count: float) -> tuple[dict, float]:
        return sums, count

    def any(self, flag: bool) -> bool:
        return flag


class _Ranks:
    """The ranks of a ``DistributedDataParallel`` model's process group."""

    def __init__(self, group):
        self.group = group

    def sum(self, sums: dict, count: float) -> tuple[dict, float]:
        """``sums`` and ``count`` summed over the ranks (every rank has the
        same keys: it ran the same metrics)."""
        totals = tg.tensor([count, *sums.values()], dtype=tg.float64)
        dist.all_reduce(totals, group=self.group)
        count, *values = totals.tolist()
        return dict(zip(sums, values)), count

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is set on any rank."""
        raised = tg.tensor([int(flag)], dtype=tg.int32)
        dist.all_reduce(raised, op=dist.ReduceOp.MAX, group=self.group)
        return bool(raised.item())


_ONE_PROCESS = _OneProcess()


def ranks_of(model):
    """How ``fit`` combines what the ranks saw: over the process group of a
    ``DistributedDataParallel`` model, else not at all."""
    if isinstance(model, DistributedDataParallel):
        return _Ranks(model.process_group)
    return _ONE_PROCESS
