"""IterableDataset, ConcatDataset, ChainDataset, StackDataset, Subset and
random_split with PyTorch's semantics."""

import pytest

import tapegrad as tg
from tapegrad.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Numbers(Dataset):
    def __init__(self, start, stop):
        self.values = list(range(start, stop))

    def __getitem__(self, i):
        return self.values[i]

    def __len__(self):
        return len(self.values)


class Stream(IterableDataset):
    def __init__(self, values):
        self.values = values

    def __iter__(self):
        return iter(self.values)


def test_concat_dataset_indexes_across_its_parts():
    both = ConcatDataset([Numbers(0, 3), Numbers(10, 12)])
    assert both.cumulative_sizes == [3, 5] and len(both) == 5
    assert [both[i] for i in range(5)] == [0, 1, 2, 10, 11]


def test_concat_dataset_takes_negative_indices_from_the_end():
    both = ConcatDataset([Numbers(0, 3), Numbers(10, 12)])
    assert both[-1] == 11 and both[-5] == 0
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-6]
    with pytest.raises(IndexError, match="index 5 is out of range for 5 samples"):
        both[5]


def test_adding_datasets_concatenates_them():
    both = Numbers(0, 2) + Numbers(5, 6)
    assert isinstance(both, ConcatDataset) and [both[i] for i in range(3)] == [0, 1, 5]


def test_concat_dataset_rejects_nothing_and_streams():
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Stream([1])])


def test_adding_streams_chains_them():
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset) and list(chained) == [1, 2, 3]


def test_a_stream_without_a_length_has_no_len():
    with pytest.raises(TypeError, match="object of type 'Stream' has no len"):
        len(Stream([1]))


def test_chain_dataset_only_chains_streams():
    with pytest.raises(TypeError, match="only supports IterableDataset, got Numbers"):
        list(ChainDataset([Numbers(0, 2)]))


def test_stack_dataset_puts_samples_side_by_side():
    assert StackDataset(Numbers(0, 3), Numbers(5, 8))[1] == (1, 6)
    assert StackDataset(x=Numbers(0, 3), y=Numbers(5, 8))[2] == {"x": 2, "y": 7}
    with pytest.raises(ValueError, match=r"size mismatch between datasets: lengths \[3, 2\]"):
        StackDataset(Numbers(0, 3), Numbers(0, 2))


def test_subset_fetches_a_batch_through_getitems():
    sub = Subset(Numbers(10, 20), [5, 0, 9])
    assert sub.__getitems__([0, 2]) == [15, 19] and sub[1] == 10 and len(sub) == 3


def test_a_subset_subclass_must_override_getitems_with_getitem():
    class Doubled(Subset):
        def __getitem__(self, i):
            return 2 * super().__getitem__(i)

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Doubled(Numbers(0, 3), [0, 1])


def test_random_split_with_a_generator_is_reproducible():
    data = Numbers(0, 10)

    def split():
        return [s.indices for s in random_split(data, [0.3, 0.7], generator=tg.Generator(2))]

    first = split()
    assert first == split() and [len(s) for s in first] == [3, 7]
    assert sorted(first[0] + first[1]) == list(range(10))


def test_random_split_warns_of_an_empty_part():
    with pytest.warns(UserWarning, match="split at index 1 is 0"):
        parts = random_split(Numbers(0, 2), [0.99, 0.01])
    assert [len(p) for p in parts] == [2, 0]


def test_tensor_dataset_is_a_map_style_dataset():
    ds = TensorDataset(tg.arange(4.0), tg.arange(4))
    assert isinstance(ds, Dataset) and not isinstance(ds, IterableDataset)
    x, y = ds[2]
    assert x.item() == 2.0 and y.item() == 2


def test_dataset_classes_take_type_parameters_as_in_pytorch():
    class Pairs(Dataset[tuple]):
        def __getitem__(self, i):
            return (i, -i)

        def __len__(self):
            return 2

    assert Pairs()[1] == (1, -1) and len(Pairs() + Pairs()) == 4
