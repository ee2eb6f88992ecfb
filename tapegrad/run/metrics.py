"""The numbers of a run: test loss and accuracy, and the contents of ``metrics.json``.

Losses here are the plain cross-entropy (no ``l2`` penalty), measured with
the model in eval mode, so they compare across runs with different penalties.
"""

from __future__ import annotations

import math

import tapegrad as tg
import tapegrad.nn.functional as F
from tapegrad import backend as B

__all__ = ["EVAL_BATCH", "predict_logits", "run_metrics", "test_metrics"]

# Examples per forward pass when only evaluating: no gradients are kept,
# so batches can be much larger than training's.
EVAL_BATCH = 1024


def predict_logits(model, x, batch: int = EVAL_BATCH):
    """Logits of ``model`` on ``x`` in eval mode, as a host array (n, classes)."""
    model.eval()
    parts = []
    with tg.no_grad():
        for i in range(0, x.shape[0], batch):
            parts.append(model(x[i : i + batch]).numpy(force=True))
    return B.host.concatenate(parts) if parts else B.host.zeros((0, 0))


def test_metrics(model, x, y) -> tuple[dict, object]:
    """``{"test_loss", "test_accuracy"}`` (plain cross-entropy) and the predicted classes."""
    logits = predict_logits(model, x)
    with tg.no_grad():
        loss = float(F.cross_entropy(tg.tensor(logits), y).item())
    pred = logits.argmax(axis=1)
    acc = float((pred == y.numpy()).mean())
    return {"test_loss": loss, "test_accuracy": acc}, pred


def _at_best(history, key: str) -> float | None:
    """``history``'s value of ``key`` at the best epoch; None (``null`` in
    ``metrics.json``) when it is missing or NaN."""
    values = history.metrics.get(key)
    if not values or history.best_epoch is None:
        return None
    value = values[history.epochs.index(history.best_epoch)]
    return None if math.isnan(value) else value


def _sizes(prep) -> dict:
    """Parameter count and the number of examples in each part of the split."""
    split = prep.split
    return {
        "parameters": sum(p.numel() for p in prep.model.parameters()),
        "train_size": len(split.y_train),
        "val_size": len(split.y_val),
        "test_size": len(split.y_test),
    }


def run_metrics(prep, history, test: dict, seconds: float) -> dict:
    """``metrics.json`` of a run: test metrics, the best epoch's train and
    validation metrics, how training ended, sizes and wall time."""
    return {
        "dataset": prep.config.dataset,
        "test_accuracy": test["test_accuracy"],
        "test_loss": test["test_loss"],
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.epochs),
        "train_loss": _at_best(history, "loss"),
        "train_accuracy": _at_best(history, "accuracy"),
        "val_loss": _at_best(history, "val_loss"),
        "val_accuracy": _at_best(history, "val_accuracy"),
        "stop_reason": history.stop_reason,
        "interrupted": bool(history.interrupted),
        **_sizes(prep),
        "seconds": round(seconds, 3),
    }
