"""backward_steps / forward_steps: one frame per step."""

import json

import pytest
from vizhelpers import DY_DX, DY_DZ

from tapegrad.viz import backward_steps, forward_steps


def test_backward_frames_follow_reverse_topological_order(program_graph):
    y, g = program_graph
    frames = list(backward_steps(y, g))
    assert [f["name"] for f in frames] == ["y", "v1", "f", "e", "d", "c", "b", "a", "x", "z"]
    assert frames[0]["adjoint"] == 1.0
    assert frames[-2]["adjoint"] == pytest.approx(DY_DX, rel=1e-12)
    assert frames[-1]["adjoint"] == pytest.approx(DY_DZ, rel=1e-12)


def test_partial_adjoints_accumulate_frame_by_frame(program_graph):
    y, g = program_graph
    frames = {f["name"]: f for f in backward_steps(y, g)}
    # after f is processed, a has one partial adjoint (from f); after d, three
    assert [r["from"] for r in frames["f"]["accumulated"]["a"]] == ["f"]
    assert [r["from"] for r in frames["d"]["accumulated"]["a"]] == ["f", "e", "d"]
    total = sum(r["value"] for r in frames["d"]["accumulated"]["a"])
    assert total == pytest.approx(frames["a"]["adjoint"], rel=1e-12)


def test_each_edge_carries_its_local_partial(program_graph):
    y, g = program_graph
    e = [f for f in backward_steps(y, g) if f["name"] == "e"][0]
    assert [(d["to_name"], d["partial"]) for d in e["edges"]] == [("a", "1/b"), ("b", "-a/b^2")]
    assert e["edges"][1]["partial_value"] == pytest.approx(-6 / 0.6931471805599453**2)


def test_forward_frames_give_values_in_forward_order(program_graph):
    y, g = program_graph
    frames = list(forward_steps(y, g))
    assert frames[2]["text"] == "a = x * z = 6"
    assert frames[-1]["name"] == "y"


def test_frames_are_json_ready(program_graph):
    y, g = program_graph
    json.dumps(list(backward_steps(y, g)), allow_nan=False)
    json.dumps(list(forward_steps(y, g)), allow_nan=False)
