"""The lecture's experiments, each a function returning plain data.

* :func:`vanishing_gradients`: the slide "Vanishing gradients" (50 sigmoid
  layers, weights and biases ~ N(0, 0.1^2)) and its fix, 50 residual blocks.
* :func:`gradient_statistics`: the slide "Tracking gradient statistics": an
  exponential moving average of noisy minibatch gradients.

The training experiments (optimisers, early stopping, regularisation) are in
:mod:`tapegrad.lecture.training`.  Every function is deterministic given its
``seed`` and leaves tapegrad's global random state as it found it.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import tapegrad as tg
from tapegrad import nn

__all__ = [
    "SLIDE_SEED",
    "GradientStatistics",
    "VanishingGradients",
    "gradient_statistics",
    "seeded",
    "vanishing_gradients",
]

EFFECTIVELY_ZERO = 1e-8
# The slide's draw is its own; among tapegrad's seeds, this is the first whose
# 50 sigmoid layers give the slide's forward value z_50 = 0.5167.
SLIDE_SEED = 1170


@contextlib.contextmanager
def seeded(seed: int):
    """Run the block with ``tg.manual_seed(seed)``, then restore the previous
    state of tapegrad's default generator."""
    state = tg.get_rng_state()
    tg.manual_seed(seed)
    try:
        yield
    finally:
        tg.set_rng_state(state)


# ----------------------------------------------------------- vanishing grads
@dataclass
class VanishingGradients:
    """Result of :func:`vanishing_gradients`.

    * ``z``: the network's output ``z_L`` for the input ``x`` (the mean over
      units when ``width > 1``);
    * ``grad_norms[l-1]``: ``||dz/dW(l)||`` for layer ``l = 1 .. depth``
      (Frobenius norm over the layer's weight matrices: ``W`` for a plain
      layer, ``W`` and ``V`` for a residual block; computed in float64 from
      the float32 gradients, so a tiny gradient is not squared to zero);
    * ``effectively_zero``: layers with ``grad_norm < 1e-8``;
      ``truly_zero``: layers whose weight gradient is exactly 0 in float32;
      ``last_effectively_zero`` / ``last_truly_zero``: the highest such layer
      (0 if none);
    * ``spread[l-1]``: ``max over units of (max - min over the inputs
      probe_inputs)`` of ``o(l)``; ``probe_spread``: its value at layer
      ``probe_layer`` (30 on the slide): 0 means that layer's output is the
      same whatever the input.
    """

    depth: int
    width: int
    residual: bool
    seed: int
    x: float
    z: float
    grad_norms: list[float]
    effectively_zero: int
    truly_zero: int
    last_effectively_zero: int
    last_truly_zero: int
    probe_inputs: list[float]
    spread: list[float]
    probe_layer: int
    probe_spread: float


def _normal_init(model: nn.Module, std: float) -> None:
    """Every parameter (weights and biases) ~ N(0, std^2)."""
    with tg.no_grad():
        for p in model.parameters():
            nn.init.normal_(p, 0.0, std)


def _deep_layers(depth: int, width: int, residual: bool) -> nn.ModuleList:
    if residual:
        layers = [nn.ResidualMLPBlock(width, width, activation=nn.Sigmoid) for _ in range(depth)]
    else:
        layers = [nn.Sequential(nn.Linear(width, width), nn.Sigmoid()) for _ in range(depth)]
    return nn.ModuleList(layers)


def _grad_norm(module: nn.Module) -> tuple[float, bool]:
    """``(||grad of the weight matrices||, all exactly zero)``."""
    total, zero = 0.0, True
    for p in module.parameters():
        if p.ndim < 2:
            continue
        g = p.grad.to(tg.float64)
        total += (g * g).sum().item()
        zero = zero and not bool((g != 0).any().item())
    return math.sqrt(total), zero


def vanishing_gradients(
    depth: int = 50,
    width: int = 1,
    residual: bool = False,
    seed: int = 0,
    x: float = 1.0,
    std: float = 0.1,
    probe_layer: int = 30,
    probe_inputs: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0),
) -> VanishingGradients:
    """A ``depth``-layer sigmoid network with every weight and bias ~ N(0, std^2).

    Plain (the slide): ``o(l) = sigmoid(W(l) o(l-1) + b(l))``, ``W(l)`` of
    shape ``(width, width)``; ``width = 1`` is the slide's scalar chain
    ``z_l = sigmoid(w_l z_{l-1} + b_l)``.  ``residual=True`` (the fix):
    ``o(l) = o(l-1) + V(l) sigmoid(W(l) o(l-1) + c(l)) + b(l)``
    (``nn.ResidualMLPBlock`` with hidden width ``width``), same init.  The
    input is ``o(0) = x`` in every unit; the output ``z = mean(o(L))`` is
    differentiated with ``z.backward()`` in float32.

    Backprop multiplies ``r`` by ``sigmoid'(s) <= 1/4`` and by ``W^T`` (entries
    ~0.1) at every layer, so ``||dz/dW(l)||`` decays exponentially with
    ``L - l``; the residual path adds the identity to each factor.
    """
    if depth < 1 or width < 1:
        raise ValueError(f"vanishing_gradients: depth and width must be >= 1, got {depth}, {width}")
    with seeded(seed):
        layers = _deep_layers(depth, width, residual)
        _normal_init(layers, std)
    o = tg.full((1, width), float(x))
    for layer in layers:
        o = layer(o)
    z = o.mean()
    z.backward()
    norms, zeros = zip(*(_grad_norm(layer) for layer in layers))
    tiny = [i + 1 for i, n in enumerate(norms) if n < EFFECTIVELY_ZERO]
    dead = [i + 1 for i, zero in enumerate(zeros) if zero]

    spread = []
    with tg.no_grad():
        o = tg.tensor([[float(v)] * width for v in probe_inputs])
        for layer in layers:
            o = layer(o)
            spread.append((o.max(0)[0] - o.min(0)[0]).max().item())
    probe = min(probe_layer, depth)
    return VanishingGradients(
        depth=depth,
        width=width,
        residual=residual,
        seed=seed,
        x=float(x),
        z=z.item(),
        grad_norms=list(norms),
        effectively_zero=len(tiny),
        truly_zero=len(dead),
        last_effectively_zero=max(tiny, default=0),
        last_truly_zero=max(dead, default=0),
        probe_inputs=[float(v) for v in probe_inputs],
        spread=spread,
        probe_layer=probe,
        probe_spread=spread[probe - 1],
    )


