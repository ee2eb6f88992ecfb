"""Pictures of the lecture's experiments, one PNG each.

matplotlib is imported only inside these functions, with the Agg backend
(no display needed).  Each function takes an experiment's result and a
path, writes the PNG atomically and returns the path.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from tapegrad._plot import matplotlib_available, save_png
from tapegrad._plot import pyplot as _pyplot

__all__ = [
    "matplotlib_available",
    "plot_early_stopping",
    "plot_gradient_statistics",
    "plot_optimizers",
    "plot_regularisation",
    "plot_vanishing_gradients",
]

DPI = 80
ZERO_FLOOR = 1e-46  # where exactly-zero gradient norms are drawn on a log axis


def _save(fig, path) -> Path:
    return save_png(fig, path, DPI)


def _epochs(values: list[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def plot_vanishing_gradients(plain, residual, path: str | os.PathLike) -> Path:
    """Left: ``||dz/dW(l)||`` per layer, plain vs residual (log scale; exact
    zeros drawn as crosses on the floor). Right: spread of ``o(l)`` over inputs."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    layers = list(range(1, plain.depth + 1))
    for res, colour, label in ((plain, "C3", "plain sigmoid"), (residual, "C0", "residual")):
        if res is None:
            continue
        live = [(ly, g) for ly, g in zip(layers, res.grad_norms) if g > 0]
        dead = [ly for ly, g in zip(layers, res.grad_norms) if g == 0]
        ax1.semilogy(
            [p[0] for p in live], [p[1] for p in live], "o-", ms=3, color=colour, label=label
        )
        if dead:
            ax1.semilogy(
                dead, [ZERO_FLOOR] * len(dead), "x", color=colour, label=f"{label}: exactly 0"
            )
        live = [(ly, s) for ly, s in zip(layers, res.spread) if s > 0]
        dead = [ly for ly, s in zip(layers, res.spread) if s == 0]
        ax2.semilogy(
            [p[0] for p in live], [p[1] for p in live], "o-", ms=3, color=colour, label=label
        )
        if dead:
            ax2.semilogy(
                dead, [ZERO_FLOOR] * len(dead), "x", color=colour, label=f"{label}: exactly 0"
            )
    ax1.axhline(1e-8, color="grey", ls=":", lw=1)
    ax1.set(xlabel="layer l", ylabel="||dz/dW(l)||", title="gradient norm per layer")
    ax1.legend(fontsize=7)
    ax2.axvline(plain.probe_layer, color="grey", ls=":", lw=1)
    ax2.set(
        xlabel="layer l",
        ylabel="max - min of o(l) over inputs",
        title="does o(l) depend on the input?",
    )
    ax2.legend(fontsize=7)
    return _save(fig, path)


def plot_gradient_statistics(res, path: str | os.PathLike) -> Path:
    """Noisy minibatch gradients ``g_t``, the true gradient and ``m_t`` per beta."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    steps = list(range(1, res.steps + 1))
    ax.plot(steps, res.grads, ".", ms=2, color="0.65", label="g_t (minibatch)")
    ax.axhline(res.true_grad, color="k", lw=1, label="full-batch gradient")
    for i, b in enumerate(res.betas):
        ax.plot(
            steps,
            res.ema[b],
            lw=1.8 if b == 0.95 else 1.0,
            color=f"C{i}",
            label=f"m_t, beta = {b:g}",
        )
    spread = 3 * res.grad_std
    ax.set_ylim(min(res.true_grad - spread, 0.0), max(res.true_grad + spread, 0.0))
    ax.set(xlabel="step t", ylabel="gradient", title="m_{t+1} = beta m_t + (1 - beta) g_t")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    return _save(fig, path)


def plot_optimizers(res, path: str | os.PathLike) -> Path:
    """Training loss per epoch for each optimiser (log scale)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name in res.names:
        ax.semilogy(_epochs(res.loss[name]), res.loss[name], label=name)
    ax.set(
        xlabel="epoch",
        ylabel="training cross-entropy",
        title=f"spirals, same learning rate {res.lr:g}",
    )
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_early_stopping(res, path: str | os.PathLike) -> Path:
    """Validation loss without stopping, the stopped run, best and stop epochs."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(
        _epochs(res.full_val_loss), res.full_val_loss, color="0.7", label="validation, no stopping"
    )
    ax.plot(_epochs(res.val_loss), res.val_loss, color="C3", label="validation")
    ax.plot(_epochs(res.train_loss), res.train_loss, color="C0", label="training")
    ax.axvline(res.best_epoch, color="C2", ls="--", lw=1, label=f"best epoch {res.best_epoch}")
    ax.axvline(res.stopped_epoch, color="k", ls=":", lw=1, label=f"stopped at {res.stopped_epoch}")
    ax.set(xlabel="epoch", ylabel="cross-entropy", title="early stopping, then backtrack")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_regularisation(res, path: str | os.PathLike) -> Path:
    """Training (dashed) and validation (solid) loss per setting."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for i, name in enumerate(res.names):
        ep = _epochs(res.val_loss[name])
        ax.plot(ep, res.val_loss[name], color=f"C{i}", label=f"{name}: validation")
        ax.plot(ep, res.train_loss[name], color=f"C{i}", ls="--", label=f"{name}: training")
    top = max(max(v) for curves in (res.val_loss, res.train_loss) for v in curves.values())
    ax.set_ylim(0, min(1.05 * top, 1.5) if math.isfinite(top) else 1.5)
    ax.set(
        xlabel="epoch",
        ylabel="cross-entropy (no penalty)",
        title=f"L2 (lambda = {res.lam:g}) and dropout (p = {res.p:g})",
    )
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)
