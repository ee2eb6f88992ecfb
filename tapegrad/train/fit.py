"""``fit``: the training loop of the lecture, with callbacks and a history.

One epoch, for every mini-batch ``(x, y)`` of ``train_loader``::

    optimizer.zero_grad()         clear the gradient storage
    loss = loss_fn(model(x), y)   forward pass
    loss.backward()               backpropagation
    optimizer.step()              update the parameters

then, with ``val_loader``, the model is evaluated (``model.eval()``, no
graph).  Callbacks run at the begin/end of training, of each epoch and after
each batch; any of them can stop training.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tapegrad.autograd.graph import no_grad
from tapegrad.tensor import Tensor
from tapegrad.train.callbacks import Callback, FitState, GradientStats
from tapegrad.train.history import History
from tapegrad.train.progress import progress_bar, progress_enabled
from tapegrad.train.ranks import ranks_of

__all__ = ["accuracy", "evaluate", "fit"]

Metric = Callable[[Tensor, Tensor], float]


def accuracy(output: Tensor, target: Tensor) -> float:
    """The fraction of correct predictions in a batch.

    ``output`` (N, C) with C > 1: class scores, prediction ``argmax`` over
    dim 1 against class indices ``target`` (N,) (or one-hot/probabilities
    (N, C): their argmax).  ``output`` (N,) or (N, 1): a binary logit,
    prediction ``output > 0`` against ``target`` in {0, 1} (>= 0.5 counts as 1).
    """
    out, tgt = output.numpy(force=True), target.numpy(force=True)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
        if tgt.ndim == 2:
            tgt = tgt.argmax(axis=1)
    else:
        pred = out.reshape(-1) > 0
        tgt = tgt.reshape(-1) >= 0.5 if tgt.dtype.kind == "f" else tgt.reshape(-1) != 0
    if pred.shape != tgt.shape:
        raise ValueError(
            f"accuracy: output of shape {tuple(output.shape)} does not fit targets of shape "
            f"{tuple(target.shape)}"
        )
    return float((pred == tgt).mean()) if pred.size else math.nan


_METRICS: dict[str, Metric] = {"accuracy": accuracy, "acc": accuracy}


def _resolve_metrics(metrics, first_target: Tensor) -> dict[str, Metric]:
    """Names -> functions; ``None``: accuracy when the targets are class labels."""
    if metrics is None:
        labels = first_target.dtype.kind in "iub"
        return {"accuracy": accuracy} if labels else {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in _METRICS:
                raise ValueError(f"fit: unknown metric {m!r} (known: {sorted(_METRICS)})")
            out["accuracy" if m == "acc" else m] = _METRICS[m]
        elif callable(m):
            out[getattr(m, "__name__", type(m).__name__)] = m
        else:
            raise TypeError(f"fit: a metric must be a name or a callable, got {m!r}")
    return out


def _split_batch(batch) -> tuple[tuple, Any]:
    """``(x, y)`` or ``(x1, x2, ..., y)`` -> inputs and target."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            "fit: each batch must be a tuple (inputs..., target), as a DataLoader over a "
            f"TensorDataset(x, y) gives; got {type(batch).__name__}"
        )
    return tuple(batch[:-1]), batch[-1]


def _batch_size(target) -> int:
    return len(target) if getattr(target, "ndim", 1) else 1


