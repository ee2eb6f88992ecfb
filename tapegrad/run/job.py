"""``tapegrad train``: build data, model and optimiser from a config, fit, write the run.

The order matters for the promise "bad input writes nothing": every option is
checked, the data set is loaded and the model and optimiser are built before
the run folder is created.  Then ``fit`` trains (keeping the parameters of
the epoch with the lowest validation loss), and the folder receives
``config.toml``, ``history.json``, ``model.npz``, ``metrics.json``,
``curves.png`` and ``gradients.png``, each written atomically.

Reproducibility: ``seed`` seeds the data split, ``tg.manual_seed`` (initial
weights, dropout masks) and the training loader's shuffling, so two runs with
the same configuration give the same numbers; only ``seconds`` differs.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
from tapegrad import backend as B
from tapegrad import optim
from tapegrad.data import DataError, dataset_info, load_dataset
from tapegrad.data.loader import DataLoader, TensorDataset
from tapegrad.run import config as C
from tapegrad.run.files import make_run_dir, write_json, write_text
from tapegrad.serialization import save
from tapegrad.train import Callback, EarlyStopping, fit
from tapegrad.train.progress import progress_enabled

__all__ = ["Prepared", "build_model", "build_optimizer", "prepare", "run_train", "train"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EVAL_BATCH = 1024
RUN_FORMAT = "tapegrad.run"
RUN_FORMAT_VERSION = 1


def _err(message: str) -> int:
    print(f"tapegrad: error: {message}", file=sys.stderr)
    return EXIT_USAGE


# ------------------------------------------------------------------ building
class Standardize(nn.Module):
    """``(x - mean) / scale`` per input feature, with ``mean`` and ``scale``
    measured on the training set (``fit_to``) and kept as buffers, so the saved
    model carries them to ``evaluate`` and ``predict``."""

    def __init__(self, features: int):
        super().__init__()
        self.register_buffer("mean", tg.zeros(features))
        self.register_buffer("scale", tg.ones(features))

    def fit_to(self, x) -> None:
        """Set the statistics from the training inputs ``x`` (n, features);
        ``scale`` is the standard deviation plus 0.01 (constant pixels stay finite)."""
        x = B.host.asarray(x, dtype="float64")
        with tg.no_grad():
            self.mean.copy_(tg.as_tensor(x.mean(axis=0)))
            self.scale.copy_(tg.as_tensor(x.std(axis=0) + 0.01))

    def forward(self, x):
        return (x - self.mean) / self.scale


def build_model(config: C.TrainConfig, features: int, classes: int):
    """Input standardisation, then ``nn.MLP([features, *hidden, classes])``
    with the config's activation, normalisation, dropout, residual
    connections and dtype."""
    activation = getattr(nn, C.ACTIVATIONS[config.activation])
    mlp = nn.MLP(
        [features, *config.hidden, classes],
        activation=activation,
        residual=config.residual,
        norm=None if config.norm == "none" else config.norm,
        dropout=config.dropout,
    )
    model = nn.Sequential(OrderedDict([("standardize", Standardize(features)), ("mlp", mlp)]))
    return model.double() if config.dtype == "float64" else model


def build_optimizer(config: C.TrainConfig, params):
    """The optimiser named by ``config.optimizer``: ``momentum`` is PyTorch's
    SGD with momentum 0.9, ``ema-momentum`` the lecture's moving-average form
    with beta 0.9; every one gets ``config.lr`` and ``config.weight_decay``."""
    lr, wd = config.lr, config.weight_decay
    name = config.optimizer
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    if name == "ema-momentum":
        if wd:
            raise C.ConfigError("--optimizer ema-momentum takes no --weight-decay; use --l2")
        return optim.EMAMomentum(params, lr=lr, beta=0.9)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    return optim.AdamW(params, lr=lr, weight_decay=wd)


class PenalisedLoss:
    """Cross-entropy, plus ``l2 * nn.l2_penalty(model)`` while the model trains.

    The lecture's augmented cost ``C + lambda * Omega`` is what the optimiser
    minimises; validation and test losses (model in eval mode) are the plain
    cross-entropy, so they stay comparable across values of ``l2``.
    """

    def __init__(self, model, l2: float):
        self.model, self.l2 = model, l2
        self.cross_entropy = nn.CrossEntropyLoss()
        self.penalty = nn.l2_penalty

    def __call__(self, output, target):
        loss = self.cross_entropy(output, target)
        if self.l2 and self.model.training:
            loss = loss + self.l2 * self.penalty(self.model)
        return loss


@dataclass
class Prepared:
    """Everything a run needs, built and checked before anything is written."""

    config: C.TrainConfig
    split: object
    info: object
    model: object
    optimizer: object
    loss_fn: PenalisedLoss


def _tensors(x, y, dtype: str):
    return tg.tensor(x.astype(dtype)), tg.tensor(y)


def prepare(config: C.TrainConfig) -> Prepared:
    """Load the data and build model, optimiser and loss; raises ConfigError or DataError."""
    if config.out is not None and Path(config.out).exists() and not Path(config.out).is_dir():
        raise C.ConfigError(f"--out {config.out}: exists and is not a folder")
    info = dataset_info(config.dataset)
    split = load_dataset(config.dataset, config.data_dir, seed=config.seed)
    tg.manual_seed(config.seed)
    try:
        model = build_model(config, info.features, info.classes)
        model.standardize.fit_to(split.x_train)
    except (ValueError, TypeError) as exc:
        raise C.ConfigError(f"cannot build the model: {exc}") from None
    optimizer = build_optimizer(config, model.parameters())
    return Prepared(config, split, info, model, optimizer, PenalisedLoss(model, config.l2))


# ------------------------------------------------------------------ training
class _EpochLines(Callback):
    """A callback printing one line per epoch (when no progress bar is shown)."""

    def on_train_begin(self, state):
        self.start = time.perf_counter()

    def on_epoch_end(self, state):
        logs = state.logs
        parts = [f"epoch {state.epoch:>3}/{state.epochs}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in logs:
                value = logs[key]
                parts.append(f"{key} {100 * value:6.2f}%" if "acc" in key else f"{key} {value:.4f}")
        parts.append(f"{time.perf_counter() - self.start:5.1f}s")
        print("  ".join(parts), flush=True)


def _loader(x, y, batch_size: int, shuffle: bool, seed: int):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, seed=seed)


def _predict(model, x, batch: int = EVAL_BATCH):
    """Logits of ``model`` on ``x`` in eval mode, as a host array (n, classes)."""
    model.eval()
    parts = []
    with tg.no_grad():
        for i in range(0, x.shape[0], batch):
            parts.append(model(x[i : i + batch]).numpy(force=True))
    return B.host.concatenate(parts) if parts else B.host.zeros((0, 0))


def test_metrics(model, x, y) -> tuple[dict, object]:
    """``{"test_loss", "test_accuracy"}`` (plain cross-entropy) and the predicted classes."""
    logits = _predict(model, x)
    with tg.no_grad():
        loss = float(F.cross_entropy(tg.tensor(logits), y).item())
    pred = logits.argmax(axis=1)
    acc = float((pred == y.numpy()).mean())
    return {"test_loss": loss, "test_accuracy": acc}, pred


def train(prep: Prepared, progress_lines: bool):
    """Run ``fit``; returns the History (the model holds the best epoch's parameters)."""
    cfg, s = prep.config, prep.split
    x_train, y_train = _tensors(s.x_train, s.y_train, cfg.dtype)
    x_val, y_val = _tensors(s.x_val, s.y_val, cfg.dtype)
    train_loader = _loader(x_train, y_train, cfg.batch_size, True, cfg.seed)
    val_loader = _loader(x_val, y_val, EVAL_BATCH, False, cfg.seed)
    # Always keep the best epoch's parameters; --early-stopping decides when to stop.
    patience = cfg.early_stopping if cfg.early_stopping > 0 else cfg.epochs + 1
    callbacks = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]
    show_bars = progress_enabled(cfg.progress)
    if progress_lines and not show_bars:
        callbacks.append(_EpochLines())
    return fit(
        prep.model,
        prep.loss_fn,
        prep.optimizer,
        train_loader,
        val_loader,
        epochs=cfg.epochs,
        callbacks=callbacks,
        progress=show_bars,
    )


