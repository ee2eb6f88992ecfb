"""Ctrl-C during training: stop after the batch, keep the best model, status 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_metrics

import tapegrad.run.job as job
from tapegrad.train import Callback

REPO = Path(__file__).resolve().parents[2]


class _InterruptAt(Callback):
    """Raise KeyboardInterrupt after batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch: int, batch: int):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if state.epoch == self.epoch and state.batch == self.batch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_saves_best_model_and_exits_130(cli, monkeypatch):
    real_fit = job.fit

    def fit_with_interrupt(*args, callbacks=(), **kwargs):
        return real_fit(*args, callbacks=[*callbacks, _InterruptAt(3, 2)], **kwargs)

    monkeypatch.setattr(job, "fit", fit_with_interrupt)
    args = ["--dataset", "xor", "--hidden", "8", "--epochs", "50", "--no-progress"]
    status, out, err = cli("train", *args, "--out", "run")
    assert status == 130
    assert "interrupted" in err and "run" in err
    m = read_metrics("run")
    assert m["interrupted"] is True and m["epochs_run"] == 2 and m["best_epoch"] in (1, 2)
    for name in ("model.npz", "history.json", "config.toml"):
        assert (Path("run") / name).is_file()
    assert cli("evaluate", "run")[0] == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_sigint_to_a_running_training_exits_130(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = ["train", "--epochs", "500", "--early-stopping", "0", "--no-progress"]
    cmd = [sys.executable, "-m", "tapegrad", *args, "--out", str(tmp_path / "run")]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        for line in proc.stdout:  # wait for two finished epochs
            if line.startswith("epoch   2/"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert str(tmp_path / "run") in err
    assert read_metrics(tmp_path / "run")["interrupted"] is True
    assert (tmp_path / "run" / "model.npz").is_file()
