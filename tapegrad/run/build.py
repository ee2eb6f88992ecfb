"""Build what a run needs from a :class:`~tapegrad.run.config.TrainConfig`.

:func:`prepare` loads the data set and builds the model, the optimiser and
the loss, raising ``ConfigError`` or ``DataError`` for bad input.  It writes
nothing, so ``tapegrad train`` can check everything before it creates the
run folder.  ``tapegrad evaluate`` and ``predict`` rebuild a saved model with
the same :func:`build_model`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad import backend as B
from tapegrad import optim
from tapegrad.data import dataset_info, load_dataset
from tapegrad.run import config as C

__all__ = [
    "PenalisedLoss",
    "Prepared",
    "Standardize",
    "build_model",
    "build_optimizer",
    "prepare",
    "to_tensors",
]


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
    """Input standardisation, then the network ``config.model`` names:
    ``nn.MLP([features, *hidden, classes])`` with the config's activation,
    normalisation, dropout, residual connections; or a CNN (:func:`cnn`,
    :func:`mnist_cnn`) on the rows unflattened into images.  In the
    config's dtype."""
    if config.model == "mlp":
        net = _mlp(config, [features, *config.hidden, classes])
    else:
        image = _image_shape(config, features)
        build = mnist_cnn if config.model == "mnist-cnn" else cnn
        net = nn.Sequential(nn.Unflatten(1, (1, *image)), *build(config, image, classes))
    name = "mlp" if config.model == "mlp" else "cnn"  # (an MLP's keys: as in earlier runs)
    model = nn.Sequential(OrderedDict([("standardize", Standardize(features)), (name, net)]))
    return model.double() if config.dtype == "float64" else model


def _mlp(config: C.TrainConfig, widths: list[int]):
    return nn.MLP(
        widths,
        activation=getattr(nn, C.ACTIVATIONS[config.activation]),
        residual=config.residual,
        norm=None if config.norm == "none" else config.norm,
        dropout=config.dropout,
    )


# The image size a fixed network takes (``cnn`` adapts to the data).
INPUT_IMAGE = {"mnist-cnn": (28, 28)}


def _image_shape(config: C.TrainConfig, features: int) -> tuple[int, int]:
    """The data set's image size, checked against what ``config.model`` takes."""
    info = dataset_info(config.dataset)
    if info.image_shape is None:
        raise C.ConfigError(
            f"--model {config.model} needs images; the {config.dataset} data set has "
            f"{features} features per example and no image shape"
        )
    wanted = INPUT_IMAGE.get(config.model, info.image_shape)
    if tuple(wanted) != tuple(info.image_shape):
        raise C.ConfigError(
            f"--model {config.model} takes {_size(wanted)} images but the {config.dataset} "
            f"data set has {_size(info.image_shape)} images"
        )
    return tuple(info.image_shape)


def _size(shape) -> str:
    return "x".join(map(str, shape)) + f" ({shape[0] * shape[1]} pixels)"


def cnn(config: C.TrainConfig, image: tuple[int, int], classes: int) -> list:
    """The layers of ``--model cnn`` after the image is unflattened: for each
    of ``config.channels`` a 3x3 convolution (padding 1: the image keeps its
    size) and the activation; one 2x2 max pooling; then the dense layers
    ``hidden`` as an MLP (dropout, normalisation as for ``--model mlp``)
    down to the classes.  The layout of PyTorch's examples/mnist, sized for
    any image."""
    activation = getattr(nn, C.ACTIVATIONS[config.activation])
    layers, width = [], 1
    for c in config.channels:
        layers += [nn.Conv2d(width, c, 3, padding=1), activation()]
        width = c
    h, w = image
    layers += [nn.MaxPool2d(2), nn.Flatten()]
    layers.append(_mlp(config, [width * (h // 2) * (w // 2), *config.hidden, classes]))
    return layers


def mnist_cnn(config: C.TrainConfig, image: tuple[int, int], classes: int) -> list:
    """The layers of ``--model mnist-cnn``: the network of PyTorch's examples/mnist for
    28x28 images: Conv2d(1, 32, 3), ReLU, Conv2d(32, 64, 3), ReLU, max pool 2,
    Dropout(0.25), Flatten, Linear(9216, 128), ReLU, Dropout(0.5),
    Linear(128, classes)."""
    return [
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, classes),
    ]


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


def _check_takes(model, config: C.TrainConfig, rows) -> None:
    """Run the model once on two training rows, so that a shape it cannot
    take fails before anything is written or trained."""
    from tapegrad.nn.summary import trace

    try:
        trace(model, input_data=tg.tensor(rows.astype(config.dtype)))
    except ValueError as exc:
        raise C.ConfigError(
            f"--model {config.model}: {str(exc).removeprefix('summary: ')}"
        ) from None


@dataclass
class Prepared:
    """Everything a run needs, built and checked before anything is written."""

    config: C.TrainConfig
    split: object
    info: object
    model: object
    optimizer: object
    loss_fn: PenalisedLoss


def to_tensors(x, y, dtype: str):
    """Inputs ``x`` as a ``dtype`` tensor and labels ``y`` as a tensor, from host arrays."""
    return tg.tensor(x.astype(dtype)), tg.tensor(y)


def prepare(config: C.TrainConfig) -> Prepared:
    """Load the data and build model, optimiser and loss; raises ConfigError or DataError."""
    out = config.out
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise C.ConfigError(f"--out {out}: exists and is not a folder")
    info = dataset_info(config.dataset)
    split = load_dataset(config.dataset, config.data_dir, seed=config.seed)
    # The split has its own generator; this one draws the initial weights and dropout masks.
    tg.manual_seed(config.seed)
    try:
        model = build_model(config, info.features, info.classes)
        model.standardize.fit_to(split.x_train)
    except C.ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise C.ConfigError(f"cannot build the model: {exc}") from None
    _check_takes(model, config, split.x_train[:2])
    optimizer = build_optimizer(config, model.parameters())
    return Prepared(config, split, info, model, optimizer, PenalisedLoss(model, config.l2))
