"""Data sets and functions for the worker tests (test_loader_workers.py).

Workers started by forkserver or spawn get the data set and functions
pickled by reference: they must live at module level in a module the
workers can import.  This one imports only tapegrad, so such a worker starts
quickly; a test module would make every worker import pytest first."""

import os
import time

import tapegrad as tg
from tapegrad.utils.data import Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    """Sample ``i`` is ``(tensor([i, i^2]), i)``; index ``fail_at`` raises."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at = n, fail_at

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"sample {i} is broken")
        return tg.tensor([float(i), float(i * i)]), i

    def __len__(self):
        return self.n


class WhoLoads(Dataset):
    """Sample ``i`` says which process loaded it and what it drew there."""

    marker = -1

    def __init__(self, n, delay=0.0):
        self.n, self.delay = n, delay

    def __getitem__(self, i):
        time.sleep(self.delay)
        info = get_worker_info()
        return {
            "index": i,
            "pid": os.getpid(),
            "worker": info.id,
            "num_workers": info.num_workers,
            "base_seed": info.seed - info.id,
            "marker": self.marker,
            "draw": tg.rand(()).item(),
        }

    def __len__(self):
        return self.n


class Range(IterableDataset):
    """``0..n-1``; with ``split``, worker ``k`` of ``m`` reads ``k, k+m, ...``."""

    def __init__(self, n, split):
        self.n, self.split = n, split

    def __iter__(self):
        info = get_worker_info()
        if not self.split or info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class DiesAt(Squares):
    def __getitem__(self, i):
        if i == self.fail_at:
            os._exit(3)
        return super().__getitem__(i)


def mark_worker(worker_id):
    get_worker_info().dataset.marker = 100 + worker_id
