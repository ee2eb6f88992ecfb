"""Helpers for the CLI tests: run ``tapegrad`` in-process, write tiny IDX files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tapegrad.backend import host as np
from tapegrad.cli import main
from tapegrad.data import save_idx

# A small, fast training run on a toy set (seconds, not minutes).
FAST = ["--dataset", "xor", "--hidden", "8", "--epochs", "2", "--no-progress"]


_PLOTS = {"on": False}


@pytest.fixture(autouse=True)
def _no_plots_unless_asked(monkeypatch):
    """Drawing PNGs costs about a second per run: off unless a test asks ``with_plots``."""
    from tapegrad.run import plots

    real = plots.matplotlib_available
    _PLOTS["on"] = False
    monkeypatch.setattr(plots, "matplotlib_available", lambda: _PLOTS["on"] and real())


@pytest.fixture
def with_plots():
    pytest.importorskip("matplotlib")
    _PLOTS["on"] = True


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """``cli(*argv) -> (status, stdout, stderr)``, run in ``tmp_path`` as working folder."""
    monkeypatch.chdir(tmp_path)

    def run(*argv):
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def read_metrics(folder: Path) -> dict:
    return json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))


def write_tiny_mnist(folder: Path, n_train: int = 60, n_test: int = 20, gz: bool = False) -> Path:
    """Four MNIST-format IDX files of random 28x28 images with labels 0..9."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for part, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for k in range(n):  # a bright block whose place tells the class
            row = 2 * int(labels[k])
            images[k, row : row + 3, 4:24] = 250
        save_idx(folder / f"{part}-images-idx3-ubyte{suffix}", images)
        save_idx(folder / f"{part}-labels-idx1-ubyte{suffix}", labels)
    return folder