def evaluate(model, loss_fn, loader: Iterable, metrics=None) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``loader`` in eval mode,
    without recording graph (averages weighted by batch size, exact for a
    ``reduction='mean'`` loss).  The model's train/eval mode is restored.
    For a ``DistributedDataParallel`` model every rank calls it on its share
    of the data and gets the averages over all shares (``train.ranks``)."""
    was_training = getattr(model, "training", False)
    model.eval()
    sums: dict[str, float] = {}
    count = 0
    fns = None
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split_batch(batch)
                out = model(*inputs)
                n = _batch_size(target)
                if fns is None:
                    fns = _resolve_metrics(metrics, target)
                values = {"loss": float(loss_fn(out, target).item())}
                values.update({k: float(f(out, target)) for k, f in fns.items()})
                for k, v in values.items():
                    sums[k] = sums.get(k, 0.0) + v * n
                count += n
    finally:
        model.train(was_training)
    sums, count = ranks_of(model).sum(sums, count)
    return {k: v / count for k, v in sums.items()} if count else {"loss": math.nan}


class _InterruptFlag:
    """During ``fit``, the first Ctrl-C (SIGINT) only sets a flag, so training
    stops cleanly after the current batch; a second one raises at once."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.raised = True
        signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def fit(
    model,
    loss_fn: Callable,
    optimizer,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    epochs: int = 10,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    metrics: Sequence[str | Metric] | None = None,
    grad_stats: bool = True,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs and return its ``History``.

    * ``loss_fn(output, target)`` -> scalar tensor (e.g. ``nn.CrossEntropyLoss()``).
    * ``train_loader`` / ``val_loader`` yield ``(inputs..., target)`` batches.
    * ``metrics``: names (``"accuracy"``) or functions ``f(output, target) ->
      float``; ``None`` (default) means accuracy when the targets are integer
      class labels and none otherwise.  Validation values are recorded with
      the prefix ``val_``.
    * ``callbacks``: e.g. ``EarlyStopping``, ``TerminationCriteria``,
      ``LearningRateScheduler``, run in the order given.
    * ``grad_stats``: add a ``GradientStats()`` callback (unless one is given),
      filling ``history.grad_stats``.
    * ``progress``: a tqdm bar per epoch with the running loss and metrics,
      shown only when stdout is a terminal and tqdm is installed.

    Ctrl-C: the first interrupt stops training after the current batch;
    ``fit`` then runs every ``on_train_end`` (``EarlyStopping`` restores the
    best parameters) and *returns* the history with ``history.interrupted =
    True`` and ``stop_reason = "interrupted"``, so the caller can save and
    exit (the CLI exits with status 130).  The half-finished epoch is not
    recorded.  A ``KeyboardInterrupt`` raised inside ``fit`` (a second Ctrl-C,
    or outside the main thread) is handled the same way.

    A ``DistributedDataParallel`` model: every rank runs ``fit`` on its share
    of each batch; the recorded metrics are those of all shares together,
    and a Ctrl-C on any rank stops all after the same batch (``train.ranks``).
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    history = History()
    state = FitState(model, optimizer, loss_fn, history, epochs)
    callbacks = list(callbacks)
    if grad_stats and not any(isinstance(c, GradientStats) for c in callbacks):
        callbacks.insert(0, GradientStats())
    show = progress_enabled(progress)
    begun: list[Callback] = []
    try:
        with _InterruptFlag() as interrupt:
            for cb in callbacks:
                cb.on_train_begin(state)
                begun.append(cb)
            for epoch in range(1, epochs + 1):
                state.epoch = epoch
                if not _run_epoch(
                    state, train_loader, val_loader, callbacks, metrics, show, interrupt
                ):
                    break
                if state.stop_training:
                    break
    except KeyboardInterrupt:
        _mark_interrupted(state)
    finally:
        history.stop_reason = state.stop_reason
        for cb in begun:
            cb.on_train_end(state)
    return history


def _mark_interrupted(state: FitState) -> None:
    state.history.interrupted = True
    state.stop_training = True
    state.stop_reason = "interrupted"


def _run_epoch(state, train_loader, val_loader, callbacks, metrics, show, interrupt) -> bool:
    """One epoch; False when interrupted (nothing recorded for it)."""
    model, optimizer, loss_fn = state.model, state.optimizer, state.loss_fn
    ranks = ranks_of(model)
    start = time.perf_counter()
    lrs = [float(g["lr"]) for g in optimizer.param_groups]
    for cb in callbacks:
        cb.on_epoch_begin(state)
    model.train()
    try:
        total = len(train_loader)
    except TypeError:
        total = None
    bar = progress_bar(total, f"epoch {state.epoch}/{state.epochs}", show)
    sums: dict[str, float] = {}
    count = 0
    fns = None
    try:
        for i, batch in enumerate(train_loader):
            inputs, target = _split_batch(batch)
            optimizer.zero_grad()
            out = model(*inputs)
            loss = loss_fn(out, target)
            loss.backward()
            optimizer.step()
            n = _batch_size(target)
            if fns is None:
                fns = _resolve_metrics(metrics, target)
            state.batch, state.batch_loss = i, float(loss.item())
            values = {"loss": state.batch_loss}
            with no_grad():
                values.update({k: float(f(out, target)) for k, f in fns.items()})
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v * n
            count += n
            for cb in callbacks:
                cb.on_batch_end(state)
            bar.update(1, {k: v / count for k, v in sums.items()})
            if ranks.any(interrupt.raised):
                _mark_interrupted(state)
                return False
    finally:
        bar.close()
    sums, count = ranks.sum(sums, count)
    logs = {k: v / count for k, v in sums.items()} if count else {"loss": math.nan}
    if val_loader is not None:
        logs.update(
            {"val_" + k: v for k, v in evaluate(model, loss_fn, val_loader, metrics).items()}
        )
    state.logs = logs
    state.history.append(state.epoch, logs, lrs, time.perf_counter() - start)
    for cb in callbacks:
        cb.on_epoch_end(state)
    return True
