"""``tapegrad.utils.data`` against ``torch.utils.data`` where the result is
deterministic: sampler orders, sharding, concatenation, collation (values,
types and dtypes), split lengths, unshuffled loaders and option errors."""

from collections import namedtuple

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.utils.data as gdata

torch = pytest.importorskip("torch")
tdata = pytest.importorskip("torch.utils.data")

Point = namedtuple("Point", "x y")


def _plain(x):
    """A batch as nested Python values, with each tensor's dtype name and
    shape, so that torch's and tapegrad's batches compare with ``==``."""
    if isinstance(x, (torch.Tensor, tg.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    return x


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler(n):
    assert list(gdata.SequentialSampler(range(n))) == list(tdata.SequentialSampler(range(n)))


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True)])
def test_batch_sampler(n, batch_size, drop_last):
    ours = gdata.BatchSampler(range(n), batch_size, drop_last)
    theirs = tdata.BatchSampler(range(n), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 3, 4, 13])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shards_without_shuffle(n, replicas, drop_last):
    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        ours = gdata.DistributedSampler(range(n), **kw)
        theirs = tdata.DistributedSampler(range(n), **kw)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_concat_dataset_indexing():
    parts = [list(range(3)), list(range(10, 14)), [], list(range(20, 22))]
    ours = gdata.ConcatDataset(parts)
    theirs = tdata.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-len(theirs), len(theirs)):
        assert ours[i] == theirs[i]


BATCHES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.0],
    "bools": [True, False],
    "numpy float32 scalars": [np.float32(1), np.float32(2)],
    "numpy int16 arrays": [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)],
    "strings": ["a", "b"],
    "tuples": [(1, "a", 2.5), (2, "b", 3.5)],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
}


@pytest.mark.parametrize("name", BATCHES)
def test_default_collate_values_types_and_dtypes(name):
    batch = BATCHES[name]
    assert _plain(gdata.default_collate(batch)) == _plain(tdata.default_collate(batch))


def test_default_collate_of_tensors():
    arrays = [np.arange(6, dtype=np.float64).reshape(2, 3) * k for k in range(3)]
    ours = gdata.default_collate([tg.tensor(a) for a in arrays])
    theirs = tdata.default_collate([torch.tensor(a) for a in arrays])
    assert _plain(ours) == _plain(theirs)


@pytest.mark.parametrize("sample", [np.arange(3), (np.float64(1.0), [np.int32(2)]), "s", 4])
def test_default_convert(sample):
    assert _plain(gdata.default_convert(sample)) == _plain(tdata.default_convert(sample))


@pytest.mark.parametrize(
    "n, lengths",
    [(10, [3, 7]), (11, [0.5, 0.3, 0.2]), (10, [0.33, 0.33, 0.34]), (7, [0.1] * 10)],
)
def test_random_split_lengths(n, lengths):
    ours = [len(s) for s in gdata.random_split(range(n), lengths)]
    theirs = [len(s) for s in tdata.random_split(range(n), lengths)]
    assert ours == theirs


@pytest.mark.parametrize("kw", [{"batch_size": 4}, {"batch_size": 4, "drop_last": True}])
def test_unshuffled_loader_over_tensors(kw):
    x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    ours = gdata.DataLoader(gdata.TensorDataset(tg.tensor(x), tg.tensor(y)), **kw)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)), **kw)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_loader_without_automatic_batching():
    samples = [(np.array([i, i]), i) for i in range(3)]
    ours = gdata.DataLoader(samples, batch_size=None)
    theirs = tdata.DataLoader(samples, batch_size=None)
    assert [_plain(s) for s in ours] == [_plain(s) for s in theirs]


@pytest.mark.parametrize(
    "kw",
    [
        {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0, 1]], "batch_size": 2},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
        {"prefetch_factor": 2},
        {"persistent_workers": True},
    ],
)
def test_conflicting_loader_options_are_value_errors_in_both(kw):
    with pytest.raises(ValueError):
        tdata.DataLoader(list(range(4)), **kw)
    with pytest.raises(ValueError):
        gdata.DataLoader(list(range(4)), **kw)
