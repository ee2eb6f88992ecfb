"""The data-set classes of ``torch.utils.data.dataset``, with PyTorch's
semantics (the bundled data sets themselves live in ``datasets.py``).

A *map-style* ``Dataset`` answers ``dataset[i]`` and ``len(dataset)``; an
``IterableDataset`` is a stream, read with ``iter(dataset)``.  The rest
combine them: ``TensorDataset`` (rows of tensors), ``StackDataset`` (samples
side by side), ``ConcatDataset`` (one after another, also ``a + b``),
``ChainDataset`` (streams one after another, also ``a + b``), ``Subset`` and
``random_split``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from tapegrad.data.errors import DataError
from tapegrad.factories import randperm
from tapegrad.tensor import as_tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style data set: ``dataset[i]`` is sample ``i``, ``len(dataset)``
    the number of samples.  Subclasses implement both (samplers need the
    length).  A subclass may also define ``__getitems__(indices)`` returning
    the list of those samples; the ``DataLoader`` then fetches a batch with one
    call.  ``a + b`` is ``ConcatDataset([a, b])``."""

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A stream of samples: subclasses implement ``__iter__``; ``__len__`` is
    optional.  ``a + b`` is ``ChainDataset([a, b])``.

    With ``DataLoader(num_workers=k)`` every worker iterates its *own copy* of
    the data set from the start, so without further care each sample arrives
    ``k`` times.  Split the stream in ``__iter__`` (or in ``worker_init_fn``)
    by ``get_worker_info().id`` and ``.num_workers``, as in PyTorch."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __len__(self) -> int:
        # A stream has no length unless the subclass gives one (as in PyTorch).
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """Samples are rows: ``dataset[i] = tuple(t[i] for t in tensors)``.

    Every tensor must have the same first dimension ``N`` (arrays are wrapped
    as tensors without copying)."""

    def __init__(self, *tensors):
        if not tensors:
            raise DataError("TensorDataset: needs at least one tensor")
        tensors = tuple(as_tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise DataError(f"TensorDataset: tensor {i} is 0-d; every tensor needs rows")
        n = tensors[0].shape[0]
        for i, t in enumerate(tensors[1:], start=1):
            if t.shape[0] != n:
                raise DataError(
                    f"TensorDataset: size mismatch between tensors: tensor 0 has {n} rows "
                    f"(shape {tuple(tensors[0].shape)}) but tensor {i} has {t.shape[0]} "
                    f"(shape {tuple(t.shape)}); the first dimension must be equal"
                )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Data sets of equal length side by side: ``StackDataset(a, b)[i] ==
    (a[i], b[i])`` and ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset):
        if args and kwargs:
            raise DataError(
                "StackDataset: give the data sets either positionally (tuple samples) or "
                "by keyword (dict samples), not both"
            )
        if not (args or kwargs):
            raise DataError("StackDataset: at least one dataset should be passed")
        self.datasets = args or kwargs
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        lengths = [len(d) for d in parts]
        if any(n != self._length for n in lengths):
            raise DataError(f"StackDataset: size mismatch between datasets: lengths {lengths}")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """The samples of ``datasets``, one data set after the other.

    ``cumulative_sizes[k]`` is the number of samples in the first ``k + 1``
    data sets; index ``i`` (negative counts from the end) falls in the first
    data set ``k`` with ``cumulative_sizes[k] > i``, at ``i -
    cumulative_sizes[k - 1]``."""

    @staticmethod
    def cumsum(sequence: Iterable) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise DataError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError(
                    "ConcatDataset does not support IterableDataset (chain streams with "
                    "ChainDataset)"
                )
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {n} samples")
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][idx - start]


class ChainDataset(IterableDataset):
    """The streams ``datasets`` one after the other, read lazily; its length,
    when asked, is the sum of theirs."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = datasets

    def _streams(self) -> Iterator[IterableDataset]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset only supports IterableDataset, got {type(d).__name__}"
                )
            yield d

    def __iter__(self) -> Iterator:
        for d in self._streams():
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self._streams())


class Subset(Dataset[T_co]):
    """The samples ``indices`` of ``dataset``, in that order:
    ``Subset(d, idx)[i] == d[idx[i]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices
        overrides_item = type(self).__getitem__ is not Subset.__getitem__
        if overrides_item and type(self).__getitems__ is Subset.__getitems__:
            # The DataLoader fetches batches through __getitems__, which would
            # silently bypass the subclass's own __getitem__ (as in PyTorch).
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__; the "
                "DataLoader fetches batches with __getitems__, so define it too, e.g.\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]"
            )

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        rows = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(rows)
        return [self.dataset[r] for r in rows]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given
    lengths, or of the given fractions when they sum to 1: each then gets
    ``floor(N * f)`` samples and the remainder is dealt out one at a time,
    round-robin from the first subset on (PyTorch's rule, e.g. 11 samples in
    ``[0.5, 0.3, 0.2]`` give ``[6, 3, 2]``).  The order is
    ``randperm(N, generator)`` (the default generator when None)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_of_fractions(lengths, n)
    if any(int(x) != x or x < 0 for x in lengths):
        raise DataError(f"random_split: lengths must be non-negative integers, got {lengths}")
    if sum(lengths) != n:
        raise DataError(
            "random_split: sum of input lengths does not equal the length of the input "
            f"dataset: the lengths {lengths} sum to {sum(lengths)}, but the data set has "
            f"{n} samples"
        )
    order = randperm(n, generator=generator).tolist()
    ends = itertools.accumulate(int(x) for x in lengths)
    return [Subset(dataset, order[end - int(x) : end]) for end, x in zip(ends, lengths)]


def _lengths_of_fractions(fractions: list[float], n: int) -> list[int]:
    counts = []
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise DataError(f"random_split: fraction at index {i} is not between 0 and 1")
        counts.append(math.floor(n * frac))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, count in enumerate(counts):
        if count == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return counts
