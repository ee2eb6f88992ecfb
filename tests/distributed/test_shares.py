"""The pieces of data-parallel training that need no second process: bucket
assignment, each rank's rows of a batch, and the dropout draws of a share."""

from __future__ import annotations

import numpy as np

import tapegrad as tg
from tapegrad.nn.parallel.reducer import assign_buckets
from tapegrad.run.data_parallel import GlobalBatchRandom, Ranks


def _params(*sizes, dtype=tg.float32):
    return [tg.zeros(n, dtype=dtype) for n in sizes]


def test_buckets_close_at_their_limit_in_the_order_given():
    params = _params(100, 100, 100, 100, 100)  # 400 bytes each
    order = [4, 3, 2, 1, 0]
    assert assign_buckets(params, order, [float("inf")]) == [order]
    # the first bucket closes at 500 bytes, the others at 1000
    assert assign_buckets(params, order, [500, 1000]) == [[4, 3], [2, 1, 0]]


def test_buckets_hold_one_dtype_each():
    params = _params(10, 10) + _params(10, dtype=tg.float64)
    assert assign_buckets(params, [2, 1, 0], [float("inf")]) == [[2], [1, 0]]


def test_rank_shares_are_consecutive_blocks_covering_the_batch():
    for size in (1, 2, 3, 4):
        for m in (1, 5, 8, 10):
            ranks = Ranks()
            ranks.size = size
            blocks = []
            for rank in range(size):
                ranks.rank = rank
                blocks.append(ranks.bounds(m))
            assert blocks[0][0] == 0 and blocks[-1][1] == m
            assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
            lengths = [b - a for a, b in blocks]
            assert max(lengths) - min(lengths) <= 1


def test_a_share_draws_the_rows_of_the_global_batchs_dropout_mask():
    whole = np.random.default_rng(7)
    mask = whole.random((10, 6), dtype=np.float32)
    after = whole.random(3)
    for rows in ((0, 4, 10), (4, 7, 10), (7, 10, 10)):
        share = GlobalBatchRandom(np.random.default_rng(7))
        share.rows = rows
        a, b, _ = rows
        assert np.array_equal(share.random((b - a, 6), dtype=np.float32), mask[a:b])
        share.rows = None  # the stream stands where one process's does
        assert np.array_equal(share.random(3), after)


def test_draws_not_shaped_like_the_share_are_the_generators_own():
    share = GlobalBatchRandom(np.random.default_rng(3))
    share.rows = (0, 2, 4)
    assert np.array_equal(share.random((5, 2)), np.random.default_rng(3).random((5, 2)))
    assert share.permutation(4).shape == (4,)


def test_one_process_leaves_the_job_as_it_is():
    ranks = Ranks()
    loader, loss = [("x", "y")], object()
    assert ranks.train_batches(loader) is loader and ranks.eval_batches(loader) is loader
    assert ranks.loss(loss) is loss and ranks.model(loss) is loss and ranks.is_main
