"""What a run prints: the summary table, the confusion matrix, class probabilities.

Pure formatting of numbers into text (no tensors, no files), so each piece is
easy to test.  :func:`format_summary` is the table ``tapegrad train`` prints
at the end; the others serve ``evaluate`` and ``predict``.
"""

from __future__ import annotations

from tapegrad.backend import host as np

__all__ = [
    "class_names",
    "confusion_matrix",
    "format_confusion",
    "format_probabilities",
    "format_summary",
    "format_table",
    "layer_sizes",
    "model_name",
]

# A row of format_table that draws a rule instead of a key and a value.
RULE = ("", "")

# Fashion-MNIST's ten articles, in the order of their labels 0..9.
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def class_names(dataset: str, classes: int) -> list[str]:
    """Display names of the classes: Fashion-MNIST's article names, else ``0..classes-1``."""
    if dataset == "fashion-mnist" and classes == len(FASHION_NAMES):
        return list(FASHION_NAMES)
    return [str(k) for k in range(classes)]


def confusion_matrix(y_true, y_pred, classes: int):
    """Counts ``m[i, j]`` of examples of true class ``i`` predicted as class ``j``.

    ``y_true``, ``y_pred``: integer arrays of shape (n,) with values in
    ``0..classes-1``.  Returns an int64 host array of shape (classes, classes);
    its trace is the number of correct predictions.
    """
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"confusion_matrix: {y_true.shape[0]} labels but {y_pred.shape[0]} predictions"
        )
    flat = np.bincount(y_true * classes + y_pred, minlength=classes * classes)
    return flat[: classes * classes].reshape(classes, classes).astype(np.int64)


def format_table(rows: list[tuple[str, str]], title: str = "") -> str:
    """Two aligned columns in a box of ``-``; a row ``RULE`` (``("", "")``) is a separator."""
    width_key = max((len(k) for k, _ in rows), default=0)
    width_val = max((len(v) for _, v in rows), default=0)
    width = max(width_key + 3 + width_val, len(title))
    rule = "-" * width
    lines = [rule]
    if title:
        lines += [title, rule]
    for key, value in rows:
        lines.append(rule if (key, value) == RULE else f"{key:<{width_key}}   {value}")
    lines.append(rule)
    return "\n".join(lines)


def layer_sizes(features: int, hidden, classes: int) -> str:
    """``"64-256-10"``: the widths of a network's layers, input first."""
    return "-".join(map(str, [features, *hidden, classes]))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _scores(metrics: dict, part: str) -> str:
    """Loss and accuracy of ``part`` (``train``, ``val`` or ``test``) side by side."""
    return f"{_loss(metrics[part + '_loss'])}   {_percent(metrics[part + '_accuracy'])}"


def _model_text(config, info, parameters: int) -> str:
    """``"MLP 64-256-10, relu, layer norm, dropout 0.3, 19,210 parameters"``."""
    parts = [config.activation]
    if config.norm != "none":
        parts.append(f"{config.norm} norm")
    if config.residual:
        parts.append("residual")
    if config.dropout:
        parts.append(f"dropout {config.dropout:g}")
    return f"{model_name(config, info)}, {', '.join(parts)}, {parameters:,} parameters"


def model_name(config, info) -> str:
    """``"MLP 64-256-10"``, ``"CNN conv 32-64, dense 1024-256-10"`` or the
    PyTorch example's network: the layers ``config.model`` builds."""
    if config.model == "mnist-cnn":
        return f"CNN of PyTorch's examples/mnist (conv 32-64, dense 9216-128-{info.classes})"
    if config.model == "cnn":
        h, w = info.image_shape
        flat = config.channels[-1] * (h // 2) * (w // 2)
        convs = "-".join(map(str, config.channels))
        dense = layer_sizes(flat, config.hidden, info.classes)
        return f"CNN conv {convs} 3x3, max pool 2, dense {dense}"
    return f"MLP {layer_sizes(info.features, config.hidden, info.classes)}"


def _optimizer_text(config) -> str:
    """``"adam, lr 0.001, batch 64"``, plus weight decay and l2 when they are set."""
    text = f"{config.optimizer}, lr {config.lr:g}, batch {config.batch_size}"
    if config.weight_decay:
        text += f", weight decay {config.weight_decay:g}"
    if config.l2:
        text += f", l2 {config.l2:g}"
    return text


def format_summary(config, info, metrics: dict, folder, files: list[str]) -> str:
    """The table ``tapegrad train`` prints when it is done.

    ``config``: the run's TrainConfig; ``info``: its data set's DatasetInfo;
    ``metrics``: the contents of ``metrics.json``; ``files``: the names written
    into ``folder``.
    """
    m = metrics
    split = f"{m['train_size']}/{m['val_size']}/{m['test_size']} train/val/test"
    epochs = f"{m['epochs_run']} run, best {m['best_epoch']}"
    if m["interrupted"]:
        epochs += " (interrupted)"
    rows = [
        ("data set", f"{config.dataset} ({split})"),
        ("model", _model_text(config, info, m["parameters"])),
        ("optimizer", _optimizer_text(config)),
        ("epochs", epochs),
        RULE,
        ("train loss / accuracy", _scores(m, "train")),
        ("val   loss / accuracy", _scores(m, "val")),
        ("test  loss / accuracy", _scores(m, "test")),
        RULE,
        ("time", f"{m['seconds']:.1f} s"),
        ("run folder", str(folder)),
        ("files", ", ".join(files)),
    ]
    return format_table(rows, title="tapegrad train: summary")


def format_confusion(matrix, labels: list[str]) -> str:
    """The confusion matrix as text: rows true class, columns predicted class.

    A last column gives each class's recall (correct / examples of the class).
    """
    matrix = np.asarray(matrix)
    short = [label[:6] for label in labels]
    cell = max(4, max(len(s) for s in short), len(str(int(matrix.max(initial=0)))))
    corner = "true\\pred"
    head = max(len(corner), max(len(label) for label in labels))
    lines = [f"{corner:>{head}} " + " ".join(f"{s:>{cell}}" for s in short) + "  recall"]
    for i, label in enumerate(labels):
        row = matrix[i]
        total = int(row.sum())
        recall = f"{100 * row[i] / total:6.1f}%" if total else "     -"
        cells = " ".join(f"{int(v):>{cell}}" for v in row)
        lines.append(f"{label:>{head}} {cells}  {recall}")
    return "\n".join(lines)


def format_probabilities(probs, labels: list[str], true: int | None = None, bar: int = 30) -> str:
    """One line per class: name, probability in percent, a bar; ``<`` marks the prediction.

    ``probs``: shape (classes,), summing to 1.  ``true``: the known class, if
    any, marked with ``(true)``.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1)
    best = int(np.argmax(probs))
    width = max(len(label) for label in labels)
    lines = []
    for k, (label, p) in enumerate(zip(labels, probs)):
        marks = (" <- predicted" if k == best else "") + (" (true)" if k == true else "")
        lines.append(f"{label:>{width}}  {100 * p:6.2f}%  {'#' * round(bar * p):<{bar}}{marks}")
    return "\n".join(lines)
