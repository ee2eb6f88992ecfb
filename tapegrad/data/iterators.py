"""One pass over a ``DataLoader`` (what ``iter(loader)`` returns): batches
fetched in the main process (``SingleProcessIter``) or by worker processes
(``MultiProcessIter``), the same batches in the same order either way."""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any

from tapegrad.data.errors import DataError
from tapegrad.data.fetch import make_fetcher
from tapegrad.data.samplers import seed_from
from tapegrad.data.workers import (
    IterableEnd,
    ResumeIteration,
    WorkerError,
    WorkerPool,
    WorkerSetup,
    default_context,
)

if TYPE_CHECKING:
    from tapegrad.data.loader import DataLoader


class LoaderIter:
    """One pass over a loader: ``next`` gives the next batch."""

    def __init__(self, loader: DataLoader):
        self._index_sampler = loader._index_sampler
        self._indices = iter(self._index_sampler)
        # Drawn with or without workers, so that the generator's stream, and
        # with it the sampler's order, is the same for any num_workers.
        self._base_seed = seed_from(loader.generator)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)


class SingleProcessIter(LoaderIter):
    """Batches fetched in the main process, one per ``next``."""

    def __init__(self, loader: DataLoader):
        if loader.timeout != 0:
            raise DataError(
                f"DataLoader: timeout={loader.timeout} bounds the wait for worker processes; "
                "with num_workers=0 it must be 0"
            )
        super().__init__(loader)
        self._fetcher = make_fetcher(
            loader.dataset, loader.batch_sampler is not None, loader.collate_fn, loader.drop_last
        )

    def __next__(self):
        return self._fetcher.fetch(next(self._indices))


class MultiProcessIter(LoaderIter):
    """Batches fetched by worker processes, handed on in task order.

    Task ``k`` is the ``k``-th index (list) of the sampler, sent to the next
    live worker in round-robin; ``_owner`` maps each task sent and not yet
    answered to its worker, ``_arrived`` holds answers that came early.  A
    worker whose stream ended gets no more tasks, and its unanswered ones are
    skipped.  It keeps no reference to the loader, so that a loader holding
    its persistent iterator is freed, workers and all, when dropped."""

    def __init__(self, loader: DataLoader):
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout or None
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        setup = WorkerSetup(
            loader.dataset,
            loader.batch_sampler is not None,
            loader.collate_fn,
            loader.drop_last,
            loader.worker_init_fn,
            loader.num_workers,
        )
        context = loader.multiprocessing_context or default_context()
        self._pool = WorkerPool(setup, self._base_seed, context)
        # Shuts the workers down when this iterator is dropped (a loop left
        # early) or at interpreter exit, whichever comes first.
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._start_pass(first=True)

    def reset(self) -> None:
        """Begin a new pass with the same (persistent) workers."""
        self._indices = iter(self._index_sampler)
        self._start_pass(first=False)

    def _start_pass(self, first: bool) -> None:
        n = self._num_workers
        self._sent = self._delivered = 0
        self._owner: dict[int, int] = {}
        self._arrived: dict[int, Any] = {}
        self._live = [True] * n
        self._turn = itertools.cycle(range(n))
        if not first:
            self._resume_workers()
        for _ in range(self._prefetch):
            self._send_next_task()

    def _resume_workers(self) -> None:
        """Restart each worker's fetcher; answers still in flight from an
        abandoned previous pass are dropped."""
        n = self._num_workers
        for worker_id in range(n):
            self._pool.send(worker_id, ResumeIteration())
        resumed = 0
        while resumed < n:
            _, (number, _) = self._pool.receive(list(range(n)), None)
            resumed += isinstance(number, ResumeIteration)

    def _send_next_task(self) -> None:
        try:
            index = next(self._indices)
        except StopIteration:
            return
        for _ in self._live:
            worker_id = next(self._turn)
            if self._live[worker_id]:
                self._pool.send(worker_id, (self._sent, index))
                self._owner[self._sent] = worker_id
                self._sent += 1
                return

    def __next__(self):
        while True:
            self._skip_tasks_of_ended_workers()
            if self._delivered == self._sent:
                self._end_pass()
                raise StopIteration
            if self._delivered in self._arrived:
                return self._deliver(self._arrived.pop(self._delivered))
            number, data = self._receive()
            if number is None:
                continue
            if number == self._delivered or not self._in_order:
                return self._deliver(data)
            self._arrived[number] = data

    def _skip_tasks_of_ended_workers(self) -> None:
        while self._delivered < self._sent and self._delivered not in self._arrived:
            worker_id = self._owner.get(self._delivered)
            if worker_id is not None and self._live[worker_id]:
                return
            self._owner.pop(self._delivered, None)
            self._delivered += 1

    def _receive(self) -> tuple[int | None, Any]:
        """The next answer as ``(task, data)``; ``(None, None)`` when it was a
        worker's end of stream (that worker is then retired)."""
        live = [w for w, alive in enumerate(self._live) if alive]
        worker_id, (number, data) = self._pool.receive(live, self._timeout)
        del self._owner[number]
        if isinstance(data, IterableEnd):
            self._live[worker_id] = False
            if not self._persistent:
                self._pool.send(worker_id, None)
            self._send_next_task()
            return None, None
        return number, data

    def _deliver(self, data):
        if self._in_order:
            self._delivered += 1
        self._send_next_task()
        if isinstance(data, WorkerError):
            data.reraise()
        return data

    def _end_pass(self) -> None:
        if not self._persistent:
            self._finalizer()
