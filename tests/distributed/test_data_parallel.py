"""``DistributedDataParallel`` on 2 MPI ranks.

The acceptance test: after every step of a few steps of training, both ranks
hold identical parameters, equal (float64, to rounding) to one process
training on the concatenated batch; with several buckets, gradient
accumulation under ``no_sync``, unused parameters, BatchNorm buffers; and
against PyTorch's own DDP (gloo) run in the same two processes.
"""

from __future__ import annotations

import socket

import pytest

from .mpi import needs_mpi, output_of, run_mpi

pytestmark = needs_mpi

COMMON = """
import numpy as np
import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.distributed as dist

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()

def say(*parts):
    print(" ".join(map(str, parts)), flush=True)  # (one write: ranks share stdout)

def flat(module):
    return np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])

def same_on_all_ranks(values):
    mine = tg.tensor(values)
    everyone = [tg.zeros_like(mine) for _ in range(world)]
    dist.all_gather(everyone, mine)
    return all(np.array_equal(e.numpy(), values) for e in everyone)
"""

TRAINING = (
    COMMON
    + """
def mlp():
    return nn.Sequential(
        nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)
    ).double()

tg.manual_seed(1 + rank)  # different weights on each rank: DDP starts from rank 0's
ddp = nn.parallel.DistributedDataParallel(mlp(), bucket_cap_mb=0.001)
tg.manual_seed(1)
single = mlp()  # rank 0's weights
assert same_on_all_ranks(flat(ddp.module)) and np.array_equal(flat(ddp.module), flat(single))
opt = tg.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
opt_single = tg.optim.SGD(single.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(0)
share = slice(4 * rank, 4 * rank + 4)
for step in range(4):
    x, y = tg.tensor(rng.standard_normal((8, 5))), tg.tensor(rng.integers(0, 3, 8))
    opt.zero_grad()
    F.cross_entropy(ddp(x[share]), y[share]).backward()
    opt.step()
    opt_single.zero_grad()
    F.cross_entropy(single(x), y).backward()
    opt_single.step()
    assert same_on_all_ranks(flat(ddp.module)), step
    error = np.abs(flat(ddp.module) - flat(single)).max()
    assert error < 1e-12, (step, error)
    say("rank", rank, "step", step, "buckets", len(ddp.reducer.buckets), "error", error)

# no_sync: two micro-batches accumulate locally, the third synchronises the sums
opt.zero_grad(); opt_single.zero_grad()
for micro in range(3):
    x, y = tg.tensor(rng.standard_normal((8, 5))), tg.tensor(rng.integers(0, 3, 8))
    if micro < 2:
        with ddp.no_sync():
            F.cross_entropy(ddp(x[share]), y[share]).backward()
        local = [p.grad.numpy().copy() for p in ddp.parameters()]
    else:
        F.cross_entropy(ddp(x[share]), y[share]).backward()
    F.cross_entropy(single(x), y).backward()
assert not same_on_all_ranks(np.concatenate([g.ravel() for g in local]))
grads = np.concatenate([p.grad.numpy().ravel() for p in ddp.parameters()])
expected = np.concatenate([p.grad.numpy().ravel() for p in single.parameters()])
assert same_on_all_ranks(grads) and np.abs(grads - expected).max() < 1e-12
say("rank", rank, "no_sync ok")
"""
)


def test_ranks_hold_the_parameters_of_one_process_after_every_step(tmp_path):
    proc = run_mpi(TRAINING, tmp_path)
    out = output_of(proc)
    assert proc.returncode == 0, out
    for r in (0, 1):
        assert f"rank {r} step 3" in proc.stdout and f"rank {r} no_sync ok" in proc.stdout, out
    # the first step reduces one bucket; after it, the buckets of about 1 kB
    assert "step 0 buckets 1 " in proc.stdout and "step 1 buckets 1 " not in proc.stdout, out


UNUSED = (
    COMMON
    + """
class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk, self.left, self.never = nn.Linear(3, 2), nn.Linear(2, 1), nn.Linear(2, 1)

    def forward(self, x, use_left):
        h = self.trunk(x)
        return self.left(h).sum(1) if use_left else h.sum(1)

tg.manual_seed(0)
model = Branches().double()
ddp = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
x = tg.tensor(np.arange(6.0).reshape(2, 3) + rank)
ddp(x, use_left=(rank == 0)).sum().backward()  # rank 1 leaves `left` out
left = model.left.weight.grad.numpy()
x0 = tg.tensor(np.arange(6.0).reshape(2, 3))  # rank 0's rows; rank 1 contributes zeros
expected = model.trunk(x0).detach().sum(0).numpy()[None] / world
assert same_on_all_ranks(left) and np.abs(left - expected).max() < 1e-12
assert model.never.weight.grad is None  # unused on every rank: left untouched
say("rank", rank, "left grad", left.tolist(), "never", model.never.weight.grad)

tg.manual_seed(0)
strict = nn.parallel.DistributedDataParallel(Branches().double())
strict(x, use_left=False).sum().backward()  # `left` and `never` unused: never finishes
try:
    strict(x, use_left=False)
except RuntimeError as exc:
    say("rank", rank, "error:", str(exc)[:90])

# BatchNorm: each rank normalises with its own batch; running statistics
# follow rank 0's (broadcast before the next forward)
tg.manual_seed(0)
bn = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
bn(tg.randn(6, 3) + 3 * rank).sum().backward()
differ = not same_on_all_ranks(bn.module[1].running_mean.numpy())
bn.eval()
with tg.no_grad():
    bn(tg.randn(2, 3))
say("rank", rank, "bn", differ, same_on_all_ranks(bn.module[1].running_mean.numpy()))
"""
)