# ------------------------------------------------------------------ writing
def _at_best(history, key: str):
    values = history.metrics.get(key)
    if not values or history.best_epoch is None:
        return None
    value = values[history.epochs.index(history.best_epoch)]
    return None if math.isnan(value) else value


def _metrics(prep: Prepared, history, test: dict, seconds: float) -> dict:
    model = prep.model
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
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_size": len(prep.split.y_train),
        "val_size": len(prep.split.y_val),
        "test_size": len(prep.split.y_test),
        "seconds": round(seconds, 3),
    }


def save_model(path: Path, prep: Prepared) -> None:
    """``model.npz``: the state dict plus what ``evaluate`` needs to rebuild the model."""
    save(
        {
            "format": RUN_FORMAT,
            "version": RUN_FORMAT_VERSION,
            "config": prep.config.to_dict(),
            "features": prep.info.features,
            "classes": prep.info.classes,
            "state_dict": prep.model.state_dict(),
        },
        path,
    )


def _plots(folder: Path, prep: Prepared, history) -> list[Path]:
    from tapegrad.run import plots

    if not plots.matplotlib_available() or not history.epochs:
        return []
    cfg = prep.config
    title = f"{cfg.dataset}: MLP {'-'.join(map(str, [prep.info.features, *cfg.hidden, prep.info.classes]))}"
    m = history.metrics
    written = [
        plots.plot_curves(
            folder / "curves.png",
            m.get("loss", []),
            m.get("val_loss"),
            m.get("accuracy"),
            m.get("val_accuracy"),
            best_epoch=history.best_epoch,
            title=f"{title}, {cfg.optimizer} lr {cfg.lr:g}",
        )
    ]
    dims = {name: p.ndim for name, p in prep.model.named_parameters()}
    weights = [n for n in history.grad_stats if dims.get(n, 0) >= 2]
    norms = {
        f"layer {i + 1} ({name})": history.grad_stats[name]["norm"]
        for i, name in enumerate(weights)
    }
    if norms:
        written.append(
            plots.plot_gradients(
                folder / "gradients.png",
                history.epochs,
                norms,
                title=f"{title}: gradient norm per layer (mean over each epoch)",
            )
        )
    return written


