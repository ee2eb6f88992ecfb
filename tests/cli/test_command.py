"""The command itself: help with examples, python -m, lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_metrics

REPO = Path(__file__).resolve().parents[2]


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_help_shows_examples(cli, command):
    status, out, _ = cli(command, "--help")
    assert status == 0
    assert "examples:" in out and f"tapegrad {command}" in out


def test_train_help_lists_every_option(cli):
    _, out, _ = cli("train", "--help")
    for flag in (
        "--dataset",
        "--data-dir",
        "--hidden",
        "--activation",
        "--optimizer",
        "--lr",
        "--epochs",
        "--batch-size",
        "--weight-decay",
        "--l2",
        "--dropout",
        "--norm",
        "--residual",
        "--early-stopping",
        "--seed",
        "--dtype",
        "--out",
        "--no-progress",
        "--config",
    ):
        assert flag in out


def test_python_dash_m_trains_one_epoch(tmp_path):
    args = ["train", "--dataset", "moons", "--hidden", "8", "--epochs", "1", "--no-progress"]
    cmd = [sys.executable, "-m", "tapegrad", *args, "--out", str(tmp_path / "run")]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert read_metrics(tmp_path / "run")["epochs_run"] == 1


def test_python_dash_m_bad_input_exits_2_with_one_line(tmp_path):
    cmd = [sys.executable, "-m", "tapegrad", "train", "--hidden", "12,,x"]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_importing_tapegrad_does_not_import_matplotlib_or_tqdm():
    code = (
        "import sys, tapegrad, tapegrad.cli, tapegrad.run.job\n"
        "assert 'matplotlib' not in sys.modules and 'tqdm' not in sys.modules, "
        "[m for m in sys.modules if m.startswith(('matplotlib', 'tqdm'))]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert done.returncode == 0, done.stderr
