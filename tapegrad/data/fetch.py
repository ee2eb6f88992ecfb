"""Fetching one batch: what a ``DataLoader`` does with each index (or list of
indices) its sampler yields, in the main process or in a worker.

With automatic batching (``batch_size`` or ``batch_sampler`` given) a
map-style data set gives ``collate_fn([dataset[i] for i in indices])``
(through ``dataset.__getitems__(indices)`` when it has one) and a stream gives
``collate_fn`` of its next ``len(indices)`` samples; without it, each index
gives ``collate_fn(dataset[index])`` or the next sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tapegrad import backend as B
from tapegrad.data.collate import default_collate
from tapegrad.data.dataset import Dataset, IterableDataset, Subset, TensorDataset

xp = B.xp


class MapFetcher:
    """Batches of a map-style data set.  A ``TensorDataset`` (or nested
    ``Subset`` of one) under ``default_collate`` is batched by indexing each
    whole tensor with the batch's rows: the same tensors as stacking the
    samples one by one, without the per-sample loop."""

    def __init__(self, dataset: Dataset, auto_collation: bool, collate_fn: Callable, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        fast = auto_collation and collate_fn is default_collate
        self.tensor_rows = _tensor_rows(dataset) if fast else None

    def fetch(self, index) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.tensor_rows is not None:
            tensors, rows = self.tensor_rows
            picked = xp.asarray(index, dtype=B.int64)
            picked = picked if rows is None else rows[picked]
            return [t[picked] for t in tensors]
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class IterableFetcher:
    """Batches of a stream, read from one ``iter(dataset)``.  ``fetch``
    raises ``StopIteration`` once the stream is spent (and, with
    ``drop_last``, instead of a final short batch)."""

    def __init__(self, dataset: IterableDataset, auto_collation: bool, collate_fn, drop_last):
        self.stream = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.stream))
        samples = []
        for _ in index:
            try:
                samples.append(next(self.stream))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples)


def make_fetcher(dataset, auto_collation: bool, collate_fn: Callable, drop_last: bool):
    """The fetcher for ``dataset``'s kind (a stream or map-style)."""
    kind = IterableFetcher if isinstance(dataset, IterableDataset) else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)


def _tensor_rows(dataset):
    """``(tensors, rows)`` when ``dataset`` is a TensorDataset or a (nested)
    Subset of one: sample ``i`` is ``tuple(t[rows[i]] for t in tensors)``
    (``rows`` None means ``i`` itself); else None."""
    rows = None
    while type(dataset) is Subset:
        idx = xp.asarray(dataset.indices, dtype=B.int64)
        rows = idx if rows is None else idx[rows]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, rows
    return None
