"""Collectives on 2 MPI ranks: each result checked against what the ranks sent."""

from __future__ import annotations

from .mpi import needs_mpi, output_of, run_mpi

pytestmark = needs_mpi

COLLECTIVES = """
import datetime
import numpy as np
import tapegrad as tg
import tapegrad.distributed as dist

dist.init_process_group(backend="mpi", timeout=datetime.timedelta(seconds=20))
r, n = dist.get_rank(), dist.get_world_size()
assert (n, dist.is_initialized(), dist.get_backend()) == (2, True, "mpi")

def say(*parts):
    print(" ".join(map(str, parts)), flush=True)  # (one write: ranks share stdout)

def same(t, expected):
    assert np.array_equal(t.numpy(), np.asarray(expected, dtype=t.numpy().dtype)), (t, expected)

t = tg.tensor([1.0, 2.0, 3.0]) * (r + 1)
version = t._version
dist.all_reduce(t)
same(t, [3, 6, 9])
assert t._version == version + 1  # written through the in-place door
for op, expected in [
    (dist.ReduceOp.AVG, [1.5, 3, 4.5]), (dist.ReduceOp.MAX, [2, 4, 6]),
    (dist.ReduceOp.MIN, [1, 2, 3]), (dist.ReduceOp.PRODUCT, [2, 8, 18]),
]:
    t = tg.tensor([1.0, 2.0, 3.0]) * (r + 1)
    dist.all_reduce(t, op=op)
    same(t, expected)
bits = tg.tensor([1 + 2 * r], dtype=tg.int64)
dist.all_reduce(bits, op=dist.ReduceOp.BOR)
same(bits, [3])

m = tg.arange(6.0).reshape(2, 3) * (r + 1)
dist.all_reduce(m.T)  # a non-contiguous view: its base changes
same(m, np.arange(6.0).reshape(2, 3) * 3)

s = tg.tensor(float(r + 5))
dist.broadcast(s, src=1)
same(s, 6.0)
w = tg.tensor([r, r], dtype=tg.float64, requires_grad=True)
dist.broadcast(w, src=0)  # a leaf that requires grad, as PyTorch allows
same(w.detach(), [0, 0])

outs = [tg.zeros(2) for _ in range(n)]
dist.all_gather(outs, tg.tensor([r, 10.0 + r]))
same(outs[0], [0, 10]); same(outs[1], [1, 11])
whole = tg.zeros(2 * n)
dist.all_gather_into_tensor(whole, tg.tensor([r, 10.0 + r]))
same(whole, [0, 10, 1, 11])

mine = tg.zeros(2)
dist.reduce_scatter(mine, [tg.tensor([1.0, 2.0]) * (i + 1) + r for i in range(n)])
same(mine, [[3, 5], [5, 9]][r])
mine = tg.zeros(2)
dist.reduce_scatter_tensor(mine, tg.arange(4.0) + r, op=dist.ReduceOp.AVG)
same(mine, [[0.5, 1.5], [2.5, 3.5]][r])

from tapegrad.utils.data.distributed import DistributedSampler
assert list(DistributedSampler(range(10), shuffle=False)) == list(range(r, 10, n))

work = dist.all_reduce(tg.ones(3), async_op=True)
assert work.wait() and work.is_completed()
dist.barrier()

def error(f):
    try:
        f()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("no error")

say("rank", r, error(lambda: dist.broadcast(tg.ones(2), src=2)))
say("rank", r, error(lambda: dist.all_gather([tg.zeros(2)], tg.ones(2))))
say("rank", r, error(lambda: dist.all_gather([tg.zeros(3), tg.zeros(3)], tg.ones(2))))
say("rank", r, error(lambda: dist.all_reduce(tg.ones(2, dtype=tg.int64), op=dist.ReduceOp.AVG)))
say("rank", r, error(lambda: dist.all_reduce([1.0], op=dist.ReduceOp.SUM)))
say("rank", r, error(lambda: dist.all_reduce(tg.ones(2), op="sum")))
say("rank", r, error(lambda: dist.init_process_group("mpi")))
dist.destroy_process_group()
assert not dist.is_initialized()
say("rank", r, error(dist.get_rank))
say("rank", r, "done")
"""


def test_collectives_on_two_ranks(tmp_path):
    proc = run_mpi(COLLECTIVES, tmp_path)
    out = output_of(proc)
    assert proc.returncode == 0, out
    for r in (0, 1):
        assert f"rank {r} done" in proc.stdout, out
    # bad input: clear errors, before any communication
    assert "RuntimeError: broadcast: invalid root rank: 2" in out
    assert "RuntimeError: all_gather: invalid tensor list (expected a list of 2 tensors" in out
    assert (
        "RuntimeError: all_gather: invalid tensor size at index 0 (expected (2,), got (3,))" in out
    )
    assert "ReduceOp.AVG needs a floating-point tensor" in out
    assert "Expected parameter `tensor` of type Tensor" in out
    assert "TypeError: all_reduce: op must be a dist.ReduceOp" in out
    assert "ValueError: trying to initialize the default process group twice!" in out
    assert "ValueError: Default process group has not been initialized" in out
