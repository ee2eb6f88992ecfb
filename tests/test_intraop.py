"""tapegrad.intraop: a batch split over threads with the BLAS at one thread,
the products that follow a split, and the kernels that use them."""

import multiprocessing
import threading

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import intraop
from tapegrad.ops import im2col

needs_blas = pytest.mark.skipif(
    not intraop._blas_libraries(), reason="no BLAS whose thread count threadpoolctl can set"
)


@pytest.fixture
def two_threads():
    """The BLAS at two threads for the test, as it was after."""
    before = intraop.blas_threads()
    intraop.set_blas_threads(2)
    yield
    intraop.set_blas_threads(before)


@needs_blas
@pytest.mark.parametrize("n", [1, 2, 3, 64])
def test_split_batch_cuts_range_into_contiguous_parts_in_order(two_threads, n):
    parts = intraop.split_batch(n, lambda lo, hi: (lo, hi))
    assert len(parts) == min(2, n)
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    assert max(hi - lo for lo, hi in parts) - min(hi - lo for lo, hi in parts) <= 1


@needs_blas
def test_split_batch_runs_parts_on_other_threads_with_one_blas_thread(two_threads):
    seen = intraop.split_batch(8, lambda lo, hi: (threading.get_ident(), intraop.blas_threads()))
    assert len({ident for ident, _ in seen}) == 2
    assert [count for _, count in seen] == [1, 1]
    assert intraop.blas_threads() == 2


@needs_blas
def test_one_blas_thread_runs_the_whole_batch_in_the_calling_thread():
    before = intraop.blas_threads()
    intraop.set_blas_threads(1)
    try:
        seen = intraop.split_batch(8, lambda lo, hi: (lo, hi, threading.get_ident()))
    finally:
        intraop.set_blas_threads(before)
    assert seen == [(0, 8, threading.get_ident())]


@needs_blas
def test_ops_called_in_another_thread_run_there_and_leave_the_blas_alone(two_threads):
    seen = {}

    def other():
        intraop.split_batch(2, lambda lo, hi: None)  # tapegrad's threads in use
        seen["parts"] = intraop.split_batch(8, lambda lo, hi: (lo, hi, threading.get_ident()))
        a = np.ones((300, 300))
        seen["product"] = intraop.matmul(a, a)[0, 0]
        seen["threads"] = intraop.blas_threads()
        seen["ident"] = threading.get_ident()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(30)
    assert seen["parts"] == [(0, 8, seen["ident"])]
    assert seen["product"] == 300 and seen["threads"] == 2
    assert intraop.blas_threads() == 2


@needs_blas
def test_an_error_in_a_part_is_raised_after_every_part_ended(two_threads):
    ended = []

    def work(lo, hi):
        if lo:
            raise ValueError(f"part {lo}:{hi} failed")
        ended.append(hi)
        return hi

    with pytest.raises(ValueError, match="part 4:8 failed"):
        intraop.split_batch(8, work)
    assert ended == [4]
    assert intraop.blas_threads() == 2
    assert intraop.split_batch(4, lambda lo, hi: hi - lo) == [2, 2]  # the lock was released


@needs_blas
def test_a_split_inside_a_part_runs_in_that_part_thread(two_threads):
    inner = intraop.split_batch(4, lambda lo, hi: intraop.split_batch(hi - lo, lambda a, b: b - a))
    assert inner == [[2], [2]]


@needs_blas
def test_a_forked_child_splits_on_threads_of_its_own(two_threads):
    intraop.split_batch(4, lambda lo, hi: None)  # the parent's pool exists
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply(_split_in_child, (6,)) == [(0, 3), (3, 6)]


def _split_in_child(n):
    return intraop.split_batch(n, lambda lo, hi: (lo, hi))


@needs_blas
@pytest.mark.parametrize(
    "m, k, n",
    [(300, 200, 100), (100, 200, 300), (64, 9216, 128), (40, 30, 20)],
    ids=["split rows", "split columns", "fc1 of the MNIST CNN", "below the BLAS's threads"],
)
def test_matmul_after_a_split_equals_the_plain_product(two_threads, m, k, n, monkeypatch):
    monkeypatch.setattr(intraop, "SPLIT_WORK", 1 << 20)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    intraop.split_batch(2, lambda lo, hi: None)  # tapegrad's threads are in use
    np.testing.assert_allclose(intraop.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(intraop.matmul(b.T, a.T), (a @ b).T, rtol=1e-12, atol=1e-12)
    assert intraop.blas_threads() == 2


@needs_blas
def test_matmul_between_sizes_runs_in_the_calling_thread_on_one_blas_thread(
    two_threads, monkeypatch
):
    seen = []

    class Recording:
        def __getattr__(self, name):
            return getattr(np, name)

        def matmul(self, a, b, out):
            seen.append((threading.get_ident(), intraop.blas_threads()))
            return np.matmul(a, b, out=out)

    monkeypatch.setattr(intraop, "xp", Recording())
    intraop.split_batch(2, lambda lo, hi: None)  # tapegrad's threads are in use
    a = np.ones((128, 128), np.float32)  # 2^21 multiply-adds: between the thresholds
    np.testing.assert_array_equal(intraop.matmul(a, a), np.full((128, 128), 128, np.float32))
    assert seen == [(threading.get_ident(), 1)]
    assert intraop.blas_threads() == 2


@needs_blas
@pytest.mark.parametrize("groups, stride, padding", [(1, 1, 0), (2, 2, 1), (4, 1, 2)])
def test_convolution_kernels_give_the_same_numbers_on_one_and_two_threads(groups, stride, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 8, 11, 9))
    w = rng.standard_normal((12, 8 // groups, 3, 3))
    b = rng.standard_normal(12)
    geometry = ((stride,) * 2, ((padding, padding),) * 2, (1, 1), groups)
    y = rng.standard_normal(im2col.conv(x, w, b, *geometry).shape)

    def kernels():
        return (
            im2col.conv(x, w, b, *geometry),
            im2col.conv_transpose(y, w, b[:8], x.shape[2:], *geometry),
            im2col.conv_weight(x, y, w.shape[2:], *geometry),
        )

    before = intraop.blas_threads()
    try:
        intraop.set_blas_threads(1)
        serial = kernels()
        intraop.set_blas_threads(2)
        split = kernels()
    finally:
        intraop.set_blas_threads(before)
    np.testing.assert_array_equal(split[0], serial[0])
    np.testing.assert_array_equal(split[1], serial[1])
    np.testing.assert_allclose(split[2], serial[2], rtol=1e-12, atol=1e-12)


def test_set_num_threads_sets_the_blas_threads():
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert intraop.blas_threads() == 1 or not intraop._blas_libraries()
    finally:
        tg.set_num_threads(before)


@needs_blas
def test_the_in_use_flag_follows_the_splits(two_threads, monkeypatch):
    a = np.ones((256, 256))
    intraop.split_batch(2, lambda lo, hi: None)
    assert intraop.THREADS_IN_USE[0]
    x = tg.tensor(a)
    np.testing.assert_array_equal(tg.nn.functional.linear(x, x).numpy(), a @ a)
    monkeypatch.setattr(intraop, "IN_USE_S", 0.0)
    intraop.matmul(a, a)  # the last split is older than IN_USE_S now
    assert not intraop.THREADS_IN_USE[0]
