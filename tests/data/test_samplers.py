"""Samplers and DistributedSampler: the orders a DataLoader visits data in."""

import sys
import types
from collections import Counter

import pytest

import tapegrad as tg
from tapegrad.data.errors import DataError
from tapegrad.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from tapegrad.utils.data.distributed import DistributedSampler


def test_sequential_sampler_visits_every_index_in_order():
    sampler = SequentialSampler(range(5))
    assert list(sampler) == [0, 1, 2, 3, 4] and len(sampler) == 5


def test_random_sampler_gives_a_new_permutation_every_pass():
    sampler = RandomSampler(range(20), generator=tg.Generator(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(20)) == sorted(second)
    assert first != second


def test_random_sampler_with_the_same_generator_seed_repeats():
    def order():
        return list(RandomSampler(range(20), generator=tg.Generator(4)))

    assert order() == order()


def test_random_sampler_without_generator_follows_manual_seed():
    def order(seed):
        tg.manual_seed(seed)
        return list(RandomSampler(range(20)))

    assert order(1) == order(1)
    assert order(1) != order(2)


def test_random_sampler_num_samples_beyond_n_repeats_whole_permutations():
    counts = Counter(RandomSampler(range(4), num_samples=10, generator=tg.Generator(0)))
    assert sorted(counts) == [0, 1, 2, 3]
    assert sorted(counts.values()) == [2, 2, 3, 3]


def test_random_sampler_with_replacement_draws_num_samples_in_range():
    sampler = RandomSampler(range(3), replacement=True, num_samples=70, generator=tg.Generator(0))
    drawn = list(sampler)
    assert len(drawn) == 70 == len(sampler)
    assert set(drawn) == {0, 1, 2}


def test_random_sampler_rejects_bad_arguments():
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler_permutes_the_given_indices():
    drawn = list(SubsetRandomSampler([10, 20, 30, 40], generator=tg.Generator(1)))
    assert sorted(drawn) == [10, 20, 30, 40]
    assert len(SubsetRandomSampler([10, 20])) == 2


def test_weighted_sampler_never_draws_a_zero_weight():
    sampler = WeightedRandomSampler([0.0, 1.0, 3.0], 200, generator=tg.Generator(0))
    counts = Counter(sampler)
    assert counts[0] == 0 and counts[2] > counts[1] > 0 and len(sampler) == 200


def test_weighted_sampler_without_replacement_draws_each_index_once():
    drawn = list(WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False))
    assert sorted(drawn) == [0, 1, 2, 3]


def test_weighted_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="1d sequence.*shape \\(2, 2\\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], True)


def test_batch_sampler_groups_indices_and_keeps_a_short_last_batch():
    batches = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3


def test_batch_sampler_drops_the_short_last_batch():
    batches = BatchSampler(range(7), 3, drop_last=True)
    assert list(batches) == [[0, 1, 2], [3, 4, 5]] and len(batches) == 2


def test_batch_sampler_rejects_bad_arguments():
    with pytest.raises(DataError, match="batch_size should be a positive integer.*batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(DataError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 1)


def _shards(n, replicas, **kw):
    return [list(DistributedSampler(range(n), replicas, rank, **kw)) for rank in range(replicas)]


def test_distributed_sampler_pads_by_repeating_the_first_indices():
    assert _shards(10, 4, shuffle=False) == [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]


def test_distributed_sampler_pads_a_data_set_smaller_than_the_replicas():
    assert _shards(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_distributed_sampler_drop_last_cuts_the_tail():
    shards = _shards(10, 4, shuffle=False, drop_last=True)
    assert shards == [[0, 4], [1, 5], [2, 6], [3, 7]]
    assert len(DistributedSampler(range(10), 4, 0, drop_last=True)) == 2


def test_distributed_shuffled_shards_are_disjoint_and_cover_the_data():
    shards = _shards(12, 3, seed=5)
    assert sorted(i for s in shards for i in s) == list(range(12))
    assert shards == _shards(12, 3, seed=5)
    assert [len(s) for s in shards] == [4, 4, 4]


def test_distributed_sampler_set_epoch_reshuffles_the_same_on_every_rank():
    samplers = [DistributedSampler(range(12), 2, rank) for rank in range(2)]
    before = [list(s) for s in samplers]
    for s in samplers:
        s.set_epoch(1)
    after = [list(s) for s in samplers]
    assert before != after
    assert sorted(after[0] + after[1]) == list(range(12))


def test_distributed_sampler_rejects_a_rank_outside_the_group():
    with pytest.raises(
        ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"
    ):
        DistributedSampler(range(6), num_replicas=3, rank=3)


def _fake_distributed(monkeypatch, initialized: bool, world_size: int = 4, rank: int = 2):
    fake = types.ModuleType("tapegrad.distributed")
    fake.is_initialized = lambda: initialized
    fake.get_world_size = lambda: world_size
    fake.get_rank = lambda: rank
    monkeypatch.setitem(sys.modules, "tapegrad.distributed", fake)


def test_distributed_sampler_asks_the_default_process_group(monkeypatch):
    _fake_distributed(monkeypatch, initialized=True)
    sampler = DistributedSampler(range(8), shuffle=False)
    assert (sampler.num_replicas, sampler.rank) == (4, 2)
    assert list(sampler) == [2, 6]


def test_distributed_sampler_without_a_process_group_says_so(monkeypatch):
    _fake_distributed(monkeypatch, initialized=False)
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        DistributedSampler(range(8))


def test_distributed_sampler_without_the_distributed_package_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "tapegrad.distributed", None)
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        DistributedSampler(range(8), rank=0)
