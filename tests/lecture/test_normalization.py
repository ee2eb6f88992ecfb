"""Normalisation: no norm, layer norm and batch norm in a deep sigmoid MLP."""

import time

import pytest

import tapegrad.lecture as lecture
from tapegrad.lecture import commands, normalization
from tapegrad.lecture.commands import main

# With layer or batch norm, the middle 90% of every layer's s(l) (the input of
# the sigmoid) stays this wide, before and after training: N(0, 1) gives 3.29.
SPREAD_BAND = (2.5, 6.5)


def _never_is_last(epochs):
    return float("inf") if epochs is None else epochs


@pytest.fixture(scope="module")
def default_run():
    t = time.perf_counter()
    r = normalization(seed=0)
    return r, time.perf_counter() - t


def test_the_default_run_takes_under_30_seconds(default_run):
    assert default_run[1] < 30


def test_normalisation_reaches_the_target_loss_in_fewer_epochs(default_run):
    r = default_run[0]
    assert r.names == ["none", "layer norm", "batch norm"]
    none = _never_is_last(r.epochs_to_target["none"])
    assert r.epochs_to_target["batch norm"] is not None
    assert r.epochs_to_target["layer norm"] is not None
    assert r.epochs_to_target["batch norm"] < none
    assert r.epochs_to_target["layer norm"] < none
    assert r.final_loss["batch norm"] < 0.5 * r.final_loss["none"]


def test_epochs_to_target_is_the_first_epoch_at_or_below_it(default_run):
    r = default_run[0]
    for name in r.names:
        e = r.epochs_to_target[name]
        assert len(r.loss[name]) == r.epochs
        assert r.final_loss[name] == r.loss[name][-1]
        if e is None:
            assert min(r.loss[name]) > r.target_loss
        else:
            assert r.loss[name][e - 1] <= r.target_loss < min(r.loss[name][: e - 1], default=9e9)


def test_normalised_pre_activations_stay_in_a_band_across_depth(default_run):
    r = default_run[0]
    low, high = SPREAD_BAND
    for name in ("layer norm", "batch norm"):
        for spreads in (r.spread_start[name], r.spread_end[name]):
            assert len(spreads) == r.depth
            assert all(low <= s <= high for s in spreads), (name, spreads)
    # batch norm starts each unit at mean 0 and variance 1 over the probe batch
    assert all(abs(s - 3.29) < 0.1 for s in r.spread_start["batch norm"])
    assert all(abs(q[2]) < 0.05 for q in r.start["batch norm"])


def test_without_normalisation_the_spread_wanders_with_depth(default_run):
    r = default_run[0]
    none = r.spread_start["none"]
    bn = r.spread_start["batch norm"]
    assert max(none) - min(none) > 5 * (max(bn) - min(bn))
    assert max(none) > SPREAD_BAND[1]


def test_quantiles_are_ordered(default_run):
    r = default_run[0]
    assert r.quantiles == [5.0, 25.0, 50.0, 75.0, 95.0]
    for table in (r.start, r.end):
        for rows in table.values():
            assert len(rows) == r.depth
            assert all(q == sorted(q) for q in rows)


def test_the_three_start_from_the_same_weights(default_run):
    r = default_run[0]
    norms = set(r.initial_weight_norm.values())
    assert len(norms) == 1 and norms.pop() > 0
    # layer 1 sees the same a = W x + b in all three; only the normalisation differs
    assert r.start["none"][0] != r.start["batch norm"][0]


def test_normalization_is_deterministic_for_a_seed():
    a = normalization(seed=4, epochs=2, n_train=128, probe=64)
    b = normalization(seed=4, epochs=2, n_train=128, probe=64)
    c = normalization(seed=5, epochs=2, n_train=128, probe=64)
    assert a == b
    assert a.loss != c.loss
    assert a.n_train == 128 and a.probe == 64 and a.depth == 10


def test_the_command_prints_the_table(capsys, monkeypatch):
    small = normalization(seed=0, epochs=2, n_train=128, probe=64)
    monkeypatch.setattr(lecture, "normalization", lambda seed: small)
    assert commands.RUNNERS["normalization"].slides == "Normalize; Layer norm"
    assert main(["normalization"]) == 0
    out = capsys.readouterr().out
    assert "epochs to loss 0.5" in out and "never" in out
    assert "layer norm start" in out and "batch norm end" in out
    assert len([ln for ln in out.splitlines() if ln[:5].strip().isdigit()]) == 10


def test_out_writes_a_png(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    small = normalization(seed=0, epochs=2, n_train=128, probe=64)
    monkeypatch.setattr(lecture, "normalization", lambda seed: small)
    assert main(["normalization", "--out", str(tmp_path)]) == 0
    png = tmp_path / "lecture-normalization.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out
