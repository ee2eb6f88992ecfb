"""``tapegrad train`` end to end on small data: files, metrics, reruns, evaluate, predict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FAST, read_metrics, write_tiny_mnist

from tapegrad.run.config import load_toml

RUN_FILES = ["config.toml", "metrics.json", "history.json", "model.npz"]
PLOTS = ["curves.png", "gradients.png"]


def test_train_writes_every_run_file(cli, with_plots):
    status, out, err = cli("train", *FAST, "--out", "run")
    assert status == 0, err
    names = {p.name for p in Path("run").iterdir()}
    assert set(RUN_FILES) <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    for name in PLOTS:
        assert (Path("run") / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_hold_the_promised_numbers(cli):
    cli("train", *FAST, "--out", "run")
    m = read_metrics("run")
    for key in ("test_accuracy", "test_loss", "best_epoch", "epochs_run", "seconds"):
        assert key in m
    assert 0.0 <= m["test_accuracy"] <= 1.0
    assert m["epochs_run"] == 2 and m["best_epoch"] in (1, 2)


def test_summary_table_is_printed(cli):
    _, out, _ = cli("train", *FAST, "--out", "run")
    assert "summary" in out and "test  loss / accuracy" in out and "run" in out


def test_default_folder_is_under_runs_with_dataset_name(cli):
    status, _, _ = cli("train", *FAST)
    assert status == 0
    (folder,) = list(Path("runs").iterdir())
    assert folder.name.endswith("-xor")


def test_same_seed_gives_identical_metrics_apart_from_seconds(cli):
    cli("train", *FAST, "--dropout", "0.2", "--seed", "3", "--out", "a")
    cli("train", *FAST, "--dropout", "0.2", "--seed", "3", "--out", "b")
    a, b = read_metrics("a"), read_metrics("b")
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_different_seeds_give_different_runs(cli):
    cli("train", *FAST, "--seed", "1", "--out", "a")
    cli("train", *FAST, "--seed", "2", "--out", "b")
    assert read_metrics("a")["test_loss"] != read_metrics("b")["test_loss"]


def test_written_config_is_resolved_and_reruns_exactly(cli):
    cli("train", *FAST, "--optimizer", "sgd", "--out", "a")
    config = load_toml("a/config.toml")
    assert config["lr"] == 0.1 and config["hidden"] == (8,) and config["optimizer"] == "sgd"
    assert "out" not in config
    status, _, err = cli("train", "--config", "a/config.toml", "--out", "b")
    assert status == 0, err
    a, b = read_metrics("a"), read_metrics("b")
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_flags_override_the_config_file(cli, tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(
        'dataset = "xor"\nhidden = [4]\nepochs = 5\nbatch-size = 64\nprogress = false\n'
    )
    status, _, err = cli("train", "--config", path, "--epochs", "1", "--out", "run")
    assert status == 0, err
    written = load_toml("run/config.toml")
    assert written["epochs"] == 1 and written["hidden"] == (4,) and written["batch_size"] == 64


def test_every_optimizer_and_option_trains(cli):
    for optimizer in ("sgd", "momentum", "ema-momentum", "rmsprop", "adam", "adamw"):
        status, _, err = cli("train", *FAST, "--optimizer", optimizer, "--out", optimizer)
        assert status == 0, err
    extras = ["--norm", "layer", "--residual", "--dropout", "0.1", "--l2", "1e-3"]
    extras += ["--activation", "tanh", "--hidden", "8,8", "--dtype", "float64"]
    status, _, err = cli("train", *FAST, *extras, "--out", "extras")
    assert status == 0, err
    status, _, err = cli("train", *FAST, "--norm", "batch", "--hidden", "", "--out", "linear")
    assert status == 0, err


def test_every_activation_name_builds(cli):
    from tapegrad.run.config import ACTIVATIONS

    for name in ACTIVATIONS:
        args = ["--dataset", "xor", "--hidden", "4", "--epochs", "1", "--no-progress"]
        status, _, err = cli("train", *args, "--activation", name, "--out", name)
        assert status == 0, (name, err)


def test_early_stopping_stops_and_keeps_the_best_epoch(cli):
    args = ["--dataset", "xor", "--hidden", "8", "--epochs", "60", "--lr", "0.05"]
    status, _, _ = cli("train", *args, "--early-stopping", "1", "--no-progress", "--out", "run")
    m = read_metrics("run")
    history = json.loads(Path("run/history.json").read_text())
    assert status == 0 and m["epochs_run"] < 60
    val = history["metrics"]["val_loss"]
    assert m["best_epoch"] == 1 + val.index(min(val))
    assert m["val_loss"] == pytest.approx(min(val))


def test_evaluate_reproduces_the_test_accuracy(cli):
    cli("train", *FAST, "--out", "run")
    status, out, err = cli("evaluate", "run")
    assert status == 0, err
    expected = read_metrics("run")["test_accuracy"]
    assert f"{100 * expected:.2f}%" in out and "differs" not in out
    assert "confusion matrix" in out


def test_predict_index_prints_probabilities(cli):
    cli("train", *FAST, "--out", "run")
    status, out, err = cli("predict", "run", "--index", "0")
    assert status == 0, err
    assert "predicted" in out and "%" in out and "true" in out


def test_predict_index_out_of_range_is_refused(cli):
    cli("train", *FAST, "--out", "run")
    status, _, err = cli("predict", "run", "--index", "100000")
    assert status == 2 and "--index" in err


def test_predict_image_on_toy_data_is_refused(cli, tmp_path):
    cli("train", *FAST, "--out", "run")
    status, _, err = cli("predict", "run", "--image", tmp_path / "x.npy")
    assert status == 2 and "no images" in err


def test_mnist_from_tiny_idx_files_trains_evaluates_and_predicts(cli, tmp_path):
    from tapegrad.backend import host as np

    folder = write_tiny_mnist(tmp_path / "mnist", gz=True)
    args = ["--dataset", "mnist", "--data-dir", folder, "--hidden", "16", "--epochs", "2"]
    status, _, err = cli("train", *args, "--no-progress", "--out", "run")
    assert status == 0, err
    assert read_metrics("run")["test_size"] == 20
    status, out, _ = cli("evaluate", "run")
    assert status == 0 and "20 examples" in out
    image = tmp_path / "digit.npy"
    np.save(image, np.zeros((28, 28), dtype=np.uint8))
    status, out, err = cli("predict", "run", "--image", image)
    assert status == 0, err


def test_model_file_opens_without_pickle(cli):
    from tapegrad.backend import host as np

    cli("train", *FAST, "--out", "run")
    with np.load("run/model.npz", allow_pickle=False) as archive:
        assert len(archive.files) > 1
