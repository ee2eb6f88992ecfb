"""``tapegrad train``: build data, model and optimiser from a config, fit, write the run.

The order matters for the promise "bad input writes nothing": every option is
checked, the data set is loaded and the model and optimiser are built
(:func:`tapegrad.run.build.prepare`) before the run folder is created.  Then
``fit`` trains (keeping the parameters of the epoch with the lowest
validation loss), and the folder receives ``config.toml``, ``history.json``,
``model.npz``, ``metrics.json``, ``curves.png`` and ``gradients.png``, each
written atomically.

Reproducibility: ``seed`` seeds the data split, ``tg.manual_seed`` (initial
weights, dropout masks) and the training loader's shuffling, so two runs with
the same configuration give the same numbers; only ``seconds`` differs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tapegrad.data import DataError
from tapegrad.data.loader import DataLoader, TensorDataset
from tapegrad.run import config as C
from tapegrad.run import plots
from tapegrad.run.build import Prepared, build_model, build_optimizer, prepare, to_tensors
from tapegrad.run.data_parallel import ONE_PROCESS, Ranks
from tapegrad.run.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error, interrupted
from tapegrad.run.files import make_run_dir, write_json, write_text
from tapegrad.run.lm_config import is_lm
from tapegrad.run.lm_job import prepare_lm, train_lm, write_lm_run
from tapegrad.run.metrics import EVAL_BATCH, run_metrics, test_metrics
from tapegrad.run.report import format_summary
from tapegrad.run.saved import save_model
from tapegrad.train import Callback, EarlyStopping, fit
from tapegrad.train.progress import progress_enabled

# build_model, build_optimizer, test_metrics and save_model live in the
# modules named above; they stay importable from here, where callers found them.
__all__ = [
    "Prepared",
    "build_model",
    "build_optimizer",
    "config_from_args",
    "prepare",
    "run_train",
    "save_model",
    "test_metrics",
    "train",
    "write_run",
]


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


def _loaders(prep: Prepared) -> tuple[DataLoader, DataLoader]:
    """The shuffled training loader and the validation loader of a prepared run."""
    cfg, s = prep.config, prep.split
    train_set = TensorDataset(*to_tensors(s.x_train, s.y_train, cfg.dtype))
    val_set = TensorDataset(*to_tensors(s.x_val, s.y_val, cfg.dtype))
    return (
        DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, seed=cfg.seed),
        DataLoader(val_set, batch_size=EVAL_BATCH, shuffle=False, seed=cfg.seed),
    )


def train(prep: Prepared, progress_lines: bool, ranks: Ranks = ONE_PROCESS):
    """Run ``fit`` (on this rank's share with ``ranks``); returns the History
    (the model holds the best epoch's parameters)."""
    cfg = prep.config
    train_loader, val_loader = _loaders(prep)
    # Always keep the best epoch's parameters; --early-stopping decides when to stop.
    patience = cfg.early_stopping if cfg.early_stopping > 0 else cfg.epochs + 1
    callbacks = [EarlyStopping(monitor="val_loss", patience=patience, restore_best=True)]
    show_bars = progress_enabled(cfg.progress) and ranks.is_main
    if progress_lines and not show_bars and ranks.is_main:
        callbacks.append(_EpochLines())
    history = fit(
        ranks.model(prep.model),
        ranks.loss(prep.loss_fn),
        prep.optimizer,
        ranks.train_batches(train_loader),
        ranks.eval_batches(val_loader),
        epochs=cfg.epochs,
        callbacks=callbacks,
        progress=show_bars,
    )
    return ranks.as_one_process(history)


# ------------------------------------------------------------------ writing
def write_run(folder: Path, prep: Prepared, history, seconds: float) -> dict:
    """Write history, model, metrics and plots into ``folder``; print the summary."""
    s = prep.split
    history.save(folder / "history.json")
    save_model(folder / "model.npz", prep)
    test, _ = test_metrics(prep.model, *to_tensors(s.x_test, s.y_test, prep.config.dtype))
    metrics = run_metrics(prep, history, test, seconds)
    write_json(folder / "metrics.json", metrics)
    pictures = plots.plot_run(folder, prep, history)
    files = ["config.toml", "metrics.json", "history.json", "model.npz"]
    files += [p.name for p in pictures]
    print(format_summary(prep.config, prep.info, metrics, folder, files))
    if not pictures:
        print("(no plots: install matplotlib, e.g. pip install 'tapegrad[plot]')")
    return metrics


def _config_header(folder: Path) -> str:
    """The comment at the top of ``config.toml``: what it is and how to rerun it."""
    return (
        "tapegrad train configuration, fully resolved.\n"
        f"Run again with: tapegrad train --config {folder / 'config.toml'} --out NEW_FOLDER"
    )


# ------------------------------------------------------------------ command
def config_from_args(args: argparse.Namespace) -> C.TrainConfig:
    """Defaults < ``--config`` file < flags given on the command line."""
    flags = {k: v for k, v in vars(args).items() if k not in ("func", "config")}
    from_file = C.load_toml(args.config) if getattr(args, "config", None) else {}
    return C.resolve(from_file, flags)


def run_train(args: argparse.Namespace) -> int:
    """``tapegrad train``: returns the exit status (0, 2 bad input, 130 Ctrl-C).
    A classifier (``prepare``, ``train``, ``write_run``) or a character-level
    language model (``lm_job``): the same steps around them."""
    start = time.perf_counter()
    try:
        config = config_from_args(args)
        ranks = Ranks(config.distributed)
    except (C.ConfigError, DataError) as exc:
        return error(str(exc))
    if is_lm(config):
        return _run(
            config,
            ranks,
            prepare_lm,
            lambda prep: train_lm(prep, ranks),
            lambda f, p, h: write_lm_run(f, p, h, start),
        )
    return _run(
        config,
        ranks,
        prepare,
        lambda prep: train(prep, progress_lines=True, ranks=ranks),
        lambda f, p, h: write_run(f, p, h, time.perf_counter() - start),
    )


def _run(config: C.TrainConfig, ranks: Ranks, prepare_job, train_job, write_job) -> int:
    """Check and build everything, then make the run folder and its
    ``config.toml``, train, write the results; Ctrl-C at any point leaves a
    folder that says what it holds.  Shared by ``ranks``: all check and
    train; a failure on any stops all; rank 0 alone writes and speaks."""
    failure = None
    try:
        prep = prepare_job(config)
        ranks.check(prep)
    except (C.ConfigError, DataError) as exc:
        failure = str(exc)
    except KeyboardInterrupt:
        return interrupted("interrupted before training started; nothing written")
    failed_rank, failure = ranks.first_failure(failure)
    if failed_rank >= 0:
        return error(failure) if failure is not None else EXIT_USAGE
    folder = make_run_dir(config.out, config.dataset) if ranks.is_main else None
    if folder is not None:
        write_text(folder / "config.toml", C.dumps(config, header=_config_header(folder)))
    try:
        history = train_job(prep)
    except KeyboardInterrupt:  # fit handles Ctrl-C itself; this is a safety net
        return _interrupted(ranks, f"interrupted; run folder (config only): {folder}")
    if folder is None:
        return EXIT_INTERRUPTED if history.interrupted else EXIT_OK
    try:
        write_job(folder, prep, history)
    except KeyboardInterrupt:
        return interrupted(f"interrupted while writing {folder}; some files may be missing")
    if history.interrupted:
        return interrupted(
            f"interrupted after {len(history.epochs)} epoch(s): saved the best model so far "
            f"and the history in {folder}"
        )
    return EXIT_OK


def _interrupted(ranks: Ranks, message: str) -> int:
    """``EXIT_INTERRUPTED``, with ``message`` from rank 0 only."""
    return interrupted(message) if ranks.is_main else EXIT_INTERRUPTED
