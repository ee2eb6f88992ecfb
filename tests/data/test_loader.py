"""Dataset, TensorDataset, Subset, random_split and DataLoader."""

import pytest

import tapegrad as tg
from tapegrad.backend import host as np
from tapegrad.data.errors import DataError
from tapegrad.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _ds(n=10):
    return TensorDataset(tg.arange(2 * n, dtype=tg.float32).reshape(n, 2), tg.arange(n))


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return tg.tensor([float(i), float(i * i)]), i

    def __len__(self):
        return self.n


def test_tensor_dataset_item_is_a_tuple_of_rows():
    x, y = _ds()[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    assert len(_ds()) == 10


def test_tensor_dataset_with_different_row_counts_names_both_sizes():
    with pytest.raises(DataError, match="tensor 0 has 5 rows.*tensor 1 has 4"):
        TensorDataset(tg.zeros(5, 2), tg.zeros(4))


def test_dataset_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_loader_batches_in_order_with_a_short_last_batch():
    batches = list(DataLoader(_ds(), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == tg.float32


def test_loader_len_with_and_without_drop_last():
    assert len(DataLoader(_ds(), batch_size=4)) == 3
    assert len(DataLoader(_ds(), batch_size=4, drop_last=True)) == 2
    assert len(list(DataLoader(_ds(), batch_size=4, drop_last=True))) == 2


def test_shuffle_covers_every_sample_once_per_epoch_in_a_new_order():
    loader = DataLoader(_ds(), batch_size=3, shuffle=True, seed=0)
    epoch1 = np.concatenate([b[1].numpy() for b in loader])
    epoch2 = np.concatenate([b[1].numpy() for b in loader])
    assert sorted(epoch1.tolist()) == list(range(10)) == sorted(epoch2.tolist())
    assert epoch1.tolist() != epoch2.tolist()


def test_shuffle_with_a_seed_is_reproducible():
    def order():
        return [b[1].tolist() for b in DataLoader(_ds(), batch_size=10, shuffle=True, seed=7)]

    assert order() == order()


def test_shuffle_without_seed_follows_manual_seed():
    def order(seed):
        tg.manual_seed(seed)
        return [b[1].tolist() for b in DataLoader(_ds(), batch_size=10, shuffle=True)]

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_shuffle_with_a_generator_draws_from_it():
    g1, g2 = tg.Generator(5), tg.Generator(5)
    a = [b[1].tolist() for b in DataLoader(_ds(), 10, shuffle=True, generator=g1)]
    b = [b[1].tolist() for b in DataLoader(_ds(), 10, shuffle=True, generator=g2)]
    assert a == b


def test_generic_dataset_is_collated_field_by_field():
    (x, i), *_ = DataLoader(Squares(5), batch_size=2)
    assert x.tolist() == [[0.0, 0.0], [1.0, 1.0]] and i.tolist() == [0, 1]


def test_fast_path_and_generic_path_give_the_same_batches():
    class Wrapped(Dataset):
        def __init__(self, inner):
            self.inner = inner

        def __getitem__(self, i):
            return self.inner[i]

        def __len__(self):
            return len(self.inner)

    fast = [b[1].tolist() for b in DataLoader(_ds(), 3, shuffle=True, seed=1)]
    slow = [b[1].tolist() for b in DataLoader(Wrapped(_ds()), 3, shuffle=True, seed=1)]
    assert fast == slow


def test_collate_fn_replaces_stacking():
    batches = list(DataLoader(Squares(4), batch_size=2, collate_fn=lambda s: len(s)))
    assert batches == [2, 2]


def test_default_collate_of_dicts_and_numbers():
    out = default_collate([{"a": 1, "b": tg.ones(2)}, {"a": 2, "b": tg.zeros(2)}])
    assert out["a"].tolist() == [1, 2] and out["b"].shape == (2, 2)


def test_batch_size_must_be_positive():
    with pytest.raises(DataError, match="batch_size"):
        DataLoader(_ds(), batch_size=0)


def test_random_split_by_lengths_is_a_partition():
    a, b = random_split(_ds(), [7, 3], generator=tg.Generator(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))


def test_random_split_by_fractions_deals_out_the_remainder():
    parts = random_split(_ds(11), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [6, 3, 2]


def test_random_split_with_wrong_total_is_an_error():
    with pytest.raises(DataError, match="sum to 9"):
        random_split(_ds(), [5, 4])


def test_loader_over_a_subset_batches_the_subset_rows():
    sub = Subset(Subset(_ds(), [9, 8, 7, 6]), [1, 3])
    ((x, y),) = DataLoader(sub, batch_size=5)
    assert y.tolist() == [8, 6] and x.tolist() == [[16.0, 17.0], [12.0, 13.0]]


def test_batches_do_not_alias_the_dataset():
    ds = _ds()
    (x, _), *_ = DataLoader(ds, batch_size=2)
    x.data[...] = -1
    assert ds.tensors[0][0].tolist() == [0.0, 1.0]


def test_loader_names_are_where_the_api_and_pytorch_put_them():
    """The API lists DataLoader and TensorDataset with training; PyTorch code
    imports them from torch.utils.data."""
    import tapegrad as tg
    import tapegrad.data.loader as L
    from tapegrad.train import DataLoader, TensorDataset
    from tapegrad.utils.data import DataLoader as D2
    from tapegrad.utils.data import random_split

    assert DataLoader is L.DataLoader and D2 is L.DataLoader and TensorDataset is L.TensorDataset
    assert tg.utils.data.TensorDataset is L.TensorDataset and random_split is L.random_split
    ds = TensorDataset(tg.arange(6.0), tg.arange(6))
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, seed=0))
    assert [len(b[0]) for b in batches] == [4, 2]
