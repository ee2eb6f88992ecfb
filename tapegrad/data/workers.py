"""Worker processes for ``DataLoader(num_workers=k)``.

Each worker holds its own copy of the data set.  It takes ``(task, index)``
pairs from its index queue, fetches and collates that batch, and sends
``(task, batch)`` back over its own pipe.  The main process (``WorkerPool``
here, the ordering in ``iterators.py``) deals the tasks out round-robin and
hands the batches on in task order, so they are exactly the batches of
``num_workers=0``.  An exception in a worker travels back as a
``WorkerError`` and is raised again in the main process, with the worker's
traceback in its message.

Start method: Python's default for the platform, as PyTorch's DataLoader
(``fork`` on Linux up to Python 3.13, ``forkserver`` from 3.14, ``spawn``
on macOS and Windows), so a PyTorch script runs with its import changed,
also one without an ``if __name__ == "__main__":`` guard on Linux.  ``fork``
is the fastest and needs nothing picklable, but copies the parent
mid-flight: a lock another thread holds at that instant stays locked in the
child (why Python 3.12 warns about forking a threaded process).
``multiprocessing_context="forkserver"`` avoids that: workers fork from a
small single-threaded server that has imported tapegrad once; like
``spawn``, it imports the main script again in each worker (which then
needs the guard) and sends the data set, ``collate_fn`` and
``worker_init_fn`` pickled, so they must be defined at module level.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

from tapegrad import backend as B
from tapegrad.data.fetch import IterableFetcher, make_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

# A worker idle this long checks that the main process still lives (it exits
# when it does not: a killed main process leaves no workers behind).
_POLL_S = 1.0
# How long shutdown waits for a worker to finish its current batch and exit
# before it terminates the process.
_JOIN_S = 2.0

_worker_info: WorkerInfo | None = None
_forkserver_preloaded = False


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a worker: its ``id``
    (``0..num_workers-1``), ``num_workers``, the ``seed`` its generators were
    seeded with (``base_seed + id``) and its own copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the current DataLoader worker process; None in
    the main process."""
    return _worker_info


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker needs besides its id and channels; pickled once
    per worker under ``forkserver`` and ``spawn``."""

    dataset: Any
    auto_collation: bool
    collate_fn: Callable
    drop_last: bool
    worker_init_fn: Callable[[int], None] | None
    num_workers: int

    def fetcher(self):
        return make_fetcher(self.dataset, self.auto_collation, self.collate_fn, self.drop_last)


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new pass: restart the
    fetcher (a stream from its beginning) and acknowledge."""


@dataclass(frozen=True)
class IterableEnd:
    """A worker's copy of an ``IterableDataset`` is spent."""

    worker_id: int


class KeyErrorMessage(str):
    """A message whose repr is itself: ``KeyError`` shows its argument's repr,
    which would print the worker's traceback as one escaped line."""

    def __repr__(self) -> str:
        return self


class WorkerError:
    """The exception being handled in a worker, carried to the main process.

    ``reraise()`` raises the same exception type (RuntimeError where that
    type cannot be rebuilt there) with PyTorch's message: ``Caught ValueError
    in DataLoader worker process 0.`` followed by the original traceback."""

    def __init__(self, worker_id: int, doing: str = ""):
        exc_type, exc, tb = sys.exc_info()
        self.type_name = exc_type.__name__
        self.exc_type = exc_type if _picklable(exc_type) else RuntimeError
        self.where = f"in DataLoader worker process {worker_id}{doing}"
        self.traceback = "".join(traceback.format_exception(exc_type, exc, tb))

    def reraise(self):
        msg = f"Caught {self.type_name} {self.where}.\nOriginal {self.traceback}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            error = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise error


def _picklable(obj) -> bool:
    try:
        ForkingPickler.dumps(obj)
    except Exception:
        return False
    return True


