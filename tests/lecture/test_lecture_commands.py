"""The ``tapegrad lecture`` command: tables, pictures, errors."""

import argparse

import pytest

from tapegrad.lecture import commands, plots
from tapegrad.lecture.commands import add_commands, main


def test_list_names_every_experiment(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in commands.RUNNERS:
        assert name in out


def test_experiments_come_in_the_lecture_order():
    assert list(commands.RUNNERS) == [
        "worked-example",
        "activations",
        "relu-network",
        "finite-differences",
        "vanishing-gradients",
        "gradient-statistics",
        "optimizers",
        "early-stopping",
        "regularisation",
        "normalization",
    ]


def test_worked_example_prints_the_slide_numbers(capsys):
    assert main(["worked-example"]) == 0
    out = capsys.readouterr().out
    assert "412.19145728412" in out and "1208.38121512660" in out and "809.70747921856" in out
    assert "g_b" in out and "True" in out


def test_relu_network_prints_agreement(capsys):
    assert main(["relu-network"]) == 0
    out = capsys.readouterr().out
    assert "y = 6" in out and "loss = 1/2 (y - t)^2 = 12.5" in out and "agree: True" in out


def test_vanishing_gradients_prints_a_row_per_layer(capsys):
    assert main(["vanishing-gradients", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "45 layers with ||dz/dW|| < 1e-8" in out
    assert len([ln for ln in out.splitlines() if ln[:5].strip().isdigit()]) == 50


def test_unknown_name_is_a_one_line_error(capsys):
    assert main(["vanishing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown lecture experiment 'vanishing'" in err


def test_underscores_are_accepted(capsys):
    assert main(["worked_example"]) == 0


def test_out_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "pics"
    assert main(["gradient-statistics", "--out", str(out)]) == 0
    png = out / "lecture-gradient-statistics.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out
    assert [p.name for p in out.iterdir()] == [png.name]


def test_out_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)
    assert main(["optimizers", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'tapegrad[plot]'" in err


def test_out_for_a_graphviz_example_needs_no_matplotlib(tmp_path, monkeypatch, capsys):
    # worked-example draws with Graphviz (or writes the DOT text), never matplotlib
    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)
    assert main(["worked-example", "--out", str(tmp_path)]) == 0
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".png"]
    assert (tmp_path / "lecture-worked-example-backward.html").is_file()


def test_out_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["gradient-statistics", "--out", str(blocker)]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_add_commands_registers_lecture_with_its_options():
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["lecture", "optimizers", "--seed", "3", "--out", "d"])
    assert (args.name, args.seed, args.out) == ("optimizers", 3, "d")
    assert args.func is commands.run_lecture
