"""Bad input: one line on stderr, exit status 2, no traceback, no run folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tiny_mnist


def assert_refused(result, *words):
    status, out, err = result
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0]
    assert not Path("runs").exists()
    assert not Path("out").exists()


def test_unknown_dataset_is_refused(cli):
    assert_refused(cli("train", "--dataset", "cifar", "--out", "out"), "cifar", "digits")


def test_malformed_hidden_is_refused(cli):
    assert_refused(cli("train", "--hidden", "12,,x", "--out", "out"), "--hidden", "12,,x")


def test_zero_width_hidden_is_refused(cli):
    assert_refused(cli("train", "--hidden", "12,0", "--out", "out"), "--hidden")


def test_negative_learning_rate_is_refused(cli):
    assert_refused(cli("train", "--lr", "-0.1", "--out", "out"), "--lr", "-0.1")


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--epochs", "0"),
        ("--batch-size", "x"),
        ("--dropout", "1"),
        ("--optimizer", "lbfgs"),
        ("--activation", "swish"),
        ("--norm", "group"),
        ("--dtype", "int8"),
        ("--seed", "-1"),
    ],
)
def test_out_of_range_option_is_refused(cli, flag, value):
    assert_refused(cli("train", flag, value, "--out", "out"), flag)


def test_mnist_without_data_dir_is_refused(cli):
    assert_refused(cli("train", "--dataset", "mnist", "--out", "out"), "--data-dir")


def test_mnist_folder_without_files_names_the_file_and_source(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = cli("train", "--dataset", "mnist", "--data-dir", tmp_path / "empty", "--out", "out")
    assert_refused(result, "train-images-idx3-ubyte", "LeCun")


def test_fashion_mnist_missing_files_point_to_zalando(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    args = ("--dataset", "fashion-mnist", "--data-dir", tmp_path / "empty", "--out", "out")
    assert_refused(cli("train", *args), "zalandoresearch")


def test_corrupted_idx_file_is_refused(cli, tmp_path):
    folder = write_tiny_mnist(tmp_path / "mnist")
    labels = folder / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-7])  # truncated
    result = cli("train", "--dataset", "mnist", "--data-dir", folder, "--out", "out")
    assert_refused(result, "train-labels-idx1-ubyte", "truncated")


def test_idx_file_with_bad_magic_is_refused(cli, tmp_path):
    folder = write_tiny_mnist(tmp_path / "mnist")
    (folder / "t10k-images-idx3-ubyte").write_bytes(b"\x89PNG not an idx file at all")
    result = cli("train", "--dataset", "mnist", "--data-dir", folder, "--out", "out")
    assert_refused(result, "t10k-images-idx3-ubyte", "not an IDX file")


def test_config_with_unknown_key_names_the_key(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('dataset = "xor"\nlearning_rate = 0.1\n')
    assert_refused(cli("train", "--config", path, "--out", "out"), "learning_rate", "bad.toml")


def test_missing_config_file_is_refused(cli, tmp_path):
    assert_refused(cli("train", "--config", tmp_path / "nope.toml"), "nope.toml", "no such file")


def test_config_that_is_not_toml_is_refused(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("epochs = = 3\n")
    assert_refused(cli("train", "--config", path), "broken.toml", "not valid TOML")


def test_config_with_bad_value_names_key_and_value(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('hidden = "12,,x"\n')
    assert_refused(cli("train", "--config", path), "hidden", "12,,x")


def test_out_that_is_a_file_is_refused(cli, tmp_path):
    Path("out").write_text("a file")
    status, _, err = cli("train", *["--dataset", "xor", "--out", "out"])
    assert status == 2 and "not a folder" in err and len(err.strip().splitlines()) == 1


def test_evaluate_of_missing_folder_is_refused(cli):
    status, _, err = cli("evaluate", "no-such-run")
    assert status == 2 and "no-such-run" in err and len(err.strip().splitlines()) == 1


def test_no_subcommand_prints_help_and_status_2(cli):
    status, _, err = cli()
    assert status == 2 and "train" in err
