"""The samplers of ``torch.utils.data.sampler``: the order in which a
``DataLoader`` visits a map-style data set.

A sampler is an iterable of indices (a *batch sampler* one of lists of
indices).  Random samplers draw from their ``generator``: a ``DataLoader``
passes its own (from ``generator=`` or ``seed=``); without one,
``RandomSampler`` seeds a fresh generator from tapegrad's default generator
at the start of every pass, so ``tg.manual_seed`` makes a run repeat.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

from tapegrad.backend import Generator
from tapegrad.data.errors import DataError
from tapegrad.dtypes import float64
from tapegrad.factories import randint, randperm
from tapegrad.sampling import multinomial
from tapegrad.tensor import as_tensor

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)

# RandomSampler with replacement draws its indices in blocks of this many (as
# PyTorch), so a long pass never holds all of them at once.
_REPLACEMENT_BLOCK = 32


def seed_from(generator: Generator | None) -> int:
    """A seed in ``[0, 2**63 - 1)`` drawn from ``generator`` (the default
    generator when None), as PyTorch's ``torch.empty((), dtype=torch.int64)
    .random_(generator=generator)``."""
    return int(randint(0, 2**63 - 1, (), generator=generator).item())


class Sampler(Generic[T_co]):
    """Base class: ``iter(sampler)`` yields indices (or, for a batch sampler,
    lists of them); ``len(sampler)`` is optional but gives ``len(loader)``."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, every pass."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices into ``data_source`` (``N`` samples).

    Without replacement: ``num_samples // N`` full permutations, then the
    first ``num_samples % N`` of one more (``num_samples`` defaults to
    ``N``: one permutation).  With replacement: ``num_samples`` indices
    uniform on ``[0, N)``.  Every pass draws anew from ``generator``; with
    None a generator seeded from the default generator is made for the pass.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        n = self.num_samples
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise DataError(
                f"num_samples should be a positive integer value, but got num_samples={n}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            generator = Generator(seed_from(None))
        if self.replacement:
            yield from self._with_replacement(n, generator)
        else:
            for _ in range(self.num_samples // n):
                yield from randperm(n, generator=generator).tolist()
            yield from randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def _with_replacement(self, n: int, generator: Generator) -> Iterator[int]:
        blocks, rest = divmod(self.num_samples, _REPLACEMENT_BLOCK)
        for size in [_REPLACEMENT_BLOCK] * blocks + [rest]:
            yield from randint(0, n, (size,), generator=generator).tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order, a new one every pass
    (``indices[randperm(len(indices))]``)."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None):
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn
    with probability ``weights[i] / sum(weights)`` (the weights need not sum
    to one); without replacement an index is drawn at most once."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise DataError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise DataError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights = as_tensor(weights, dtype=float64)
        if weights.ndim != 1:
            raise DataError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights.shape)}"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """The indices of ``sampler`` grouped into lists of ``batch_size``; the
    last, shorter list is dropped when ``drop_last``."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise DataError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise DataError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
