"""``tapegrad train --dataset names`` (or ``--text-file FILE``): a character-level
language model.

As for a classifier (``job.py``), everything is checked and built before the
run folder is made.  Training runs ``fit`` on rows of whole words (each
position predicts the next character), AdamW-style optimiser with the rate
annealed along a cosine to a tenth over all steps, early stopping on the
validation loss.  The folder receives ``config.toml``, ``history.json``,
``model.npz``, ``metrics.json`` (``test_loss`` in nats per character),
``curves.png`` and ``samples.txt`` (names sampled from the model).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import tapegrad as tg
from tapegrad.data.text import TextSplit, encode_words
from tapegrad.optim.lr_scheduler import CosineAnnealingLR
from tapegrad.run import config as C
from tapegrad.run import plots
from tapegrad.run.build import build_optimizer
from tapegrad.run.data_parallel import ONE_PROCESS, Ranks
from tapegrad.run.files import write_json, write_text
from tapegrad.run.lm_data import (
    EVAL_ROWS,
    SequenceBatches,
    load_words,
    mean_loss,
    predicted_characters,
    sequence_loss,
)
from tapegrad.run.lm_models import build_lm
from tapegrad.run.lm_sample import format_samples, sample_words
from tapegrad.run.lm_saved import LM_RUN_FORMAT
from tapegrad.run.report import RULE, format_table
from tapegrad.serialization import save
from tapegrad.train import EarlyStopping, LearningRateScheduler, fit
from tapegrad.train.progress import progress_enabled

__all__ = ["LM_RUN_FORMAT", "LMPrepared", "prepare_lm", "save_lm", "train_lm", "write_lm_run"]

SAMPLES = 50  # names written to samples.txt
FINAL_LR_FRACTION = 0.1  # the cosine schedule ends at this fraction of --lr


@dataclass
class LMPrepared:
    """Everything a language-model run needs, built before anything is written."""

    config: C.TrainConfig
    words: TextSplit
    model: object
    optimizer: object


def prepare_lm(config: C.TrainConfig) -> LMPrepared:
    """Read and split the words, build model and optimiser; ConfigError or DataError."""
    if config.out is not None and Path(config.out).exists() and not Path(config.out).is_dir():
        raise C.ConfigError(f"--out {config.out}: exists and is not a folder")
    words = load_words(config)
    tg.manual_seed(config.seed)
    try:
        model = build_lm(config, len(words.vocab))
    except (ValueError, TypeError) as exc:
        raise C.ConfigError(f"cannot build the model: {exc}") from None
    return LMPrepared(config, words, model, build_optimizer(config, model.parameters()))


def train_lm(prep: LMPrepared, ranks: Ranks = ONE_PROCESS):
    """``fit`` with early stopping and a per-step cosine schedule (on this
    rank's share with ``ranks``); returns the History."""
    cfg, w = prep.config, prep.words
    x, y = encode_words(w.train, w.vocab, cfg.block)
    train = SequenceBatches(x, y, cfg.batch_size, shuffle=True, seed=cfg.seed)
    val = SequenceBatches(*encode_words(w.val, w.vocab, cfg.block), EVAL_ROWS, shuffle=False)
    patience = cfg.early_stopping if cfg.early_stopping > 0 else cfg.epochs + 1
    steps = cfg.epochs * len(train)
    schedule = CosineAnnealingLR(prep.optimizer, T_max=steps, eta_min=FINAL_LR_FRACTION * cfg.lr)
    callbacks = [
        EarlyStopping(monitor="val_loss", patience=patience, restore_best=True),
        LearningRateScheduler(schedule, interval="batch"),
    ]
    show_bars = progress_enabled(cfg.progress) and ranks.is_main
    if not show_bars and ranks.is_main:
        from tapegrad.run.job import _EpochLines

        callbacks.append(_EpochLines())
    # (the validation loss is a mean per character: every rank evaluates it whole)
    history = fit(
        ranks.model(prep.model),
        ranks.loss(sequence_loss),
        prep.optimizer,
        ranks.train_batches(train, weight=predicted_characters),
        val,
        epochs=cfg.epochs,
        callbacks=callbacks,
        progress=show_bars,
        metrics=[],
        grad_stats=False,
    )
    return ranks.as_one_process(history)


def save_lm(path: Path, prep: LMPrepared) -> None:
    """``model.npz``: state dict, resolved config and vocabulary (for evaluate, sample)."""
    state = {
        "format": LM_RUN_FORMAT,
        "version": 1,
        "config": {k: v for k, v in prep.config.to_dict().items() if v is not None},
        "chars": prep.words.vocab.chars,
        "state_dict": prep.model.state_dict(),
    }
    save(state, path)


def _metrics(prep: LMPrepared, history, seconds: float) -> dict:
    w, cfg = prep.words, prep.config
    test_loss, test_chars = mean_loss(prep.model, w.test, w.vocab, cfg.block)
    val_loss, _ = mean_loss(prep.model, w.val, w.vocab, cfg.block)
    best = history.epochs.index(history.best_epoch) if history.best_epoch else None
    return {
        "dataset": cfg.dataset,
        "model": cfg.model,
        "test_loss": test_loss,
        "test_chars": test_chars,
        "val_loss": val_loss,
        "train_loss": None if best is None else history.metrics["loss"][best],
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.epochs),
        "stop_reason": history.stop_reason,
        "interrupted": bool(history.interrupted),
        "parameters": sum(p.numel() for p in prep.model.parameters()),
        "vocab_size": len(w.vocab),
        "train_size": len(w.train),
        "val_size": len(w.val),
        "test_size": len(w.test),
        "seconds": round(seconds, 3),
    }


