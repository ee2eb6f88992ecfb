"""``mpiexec -n 2 tapegrad train --distributed``: the run of one process,
shared by two; rank 0 alone prints and writes one run folder."""

from __future__ import annotations

import json
import sys

import pytest

from tapegrad.cli import main

from .mpi import mpiexec, needs_mpi, output_of

pytestmark = needs_mpi

# The default MLP on the bundled digits (dropout included), two epochs.
RUN = ["train", "--epochs", "2", "--no-progress"]


def _metrics(folder) -> dict:
    return json.loads((folder / "metrics.json").read_text())


@pytest.mark.parametrize(
    "options, rel",
    [
        ([], 1e-5),  # the acceptance run: float32, dropout 0.3
        (["--norm", "batch", "--dtype", "float64"], 1e-10),  # BatchNorm as SyncBatchNorm
    ],
)
def test_two_ranks_reproduce_the_one_process_run(tmp_path, monkeypatch, options, rel):
    monkeypatch.chdir(tmp_path)
    assert main([*RUN, *options, "--out", "one"]) == 0
    proc = mpiexec(
        2,
        sys.executable,
        "-m",
        "tapegrad",
        *RUN,
        *options,
        "--distributed",
        "--out",
        "two",
        cwd=tmp_path,
    )
    out = output_of(proc)
    assert proc.returncode == 0, out
    assert proc.stdout.count("tapegrad train: summary") == 1, out  # rank 0 only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # one run folder
    one, two = _metrics(tmp_path / "one"), _metrics(tmp_path / "two")
    assert two["test_accuracy"] == one["test_accuracy"]
    for key in ("test_loss", "val_loss", "val_accuracy", "train_loss", "train_accuracy"):
        assert two[key] == pytest.approx(one[key], rel=rel, abs=rel / 100), key
    history = json.loads((tmp_path / "two" / "history.json").read_text())
    assert "mlp.0.weight" in history["grad_stats"]  # the names one process gives
    assert "distributed = true" in (tmp_path / "two" / "config.toml").read_text()


def test_a_batch_that_does_not_split_over_the_ranks_is_refused_once(tmp_path):
    proc = mpiexec(
        2,
        sys.executable,
        "-m",
        "tapegrad",
        *RUN,
        "--distributed",
        "--batch-size",
        "33",
        cwd=tmp_path,
    )
    assert proc.returncode == 2, output_of(proc)
    assert proc.stderr.count("--batch-size 33 does not split over 2 ranks") == 1, output_of(proc)
    assert list(tmp_path.iterdir()) == []  # nothing written