# ------------------------------------------------------------ in the worker
def _worker_main(shipped, worker_id: int, base_seed: int, tasks, results, done):
    """A worker's whole life: seed, load its setup (``shipped``: the
    ``WorkerSetup``, pickled unless forked), answer tasks until told to stop."""
    global _worker_info
    seed = base_seed + worker_id
    _seed_generators(seed, base_seed, worker_id)
    try:
        setup, load_error = _load(shipped, worker_id)
        if setup is not None:
            _worker_info = WorkerInfo(worker_id, setup.num_workers, seed, setup.dataset)
        _WorkerLoop(setup, worker_id, results, load_error).serve(tasks, done)
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process shuts down
    finally:
        results.close()


def _seed_generators(seed: int, base_seed: int, worker_id: int) -> None:
    """tapegrad's default generator and Python's ``random`` get ``seed``;
    NumPy's global generator a state mixed from both numbers (as PyTorch)."""
    random.seed(seed)
    B.manual_seed(seed)
    B.host.random.seed(B.host.random.SeedSequence([worker_id, base_seed]).generate_state(4))


def _load(shipped, worker_id: int) -> tuple[WorkerSetup | None, WorkerError | None]:
    if not isinstance(shipped, bytes):
        return shipped, None
    try:
        return ForkingPickler.loads(shipped), None
    except Exception:
        # Typically a class or function the worker cannot import, such as
        # one defined in an interactive session's __main__.
        return None, WorkerError(
            worker_id,
            " while unpickling the dataset, collate_fn and worker_init_fn sent to it (their "
            "classes and functions must be importable there: define them in a module file)",
        )


class _WorkerLoop:
    """One worker between tasks: its fetcher (None when setting up failed;
    ``error`` then answers every task), and whether its copy of a stream is
    spent (until the next pass)."""

    def __init__(self, setup, worker_id: int, results, load_error):
        self.setup, self.worker_id, self.results = setup, worker_id, results
        self.fetcher, self.error = None, load_error
        if setup is not None:
            self.fetcher, self.error = self._prepare(run_init=True)
        self.ended = False

    def _prepare(self, run_init: bool):
        """``(fetcher, None)``, or ``(None, WorkerError)`` when
        ``worker_init_fn`` or making the fetcher fails."""
        if self.setup is None:
            return None, self.error
        try:
            if run_init and self.setup.worker_init_fn is not None:
                self.setup.worker_init_fn(self.worker_id)
            return self.setup.fetcher(), None
        except Exception:
            return None, WorkerError(self.worker_id)

    def serve(self, tasks, done) -> None:
        parent = multiprocessing.parent_process()
        while True:
            try:
                task = tasks.get(timeout=_POLL_S)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    return
                continue
            if task is None or not self._answer(task, done):
                return

    def _answer(self, task, done) -> bool:
        """Handle one task; False once the main process stopped listening."""
        if isinstance(task, ResumeIteration):
            self.fetcher, self.error = self._prepare(run_init=False)
            self.ended = False
            return self._send((task, None))
        if done.is_set() or self.ended:
            return True  # shutting down, or nothing left to read: tasks are dropped
        number, index = task
        data = self.error if self.fetcher is None else self._fetch(index)
        return self._send((number, data))

    def _fetch(self, index):
        """The batch, ``IterableEnd`` when the stream is spent, or the
        ``WorkerError`` of the exception that fetching raised."""
        try:
            return self.fetcher.fetch(index)
        except StopIteration:
            if not isinstance(self.fetcher, IterableFetcher):
                return WorkerError(self.worker_id)
            self.ended = True
            return IterableEnd(self.worker_id)
        except Exception:
            return WorkerError(self.worker_id)

    def _send(self, message: tuple) -> bool:
        """Pickle and send ``message``; a batch that cannot be pickled is
        answered by the error saying so.  False once the main process has
        closed its end (it is shutting the workers down)."""
        try:
            payload = ForkingPickler.dumps(message)
        except Exception:
            error = WorkerError(self.worker_id, " while pickling its batch for the main process")
            payload = ForkingPickler.dumps((message[0], error))
        try:
            self.results.send_bytes(payload)
        except OSError:  # BrokenPipeError: nobody reads any more
            return False
        return True


