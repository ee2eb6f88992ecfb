"""The README's main job: ``tapegrad train`` with no option reaches 97% on the digits."""

from __future__ import annotations

import pytest
from conftest import read_metrics


@pytest.mark.slow
def test_default_train_reaches_97_percent_and_evaluate_agrees(cli, with_plots):
    status, out, err = cli("train", "--no-progress", "--out", "run")
    assert status == 0, err
    m = read_metrics("run")
    assert m["test_accuracy"] >= 0.97, m
    status, out, _ = cli("evaluate", "run")
    assert status == 0 and f"{100 * m['test_accuracy']:.2f}%" in out
