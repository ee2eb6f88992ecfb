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
    except (ValueError, TypeError) as exc:
        raise C.ConfigError(f"cannot build the model: {exc}") from None
    optimizer = build_optimizer(config, model.parameters())
    return Prepared(config, split, info, model, optimizer, PenalisedLoss(model, config.l2))
