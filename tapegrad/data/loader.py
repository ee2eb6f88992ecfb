"""``DataLoader`` (``torch.utils.data.dataloader``): a data set, an order and
a way to join samples into batches, iterated in the main process or in worker
processes.

Every pass (``iter(loader)``) first draws a base seed from the loader's
generator (the default generator when it has none) for the workers, then the
sampler draws its order (a shuffling loader's ``RandomSampler`` from the same
generator), as PyTorch does; the same seed therefore gives the same batches
with any ``num_workers``.  ``seed=n`` (tapegrad's shorthand) is
``generator=tg.Generator(n)``.

A pass itself is in ``iterators.py``.  ``default_collate``,
``default_convert`` and ``get_worker_info`` are re-exported as by torch's
``dataloader`` module; ``Dataset``, ``TensorDataset``, ``Subset`` and
``random_split``, which this module used to define, still import from here.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from tapegrad.backend import Generator
from tapegrad.data.collate import default_collate, default_convert
from tapegrad.data.dataset import (  # noqa: F401  (Dataset, Subset, ...: their old home)
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from tapegrad.data.errors import DataError
from tapegrad.data.iterators import MultiProcessIter, SingleProcessIter
from tapegrad.data.samplers import BatchSampler, RandomSampler, Sampler, SequentialSampler
from tapegrad.data.workers import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

# Attributes that fix what a pass yields; PyTorch refuses to change them later.
_FIXED_AFTER_INIT = (
    "batch_size",
    "batch_sampler",
    "sampler",
    "drop_last",
    "dataset",
    "persistent_workers",
)


class _InfiniteConstantSampler(Sampler):
    """The "indices" of a stream: ``None`` forever (the stream decides when
    it ends)."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``).

    Order: ``sampler`` (an iterable of indices), or a ``RandomSampler``
    drawing from ``generator`` when ``shuffle``, else ``SequentialSampler``.
    Batching: ``batch_sampler`` (lists of indices), or the sampler's indices
    in groups of ``batch_size`` (the last shorter group dropped when
    ``drop_last``), joined by ``collate_fn`` (``default_collate``); with
    ``batch_size=None`` each sample is yielded alone through
    ``default_convert``.  An ``IterableDataset`` is read as a stream (no
    sampler, no shuffle).  ``len(loader)`` is the number of batches.

    ``num_workers > 0`` loads batches in that many worker processes, at most
    ``prefetch_factor`` batches ahead per worker, with the same batches in
    the same order as ``num_workers=0`` (see ``workers.py`` for the start
    method and why the data set must be picklable); ``worker_init_fn(id)``
    runs in each worker after seeding; ``timeout`` bounds the wait for a
    batch; ``persistent_workers`` keeps the workers between passes.  Each
    worker of an ``IterableDataset`` reads its own copy of the whole stream:
    split it by ``get_worker_info()`` or each sample arrives ``num_workers``
    times.  ``pin_memory`` is accepted and does nothing (no accelerator).
    A ``TensorDataset`` is batched by indexing whole tensors.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        in_order: bool = True,
        seed: int | None = None,
    ):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if seed is not None:
            if generator is not None:
                raise DataError("DataLoader: give either seed or generator, not both")
            generator = Generator(seed)
        self._is_stream = isinstance(dataset, IterableDataset)
        if self._is_stream:
            _check_stream_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        _check_order_options(batch_size, shuffle, sampler, batch_sampler, drop_last)
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None:
            sampler = _default_sampler(dataset, self._is_stream, shuffle, generator)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _context(multiprocessing_context, num_workers)
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterator = None
        self._initialized = True
        _warn_if_too_many_workers(num_workers)

    def __setattr__(self, name: str, value) -> None:
        if getattr(self, "_initialized", False) and name in _FIXED_AFTER_INIT:
            raise DataError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    @property
    def _index_sampler(self):
        """What each fetch gets: a list of indices (batching) or one index."""
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if not self._is_stream:
            return len(self._index_sampler)
        n = len(self.dataset)  # a TypeError for a stream without a length, as PyTorch
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.num_workers == 0:
            return SingleProcessIter(self)
        if not self.persistent_workers:
            return MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = MultiProcessIter(self)
        else:
            self._iterator.reset()
        return self._iterator


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise DataError(
            "num_workers option should be a non-negative integer; use num_workers=0 to "
            f"disable multiprocessing (got {num_workers!r})"
        )
    if timeout < 0:
        raise DataError(f"timeout option should be non-negative (got {timeout})")
    if num_workers == 0 and prefetch_factor is not None:
        raise DataError(
            "prefetch_factor option could only be specified in multiprocessing: let "
            "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None"
        )
    if prefetch_factor is not None and prefetch_factor <= 0:
        raise DataError(f"prefetch_factor option should be positive (got {prefetch_factor})")
    if persistent_workers and num_workers == 0:
        raise DataError("persistent_workers option needs num_workers > 0")


def _check_stream_options(shuffle, sampler, batch_sampler) -> None:
    if shuffle not in (False, None):
        raise DataError(
            "DataLoader with IterableDataset: expected unspecified shuffle option, but got "
            f"shuffle={shuffle}"
        )
    if sampler is not None:
        raise DataError(
            "DataLoader with IterableDataset: expected unspecified sampler option, but got "
            f"sampler={sampler}"
        )
    if batch_sampler is not None:
        raise DataError(
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
            f"got batch_sampler={batch_sampler}"
        )


def _check_order_options(batch_size, shuffle, sampler, batch_sampler, drop_last) -> None:
    if sampler is not None and shuffle:
        raise DataError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise DataError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                "sampler, and drop_last"
            )
    elif batch_size is None and drop_last:
        raise DataError(
            "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
        )


def _default_sampler(dataset, is_stream: bool, shuffle: bool, generator) -> Sampler:
    if is_stream:
        return _InfiniteConstantSampler()
    if shuffle:
        return RandomSampler(dataset, generator=generator)
    return SequentialSampler(dataset)


def _context(choice, num_workers: int):
    """The multiprocessing context: ``choice`` (a start method's name or a
    context), else tapegrad's default (``workers.default_context``)."""
    if choice is None:
        return None
    if num_workers == 0:
        raise DataError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(choice, str):
        methods = multiprocessing.get_all_start_methods()
        if choice not in methods:
            raise DataError(
                f"multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={choice!r}"
            )
        return multiprocessing.get_context(choice)
    if not isinstance(choice, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={choice!r}"
        )
    return choice


def _warn_if_too_many_workers(num_workers: int) -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus is not None and num_workers > cpus:
        warnings.warn(
            f"This DataLoader will create {num_workers} worker processes in total, more than "
            f"the {cpus} CPUs this process may use; excessive worker creation might make the "
            "DataLoader slow or even freeze it, lower the worker number if necessary.",
            stacklevel=3,
        )
