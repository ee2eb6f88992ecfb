"""Callbacks: code that ``fit`` runs at fixed points of training.

A callback overrides any of ``on_train_begin``, ``on_epoch_begin``,
``on_batch_end``, ``on_epoch_end``, ``on_train_end``; each receives the
``FitState`` (model, optimizer, history, epoch, batch, logs).  Setting
``state.stop_training = True`` (with a ``state.stop_reason``) ends training
after the current epoch.

* :class:`EarlyStopping`: the lecture's "go a bit past the minimum and
  backtrack": stop when the validation loss has not improved for
  ``patience`` epochs, then restore the best parameters seen.
* :class:`TerminationCriteria`: several stopping rules combined (maximum
  epochs; too little improvement over a window, but only after enough
  epochs; a time budget).
* :class:`GradientStats`: per-layer gradient norm, fraction of exact zeros,
  and the moving averages of the gradient's mean and variance.
* :class:`LearningRateScheduler`: steps an ``lr_scheduler`` each epoch.
"""

from __future__ import annotations

import math
import time
from typing import Any

from tapegrad import backend as B
from tapegrad.optim.lr_scheduler import ReduceLROnPlateau

xp = B.xp

__all__ = [
    "Callback",
    "EarlyStopping",
    "FitState",
    "GradientStats",
    "LearningRateScheduler",
    "TerminationCriteria",
]


class FitState:
    """What callbacks see: ``model``, ``optimizer``, ``loss_fn``, ``history``,
    ``epoch`` (1-based), ``epochs``, ``batch`` (0-based within the epoch),
    ``batch_loss`` (float), ``logs`` (this epoch's metrics at epoch end),
    ``stop_training`` / ``stop_reason``, ``start_time`` (``time.monotonic``)."""

    def __init__(self, model, optimizer, loss_fn, history, epochs: int):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.history = history
        self.epochs = epochs
        self.epoch = 0
        self.batch = -1
        self.batch_loss = math.nan
        self.logs: dict[str, float] = {}
        self.stop_training = False
        self.stop_reason: str | None = None
        self.start_time = time.monotonic()

    def stop(self, reason: str) -> None:
        """Ask ``fit`` to stop after this epoch (the first reason is kept)."""
        if not self.stop_training:
            self.stop_training = True
            self.stop_reason = reason


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, state: FitState) -> None: ...
    def on_epoch_begin(self, state: FitState) -> None: ...
    def on_batch_end(self, state: FitState) -> None: ...
    def on_epoch_end(self, state: FitState) -> None: ...
    def on_train_end(self, state: FitState) -> None: ...


def _monitored(state: FitState, monitor: str, who: str) -> float:
    if monitor not in state.logs:
        hint = " (pass a val_loader to fit)" if monitor.startswith("val_") else ""
        raise KeyError(
            f"{who}: no metric {monitor!r} this epoch; there are {sorted(state.logs)}{hint}"
        )
    return float(state.logs[monitor])