# ------------------------------------------------------ in the main process
def default_context():
    """The ``multiprocessing`` context for workers: the platform's default
    (why: module docstring), a ``forkserver`` one preloading tapegrad."""
    global _forkserver_preloaded
    context = multiprocessing.get_context()
    if context.get_start_method() == "forkserver" and not _forkserver_preloaded:
        # The server imports these once (``__main__`` is Python's default);
        # each worker then forks with tapegrad loaded instead of importing it
        # anew.  Has no effect if the server already runs.
        context.set_forkserver_preload(["__main__", "tapegrad"])
        _forkserver_preloaded = True
    return context


class WorkerPool:
    """The main process's side of the workers: one index queue and one
    result pipe per worker, started with ``context``."""

    def __init__(self, setup: WorkerSetup, base_seed: int, context):
        self.context = context
        self.done = context.Event()
        self.tasks, self.results, self.processes = [], [], []
        self.closed = False
        # A forked worker inherits the setup as it is; otherwise it is pickled
        # here once for all workers, and what cannot be pickled is named.
        forked = context.get_start_method() == "fork"
        shipped = setup if forked else _pickled(setup, context.get_start_method())
        try:
            for worker_id in range(setup.num_workers):
                self._start(shipped, worker_id, base_seed)
        except BaseException:
            self.shutdown()
            raise

    def _start(self, shipped, worker_id: int, base_seed: int) -> None:
        tasks = self.context.Queue()
        tasks.cancel_join_thread()  # exiting never waits to flush tasks to a dead worker
        reader, writer = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=_worker_main,
            args=(shipped, worker_id, base_seed, tasks, writer, self.done),
            name=f"DataLoader worker {worker_id}",
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            tasks.close()
            reader.close()
            raise
        finally:
            writer.close()  # the worker has its own; the pipe ends when the worker does
        self.tasks.append(tasks)
        self.results.append(reader)
        self.processes.append(process)

    def send(self, worker_id: int, task) -> None:
        self.tasks[worker_id].put(task)

    def receive(self, listening: list[int], timeout: float | None) -> tuple[int, tuple]:
        """``(worker_id, message)`` of the next message from one of the
        workers in ``listening``; a RuntimeError when none comes within
        ``timeout`` seconds or one of them dies."""
        readers = {self.results[w]: w for w in listening}
        sentinels = {self.processes[w].sentinel: w for w in listening}
        ready = wait(list(readers) + list(sentinels), timeout)
        if not ready:
            raise RuntimeError(f"DataLoader timed out after {timeout} seconds")
        dead = None
        for conn in ready:
            if conn in readers:
                try:
                    return readers[conn], ForkingPickler.loads(conn.recv_bytes())
                except EOFError:
                    dead = readers[conn]
            elif dead is None:
                dead = sentinels[conn]
        process = self.processes[dead]
        process.join(timeout=_JOIN_S)
        raise RuntimeError(
            f"DataLoader worker (pid(s) {process.pid}) exited unexpectedly "
            f"(exit code {process.exitcode})"
        )

    def shutdown(self) -> None:
        """Stop every worker: no more tasks, close the result pipes (a worker
        blocked sending gives up), wait a little, terminate what is left."""
        if self.closed:
            return
        self.closed = True
        self.done.set()
        for tasks in self.tasks:
            tasks.put(None)
        for reader in self.results:
            reader.close()
        for process in self.processes:
            process.join(timeout=_JOIN_S)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=_JOIN_S)
        for tasks in self.tasks:
            tasks.close()


def _pickled(setup: WorkerSetup, method: str) -> bytes:
    """``setup`` pickled for the workers, or a TypeError naming which of the
    data set, ``collate_fn`` and ``worker_init_fn`` cannot be pickled."""
    try:
        return bytes(ForkingPickler.dumps(setup))
    except Exception as err:
        culprit = "worker setup"
        for name in ("dataset", "collate_fn", "worker_init_fn"):
            if not _picklable(getattr(setup, name)):
                culprit = f"{name} ({type(getattr(setup, name)).__name__})"
                break
        raise TypeError(
            f"DataLoader: with num_workers > 0 the {culprit} is sent to each worker process "
            f"by pickling it (start method {method!r}), but it cannot be pickled: {err}. "
            "Define it at module level (not a lambda, a nested function or a class defined "
            "inside a function), or pass multiprocessing_context='fork' to copy it into the "
            "workers instead"
        ) from err