def test_unused_parameters_and_batchnorm_buffers(tmp_path):
    proc = run_mpi(UNUSED, tmp_path)
    out = output_of(proc)
    assert proc.returncode == 0, out
    # `left`: rank 0's gradient averaged with rank 1's zeros; `never`: untouched (None)
    assert out.count("never None") == 2, out
    assert out.count("error: Expected to have finished reduction in the prior iteration") == 2
    assert out.count("bn True True") == 2, out


PARITY = (
    COMMON
    + """
import os, sys
import torch
import torch.distributed as tdist

os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[1])
tdist.init_process_group("gloo", rank=rank, world_size=world)

def layers(lib):
    return lib.nn.Sequential(
        lib.nn.Linear(6, 32), lib.nn.ReLU(), lib.nn.Linear(32, 32), lib.nn.ReLU(),
        lib.nn.Linear(32, 4),
    )

torch.manual_seed(rank)  # each rank's torch model differs: DDP starts from rank 0's
ours, theirs = layers(tg).double(), layers(torch).double()
ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
ddp = nn.parallel.DistributedDataParallel(ours, bucket_cap_mb=0.01)
tddp = torch.nn.parallel.DistributedDataParallel(theirs, bucket_cap_mb=0.01)
opt = tg.optim.Adam(ddp.parameters(), lr=1e-2)
topt = torch.optim.Adam(tddp.parameters(), lr=1e-2)
rng = np.random.default_rng(rank)
for step in range(5):
    x, y = rng.standard_normal((6, 6)), rng.integers(0, 4, 6)
    for model, o, lib in ((ddp, opt, tg), (tddp, topt, torch)):
        o.zero_grad()
        lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
        o.step()
    ref = np.concatenate([p.detach().numpy().ravel() for p in theirs.parameters()])
    error = np.abs(flat(ours) - ref).max()
    assert error < 1e-10, (step, error)
say("rank", rank, "matches torch DDP", error)
# gloo's threads must stop before the interpreter does (else C++ terminate at exit)
del tddp
tdist.barrier()
tdist.destroy_process_group()
"""
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_training_matches_pytorchs_distributed_data_parallel(tmp_path):
    pytest.importorskip("torch")
    proc = run_mpi(PARITY, tmp_path, args=[_free_port()], timeout=90)
    out = output_of(proc)
    assert proc.returncode == 0, out
    assert out.count("matches torch DDP") == 2, out


SYNC_BATCHNORM = (
    COMMON
    + """
def net(norm):
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), norm(3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 4)
    ).double()

tg.manual_seed(0)
ddp = nn.parallel.DistributedDataParallel(
    nn.SyncBatchNorm.convert_sync_batchnorm(net(nn.BatchNorm2d))
)
assert isinstance(ddp.module[1], nn.SyncBatchNorm)
tg.manual_seed(0)
single = net(nn.BatchNorm2d)
opt = tg.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
opt_single = tg.optim.SGD(single.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(0)
share = slice(3 * rank, 3 * rank + 3)
for step in range(3):
    x, y = tg.tensor(rng.standard_normal((6, 2, 4, 4)) + 2), tg.tensor(rng.integers(0, 4, 6))
    for model, o, rows in ((ddp, opt, share), (single, opt_single, slice(None))):
        o.zero_grad()
        F.cross_entropy(model(x[rows]), y[rows]).backward()
        o.step()
    error = np.abs(flat(ddp.module) - flat(single)).max()
    stats = np.abs(ddp.module[1].running_var.numpy() - single[1].running_var.numpy()).max()
    assert same_on_all_ranks(flat(ddp.module)) and error < 1e-12 and stats < 1e-12, (error, stats)
say("rank", rank, "sync batchnorm equals one process", error, stats)
"""
)


def test_sync_batchnorm_trains_as_one_process_on_the_global_batch(tmp_path):
    proc = run_mpi(SYNC_BATCHNORM, tmp_path)
    out = output_of(proc)
    assert proc.returncode == 0, out
    assert out.count("sync batchnorm equals one process") == 2, out
