"""``tapegrad evaluate`` and ``tapegrad predict``: use the model of a finished run.

``model.npz`` holds the state dict together with the resolved configuration
and the input and output sizes, so the network is rebuilt exactly as it was
trained (same layers, same dtype) and its parameters loaded strictly.  The
test set is rebuilt from the configuration (same data set, same split seed).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.data import DataError, dataset_info, load_dataset
from tapegrad.run import config as C
from tapegrad.run.images import ImageError, read_image
from tapegrad.run.job import RUN_FORMAT, _tensors, build_model, test_metrics
from tapegrad.run.report import (
    class_names,
    confusion_matrix,
    format_confusion,
    format_probabilities,
    format_table,
)
from tapegrad.serialization import load

__all__ = ["RunError", "load_run", "run_evaluate", "run_predict"]


class RunError(ValueError):
    """The run folder cannot be used; one line naming the folder or file."""


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
    split = load_dataset(config.dataset, config.data_dir, seed=config.seed)
    return _tensors(split.x_test, split.y_test, config.dtype)


def _err(message: str) -> int:
    print(f"tapegrad: error: {message}", file=sys.stderr)
    return 2


def _reported_accuracy(folder: Path) -> float | None:
    try:
        value = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["test_accuracy"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, float) else None


def run_evaluate(args: argparse.Namespace) -> int:
    """``tapegrad evaluate RUN_DIR``: test metrics and confusion matrix; returns the status."""
    try:
        config, model = load_run(args.run_dir, args.data_dir)
        x, y = _test_set(config)
    except (RunError, DataError, C.ConfigError) as exc:
        return _err(str(exc))
    metrics, pred = test_metrics(model, x, y)
    classes = dataset_info(config.dataset).classes
    labels = class_names(config.dataset, classes)
    matrix = confusion_matrix(y.numpy(), pred, classes)
    reported = _reported_accuracy(Path(args.run_dir))
    rows = [
        ("run folder", str(args.run_dir)),
        ("data set", f"{config.dataset} test set, {len(pred)} examples"),
        ("test loss", f"{metrics['test_loss']:.4f}"),
        ("test accuracy", f"{100 * metrics['test_accuracy']:.2f}%"),
    ]
    if reported is not None:
        same = math.isclose(reported, metrics["test_accuracy"], abs_tol=1e-12)
        rows.append(("at training", f"{100 * reported:.2f}%" + ("" if same else "  (differs!)")))
    print(format_table(rows, title="tapegrad evaluate"))
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    print(format_confusion(matrix, labels))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """``tapegrad predict RUN_DIR --index N | --image FILE``: class probabilities."""
    try:
        config, model = load_run(args.run_dir, args.data_dir)
        info = dataset_info(config.dataset)
        if args.image is not None:
            if info.image_shape is None:
                raise RunError(f"--image: the {config.dataset} data set has no images")
            row = read_image(args.image, info.image_shape, invert=args.invert)
            x, true, what = row.reshape(1, -1), None, f"image {args.image}"
        else:
            x_test, y_test = _test_set(config)
            n = x_test.shape[0]
            if not -n <= args.index < n:
                raise RunError(f"--index {args.index}: the test set has {n} examples (0..{n - 1})")
            x = x_test.numpy()[args.index : args.index + 1 or None]
            true = int(y_test.numpy()[args.index])
            what = f"test example {args.index} of {config.dataset}"
    except (RunError, DataError, ImageError, C.ConfigError) as exc:
        return _err(str(exc))
    with tg.no_grad():
        logits = model(tg.tensor(B.host.asarray(x, dtype=config.dtype)))
        probs = tg.softmax(logits, dim=1).numpy(force=True)[0]
    labels = class_names(config.dataset, info.classes)
    print(f"{what}: predicted {labels[int(probs.argmax())]}"
          + ("" if true is None else f", true {labels[true]}"))  # fmt: skip
    print(format_probabilities(probs, labels, true=true))
    return 0
