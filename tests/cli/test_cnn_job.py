"""``tapegrad train --model cnn`` and ``--model mnist-cnn``: the same run
folder, evaluation and prediction as the MLP; bad shapes refused first."""

from __future__ import annotations

from pathlib import Path

from conftest import read_metrics, write_tiny_mnist
from test_bad_input import assert_refused

import tapegrad.nn as nn
from tapegrad.run import config as C
from tapegrad.run.build import build_model

QUICK_CNN = ["--model", "cnn", "--channels", "4,8", "--hidden", "16", "--no-progress"]


def test_cnn_on_the_digits_writes_the_run_folder_with_filters(cli, with_plots):
    status, out, err = cli("train", *QUICK_CNN, "--epochs", "2", "--out", "run")
    assert status == 0, err
    names = {p.name for p in Path("run").iterdir()}
    assert {"config.toml", "metrics.json", "history.json", "model.npz"} <= names
    assert {"curves.png", "filters.png", "gradients.png"} <= names
    assert Path("run/filters.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "CNN conv 4-8 3x3, max pool 2, dense 128-16-10" in out
    assert 'model = "cnn"' in Path("run/config.toml").read_text()
    assert read_metrics("run")["test_accuracy"] > 0.3  # chance: 0.1


def test_evaluate_and_predict_rebuild_the_cnn(cli):
    assert cli("train", *QUICK_CNN, "--epochs", "1", "--out", "run")[0] == 0
    reported = read_metrics("run")["test_accuracy"]
    status, out, _ = cli("evaluate", "run")
    assert status == 0 and f"{100 * reported:.2f}%" in out and "differs" not in out
    status, out, _ = cli("predict", "run", "--index", "3")
    assert status == 0 and "predicted" in out


def test_mnist_cnn_is_pytorchs_example_network_and_trains_on_mnist_files(cli, tmp_path):
    data = write_tiny_mnist(tmp_path / "idx")
    argv = ["--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data]
    status, out, err = cli("train", *argv, "--epochs", "1", "--no-progress", "--out", "run")
    assert status == 0, err
    assert "CNN of PyTorch's examples/mnist" in out


def test_mnist_cnn_on_8x8_digits_is_refused_naming_both_shapes(cli):
    result = cli("train", "--model", "mnist-cnn", "--out", "out")
    assert_refused(result, "--model mnist-cnn", "28x28", "8x8", "digits")


def test_cnn_on_data_without_images_is_refused(cli):
    assert_refused(cli("train", "--model", "cnn", "--dataset", "xor", "--out", "out"), "images")


def test_cnn_without_channels_is_refused(cli):
    assert_refused(cli("train", "--model", "cnn", "--channels", "", "--out", "out"), "--channels")


def test_the_cnn_layers():
    config = C.resolve({"model": "cnn", "channels": (4, 8), "hidden": (16,)}, {})
    model = build_model(config, 64, 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.padding) for c in convs] == [
        (1, 4, (1, 1)),
        (4, 8, (1, 1)),
    ]
    assert any(isinstance(m, nn.MaxPool2d) for m in model.modules())
    assert list(model.state_dict())[:3] == ["standardize.mean", "standardize.scale", "cnn.1.weight"]
