"""The options of a training run: one dataclass, read from TOML and the command line.

Every option of ``tapegrad train`` is a field of :class:`TrainConfig`.  A value
comes, in order of precedence, from the command line, from the ``--config``
TOML file, or from the field's default.  Both sources go through the same
:func:`coerce`, so ``--hidden 12,,x`` and ``hidden = "12,,x"`` get the same
one-line message.  :func:`dumps` writes the fully resolved configuration back
as TOML, which :func:`load_toml` reads again, so a run can be repeated exactly.

TOML keys are the long option names with ``-`` written as ``_`` (``batch_size``,
``early_stopping``; ``-`` is accepted too); ``--no-progress`` is
``progress = false``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

__all__ = [
    "ACTIVATIONS",
    "DTYPES",
    "MODELS",
    "NORMS",
    "OPTIMIZERS",
    "ConfigError",
    "TrainConfig",
    "coerce",
    "dumps",
    "load_toml",
    "resolve",
]


class ConfigError(ValueError):
    """An option has a value tapegrad cannot use; the message is one line."""


# Names users type -> the ``tapegrad.nn`` activation class.
ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "leaky-relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softplus": "Softplus",
    "hardtanh": "Hardtanh",
}
# ``cnn`` adapts to the data set's image size; ``mnist-cnn`` is the network of
# PyTorch's examples/mnist, which takes 28x28 images only.
# ``transformer``, ``lstm``, ``gru`` and ``bigram`` are language models for ``names`` and
# ``text`` (``mlp`` is then Bengio's MLP over the previous characters; lm_config.py).
MODELS = ("mlp", "cnn", "mnist-cnn", "transformer", "lstm", "gru", "bigram")
OPTIMIZERS = ("sgd", "momentum", "ema-momentum", "rmsprop", "adam", "adamw")
NORMS = ("none", "layer", "batch")
DTYPES = ("float32", "float64")
DATASETS = ("digits", "spirals", "xor", "moons", "mnist", "fashion-mnist", "names", "text")

# Learning rate used when none is given, per optimiser.
DEFAULT_LR = {
    "sgd": 0.1,
    "momentum": 0.05,
    "ema-momentum": 0.1,
    "rmsprop": 1e-3,
    "adam": 1e-3,
    "adamw": 1e-3,
}
# Weight decay used when none is given: PyTorch's AdamW default, else none.
DEFAULT_WEIGHT_DECAY = {"adamw": 0.01}


@dataclass
class TrainConfig:
    """Everything that determines a training run.

    ``lr`` and ``weight_decay`` may be ``None`` until :func:`resolve` fills
    them with the optimiser's default (:data:`DEFAULT_LR`); ``hidden`` is the
    tuple of hidden-layer widths (empty: a linear softmax classifier);
    ``early_stopping`` is the patience in epochs (0: off); ``data_dir`` and
    ``out`` are ``None`` when unset.  ``model`` picks the network (``mlp``,
    ``cnn``, ``mnist-cnn``); ``channels`` are the widths of the ``cnn``'s
    convolutions (``hidden`` then the widths of its dense layers).
    """

    dataset: str = "digits"
    data_dir: str | None = None
    model: str = "mlp"
    channels: tuple[int, ...] = (32, 64)
    hidden: tuple[int, ...] = (256,)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float | None = None
    epochs: int = 50
    batch_size: int = 32
    weight_decay: float | None = None
    l2: float = 0.0
    dropout: float = 0.3
    norm: str = "none"
    residual: bool = False
    early_stopping: int = 10
    seed: int = 0
    dtype: str = "float32"
    out: str | None = None
    progress: bool = True
    # Run on every rank of an MPI job (mpiexec -n N tapegrad train --distributed).
    distributed: bool = False
    # Language models only (lm_config.py fills them for --dataset names / text).
    text_file: str | None = None
    block: int | None = None
    embed: int | None = None
    layers: int | None = None
    heads: int | None = None

    def to_dict(self) -> dict:
        """The options as a plain dict, in field order (``hidden`` as a list)."""
        out = {}
        for f in fields():
            value = getattr(self, f)
            out[f] = list(value) if isinstance(value, tuple) else value
        return out


def fields() -> list[str]:
    """The option names, in the order they are documented and written."""
    return [f.name for f in dataclasses.fields(TrainConfig)]


# ----------------------------------------------------------------- coercion
def _choice(value, choices, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"expected one of {', '.join(choices)}, got {value!r}")
    key = value.strip().lower().replace("_", "-")
    if key not in choices:
        raise ConfigError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
    return key


def _number(value, kind, what: str):
    """``value`` (a string or a TOML number) as ``kind`` (int or float)."""
    if isinstance(value, bool):
        raise ConfigError(f"expected {what}, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if kind is int else float(text)
        except ValueError:
            raise ConfigError(f"expected {what}, got {value!r}") from None
    if kind is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    if kind is int and not isinstance(value, int):
        raise ConfigError(f"expected {what}, got {value!r}")
    if kind is float and not isinstance(value, (int, float)):
        raise ConfigError(f"expected {what}, got {value!r}")
    value = kind(value)
    if kind is float and not math.isfinite(value):
        raise ConfigError(f"expected {what}, got {value!r}")
    return value


def _hidden(value) -> tuple[int, ...]:
    if isinstance(value, str):
        text = value.strip()
        parts = [] if text in ("", "none") else text.split(",")
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise ConfigError(f"expected widths like 128,64, got {value!r}")
    widths = []
    for part in parts:
        if isinstance(part, str):
            part = part.strip()
            ok = part.isdigit()
        else:
            ok = isinstance(part, int) and not isinstance(part, bool)
        if not ok or int(part) < 1:
            raise ConfigError(
                f"expected comma-separated positive widths like 128,64, got {value!r} "
                f"(bad entry {part!r})"
            )
        widths.append(int(part))
    return tuple(widths)


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"expected true or false, got {value!r}")


def _path(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"expected a path, got {value!r}")
    return value or None


def _at_least(value, low, what: str, inclusive: bool = True):
    if value < low or (not inclusive and value == low):
        raise ConfigError(f"{what} must be {'>=' if inclusive else '>'} {low:g}, got {value!r}")
    return value


def coerce(name: str, value):
    """``value`` for option ``name``, converted and checked; raises :class:`ConfigError`.

    ``value`` is a command-line string or a TOML value (str, int, float,
    bool, list).  The message does not name the option: callers prefix it
    with ``--name`` or the TOML file and key.
    """
    if name == "dataset":
        return _choice(value, DATASETS, "data set")
    if name == "activation":
        return _choice(value, tuple(ACTIVATIONS), "activation")
    if name == "optimizer":
        return _choice(value, OPTIMIZERS, "optimizer")
    if name == "model":
        return _choice(value, MODELS, "model")
    if name == "norm":
        return _choice(value, NORMS, "normalisation")
    if name == "dtype":
        return _choice(value, DTYPES, "dtype")
    if name in ("data_dir", "out", "text_file"):
        return _path(value)
    if name in ("hidden", "channels"):
        return _hidden(value)
    if name in ("residual", "progress", "distributed"):
        return _bool(value)
    if name == "lr":
        return _at_least(_number(value, float, "a positive number"), 0.0, "learning rate", False)
    if name in ("weight_decay", "l2"):
        return _at_least(_number(value, float, "a number >= 0"), 0.0, name.replace("_", " "))
    if name == "dropout":
        p = _number(value, float, "a probability in [0, 1)")
        if not 0.0 <= p < 1.0:
            raise ConfigError(f"dropout probability must be in [0, 1), got {p!r}")
        return p
    if name == "epochs":
        return _at_least(_number(value, int, "a whole number >= 1"), 1, "epochs")
    if name == "batch_size":
        return _at_least(_number(value, int, "a whole number >= 1"), 1, "batch size")
    if name == "early_stopping":
        return _at_least(_number(value, int, "a whole number >= 0"), 0, "patience (0 is off)")
    if name == "seed":
        return _at_least(_number(value, int, "a whole number >= 0"), 0, "seed")
    if name in ("block", "embed", "layers", "heads"):
        return _at_least(_number(value, int, "a whole number >= 1"), 1, name)
    raise ConfigError(f"unknown option {name!r}")


# --------------------------------------------------------------------- TOML
def _toml_key(key: str) -> str:
    key = key.replace("-", "_")
    return "progress" if key == "no_progress" else key


def load_toml(path: str | os.PathLike) -> dict:
    """Read a config file: ``{option: checked value}`` for the keys it sets.

    Raises :class:`ConfigError` (one line, naming the file) when the file is
    missing or unreadable, is not TOML, has a key that is not an option
    (naming the key), or a value an option cannot take.
    """
    path = Path(path)
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(f"{path}: reading TOML on Python 3.10 needs the tomli package")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path}: is a folder, expected a .toml file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc})") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML ({exc})") from None
    known = fields()
    values = {}
    for raw_key, value in table.items():
        key = _toml_key(raw_key)
        if key not in known:
            raise ConfigError(
                f"config file {path}: unknown key {raw_key!r}; known keys: {', '.join(known)}"
            )
        if raw_key.replace("-", "_") == "no_progress":
            value = not _bool(value) if isinstance(value, bool) else value
        try:
            values[key] = coerce(key, value)
        except ConfigError as exc:
            raise ConfigError(f"config file {path}: {raw_key}: {exc}") from None
    return values


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dumps(config: TrainConfig, header: str = "") -> str:
    """``config`` as TOML text, one ``key = value`` line per option.

    Unset paths (``data_dir``, ``out``) are written as comments, and ``out``
    always is, so that ``tapegrad train --config`` on the file starts a new
    run folder instead of overwriting the old one.
    """
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for key, value in config.to_dict().items():
        if key == "out" or value is None:
            shown = "" if value is None else _toml_value(value)
            lines.append(f"# {key} = {shown}".rstrip())
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ resolve
def resolve(file_values: dict, flag_values: dict) -> TrainConfig:
    """Defaults, then the TOML file's values, then the command line's.

    Both dicts map option names to values already passed through
    :func:`coerce`.  Fills ``lr`` and ``weight_decay`` from the optimiser when
    unset, and checks combinations (``--data-dir`` is needed for MNIST).
    """
    merged = {**file_values, **flag_values}
    from tapegrad.run.lm_config import lm_defaults

    merged = lm_defaults(merged)
    config = TrainConfig(**merged)
    if config.lr is None:
        config.lr = DEFAULT_LR[config.optimizer]
    if config.weight_decay is None:
        config.weight_decay = DEFAULT_WEIGHT_DECAY.get(config.optimizer, 0.0)
    if config.model == "cnn" and not config.channels:
        raise ConfigError("--model cnn needs at least one convolution: --channels 32,64")
    if config.dataset in ("mnist", "fashion-mnist") and config.data_dir is None:
        raise ConfigError(
            f"--dataset {config.dataset} needs --data-dir, the folder holding the four "
            "IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...); "
            "tapegrad never downloads anything"
        )
    return config
