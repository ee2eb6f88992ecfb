"""``History``: what happened in a ``fit`` run, epoch by epoch, as plain numbers.

Everything is a Python list or dict of floats so that a history saves to
JSON (``History.save``) and plots without tapegrad (``history["val_loss"]``).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from tapegrad._io import write_text

__all__ = ["History"]

FORMAT_NAME = "tapegrad.history"
FORMAT_VERSION = 1

# the attributes a history saves, in the order of its JSON
_SAVED = (
    "epochs",
    "metrics",
    "epoch_time",
    "lr",
    "grad_stats",
    "best_epoch",
    "best_value",
    "monitor",
    "restored_epoch",
    "stop_reason",
    "interrupted",
)


class History:
    """Per-epoch records of one training run.

    * ``metrics``: ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``,
      one value per finished epoch (training values are averages over the
      epoch's batches, weighted by batch size; ``val_`` ones are measured
      after the epoch).  ``history["val_loss"]`` is ``metrics["val_loss"]``.
    * ``epochs``: the epoch numbers (1, 2, ...); ``epoch_time``: seconds each.
    * ``lr``: the learning rate of every parameter group during each epoch.
    * ``grad_stats``: ``{param_name: {stat: [per-epoch values]}}`` written by
      the ``GradientStats`` callback.
    * ``best_epoch`` / ``best_value`` / ``monitor``: the epoch with the best
      monitored value (``val_loss`` when there is validation data, else
      ``loss``; ``EarlyStopping`` sets its own monitor).
    * ``restored_epoch``: the epoch whose parameters the model holds at the
      end when ``EarlyStopping(restore_best=True)`` backtracked, else None.
    * ``stop_reason``: why training ended early (None after all epochs);
      ``interrupted``: True when Ctrl-C stopped it.
    """

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.epoch_time: list[float] = []
        self.lr: list[list[float]] = []
        self.grad_stats: dict[str, dict[str, list[float]]] = {}
        self.best_epoch: int | None = None
        self.best_value: float | None = None
        self.monitor: str | None = None
        self.restored_epoch: int | None = None
        self.stop_reason: str | None = None
        self.interrupted = False

    # ------------------------------------------------------------ record
    def append(self, epoch: int, logs: dict[str, float], lr: list[float], seconds: float) -> None:
        """Record one finished epoch (``logs``: metric name -> value)."""
        n = len(self.epochs)
        for key, value in logs.items():
            series = self.metrics.setdefault(key, [math.nan] * n)
            series.append(float(value))
        for series in self.metrics.values():
            if len(series) == n:
                series.append(math.nan)
        self.epochs.append(int(epoch))
        self.lr.append([float(x) for x in lr])
        self.epoch_time.append(float(seconds))
        monitor = self.monitor or ("val_loss" if "val_loss" in self.metrics else "loss")
        if monitor in self.metrics:
            self._update_best(monitor, mode="max" if "acc" in monitor else "min")

    def _update_best(self, monitor: str, mode: str) -> None:
        """The earliest epoch with the lowest (``mode='min'``) or highest value."""
        values = self.metrics[monitor]
        best = None
        for i, v in enumerate(values):
            if math.isnan(v):
                continue
            if best is None or (v > values[best] if mode == "max" else v < values[best]):
                best = i
        if best is not None:
            self.best_value, self.best_epoch = values[best], self.epochs[best]

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.metrics[key]
        except KeyError:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.metrics)}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.metrics.items() if v}
        return f"History(epochs={len(self.epochs)}, best_epoch={self.best_epoch}, last={last})"

    # --------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        saved = {key: getattr(self, key) for key in _SAVED}
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, **saved}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "history") -> History:
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError(f"{source}: not a tapegrad training history (format {FORMAT_NAME})")
        if data.get("version", 0) > FORMAT_VERSION:
            raise ValueError(
                f"{source}: history format version {data['version']} is newer than this "
                f"tapegrad reads ({FORMAT_VERSION})"
            )
        h = cls()
        for key in _SAVED:
            if key in data:
                setattr(h, key, data[key])
        return h

    def save(self, path) -> None:
        """Write the history as JSON, atomically.  Non-finite numbers are
        written as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` so
        that the file is strict JSON."""
        write_text(path, json.dumps(_encode(self.to_dict()), indent=1))

    @classmethod
    def load(cls, path) -> History:
        """Read a history written by ``save`` (errors name the file)."""
        name = repr(os.fspath(path))
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f"History.load: no such file: {name}") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"History.load: {name} is not valid JSON ({e})") from None
        return cls.from_dict(_decode(data), source=f"History.load: {name}")


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    return obj


def _decode(obj, key: str = ""):
    if isinstance(obj, str) and obj in _NONFINITE and key != "stop_reason":
        return _NONFINITE[obj]
    if isinstance(obj, dict):
        return {k: _decode(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, key) for v in obj]
    return obj
