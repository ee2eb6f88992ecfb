"""The process group's set-up and questions, in one process (no MPI started)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tapegrad.distributed as dist

NOT_INITIALIZED = "Default process group has not been initialized"


@pytest.mark.parametrize(
    "call",
    [
        dist.get_rank,
        dist.get_world_size,
        dist.get_backend,
        dist.barrier,
        dist.destroy_process_group,
    ],
)
def test_calls_before_init_process_group_name_it(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        call()


def test_collectives_before_init_process_group_name_it():
    import tapegrad as tg

    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        dist.all_reduce(tg.ones(2))


def test_a_backend_other_than_mpi_is_refused_by_name():
    with pytest.raises(ValueError, match="backend 'nccl' is not available.*MPI"):
        dist.init_process_group(backend="nccl")
    assert not dist.is_initialized()


def test_reduce_ops_carry_pytorchs_numbers():
    assert [op.value for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX)] == [
        0,
        1,
        4,
    ]
    assert dist.ReduceOp.PRODUCT.name == "PRODUCT"


def test_reduce_op_names_match_pytorch():
    torch = pytest.importorskip("torch")
    import torch.distributed as tdist

    ours = {op.name: op.value for op in dist.ReduceOp.RedOpType}
    theirs = {
        name: int(getattr(tdist.ReduceOp, name)) for name in ours
    }  # PREMUL_SUM (a scaled sum for NCCL) is PyTorch's only other one
    assert ours == theirs
    del torch


WITHOUT_MPI4PY = """
import sys
sys.modules["mpi4py"] = None  # as if it were not installed
import tapegrad, tapegrad.distributed as dist, tapegrad.nn as nn
assert not dist.is_available()
try:
    dist.init_process_group(backend="mpi")
except RuntimeError as exc:
    print(exc)
"""


def test_tapegrad_imports_without_mpi4py_and_names_the_extra():
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_MPI4PY], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'tapegrad[mpi]'" in proc.stdout
    assert not dist.is_initialized()


def test_train_distributed_without_mpi4py_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    from tapegrad.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # as if it were not installed
    assert main(["train", "--distributed", "--epochs", "1"]) == 2
    assert "--distributed: tapegrad.distributed needs mpi4py" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [] and not dist.is_initialized()
