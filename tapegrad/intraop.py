"""Intra-op parallelism: the threads that one op runs on.

NumPy runs each call on one core, except BLAS products, which the BLAS
spreads over its own threads.  A convolution kernel alternates the two
(copying windows, one product, adding slabs back), and each product leaves
part of its result in another core's cache for the next copy or add to
fetch: on a 2-core machine the adds after a product took three times as
long as the same adds alone.  So a kernel that works image by image splits
its batch into contiguous parts instead, one per thread, and runs each part
from start to end on its own thread with the BLAS at one thread
(``split_batch``): every block stays in one core's cache, as PyTorch's
OpenMP loops keep it.

OpenBLAS's idle threads busy-wait for 2^28 clock cycles (about 0.1 s) after
each product they shared before they sleep, and meanwhile take a core from
tapegrad's threads (a split convolution ran twice as long right after a
fully-connected layer's product).  So while tapegrad's threads are in use,
the products of ``matmul`` that OpenBLAS would spread over its threads run
on tapegrad's instead.

The number of threads is the BLAS's own when the op starts (OpenBLAS, MKL
or BLIS, read and set through ``threadpoolctl``): a process whose BLAS is
limited to ``n`` threads (``OMP_NUM_THREADS``, ``threadpoolctl``,
``tg.set_num_threads``) uses ``n`` here too.  With one thread, without a
BLAS whose threads can be set, or for ops called in another thread than
the main one, everything runs in the calling thread.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

from tapegrad import backend as B

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - a declared dependency
    ThreadpoolController = None

xp = B.xp

#: multiply-adds from which OpenBLAS spreads a product over its threads
#: (``m n k`` above 2^18 per thread, its ``GEMM_MULTITHREAD_THRESHOLD``)
BLAS_THREADED_WORK = 1 << 19
#: multiply-adds from which splitting a product pays for handing half of it
#: to another thread (40-70 us on the development machine)
SPLIT_WORK = 1 << 24
#: seconds after a split during which tapegrad's threads count as in use:
#: longer than OpenBLAS's busy wait
IN_USE_S = 0.25


def _fresh_state() -> dict:
    """The module's state that a process starts with (and a forked child
    again): no worker threads yet, no split running or run."""
    return {
        "pool": None,
        "workers": 0,
        "busy": threading.Lock(),  # held by the split running now
        "last_split": -float("inf"),
        "main": threading.main_thread().ident,  # (in a forked child, the thread that forked)
    }


_state = {"blas": None, **_fresh_state()}

#: ``[True]`` from a split on until ``matmul`` finds the last one older than
#: ``IN_USE_S``: a flag the products' callers read for nothing when no
#: split ever ran (a network without convolutions)
THREADS_IN_USE = [False]


def _blas_libraries() -> list:
    """The BLAS libraries loaded in this process whose thread count can be
    read and set, found on first use (NumPy's is loaded by then)."""
    if _state["blas"] is None:
        found = []
        if ThreadpoolController is not None:
            try:
                found = list(ThreadpoolController().select(user_api="blas").lib_controllers)
            except Exception:  # a BLAS that threadpoolctl cannot inspect
                found = []
        _state["blas"] = found
    return _state["blas"]


def blas_threads() -> int:
    """The BLAS's thread count (the largest, if several BLAS libraries are
    loaded); 1 when there is none whose count can be read."""
    return max((lib.get_num_threads() or 1 for lib in _blas_libraries()), default=1)


def set_blas_threads(n: int) -> None:
    """Set every loaded BLAS to ``n`` threads."""
    for lib in _blas_libraries():
        lib.set_num_threads(n)


@contextmanager
def one_blas_thread():
    """The BLAS at one thread inside the block, as it was after."""
    libraries = _blas_libraries()
    before = [lib.get_num_threads() for lib in libraries]
    set_blas_threads(1)
    try:
        yield
    finally:
        for lib, count in zip(libraries, before):
            lib.set_num_threads(count)


def _in_main_thread() -> bool:
    """Whether the caller is the main thread: the only one that changes the
    BLAS's thread count here (OpenBLAS does not take a count back up from
    another thread than the one that set it lower)."""
    return threading.get_ident() == _state["main"]


def split_batch(n: int, work) -> list:
    """``[work(lo, hi) for each part]``: ``range(n)`` cut into one contiguous
    part per BLAS thread (sizes differ by at most one), the parts run at
    once, each on its own thread with the BLAS at one thread.  The results
    come in part order; an error of a part is raised here once every part
    has ended.  A single part (one thread, ``n < 2``, a caller other than
    the main thread, or a split already running) runs in the calling thread."""
    threads = min(blas_threads(), n) if _in_main_thread() else 1
    busy = _state["busy"]
    if threads < 2 or not busy.acquire(blocking=False):
        return [work(0, n)]
    try:
        bounds = [n * k // threads for k in range(threads + 1)]
        with one_blas_thread():
            pool = _pool(threads - 1)
            futures = [pool.submit(work, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
            try:
                first = work(bounds[0], bounds[1])
            finally:
                wait(futures)
                _state["last_split"] = time.perf_counter()
                THREADS_IN_USE[0] = True
            return [first] + [f.result() for f in futures]
    finally:
        busy.release()


def matmul(a, b):
    """``a @ b`` for matrices ``a (m, k)``, ``b (k, n)``.  While tapegrad's
    threads are in use (a split ended less than ``IN_USE_S`` ago), a product
    that OpenBLAS would spread over its threads runs on tapegrad's: split
    by rows (or by columns when ``n > m``) from ``SPLIT_WORK`` multiply-adds
    on, below that on the calling thread with the BLAS at one thread.  Once
    the last split is older, it clears ``THREADS_IN_USE``."""
    if time.perf_counter() - _state["last_split"] > IN_USE_S:
        THREADS_IN_USE[0] = False
        return a @ b
    (m, k), n = a.shape, b.shape[1]
    work = m * k * n
    if work < BLAS_THREADED_WORK or not _in_main_thread():
        return a @ b
    out = xp.empty((m, n), xp.result_type(a, b))
    if work < SPLIT_WORK:
        with one_blas_thread():
            xp.matmul(a, b, out=out)
    elif m >= n:
        split_batch(m, lambda lo, hi: xp.matmul(a[lo:hi], b, out=out[lo:hi]))
    else:
        split_batch(n, lambda lo, hi: xp.matmul(a, b[:, lo:hi], out=out[:, lo:hi]))
    return out


def _pool(workers: int) -> ThreadPoolExecutor:
    """The process's worker threads (the calling thread is the other one),
    made again when more are needed."""
    if _state["workers"] < workers:
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=False)
        _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="tapegrad-intraop")
        _state["workers"] = workers
    return _state["pool"]


def _forget_threads() -> None:
    """In a forked child the parent's worker threads do not exist, and a lock
    another thread held at the fork stays held: start afresh."""
    _state.update(_fresh_state())
    THREADS_IN_USE[0] = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)
