"""DataLoader with worker processes: the batches of ``num_workers=0`` in the
same order, a worker's exception raised again with its traceback, workers
that stop cleanly.  Every test fails instead of hanging (``no_hang``)."""

import multiprocessing
import signal

import pytest
from loader_worker_datasets import DiesAt, Range, Squares, WhoLoads, mark_worker

import tapegrad as tg
from tapegrad.utils.data import DataLoader, TensorDataset, get_worker_info

HANG_S = 60


@pytest.fixture(autouse=True)
def no_hang():
    if not hasattr(signal, "SIGALRM"):  # not on Windows: run without the guard
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"the DataLoader hangs: no result within {HANG_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(HANG_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


def _tensor_ds(n=23):
    return TensorDataset(tg.arange(2 * n, dtype=tg.float32).reshape(n, 2), tg.arange(n))


@pytest.mark.parametrize("dataset", [Squares(23), _tensor_ds()], ids=["generic", "tensors"])
def test_two_workers_give_the_batches_of_one_process(dataset):
    def two_epochs(num_workers):
        loader = DataLoader(dataset, 4, shuffle=True, seed=5, num_workers=num_workers)
        return [_batches(loader), _batches(loader)]

    single = two_epochs(0)
    assert two_epochs(2) == single
    assert single[0] != single[1]


def test_manual_seed_makes_a_run_with_workers_repeat():
    def run():
        tg.manual_seed(3)
        return _batches(DataLoader(Squares(12), 5, shuffle=True, num_workers=2))

    assert run() == run()


def test_a_failing_worker_raises_its_error_with_the_traceback():
    loader = DataLoader(Squares(8, fail_at=5), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as caught:
        list(loader)
    message = str(caught.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 0.")
    assert "Traceback (most recent call last)" in message
    assert "in __getitem__" in message and "ValueError: sample 5 is broken" in message


def _running(pids) -> set:
    return pids & {p.pid for p in multiprocessing.active_children()}


def test_breaking_out_early_stops_the_workers():
    pids = set()
    for batch in DataLoader(WhoLoads(40), batch_size=2, num_workers=2):
        pids.update(batch["pid"].tolist())
        if len(pids) == 2:
            break
    assert len(pids) == 2 and _running(pids) == set()


def test_worker_init_fn_and_worker_info_reach_each_worker():
    assert get_worker_info() is None
    loader = DataLoader(WhoLoads(4), batch_size=None, num_workers=2, worker_init_fn=mark_worker)
    samples = list(loader)
    assert [s["index"] for s in samples] == [0, 1, 2, 3]
    assert [s["worker"] for s in samples] == [0, 1, 0, 1]
    assert [s["marker"] for s in samples] == [100, 101, 100, 101]
    assert {s["num_workers"] for s in samples} == {2}
    assert len({s["base_seed"] for s in samples}) == 1


def test_workers_draw_different_numbers_that_repeat_with_the_seed():
    def draws():
        loader = DataLoader(WhoLoads(2), batch_size=None, num_workers=2, seed=1)
        return [s["draw"] for s in loader]

    first = draws()
    assert first == draws() and first[0] != first[1]


def test_each_worker_reads_its_own_copy_of_a_stream():
    loader = DataLoader(Range(6, split=False), batch_size=2, num_workers=2)
    samples = [v for batch in loader for v in batch.tolist()]
    assert sorted(samples) == sorted(list(range(6)) * 2)


def test_a_stream_split_by_worker_info_arrives_once():
    loader = DataLoader(Range(6, split=True), batch_size=2, num_workers=2)
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4], [5]]


def test_persistent_workers_serve_every_pass_then_stop_with_the_loader():
    loader = DataLoader(WhoLoads(6), batch_size=2, num_workers=2, persistent_workers=True)
    first, second = list(loader), list(loader)
    assert [b["index"].tolist() for b in first] == [[0, 1], [2, 3], [4, 5]]
    assert [b["index"].tolist() for b in second] == [[0, 1], [2, 3], [4, 5]]
    pids = {p for b in first + second for p in b["pid"].tolist()}
    assert len(pids) == 2 and _running(pids) == pids
    del loader
    assert _running(pids) == set()


def test_a_persistent_pass_left_early_does_not_leak_into_the_next():
    loader = DataLoader(_tensor_ds(10), batch_size=3, num_workers=2, persistent_workers=True)
    for _ in loader:
        break
    assert _batches(loader) == _batches(DataLoader(_tensor_ds(10), batch_size=3))


def test_batches_out_of_order_are_all_delivered():
    loader = DataLoader(Squares(9), batch_size=2, num_workers=2, in_order=False)
    assert sorted(y for _, ys in _batches(loader) for y in ys) == list(range(9))


def test_timeout_bounds_the_wait_for_a_batch():
    loader = DataLoader(WhoLoads(4, delay=0.5), batch_size=1, num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.1 seconds"):
        next(iter(loader))


def test_a_worker_that_dies_is_reported():
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(DataLoader(DiesAt(6, fail_at=3), batch_size=2, num_workers=2))


def test_an_unpicklable_dataset_is_named_with_the_remedy():
    class Local(Squares):  # a class defined in a function cannot be pickled
        pass

    with pytest.raises(
        TypeError, match="the dataset \\(Local\\) is sent to each worker.*module level"
    ):
        list(DataLoader(Local(4), num_workers=1, multiprocessing_context="spawn"))


def test_every_start_method_gives_the_same_batches():
    expected = _batches(DataLoader(Squares(7), 3, shuffle=True, seed=2))
    for method in (None, "fork", "forkserver", "spawn"):
        loader = DataLoader(
            Squares(7), 3, shuffle=True, seed=2, num_workers=2, multiprocessing_context=method
        )
        assert _batches(loader) == expected, method