def _copy_state(model) -> dict:
    """A copy of ``model.state_dict()`` that later updates do not change."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row; with ``restore_best`` keep a copy of the
    parameters of the best epoch and load them back when training ends (also
    after Ctrl-C or another stopping rule).

    Improvement: ``value < best - min_delta`` (``mode='min'``) or
    ``value > best + min_delta`` (``mode='max'``).  Training thus goes
    ``patience`` epochs past the minimum, then backtracks to it.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError("EarlyStopping: patience and min_delta must be >= 0")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode, self.restore_best = mode, bool(restore_best)

    def on_train_begin(self, state: FitState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.wait = 0
        state.history.monitor = self.monitor

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: FitState) -> None:
        value = _monitored(state, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best:
                self.best_state = _copy_state(state.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop(
                f"early stopping: {self.monitor} did not improve for {self.wait} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, state: FitState) -> None:
        history = state.history
        if self.best_epoch is not None:
            history.best_epoch, history.best_value = self.best_epoch, self.best
        last = history.epochs[-1] if history.epochs else None
        if self.restore_best and self.best_state is not None:
            state.model.load_state_dict(self.best_state)  # also undoes a half-run epoch
            if self.best_epoch != last or history.interrupted:
                history.restored_epoch = self.best_epoch


class TerminationCriteria(Callback):
    """Several stopping rules, any of which ends training (the lecture:
    "only stop if enough iterations have passed and the improvement in error
    is small").

    * ``max_epochs``: stop after this many epochs.
    * ``min_improvement`` over ``window`` epochs: once at least
      ``max(min_epochs, window + 1)`` epochs have run, stop if the best value
      of ``monitor`` improved by less than ``min_improvement`` over the last
      ``window`` epochs (best so far now vs. best so far ``window`` epochs ago).
    * ``time_budget``: stop at the end of the first epoch that finishes more
      than ``time_budget`` seconds after training began.
    """

    def __init__(
        self,
        max_epochs: int | None = None,
        min_improvement: float | None = None,
        window: int = 5,
        min_epochs: int = 0,
        time_budget: float | None = None,
        monitor: str = "loss",
        mode: str = "min",
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"TerminationCriteria: mode must be 'min' or 'max', got {mode!r}")
        if window < 1:
            raise ValueError(f"TerminationCriteria: window must be >= 1, got {window}")
        self.max_epochs, self.min_improvement, self.window = max_epochs, min_improvement, window
        self.min_epochs, self.time_budget = min_epochs, time_budget
        self.monitor, self.mode = monitor, mode

    def on_train_begin(self, state: FitState) -> None:
        self.best_so_far: list[float] = []

    def on_epoch_end(self, state: FitState) -> None:
        if self.max_epochs is not None and state.epoch >= self.max_epochs:
            state.stop(f"reached max_epochs={self.max_epochs}")
        if self.min_improvement is not None:
            value = _monitored(state, self.monitor, "TerminationCriteria")
            sign = 1.0 if self.mode == "min" else -1.0
            prev = self.best_so_far[-1] if self.best_so_far else math.inf
            self.best_so_far.append(min(prev, sign * value))
            n = len(self.best_so_far)
            if n >= max(self.min_epochs, self.window + 1):
                gain = self.best_so_far[-1 - self.window] - self.best_so_far[-1]
                if gain < self.min_improvement:
                    state.stop(
                        f"{self.monitor} improved by {gain:.3g} < {self.min_improvement} over "
                        f"the last {self.window} epochs"
                    )
        if self.time_budget is not None:
            elapsed = time.monotonic() - state.start_time
            if elapsed >= self.time_budget:
                state.stop(f"time budget of {self.time_budget:g} s used ({elapsed:.1f} s)")


class GradientStats(Callback):
    r"""Track, for every parameter (by its name), statistics of its gradient.

    After every batch, with ``g`` the gradient and ``beta`` the averaging rate
    (0.95 as on the slide "Tracking gradient statistics"), elementwise::

        m_{t+1} = beta m_t + (1 - beta) g_t          moving average of g
        s_{t+1} = beta s_t + (1 - beta) g_t^2        moving average of g^2

    starting from zero (no bias correction: the first ~1/(1-beta) = 20
    batches are the transient).  At the end of each epoch it records into
    ``history.grad_stats[name]``:

    * ``norm``: ``||g||`` averaged over the epoch's batches;
    * ``zero_frac``: the fraction of entries of ``g`` exactly 0, averaged
      (dead ReLUs show up here);
    * ``mean``: the mean over entries of ``m`` (the tracked gradient mean);
    * ``var``: the mean over entries of ``s - m^2`` (the tracked variance of
      the gradient across batches, its noise).

    The current ``m`` and ``s`` arrays are in ``self.m`` / ``self.s``.
    """

    def __init__(self, beta: float = 0.95):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"GradientStats: beta must be in [0, 1), got {beta}")
        self.beta = float(beta)

    def on_train_begin(self, state: FitState) -> None:
        self.params = [(n, p) for n, p in state.model.named_parameters() if p.requires_grad]
        self.m = {n: xp.zeros(p.shape, dtype=p.dtype) for n, p in self.params}
        self.s = {n: xp.zeros(p.shape, dtype=p.dtype) for n, p in self.params}
        self._reset_epoch()

    def _reset_epoch(self) -> None:
        self.batches = 0
        self.norm_sum = dict.fromkeys(self.m, 0.0)
        self.zero_sum = dict.fromkeys(self.m, 0.0)

    def on_epoch_begin(self, state: FitState) -> None:
        self._reset_epoch()

    def on_batch_end(self, state: FitState) -> None:
        beta = self.beta
        self.batches += 1
        for name, p in self.params:
            if p.grad is None:
                continue
            g = p.grad.numpy(force=True)
            m, s = self.m[name], self.s[name]
            m *= beta
            m += (1.0 - beta) * g
            sq = g * g
            s *= beta
            s += (1.0 - beta) * sq
            self.norm_sum[name] += math.sqrt(float(sq.sum()))
            self.zero_sum[name] += float(xp.count_nonzero(g == 0)) / max(g.size, 1)

    def on_epoch_end(self, state: FitState) -> None:
        n = max(self.batches, 1)
        for name, _ in self.params:
            m, s = self.m[name], self.s[name]
            stats = state.history.grad_stats.setdefault(
                name, {"norm": [], "zero_frac": [], "mean": [], "var": []}
            )
            stats["norm"].append(self.norm_sum[name] / n)
            stats["zero_frac"].append(self.zero_sum[name] / n)
            stats["mean"].append(float(m.mean()) if m.size else 0.0)
            stats["var"].append(float(xp.maximum(s - m * m, 0).mean()) if m.size else 0.0)


class LearningRateScheduler(Callback):
    """Step an ``optim.lr_scheduler`` scheduler: once per epoch (or per batch
    with ``interval='batch'``); ``ReduceLROnPlateau`` gets the epoch's
    ``monitor`` value (``val_loss`` by default, ``loss`` without validation
    data)."""

    def __init__(self, scheduler: Any, monitor: str = "val_loss", interval: str = "epoch"):
        if interval not in ("epoch", "batch"):
            raise ValueError(
                f"LearningRateScheduler: interval must be 'epoch' or 'batch', got {interval!r}"
            )
        if interval == "batch" and isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError("LearningRateScheduler: ReduceLROnPlateau steps once per epoch")
        self.scheduler, self.monitor, self.interval = scheduler, monitor, interval

    def on_batch_end(self, state: FitState) -> None:
        if self.interval == "batch":
            self.scheduler.step()

    def on_epoch_end(self, state: FitState) -> None:
        if self.interval != "epoch":
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            monitor = self.monitor
            if monitor not in state.logs and monitor == "val_loss":
                monitor = "loss"
            self.scheduler.step(_monitored(state, monitor, "LearningRateScheduler"))
        else:
            self.scheduler.step()