# ------------------------------------------------------ gradient statistics
@dataclass
class GradientStatistics:
    """Result of :func:`gradient_statistics`.

    * ``true_grad``: the full-batch gradient ``g`` at the fixed parameter;
    * ``grads[t-1]``: the minibatch estimate ``g_t``, ``t = 1 .. steps``;
      ``grad_std``: their standard deviation about ``g``;
    * ``ema[beta][t-1]``: ``m_t`` with ``m_0 = 0``; ``corrected[beta]``:
      Adam's transient correction ``m_t / (1 - beta^t)``;
    * ``transient[beta]``: steps until the start-up bias ``beta^t |g|`` is
      below 5% of ``|g|``, ``ceil(ln 0.05 / ln beta)``;
    * ``noise[beta]``: standard deviation of ``m_t - g`` after the transient;
      ``noise_theory[beta] = grad_std sqrt((1 - beta) / (1 + beta))``;
    * ``rms_error[beta]``: root mean square of ``m_t - g`` over the whole run
      (transient and noise together).
    """

    betas: list[float]
    steps: int
    batch_size: int
    true_grad: float
    grads: list[float]
    grad_std: float
    ema: dict[float, list[float]]
    corrected: dict[float, list[float]]
    transient: dict[float, int]
    noise: dict[float, float]
    noise_theory: dict[float, float]
    rms_error: dict[float, float]


def _std(values: list[float], centre: float) -> float:
    return math.sqrt(sum((v - centre) ** 2 for v in values) / max(len(values), 1))


def _minibatch_grads(n: int, steps: int, batch_size: int, theta: float):
    """Gradients of ``1/2 mean (theta x_i - y_i)^2`` wrt ``theta`` on a data
    set ``y = 2 x + noise``: the full-batch one and ``steps`` minibatch ones."""
    xs = tg.randn(n, dtype=tg.float64)
    ys = 2.0 * xs + tg.randn(n, dtype=tg.float64)
    th = tg.tensor(float(theta), dtype=tg.float64, requires_grad=True)

    def grad_on(x, y) -> float:
        th.grad = None
        (0.5 * ((th * x - y) ** 2).mean()).backward()
        return th.grad.item()

    full = grad_on(xs, ys)
    grads = []
    for _ in range(steps):
        idx = tg.randint(0, n, (batch_size,))
        grads.append(grad_on(xs[idx], ys[idx]))
    return full, grads


def gradient_statistics(
    beta: float = 0.95,
    steps: int = 400,
    seed: int = 0,
    betas: tuple[float, ...] = (0.5, 0.8, 0.99),
    batch_size: int = 5,
    n: int = 1000,
    theta: float = 0.0,
) -> GradientStatistics:
    """Exponential moving averages ``m_{t+1} = beta m_t + (1 - beta) g_t`` of
    minibatch gradient estimates ``g_t``.

    The problem: least squares ``1/2 mean (theta x - y)^2`` on ``n`` points
    with ``y = 2x + N(0, 1)``, the parameter held fixed at ``theta`` so that
    the quantity tracked (the full-batch gradient, about -2) stands still and
    only the estimator moves; ``g_t`` is the gradient on a random minibatch of
    ``batch_size`` points (computed with ``backward()``).  ``beta`` and
    ``betas`` are compared: a small ``beta`` follows the noise, a large one
    takes ``~3 / (1 - beta)`` steps to forget ``m_0 = 0`` (the transient).
    """
    all_betas = sorted({float(beta), *map(float, betas)})
    for b in all_betas:
        if not 0.0 < b < 1.0:
            raise ValueError(f"gradient_statistics: every beta must be in (0, 1), got {b}")
    with seeded(seed):
        g_true, grads = _minibatch_grads(n, steps, batch_size, theta)
    ema, corrected, transient, noise, theory, rms = {}, {}, {}, {}, {}, {}
    grad_std = _std(grads, g_true)
    for b in all_betas:
        m, series, fixed = 0.0, [], []
        for t, g in enumerate(grads, start=1):
            m = b * m + (1.0 - b) * g
            series.append(m)
            fixed.append(m / (1.0 - b**t))
        ema[b], corrected[b] = series, fixed
        transient[b] = math.ceil(math.log(0.05) / math.log(b))
        after = series[transient[b] :]
        noise[b] = _std(after, g_true) if after else math.nan
        theory[b] = grad_std * math.sqrt((1.0 - b) / (1.0 + b))
        rms[b] = _std(series, g_true)
    return GradientStatistics(
        betas=all_betas,
        steps=steps,
        batch_size=batch_size,
        true_grad=g_true,
        grads=grads,
        grad_std=grad_std,
        ema=ema,
        corrected=corrected,
        transient=transient,
        noise=noise,
        noise_theory=theory,
        rms_error=rms,
    )
