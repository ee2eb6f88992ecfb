"""``tapegrad train --dataset names`` / ``--text-file``: a character-level language
model; its run folder, ``evaluate`` in nats per character, ``sample``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import read_metrics
from test_bad_input import assert_refused

import tapegrad.nn as nn
import tapegrad.run.lm_job as lm_job
from tapegrad.train import Callback

WORDS = "anna bob carl dora eve frank gina hugo ida jon kai lea mia nora otto".split()
TINY_TRANSFORMER = ["--embed", "8", "--layers", "1", "--heads", "2", "--no-progress"]
# One epoch of the bundled names in about 30 steps.
NAMES_BIGRAM = ["--dataset", "names", "--model", "bigram", "--batch-size", "1024", "--epochs", "1"]


@pytest.fixture
def words_file(tmp_path) -> Path:
    path = tmp_path / "words.txt"
    path.write_text("\n".join(WORDS * 4) + "\n", encoding="utf-8")
    return path


def test_text_file_run_writes_the_folder_and_samples(cli, words_file, with_plots):
    status, out, err = cli(
        "train", "--text-file", words_file, *TINY_TRANSFORMER, "--epochs", "2", "--out", "run"
    )
    assert status == 0, err
    names = {p.name for p in Path("run").iterdir()}
    assert {"config.toml", "metrics.json", "history.json", "model.npz", "samples.txt"} <= names
    assert "curves.png" in names
    m = read_metrics("run")
    assert m["dataset"] == "text" and m["model"] == "transformer"
    assert math.isfinite(m["test_loss"]) and m["test_chars"] > 0
    assert (m["train_size"], m["val_size"], m["test_size"]) == (48, 6, 6)
    samples = Path("run/samples.txt").read_text(encoding="utf-8").splitlines()
    assert len(samples) == 50
    assert "test  loss (nats/char)" in out and "not in the training set" in out
    assert 'model = "transformer"' in Path("run/config.toml").read_text()


def test_names_run_then_evaluate_reports_the_same_test_loss(cli):
    status, _, err = cli("train", *NAMES_BIGRAM, "--no-progress", "--out", "run")
    assert status == 0, err
    m = read_metrics("run")
    assert (m["train_size"], m["test_size"]) == (30033, 1000)
    assert m["test_loss"] < math.log(27)  # better than uniform over 27 tokens
    status, out, _ = cli("evaluate", "run")
    assert status == 0
    assert f"{m['test_loss']:.4f} nats/char" in out and "differs" not in out


def test_sample_prints_words_and_counts_the_new_ones(cli):
    assert cli("train", *NAMES_BIGRAM, "--no-progress", "--out", "run")[0] == 0
    status, out, _ = cli("sample", "run", "-n", "7", "--seed", "3", "--prefix", "jo")
    assert status == 0
    lines = out.strip().splitlines()
    assert len(lines) == 8 and lines[-1].endswith("of 7 not in the training set")
    assert all(line.strip().startswith("jo") for line in lines[:-1])
    assert cli("sample", "run", "-n", "7", "--seed", "3", "--prefix", "jo")[1] == out


def test_top_k_1_samples_the_most_likely_word_every_time(cli):
    assert cli("train", *NAMES_BIGRAM, "--no-progress", "--out", "run")[0] == 0
    status, out, _ = cli("sample", "run", "-n", "3", "--top-k", "1")
    assert status == 0
    words = [line.split()[0] for line in out.strip().splitlines()[:-1]]
    assert len(words) == 3 and len(set(words)) == 1


@pytest.mark.parametrize("model", ["mlp", "bigram"])
def test_other_models_train_on_a_text_file(cli, words_file, model):
    args = ["--text-file", words_file, "--model", model, "--epochs", "1", "--no-progress"]
    status, _, err = cli("train", *args, "--hidden", "16", "--out", "run")
    assert status == 0, err
    assert math.isfinite(read_metrics("run")["test_loss"])
    assert cli("sample", "run", "-n", "2")[0] == 0


@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_recurrent_models_train_on_a_text_file(cli, words_file, model):
    if not hasattr(nn, model.upper()):
        pytest.skip(f"tapegrad.nn.{model.upper()} does not exist yet")
    args = ["--text-file", words_file, "--model", model, "--epochs", "1", "--no-progress"]
    status, _, err = cli("train", *args, "--hidden", "16", "--embed", "8", "--out", "run")
    assert status == 0, err
    assert math.isfinite(read_metrics("run")["test_loss"])
    assert cli("sample", "run", "-n", "2")[0] == 0


def test_missing_text_file_is_refused(cli):
    assert_refused(cli("train", "--text-file", "nope.txt", "--out", "out"), "nope.txt", "no such")


def test_empty_text_file_is_refused(cli, tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    assert_refused(cli("train", "--text-file", "empty.txt", "--out", "out"), "empty.txt", "empty")


def test_binary_text_file_is_refused(cli, tmp_path):
    (tmp_path / "b.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    assert_refused(cli("train", "--text-file", "b.bin", "--out", "out"), "b.bin", "binary")


def test_image_model_on_names_is_refused(cli):
    result = cli("train", "--dataset", "names", "--model", "cnn", "--out", "out")
    assert_refused(result, "--model cnn", "transformer")


def test_language_model_on_digits_is_refused(cli):
    result = cli("train", "--model", "transformer", "--out", "out")
    assert_refused(result, "--model transformer", "--dataset names")


def test_text_dataset_without_file_is_refused(cli):
    assert_refused(cli("train", "--dataset", "text", "--out", "out"), "--text-file")


def test_l2_penalty_is_refused_for_a_language_model(cli):
    result = cli("train", "--dataset", "names", "--l2", "0.01", "--out", "out")
    assert_refused(result, "--l2", "--weight-decay")


def test_heads_must_divide_the_width(cli, words_file):
    args = ("--text-file", words_file, "--embed", "10", "--heads", "4", "--out", "out")
    assert_refused(cli("train", *args), "--embed 10", "--heads 4")


def test_sample_refuses_a_prefix_outside_the_vocabulary_and_a_classifier_run(cli, words_file):
    assert (
        cli(
            "train",
            "--text-file",
            words_file,
            "--model",
            "bigram",
            "--epochs",
            "1",
            "--no-progress",
            "--out",
            "lm",
        )[0]
        == 0
    )
    status, _, err = cli("sample", "lm", "--prefix", "Z")
    assert status == 2 and "--prefix" in err and "'Z'" in err
    assert cli("sample", "lm", "--temperature", "0")[0] == 2
    assert (
        cli(
            "train",
            "--dataset",
            "xor",
            "--hidden",
            "4",
            "--epochs",
            "1",
            "--no-progress",
            "--out",
            "clf",
        )[0]
        == 0
    )
    status, _, err = cli("sample", "clf")
    assert status == 2 and "not a language-model run" in err
    status, _, err = cli("predict", "lm", "--index", "0")
    assert status == 2 and "tapegrad sample" in err


class _InterruptAt(Callback):
    """Raise KeyboardInterrupt after batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch: int, batch: int):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if state.epoch == self.epoch and state.batch == self.batch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_best_model_writes_samples_and_exits_130(cli, words_file, monkeypatch):
    real_fit = lm_job.fit

    def fit_with_interrupt(*args, callbacks=(), **kwargs):
        return real_fit(*args, callbacks=[*callbacks, _InterruptAt(3, 0)], **kwargs)

    monkeypatch.setattr(lm_job, "fit", fit_with_interrupt)
    args = ["--text-file", words_file, "--model", "bigram", "--epochs", "9", "--no-progress"]
    status, _, err = cli("train", *args, "--batch-size", "8", "--out", "run")
    assert status == 130 and "interrupted" in err
    m = read_metrics("run")
    assert m["interrupted"] is True and m["epochs_run"] == 2
    assert Path("run/samples.txt").is_file()
    assert cli("evaluate", "run")[0] == 0
