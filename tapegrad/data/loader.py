"""``Dataset``, ``TensorDataset``, ``Subset``, ``random_split`` and ``DataLoader``
with PyTorch's names and semantics.

A ``DataLoader`` yields mini-batches: each batch stacks ``batch_size`` samples
along a new first dimension (a ``TensorDataset`` of tensors with shapes
``(N, *s1), (N, *s2)`` gives batches ``(B, *s1), (B, *s2)``).  Shuffling draws a
fresh permutation every epoch from the loader's generator: its own when
``seed`` or ``generator`` is given, else tapegrad's default generator, so a run
is reproducible under ``tg.manual_seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tapegrad import backend as B
from tapegrad.data.errors import DataError
from tapegrad.tensor import Tensor, as_tensor, from_numpy

xp = B.xp

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset:
    """A map-style data set: ``dataset[i]`` is sample ``i``, ``len(dataset)``
    the number of samples.  Subclasses implement both."""

    def __getitem__(self, index: int):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i] = (t[i] for t in tensors)``.

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


class Subset(Dataset):
    """The samples ``indices`` of ``dataset``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given
    lengths, or of the given fractions when they sum to 1 (each gets
    ``floor(N * f)`` samples, the remainder dealt out one by one from the
    first subset on, as PyTorch does)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise DataError(f"random_split: fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths):
        raise DataError(f"random_split: lengths must be non-negative integers, got {lengths}")
    if sum(lengths) != n:
        raise DataError(
            f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the data set "
            f"has {n} samples"
        )
    order = B.rng(generator).permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start : start + int(length)]))
        start += int(length)
    return out


def default_collate(batch: list):
    """Stack a list of samples into a batch: tensors, arrays and numbers are
    stacked along a new first dimension; tuples, lists and dicts are collated
    field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return from_numpy(xp.stack([s.numpy(force=True) for s in batch]))
    if B.is_array(first) or isinstance(first, (int, float, xp.generic)):
        return as_tensor(xp.stack([xp.asarray(s) for s in batch]))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in batch):
            raise DataError("default_collate: samples in a batch have different numbers of fields")
        return type(first)(default_collate(list(field)) for field in zip(*batch))
    raise DataError(f"default_collate: cannot batch samples of type {type(first).__name__}")


class DataLoader:
    """Iterate over ``dataset`` in mini-batches (``torch.utils.data.DataLoader``).

    ``shuffle`` draws a new order every epoch; ``drop_last`` drops a final
    incomplete batch; ``seed`` (an int) or ``generator`` (a ``tg.Generator``)
    give the loader its own random stream, else it draws from tapegrad's
    default generator.  ``len(loader)`` is the number of batches.  A
    ``TensorDataset`` (or a ``Subset`` of one) is batched by indexing whole
    tensors with the batch's index array, without a per-sample loop.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        collate_fn: Callable[[list], Any] | None = None,
        generator: B.Generator | None = None,
    ):
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise DataError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if seed is not None and generator is not None:
            raise DataError("DataLoader: give either seed or generator, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = B.Generator(seed) if seed is not None else generator
        self._fast = collate_fn is None and _tensor_source(dataset) is not None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if self.shuffle:
            return B.rng(self.generator).permutation(n)
        return xp.arange(n)

    def __iter__(self) -> Iterator:
        order = self._order()
        if self.batch_size is None:
            for i in order.tolist():
                yield self.dataset[i]
            return
        bs = self.batch_size
        stop = len(self) * bs if self.drop_last else len(order)
        if self._fast:
            tensors, base = _tensor_source(self.dataset)
            rows = order if base is None else base[order]
            for start in range(0, stop, bs):
                idx = rows[start : start + bs]
                yield tuple(from_numpy(t.numpy(force=True)[idx]) for t in tensors)
            return
        collate = self.collate_fn or default_collate
        for start in range(0, stop, bs):
            yield collate([self.dataset[i] for i in order[start : start + bs].tolist()])


def _tensor_source(dataset):
    """``(tensors, row_indices or None)`` when ``dataset`` is a TensorDataset
    or a (nested) Subset of one, else None."""
    rows = None
    while type(dataset) is Subset:
        idx = xp.asarray(dataset.indices, dtype=B.int64)
        rows = idx if rows is None else idx[rows]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return dataset.tensors, rows
    return None
