"""Faults: a rank that raises, dies or never joins a collective ends the
whole job within seconds, never a hang; Ctrl-C under ``mpiexec`` stops all
ranks after the same batch and leaves the best model saved."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from tapegrad.cli import main

from .mpi import ENV, MPIEXEC, needs_mpi, output_of, run_mpi

pytestmark = needs_mpi

BOUND = 30  # seconds within which the surviving rank must be gone

TRAINING_UNTIL_FAULT = """
import datetime, os, signal, sys, time
import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.distributed as dist

dist.init_process_group(backend="mpi", timeout=datetime.timedelta(seconds=5))
rank = dist.get_rank()
fault = sys.argv[1]
ddp = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))
opt = tg.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(10**6):  # the survivor would train for hours
    if rank == 1 and step == 3:
        if fault == "raise":
            raise RuntimeError("boom on rank 1")
        if fault == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "stall":
            time.sleep(10**4)  # alive, but never joins the next collective
    opt.zero_grad()
    ddp(tg.randn(8, 4)).pow(2).mean().backward()
    opt.step()
"""


def _fault(tmp_path, fault: str):
    start = time.monotonic()
    proc = run_mpi(TRAINING_UNTIL_FAULT, tmp_path, args=[fault], timeout=BOUND + 30)
    return proc, time.monotonic() - start


def test_a_rank_that_raises_stops_the_others(tmp_path):
    proc, seconds = _fault(tmp_path, "raise")
    assert proc.returncode != 0 and seconds < BOUND, output_of(proc)
    assert "RuntimeError: boom on rank 1" in proc.stderr
    assert "rank 1 of 2 stopped with RuntimeError; aborting the job" in proc.stderr


def test_a_rank_that_dies_stops_the_others(tmp_path):
    proc, seconds = _fault(tmp_path, "kill")
    assert proc.returncode != 0 and seconds < BOUND, output_of(proc)


def test_a_rank_that_stops_communicating_times_the_others_out(tmp_path):
    proc, seconds = _fault(tmp_path, "stall")
    assert proc.returncode != 0 and seconds < BOUND, output_of(proc)
    assert "rank 0 of 2 waited 5 s for the other ranks" in proc.stderr, output_of(proc)


def test_ctrl_c_under_mpiexec_saves_the_best_model_and_exits_130(tmp_path):
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "tapegrad", "train", "--distributed"]
    command += ["--epochs", "500", "--no-progress", "--out", "run"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        for line in proc.stdout:
            if line.startswith("epoch   2/"):
                break
        proc.send_signal(signal.SIGINT)  # mpiexec passes Ctrl-C on to every rank
        out, err = proc.communicate(timeout=BOUND)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted after" in err
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["interrupted"] and metrics["epochs_run"] >= 2
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # no half-written file
    assert main(["evaluate", str(run)]) == 0  # the saved model loads and runs
