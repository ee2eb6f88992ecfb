"""The `graph` and `draw-network` subcommands, through a parser built with
add_commands (the main `tapegrad` parser calls the same function)."""

import argparse
import subprocess
import sys

import pytest
from vizhelpers import EXPRESSION, PROGRAM, needs_dot, svg_root

from tapegrad.viz.commands import add_commands


def _run(argv):
    parser = argparse.ArgumentParser(prog="tapegrad")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_expression_prints_value_and_gradients(capsys):
    assert _run(["graph", EXPRESSION, "--at", "x=2", "z=3"]) == 0
    out = capsys.readouterr().out
    assert "y = 412.191457" in out
    assert "dy/dx = 1208.381215" in out
    assert "dy/dz = 809.707479" in out
    assert "forward pass:" in out


def test_program_form_explains_with_the_slide_names(capsys):
    assert _run(["graph", PROGRAM, "--at", "x=2", "z=3", "--explain"]) == 0
    out = capsys.readouterr().out
    for line in [
        "g_c = g_f (1/a)",
        "g_b = g_e (-a/b^2) + g_c cos(b)",
        "g_a = g_f (-c/a^2) + g_e (1/b) + g_d e^a",
        "g_z = g_a x",
        "= 404.854 × 2 = 809.707",
    ]:
        assert line in out


@needs_dot
def test_files_are_written(tmp_path, capsys):
    out, dot, html = tmp_path / "g.svg", tmp_path / "g.dot", tmp_path / "s.html"
    argv = ["graph", PROGRAM, "--at", "x=2", "z=3", "--out", str(out), "--dot", str(dot)]
    assert _run([*argv, "--html", str(html)]) == 0
    root, ns = svg_root(out.read_bytes())
    assert sum(1 for g in root.iter(f"{ns}g") if g.get("class") == "node") == 10
    assert "n2:out:s -> n6:i0:n" in dot.read_text()  # a enters e = a / b on the left
    assert "btn-next" in html.read_text()


@pytest.mark.parametrize(
    "expression",
    ["x.real", "import os", "__import__('os').system('true')", "open('x')", "x" * 2001],
)
def test_rejected_input_exits_2_with_one_line(capsys, expression):
    assert _run(["graph", expression, "--at", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tapegrad: error:")


def test_missing_value_exits_2(capsys):
    assert _run(["graph", "x*z", "--at", "x=1"]) == 2
    assert "z" in capsys.readouterr().err


def test_draw_network_writes_the_lecture_net(tmp_path, capsys):
    path = tmp_path / "net.dot"
    assert _run(["draw-network", "--hidden", "2,3", "--out", str(path)]) == 0
    assert "ReLU" in path.read_text()


def test_draw_network_bad_widths_exit_2(capsys):
    assert _run(["draw-network", "--hidden", "2,x", "--out", "n.dot"]) == 2
    assert "--hidden" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        _run(["graph", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "tapegrad.viz.commands", "graph", "x*z", "--at", "x=2", "z=3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "dy/dz = 2" in proc.stdout


def test_missing_graphviz_exits_1_and_still_writes_the_dot(tmp_path, monkeypatch, capsys):
    import tapegrad.viz.render as render_module

    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    out = tmp_path / "g.svg"
    assert _run(["graph", "x*z", "--at", "x=2", "z=3", "--out", str(out)]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert (tmp_path / "g.dot").exists() and not out.exists()
