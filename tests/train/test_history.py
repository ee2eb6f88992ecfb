"""History: recording epochs, best epoch, JSON save/load."""

import json
import math
import os

import pytest

from tapegrad.train import History


def _history():
    h = History()
    h.append(1, {"loss": 1.0, "val_loss": 1.5}, [0.1], 0.5)
    h.append(2, {"loss": 0.5, "val_loss": 1.2}, [0.1], 0.4)
    h.append(3, {"loss": 0.2, "val_loss": math.inf}, [0.05], 0.4)
    h.grad_stats["0.weight"] = {
        "norm": [1.0, 0.5, math.nan],
        "zero_frac": [0, 0, 0.1],
        "mean": [0.1, 0.0, 0.0],
        "var": [1.0, 0.5, 0.2],
    }
    return h


def test_best_epoch_is_the_lowest_validation_loss():
    h = _history()
    assert h.best_epoch == 2 and h.best_value == 1.2


def test_best_epoch_uses_the_training_loss_without_validation():
    h = History()
    for e, loss in enumerate([3.0, 1.0, 2.0], start=1):
        h.append(e, {"loss": loss}, [0.1], 0.1)
    assert h.best_epoch == 2


def test_metric_missing_in_an_epoch_is_nan():
    h = History()
    h.append(1, {"loss": 1.0}, [0.1], 0.1)
    h.append(2, {"loss": 1.0, "extra": 3.0}, [0.1], 0.1)
    assert math.isnan(h["extra"][0]) and h["extra"][1] == 3.0


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match="no 'accuracy'.*'loss'"):
        _history()["accuracy"]


def test_save_and_load_round_trip_with_non_finite_values(tmp_path):
    h = _history()
    h.stop_reason = "early stopping: val_loss did not improve"
    h.interrupted = True
    h.save(tmp_path / "h.json")
    back = History.load(tmp_path / "h.json")
    assert back.metrics["loss"] == h.metrics["loss"]
    assert back.metrics["val_loss"][2] == math.inf
    assert math.isnan(back.grad_stats["0.weight"]["norm"][2])
    assert (back.epochs, back.lr, back.best_epoch) == (h.epochs, h.lr, h.best_epoch)
    assert back.stop_reason == h.stop_reason and back.interrupted


def test_saved_history_is_strict_json(tmp_path):
    _history().save(tmp_path / "h.json")
    text = (tmp_path / "h.json").read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard {c}"))
    assert data["format"] == "tapegrad.history" and data["epochs"] == [1, 2, 3]


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "h.json"
    _history().save(path)
    before = path.read_text()

    def broken(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(json, "dumps", broken)
    with pytest.raises(OSError):
        History().save(path)
    assert path.read_text() == before and os.listdir(tmp_path) == ["h.json"]


def test_load_of_a_missing_or_foreign_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        History.load(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match=r"x\.json.*not a tapegrad training history"):
        History.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("not json")
    with pytest.raises(ValueError, match=r"y\.json.*not valid JSON"):
        History.load(tmp_path / "y.json")
