"""The slides "Normalize" and "Layer norm": a deep sigmoid MLP trained with
no normalisation, with layer norm and with batch norm before each activation.

* :func:`normalization` -- the three training curves from the same initial
  weights, and the distribution of ``s(l)``, the input of the ``l``-th
  sigmoid, at the start and at the end of training.

Deterministic given ``seed``; tapegrad's global random state is restored.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

import tapegrad as tg
from tapegrad import nn, optim
from tapegrad.data import DataLoader, TensorDataset, digits_split
from tapegrad.lecture.experiments import seeded

__all__ = ["NORMS", "Normalization", "normalization"]

# variant name -> ``MLP(norm=...)``
NORMS = {"none": None, "layer norm": "layer", "batch norm": "batch"}
QUANTILES = (5, 25, 50, 75, 95)


@dataclass
class Normalization:
    """Result of :func:`normalization`; one entry per variant in ``names``
    (``"none"``, ``"layer norm"``, ``"batch norm"``).

    * ``loss[name]``: training cross-entropy per epoch (the mean over the
      epoch's minibatches, in training mode);
    * ``epochs_to_target[name]``: the first epoch whose loss is
      ``<= target_loss`` (None if none is); ``final_loss[name]``: the last
      epoch's loss;
    * ``initial_weight_norm[name]``: ``sqrt(sum of w^2 + b^2)`` over the
      Linear layers before training -- the same for all three, which start
      from the same weights;
    * ``start[name][l-1]`` / ``end[name][l-1]``: the ``quantiles`` (percent)
      of ``s(l)``, the input of the ``l``-th sigmoid (``l = 1 .. depth``), on
      the probe batch (the first ``probe`` training images, pooled over
      images and units) before and after training.  ``s(l)`` is what the
      activation sees: ``W o(l-1) + b`` without normalisation, and
      ``g * a' + b`` after layer or batch norm (batch norm with the probe
      batch's own statistics, as in training);
    * ``spread_start[name][l-1]`` / ``spread_end[name][l-1]``: the width of
      the middle 90% of ``s(l)``, i.e. the 95% quantile minus the 5% one.
    """

    names: list[str]
    depth: int
    width: int
    epochs: int
    lr: float
    batch_size: int
    init_gain: float
    target_loss: float
    probe: int
    n_train: int
    quantiles: list[float]
    loss: dict[str, list[float]]
    epochs_to_target: dict[str, int | None]
    final_loss: dict[str, float]
    initial_weight_norm: dict[str, float]
    start: dict[str, list[list[float]]]
    end: dict[str, list[list[float]]]
    spread_start: dict[str, list[float]]
    spread_end: dict[str, list[float]]


def _linears(model) -> list:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _weight_norm(model) -> float:
    total = 0.0
    for lin in _linears(model):
        for p in (lin.weight, lin.bias):
            total += float(np.sum(np.asarray(p.detach().numpy(), dtype=np.float64) ** 2))
    return math.sqrt(total)


def _activation_inputs(model, x) -> list[np.ndarray]:
    """``s(l)`` for every sigmoid of ``model`` on the batch ``x``, read by
    forward hooks on a copy in training mode (batch norm then uses the
    batch's statistics, and the model's running statistics stay untouched)."""
    probe = copy.deepcopy(model)
    probe.train()
    seen: list[np.ndarray] = []
    handles = [
        m.register_forward_hook(lambda mod, args, out: seen.append(args[0].detach().numpy().copy()))
        for m in probe.modules()
        if isinstance(m, nn.Sigmoid)
    ]
    with tg.no_grad():
        probe(x)
    for h in handles:
        h.remove()
    return seen


def _initial_weights(sizes: list[int], seed: int, init_gain: float) -> list[dict]:
    """The Linear layers' state dicts the three variants start from:
    ``w ~ N(0, (init_gain / sqrt(fan_in))^2)``, ``b = 0``."""
    with seeded(seed):
        reference = nn.MLP(sizes, activation="sigmoid")
        for lin in _linears(reference):
            nn.init.normal_(lin.weight, 0.0, init_gain / math.sqrt(lin.in_features))
            nn.init.zeros_(lin.bias)
    return [lin.state_dict() for lin in _linears(reference)]


def _train(model, opt, loader, epochs: int) -> list[float]:
    """``epochs`` epochs of minibatch cross-entropy training; the mean
    training loss of each epoch (weighted by batch size, training mode)."""
    ce = nn.CrossEntropyLoss()
    curve = []
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            batch_loss = ce(model(xb), yb)
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * len(yb)
            count += len(yb)
        curve.append(total / count)
    return curve


def _quantiles(values: list[np.ndarray], qs) -> list[list[float]]:
    return [[float(v) for v in np.percentile(s.astype(np.float64), qs)] for s in values]


def normalization(
    seed: int = 0,
    depth: int = 10,
    width: int = 32,
    epochs: int = 30,
    target_loss: float = 0.5,
    lr: float = 0.003,
    batch_size: int = 64,
    init_gain: float = 3.0,
    probe: int = 256,
    n_train: int | None = None,
) -> Normalization:
    """Train ``MLP([64, width x depth, 10])`` with sigmoid activations on the
    bundled digits (``digits_split(seed)``'s training part, or its first
    ``n_train`` rows) with Adam (``lr`` for all) three ways, from the same
    initial weights (the Linear layers' ``state_dict`` copied from one
    network) and with the same minibatch order:

    * ``"none"``: ``o(l) = sigmoid(W o(l-1) + b)``;
    * ``"layer norm"``: ``sigmoid(g * a' + b)`` with ``a = W o(l-1) + b``,
      ``a' = (a - mean a) / sqrt(var a + eps)`` over the ``width`` units of
      each example (``nn.LayerNorm``, ``eps = 1e-5``, gain ``g`` starting at 1);
    * ``"batch norm"``: the same with mean and variance of each unit over the
      minibatch (``nn.BatchNorm1d``).

    The weights are drawn ``w ~ N(0, (init_gain / sqrt(fan_in))^2)`` with zero
    biases.  Without normalisation the spread of ``s(l)`` then changes from
    layer to layer and a good part of it lies where sigmoid is nearly flat;
    layer and batch norm start every layer at the spread of ``N(0, 1)``
    (5-95% width 3.3), sigmoid's non-constant region, and the gain ``g`` and
    bias ``b`` may move it away during training.
    """
    if depth < 1:
        raise ValueError(f"normalization: depth must be >= 1, got {depth}")
    split = digits_split(seed)
    x_np, y_np = split.x_train, split.y_train
    if n_train is not None:
        x_np, y_np = x_np[:n_train], y_np[:n_train]
    x, y = tg.tensor(x_np), tg.tensor(y_np)
    x_probe = tg.tensor(x_np[:probe])
    sizes = [x_np.shape[1]] + [width] * depth + [10]
    qs = list(QUANTILES)
    weights = _initial_weights(sizes, seed, init_gain)

    loss, reached, w_norm, start, end = {}, {}, {}, {}, {}
    for name, norm in NORMS.items():
        model = nn.MLP(sizes, activation="sigmoid", norm=norm)
        for lin, state in zip(_linears(model), weights):
            lin.load_state_dict(state)
        w_norm[name] = _weight_norm(model)
        start[name] = _quantiles(_activation_inputs(model, x_probe), qs)
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=seed)
        loss[name] = _train(model, optim.Adam(model.parameters(), lr=lr), loader, epochs)
        reached[name] = next((e for e, v in enumerate(loss[name], 1) if v <= target_loss), None)
        end[name] = _quantiles(_activation_inputs(model, x_probe), qs)

    i5, i95 = qs.index(5), qs.index(95)

    def spreads(table):
        return {k: [q[i95] - q[i5] for q in v] for k, v in table.items()}

    return Normalization(
        names=list(NORMS),
        depth=depth,
        width=width,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        init_gain=init_gain,
        target_loss=target_loss,
        probe=len(x_probe),
        n_train=len(x_np),
        quantiles=[float(q) for q in qs],
        loss=loss,
        epochs_to_target=reached,
        final_loss={k: v[-1] for k, v in loss.items()},
        initial_weight_norm=w_norm,
        start=start,
        end=end,
        spread_start=spreads(start),
        spread_end=spreads(end),
    )
