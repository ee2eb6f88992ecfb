"""``DistributedSampler`` (``torch.utils.data.distributed``): each of
``num_replicas`` processes reads its own share of a map-style data set.

PyTorch's sharding rule, exactly: take the indices ``0..N-1`` (shuffled by a
generator seeded ``seed + epoch`` when ``shuffle``); without ``drop_last``
repeat indices from the start until the count is a multiple of
``num_replicas``, with ``drop_last`` cut the tail to one; replica ``rank``
then takes ``indices[rank::num_replicas]``.  Every replica computes the same
list, so the shares are disjoint (up to the padding) and cover the data.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator

from tapegrad.backend import Generator
from tapegrad.data.dataset import Dataset
from tapegrad.data.errors import DataError
from tapegrad.data.samplers import Sampler
from tapegrad.factories import randperm

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """The share of replica ``rank`` out of ``num_replicas`` (by default the
    world size and rank of ``tapegrad.distributed``'s default process group).

    ``len(sampler)`` is ``ceil(N / num_replicas)``, or with ``drop_last`` and
    ``N`` not divisible, ``ceil((N - num_replicas) / num_replicas)``.  Call
    ``set_epoch(epoch)`` before each epoch so that shuffling differs between
    epochs (the same on every replica)."""

    def __init__(
        self,
        dataset: Dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None:
            num_replicas = _default_group().get_world_size()
        if rank is None:
            rank = _default_group().get_rank()
        if rank >= num_replicas or rank < 0:
            raise DataError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = randperm(n, generator=Generator(self.seed + self.epoch)).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            padding = self.total_size - len(indices)
            if padding > 0:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Shuffle the next pass with ``seed + epoch``; without it every
        epoch repeats the same order."""
        self.epoch = epoch


def _default_group():
    """``tapegrad.distributed``, once its default process group exists.
    Imported here, not at the top: the data loader must not need MPI."""
    try:
        dist = importlib.import_module("tapegrad.distributed")
    except ImportError as err:
        raise RuntimeError(
            "DistributedSampler: Default process group has not been initialized: "
            f"tapegrad.distributed cannot be imported ({err}); pass num_replicas and rank "
            "explicitly"
        ) from err
    if not dist.is_initialized():
        raise RuntimeError(
            "DistributedSampler: Default process group has not been initialized, please make "
            "sure to call tapegrad.distributed.init_process_group (or pass num_replicas and "
            "rank explicitly)"
        )
    return dist