def _summary(prep: Prepared, metrics: dict, folder: Path, files: list[str]) -> str:
    from tapegrad.run.report import format_table

    cfg, info = prep.config, prep.info
    sizes = "-".join(map(str, [info.features, *cfg.hidden, info.classes]))

    def pct(v):
        return "-" if v is None else f"{100 * v:.2f}%"

    def num(v):
        return "-" if v is None else f"{v:.4f}"

    extras = [f"{cfg.activation}"]
    if cfg.norm != "none":
        extras.append(f"{cfg.norm} norm")
    if cfg.residual:
        extras.append("residual")
    if cfg.dropout:
        extras.append(f"dropout {cfg.dropout:g}")
    rows = [
        ("data set", f"{cfg.dataset} ({metrics['train_size']}/{metrics['val_size']}/"
         f"{metrics['test_size']} train/val/test)"),
        ("model", f"MLP {sizes}, {', '.join(extras)}, {metrics['parameters']:,} parameters"),
        ("optimizer", f"{cfg.optimizer}, lr {cfg.lr:g}, batch {cfg.batch_size}"
         + (f", weight decay {cfg.weight_decay:g}" if cfg.weight_decay else "")
         + (f", l2 {cfg.l2:g}" if cfg.l2 else "")),
        ("epochs", f"{metrics['epochs_run']} run, best {metrics['best_epoch']}"
         + (" (interrupted)" if metrics["interrupted"] else "")),
        ("", ""),
        ("train loss / accuracy", f"{num(metrics['train_loss'])}   {pct(metrics['train_accuracy'])}"),
        ("val   loss / accuracy", f"{num(metrics['val_loss'])}   {pct(metrics['val_accuracy'])}"),
        ("test  loss / accuracy", f"{num(metrics['test_loss'])}   {pct(metrics['test_accuracy'])}"),
        ("", ""),
        ("time", f"{metrics['seconds']:.1f} s"),
        ("run folder", str(folder)),
        ("files", ", ".join(files)),
    ]  # fmt: skip
    return format_table(rows, title="tapegrad train: summary")


def write_run(folder: Path, prep: Prepared, history, seconds: float) -> dict:
    """Write history, model, metrics and plots into ``folder``; print the summary."""
    s = prep.split
    history.save(folder / "history.json")
    save_model(folder / "model.npz", prep)
    x_test, y_test = _tensors(s.x_test, s.y_test, prep.config.dtype)
    test, _ = test_metrics(prep.model, x_test, y_test)
    metrics = _metrics(prep, history, test, seconds)
    write_json(folder / "metrics.json", metrics)
    plots = _plots(folder, prep, history)
    files = ["config.toml", "metrics.json", "history.json", "model.npz"] + [p.name for p in plots]
    print(_summary(prep, metrics, folder, files))
    if not plots:
        print("(no plots: install matplotlib, e.g. pip install 'tapegrad[plot]')")
    return metrics


# ------------------------------------------------------------------ command
def config_from_args(args: argparse.Namespace) -> C.TrainConfig:
    """Defaults < ``--config`` file < flags given on the command line."""
    flags = {k: v for k, v in vars(args).items() if k not in ("func", "config")}
    from_file = C.load_toml(args.config) if getattr(args, "config", None) else {}
    return C.resolve(from_file, flags)


def run_train(args: argparse.Namespace) -> int:
    """``tapegrad train``: returns the exit status (0, 2 bad input, 130 Ctrl-C)."""
    start = time.perf_counter()
    try:
        config = config_from_args(args)
        prep = prepare(config)
    except (C.ConfigError, DataError) as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        print("\ninterrupted before training started; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    folder = make_run_dir(config.out, config.dataset)
    write_text(folder / "config.toml", C.dumps(config, header=_config_header(folder)))
    try:
        history = train(prep, progress_lines=True)
    except KeyboardInterrupt:  # fit handles Ctrl-C itself; this is a safety net
        print("\ninterrupted; run folder (config only): " + str(folder), file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        write_run(folder, prep, history, time.perf_counter() - start)
    except KeyboardInterrupt:
        print(f"\ninterrupted while writing {folder}; some files may be missing", file=sys.stderr)
        return EXIT_INTERRUPTED
    if history.interrupted:
        print(
            f"\ninterrupted after {len(history.epochs)} epoch(s): saved the best model so far "
            f"and the history in {folder}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


def _config_header(folder: Path) -> str:
    return (
        "tapegrad train configuration, fully resolved.\n"
        f"Run again with: tapegrad train --config {folder / 'config.toml'} --out NEW_FOLDER"
    )
