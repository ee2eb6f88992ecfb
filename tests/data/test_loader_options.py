"""DataLoader's PyTorch keywords in the main process, and the module layout of
``tapegrad.utils.data`` (``torch.utils.data``)."""

import importlib

import pytest

import tapegrad as tg
from tapegrad.backend import host as np
from tapegrad.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i]), i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _ds(n=10):
    return TensorDataset(tg.arange(2 * n, dtype=tg.float32).reshape(n, 2), tg.arange(n))


def test_tensor_dataset_batches_are_lists_as_in_pytorch():
    batch = next(iter(DataLoader(_ds(), batch_size=3)))
    x, y = batch
    assert type(batch) is list and y.tolist() == [0, 1, 2] and x.shape == (3, 2)


def test_batch_size_none_yields_samples_converted_to_tensors():
    samples = list(DataLoader(Squares(3), batch_size=None))
    assert len(samples) == 3
    array, index = samples[2]
    assert isinstance(array, tg.Tensor) and array.tolist() == [2, 4] and index == 2


def test_a_sampler_sets_the_order():
    loader = DataLoader(Squares(5), batch_size=2, sampler=[4, 3, 2, 1, 0])
    assert [b[1].tolist() for b in loader] == [[4, 3], [2, 1], [0]] and len(loader) == 3


def test_a_batch_sampler_gives_whole_batches():
    batches = BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)
    loader = DataLoader(Squares(5), batch_sampler=batches)
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3]] and loader.batch_size is None


def test_conflicting_order_options_are_errors():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(Squares(4), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(4), batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(Squares(4), batch_size=None, drop_last=True)


def test_worker_options_need_workers():
    with pytest.raises(ValueError, match="num_workers option should be a non-negative"):
        DataLoader(Squares(4), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Squares(4), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(4), persistent_workers=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(Squares(4), multiprocessing_context="spawn")
    with pytest.raises(ValueError, match="valid start method"):
        DataLoader(Squares(4), num_workers=1, multiprocessing_context="teleport")


def test_pin_memory_is_accepted_and_changes_nothing():
    plain = [b[1].tolist() for b in DataLoader(_ds(), batch_size=4)]
    pinned = [b[1].tolist() for b in DataLoader(_ds(), batch_size=4, pin_memory=True)]
    assert plain == pinned


def test_iterable_dataset_is_read_as_a_stream_in_batches():
    loader = DataLoader(Count(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    dropped = DataLoader(Count(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]] and len(dropped) == 2


def test_iterable_dataset_takes_no_order_options():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Count(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Count(3), sampler=[0])


def test_order_attributes_are_fixed_after_init():
    loader = DataLoader(_ds(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


def test_timeout_needs_workers():
    with pytest.raises(ValueError, match="timeout"):
        iter(DataLoader(_ds(), timeout=1))


def test_seed_and_generator_are_one_or_the_other():
    with pytest.raises(ValueError, match="either seed or generator"):
        DataLoader(_ds(), seed=1, generator=tg.Generator(1))


def test_every_pass_draws_the_same_randomness_as_pytorch_structures_it():
    """A pass draws a base seed for the workers, then the sampler's order,
    both from the loader's generator."""
    g, mirror = tg.Generator(9), tg.Generator(9)
    order = [b[1].tolist() for b in DataLoader(_ds(), batch_size=10, shuffle=True, generator=g)]
    tg.randint(0, 2**63 - 1, (), generator=mirror)
    assert order == [tg.randperm(10, generator=mirror).tolist()]


@pytest.mark.parametrize("module", ["dataloader", "dataset", "sampler", "distributed"])
def test_each_torch_submodule_is_mirrored(module):
    mirror = importlib.import_module(f"tapegrad.utils.data.{module}")
    package = importlib.import_module("tapegrad.utils.data")
    assert mirror.__all__
    for name in mirror.__all__:
        assert getattr(package, name) is getattr(mirror, name)
        assert name in package.__all__


def test_utils_data_names_load_lazily_from_tapegrad_utils():
    from tapegrad.utils.data.dataloader import DataLoader as D
    from tapegrad.utils.data.distributed import DistributedSampler

    assert tg.utils.data.DataLoader is D is DataLoader
    assert tg.utils.data.DistributedSampler is DistributedSampler
