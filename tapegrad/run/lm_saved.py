"""A saved language-model run: ``tapegrad evaluate`` and ``tapegrad sample``.

``model.npz`` of a language-model run holds the state dict, the resolved
configuration and the vocabulary; the words (and so the test set and the
training set that ``sample`` compares with) are read and split again from
the configuration.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import tapegrad as tg
from tapegrad.data import DataError
from tapegrad.data.text import Vocabulary
from tapegrad.run import config as C
from tapegrad.run.exits import EXIT_OK, error
from tapegrad.run.lm_data import load_words, mean_loss
from tapegrad.run.lm_models import build_lm
from tapegrad.run.lm_sample import format_samples, sample_words
from tapegrad.run.report import format_table
from tapegrad.serialization import load

__all__ = ["is_lm_run", "load_lm_run", "run_lm_evaluate", "run_sample"]

LM_RUN_FORMAT = "tapegrad.lm-run"


def _saved(run_dir) -> tuple[Path, dict]:
    """``(path, contents)`` of a run's model.npz; raises DataError naming the file."""
    folder = Path(run_dir)
    path = folder / "model.npz"
    if not folder.is_dir():
        raise DataError(f"{folder}: no such run folder")
    if not path.is_file():
        raise DataError(f"{path}: missing; is {folder} a folder written by tapegrad train?")
    try:
        saved = load(path)
    except (OSError, ValueError) as exc:
        raise DataError(str(exc).splitlines()[0]) from None
    return path, saved


def is_lm_run(run_dir) -> bool:
    """Whether ``run_dir`` holds a language-model run (False when unreadable)."""
    try:
        _, saved = _saved(run_dir)
    except DataError:
        return False
    return isinstance(saved, dict) and saved.get("format") == LM_RUN_FORMAT


def load_lm_run(run_dir):
    """``(config, model, vocab)`` of a language-model run; the model in eval mode."""
    path, saved = _saved(run_dir)
    if not isinstance(saved, dict) or saved.get("format") != LM_RUN_FORMAT:
        raise DataError(f"{path}: not a language-model run (tapegrad train --dataset names)")
    try:
        values = {k: C.coerce(k, v) for k, v in saved["config"].items()}
        config = C.resolve(values, {})
        vocab = Vocabulary(str(saved["chars"]))
        model = build_lm(config, len(vocab))
        model.load_state_dict(saved["state_dict"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise DataError(f"{path}: cannot rebuild the model ({str(exc).splitlines()[0]})") from None
    model.eval()
    return config, model, vocab


def _words(config, vocab):
    """The run's split, checked to have the saved vocabulary (the file may have changed)."""
    words = load_words(config)
    if words.vocab.chars != vocab.chars:
        what = config.text_file or config.dataset
        raise DataError(f"{what}: its characters differ from those the run was trained on")
    return words


def _reported(run_dir) -> float | None:
    try:
        path = Path(run_dir) / "metrics.json"
        value = json.loads(path.read_text(encoding="utf-8"))["test_loss"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, float) else None


def run_lm_evaluate(args: argparse.Namespace) -> int:
    """``tapegrad evaluate RUN_DIR`` for a language model: the test loss in nats/char."""
    try:
        config, model, vocab = load_lm_run(args.run_dir)
        words = _words(config, vocab)
    except (DataError, C.ConfigError) as exc:
        return error(str(exc))
    loss, chars = mean_loss(model, words.test, vocab, config.block)
    rows = [
        ("run folder", str(args.run_dir)),
        ("data set", f"{config.dataset} test set, {len(words.test)} words, {chars} predictions"),
        ("model", config.model),
        ("test loss", f"{loss:.4f} nats/char ({loss / math.log(2):.4f} bits/char)"),
    ]
    reported = _reported(args.run_dir)
    if reported is not None:
        same = math.isclose(reported, loss, rel_tol=1e-5)
        rows.append(("at training", f"{reported:.4f}" + ("" if same else "  (differs!)")))
    print(format_table(rows, title="tapegrad evaluate (language model)"))
    return EXIT_OK


def run_sample(args: argparse.Namespace) -> int:
    """``tapegrad sample RUN_DIR``: print new words and how many are not in the training set."""
    if args.n < 1:
        return error(f"-n {args.n}: the number of samples must be >= 1")
    if not (args.temperature > 0 and math.isfinite(args.temperature)):
        return error(f"--temperature {args.temperature}: must be a number > 0")
    if args.top_k is not None and args.top_k < 1:
        return error(f"--top-k {args.top_k}: must be >= 1")
    try:
        config, model, vocab = load_lm_run(args.run_dir)
        words = _words(config, vocab)
        vocab.encode(args.prefix)
    except (DataError, C.ConfigError) as exc:
        return error(f"--prefix {args.prefix!r}: {exc}" if "vocabulary" in str(exc) else str(exc))
    longest = max(len(w) for w in words.train)
    gen = tg.Generator().manual_seed(args.seed)
    names = sample_words(
        model,
        vocab,
        config.block,
        args.n,
        temperature=args.temperature,
        top_k=args.top_k,
        prefix=args.prefix,
        max_len=max(2 * longest, len(args.prefix) + 16),
        generator=gen,
    )
    print(format_samples(names, set(words.train)))
    return EXIT_OK