def _plot(folder: Path, prep: LMPrepared, history) -> list[Path]:
    """``curves.png``: training and validation loss (nats per character) per epoch."""
    if not plots.matplotlib_available() or not history.epochs:
        return []
    cfg = prep.config
    plt = plots._pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    epochs = history.epochs
    ax.plot(epochs, history.metrics["loss"], "o-", ms=3, label="train (running mean)")
    ax.plot(epochs, history.metrics["val_loss"], "o-", ms=3, label="validation")
    if history.best_epoch:
        ax.axvline(history.best_epoch, color="grey", ls=":", lw=1, label="best")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (nats/char)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{cfg.model} on {cfg.dataset}, {cfg.optimizer} lr {cfg.lr:g}", fontsize=10)
    return [plots.save_png(fig, folder / "curves.png", plots.DPI)]


def _summary(cfg, m: dict, folder: Path, files: list[str]) -> str:
    epochs = f"{m['epochs_run']} run, best {m['best_epoch']}"
    if m["interrupted"]:
        epochs += " (interrupted)"
    words = f"{m['train_size']}/{m['val_size']}/{m['test_size']} train/val/test words"
    train = "-" if m["train_loss"] is None else f"{m['train_loss']:.4f}"
    rows = [
        ("data set", f"{cfg.dataset} ({words}, {m['vocab_size']} tokens)"),
        ("model", f"{cfg.model}, block {cfg.block}, {m['parameters']:,} parameters"),
        ("optimizer", f"{cfg.optimizer}, lr {cfg.lr:g} (cosine), batch {cfg.batch_size}"),
        ("epochs", epochs),
        RULE,
        ("train loss (nats/char)", train),
        ("val   loss (nats/char)", f"{m['val_loss']:.4f}"),
        ("test  loss (nats/char)", f"{m['test_loss']:.4f}"),
        RULE,
        ("time", f"{m['seconds']:.1f} s"),
        ("run folder", str(folder)),
        ("files", ", ".join(files)),
    ]
    return format_table(rows, title="tapegrad train: summary (language model)")


def write_lm_run(folder: Path, prep: LMPrepared, history, start: float) -> dict:
    """history.json, model.npz, metrics.json, samples.txt, curves.png; prints the summary."""
    history.save(folder / "history.json")
    save_lm(folder / "model.npz", prep)
    metrics = _metrics(prep, history, time.perf_counter() - start)
    write_json(folder / "metrics.json", metrics)
    gen = tg.Generator().manual_seed(prep.config.seed)
    longest = max(len(w) for w in prep.words.train)
    names = sample_words(
        prep.model, prep.words.vocab, prep.config.block, SAMPLES, max_len=2 * longest, generator=gen
    )
    write_text(folder / "samples.txt", "\n".join(names) + "\n")
    pictures = _plot(folder, prep, history)
    files = ["config.toml", "metrics.json", "history.json", "model.npz", "samples.txt"]
    print(_summary(prep.config, metrics, folder, files + [p.name for p in pictures]))
    print(format_samples(names[:10], set(prep.words.train), title="samples"))
    return metrics
