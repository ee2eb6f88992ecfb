"""A run's saved model: ``model.npz`` written (:func:`save_model`), read back
(:func:`load_run`) and used by ``tapegrad evaluate`` and ``tapegrad predict``.

``model.npz`` holds the state dict together with the resolved configuration
and the input and output sizes, so the network is rebuilt exactly as it was
trained (same layers, same dtype) and its parameters loaded strictly.  The
test set is rebuilt from the configuration (same data set, same split seed).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.data import DataError, dataset_info, load_dataset
from tapegrad.run import config as C
from tapegrad.run.build import build_model, to_tensors
from tapegrad.run.exits import EXIT_OK, error
from tapegrad.run.images import ImageError, read_image
from tapegrad.run.metrics import test_metrics
from tapegrad.run.report import (
    class_names,
    confusion_matrix,
    format_confusion,
    format_probabilities,
    format_table,
)
from tapegrad.serialization import load, save

__all__ = ["RUN_FORMAT", "RunError", "load_run", "run_evaluate", "run_predict", "save_model"]

# The "format" and "version" entries of model.npz: load_run refuses other files.
RUN_FORMAT = "tapegrad.run"
RUN_FORMAT_VERSION = 1


class RunError(ValueError):
    """The run folder cannot be used; one line naming the folder or file."""


def save_model(path: Path, prep) -> None:
    """``model.npz``: the state dict plus what :func:`load_run` needs to rebuild the model."""
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


def load_run(run_dir: str | Path, data_dir: str | None = None):
    """``(config, model)`` of a run folder; the model in eval mode.

    ``data_dir`` replaces the run's ``data_dir`` (the IDX files moved).
    """
    folder = Path(run_dir)
    path = folder / "model.npz"
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder")
    if not path.is_file():
        raise RunError(f"{path}: missing; is {folder} a folder written by tapegrad train?")
    try:
        saved = load(path)
    except (OSError, ValueError) as exc:
        raise RunError(str(exc).splitlines()[0]) from None
    if not isinstance(saved, dict) or saved.get("format") != RUN_FORMAT:
        raise RunError(f"{path}: not a tapegrad run model (no {RUN_FORMAT!r} format entry)")
    try:
        values = {k: C.coerce(k, v) for k, v in saved["config"].items() if v is not None}
        config = C.resolve(values, {"data_dir": data_dir} if data_dir else {})
        model = build_model(config, int(saved["features"]), int(saved["classes"]))
        model.load_state_dict(saved["state_dict"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise RunError(f"{path}: cannot rebuild the model ({str(exc).splitlines()[0]})") from None
    model.eval()
    return config, model


def _test_set(config: C.TrainConfig):
    """The test inputs and labels of the run's data set and split, as tensors."""
    split = load_dataset(config.dataset, config.data_dir, seed=config.seed)
    return to_tensors(split.x_test, split.y_test, config.dtype)


def _reported_accuracy(folder: Path) -> float | None:
    """The test accuracy ``metrics.json`` recorded at training; None if unreadable."""
    try:
        value = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["test_accuracy"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, float) else None


def _evaluation_rows(run_dir, config, metrics: dict, examples: int) -> list[tuple[str, str]]:
    """The rows of ``tapegrad evaluate``'s table, with the accuracy recorded at training."""
    rows = [
        ("run folder", str(run_dir)),
        ("data set", f"{config.dataset} test set, {examples} examples"),
        ("test loss", f"{metrics['test_loss']:.4f}"),
        ("test accuracy", f"{100 * metrics['test_accuracy']:.2f}%"),
    ]
    reported = _reported_accuracy(Path(run_dir))
    if reported is not None:
        # The same model on the same test set should give the same number.
        same = math.isclose(reported, metrics["test_accuracy"], abs_tol=1e-12)
        rows.append(("at training", f"{100 * reported:.2f}%" + ("" if same else "  (differs!)")))
    return rows


def run_evaluate(args: argparse.Namespace) -> int:
    """``tapegrad evaluate RUN_DIR``: test metrics and confusion matrix; returns the status."""
    from tapegrad.run.lm_saved import is_lm_run, run_lm_evaluate

    if is_lm_run(args.run_dir):  # a language model: its test loss in nats per character
        return run_lm_evaluate(args)
    try:
        config, model = load_run(args.run_dir, args.data_dir)
        x, y = _test_set(config)
    except (RunError, DataError, C.ConfigError) as exc:
        return error(str(exc))
    metrics, pred = test_metrics(model, x, y)
    classes = dataset_info(config.dataset).classes
    labels = class_names(config.dataset, classes)
    matrix = confusion_matrix(y.numpy(), pred, classes)
    rows = _evaluation_rows(args.run_dir, config, metrics, len(pred))
    print(format_table(rows, title="tapegrad evaluate"))
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(matrix, labels))
    return EXIT_OK


def _example(args: argparse.Namespace, config: C.TrainConfig, info):
    """``(x, true, what)`` for ``predict``: the input row (1, features), its true
    class (None for an image file) and a description; raises RunError or ImageError."""
    if args.image is not None:
        if info.image_shape is None:
            raise RunError(f"--image: the {config.dataset} data set has no images")
        row = read_image(args.image, info.image_shape, invert=args.invert)
        return row.reshape(1, -1), None, f"image {args.image}"
    x_test, y_test = _test_set(config)
    n = x_test.shape[0]
    if not -n <= args.index < n:
        raise RunError(f"--index {args.index}: the test set has {n} examples (0..{n - 1})")
    # ``or None``: index -1 slices to the end, not to the empty [-1:0].
    x = x_test.numpy()[args.index : args.index + 1 or None]
    return x, int(y_test.numpy()[args.index]), f"test example {args.index} of {config.dataset}"


def run_predict(args: argparse.Namespace) -> int:
    """``tapegrad predict RUN_DIR --index N | --image FILE``: class probabilities."""
    from tapegrad.run.lm_saved import is_lm_run

    if is_lm_run(args.run_dir):
        return error(f"{args.run_dir}: a language model; use tapegrad sample {args.run_dir}")
    try:
        config, model = load_run(args.run_dir, args.data_dir)
        info = dataset_info(config.dataset)
        x, true, what = _example(args, config, info)
    except (RunError, DataError, ImageError, C.ConfigError) as exc:
        return error(str(exc))
    with tg.no_grad():
        logits = model(tg.tensor(B.host.asarray(x, dtype=config.dtype)))
        probs = tg.softmax(logits, dim=1).numpy(force=True)[0]
    labels = class_names(config.dataset, info.classes)
    verdict = f"{what}: predicted {labels[int(probs.argmax())]}"
    print(verdict if true is None else f"{verdict}, true {labels[true]}")
    print(format_probabilities(probs, labels, true=true))
    return EXIT_OK
