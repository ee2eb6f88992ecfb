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
    "plot_activations",
    "plot_early_stopping",
    "plot_finite_differences",
    "plot_gradient_statistics",
    "plot_normalization",
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


def plot_optimizers(res, path: str | os.PathLike, paths=None) -> Path:
    """Training loss per epoch for each optimiser (log scale); with ``paths``
    (an ``OptimizerPaths``), a second panel beside it: each optimiser's path
    over the contour plot of the 2-D function."""
    plt = _pyplot()
    if paths is None:
        fig, ax = plt.subplots(figsize=(6, 3.4))
    else:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=(1, 1.1))
    for name in res.names:
        ax.semilogy(_epochs(res.loss[name]), res.loss[name], label=name, color=_colour(name))
    ax.set(
        xlabel="epoch",
        ylabel="training cross-entropy",
        title=f"spirals, same learning rate {res.lr:g}",
    )
    ax.legend(fontsize=8)
    if paths is not None:
        _draw_paths(ax2, paths)
    return _save(fig, path)


# one colour per optimiser in both panels of plot_optimizers
_OPTIMIZER_COLOURS = {
    "SGD": "C0",
    "EMAMomentum": "C1",
    "RMSprop": "C2",
    "Adam": "C3",
    "SGD(momentum=0.9)": "C4",
}


def _colour(name: str) -> str | None:
    return _OPTIMIZER_COLOURS.get(name)


def _draw_paths(ax, res) -> None:
    """Contours of ``res``'s function (log-spaced levels) and each path."""
    import numpy as np

    x0, x1, y0, y1 = res.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    fz = res.values(gx, gy)
    levels = np.logspace(-2, math.log10(max(float(fz.max()), 1.0)), 18)
    ax.contour(gx, gy, fz, levels=levels, colors="0.7", linewidths=0.6)
    for i, name in enumerate(res.names):
        colour = _colour(name) or f"C{5 + i}"
        xs = [p[0] for p in res.paths[name]]
        ys = [p[1] for p in res.paths[name]]
        label = f"{name}, lr {res.lr[name]:g}: f = {res.final_loss[name]:.2g}"
        ax.plot(xs, ys, "-", lw=1.2, color=colour, label=label)
        ax.plot(xs[-1:], ys[-1:], "o", ms=4, color=colour)
    ax.plot(*res.start, "ks", ms=5, label="start")
    ax.plot(*res.minimum, "k*", ms=10, label="minimum")
    ax.set(
        xlim=(x0, x1),
        ylim=(y0, y1),
        xlabel="x",
        ylabel="y",
        title=f"{res.function}, {res.steps} steps from {res.start}",
    )
    ax.legend(fontsize=7, loc="upper right")


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


def plot_finite_differences(res, path: str | os.PathLike) -> Path:
    """``max |FD - backprop|`` against ``eps`` (log-log): forward and central
    differences in float32 and float64, with slope-1 and slope-2 truncation
    lines and the rounding lines ``machine eps |L| / eps``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    eps = res.eps
    colours = {
        ("forward", "float32"): "C3",
        ("forward", "float64"): "C1",
        ("central", "float32"): "C4",
        ("central", "float64"): "C0",
    }
    for m in res.methods:
        for p in res.precisions:
            ax.loglog(
                eps,
                res.errors[m][p],
                "--" if p == "float32" else "-",
                marker="s" if p == "float32" else "o",
                ms=3,
                color=colours[m, p],
                label=f"{m}, {p}: best {res.min_error[m][p]:.1e}",
            )
    for m, order, style in (("forward", 1, ":"), ("central", 2, (0, (1, 3)))):
        c = res.errors[m]["float64"][0] / eps[0] ** order
        ax.loglog(
            eps, [c * e**order for e in eps], ls=style, color="0.3", lw=1, label=f"slope {order}"
        )
    scale = max(abs(res.loss), 1.0)
    for p, grey in (("float32", "0.55"), ("float64", "0.3")):
        u = res.machine_eps[p]
        ax.loglog(
            eps,
            [u * scale / e for e in eps],
            "-.",
            color=grey,
            lw=1,
            label=f"rounding, {p}: {u:.1e} |L| / eps",
        )
    errs = [v for per in res.errors.values() for curve in per.values() for v in curve]
    ax.set_ylim(min(errs) / 10, max(errs) * 10)
    ax.text(
        eps[-1],
        res.grad_max * 2.5,
        "float32: theta + eps == theta, FD = 0",
        fontsize=7,
        color="C3",
    )
    ax.set(
        xlabel="eps",
        ylabel="max |FD - backprop (float64)|",
        title="truncation ~eps (forward), ~eps^2 (central); rounding ~machine eps / eps:\n"
        "central differences in float64 get closest -- what gradcheck uses",
    )
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _save(fig, path)


def plot_activations(res, path: str | os.PathLike) -> Path:
    """One small panel per activation: ``f(x)`` (solid) and ``f'(x)`` from the
    backward pass (dashed) on the grid, 4 panels a row."""
    plt = _pyplot()
    cols = 4
    rows = math.ceil(len(res.names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.3 * rows), sharex=True, squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, name in zip(flat, res.names):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(res.grid, res.value[name], color="C0", lw=1.5, label="f(x)")
        ax.plot(res.grid, res.derivative[name], color="C3", lw=1.2, ls="--", label="f'(x)")
        ax.set_title(f"{name}: max f' = {res.max_derivative[name]:.3g}", fontsize=9)
        ax.tick_params(labelsize=7)
        lo = min(min(res.value[name]), min(res.derivative[name]))
        hi = max(max(res.value[name]), max(res.derivative[name]))
        pad = 0.08 * max(hi - lo, 1e-12)
        ax.set_ylim(max(lo, -2.5) - pad, min(hi, 3.0) + pad)
    for ax in flat[len(res.names) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("x", fontsize=8)
    flat[0].legend(fontsize=7, loc="upper left")
    return _save(fig, path)


def plot_normalization(res, path: str | os.PathLike) -> Path:
    """Top: training loss per epoch with no normalisation, layer norm and
    batch norm (log scale, the target loss dotted).  Below, one panel per
    variant: the 5-95% (light) and 25-75% (dark) bands and the median of
    ``s(l)``, the input of the l-th sigmoid, against depth l, before (grey)
    and after (colour) training; shaded: |s| <= 2, sigmoid's non-constant region."""
    plt = _pyplot()
    fig = plt.figure(figsize=(10, 6.4))
    grid = fig.add_gridspec(2, len(res.names), height_ratios=[1, 1.1])
    ax = fig.add_subplot(grid[0, :])
    for i, name in enumerate(res.names):
        ax.semilogy(_epochs(res.loss[name]), res.loss[name], color=f"C{i}", label=name)
    ax.axhline(res.target_loss, color="grey", ls=":", lw=1, label=f"target {res.target_loss:g}")
    ax.set(
        xlabel="epoch",
        ylabel="training cross-entropy",
        title=f"{res.depth} sigmoid layers of width {res.width}, digits, Adam lr {res.lr:g}",
    )
    ax.legend(fontsize=8)
    layers = list(range(1, res.depth + 1))
    qs = list(res.quantiles)
    lo, q1, mid, q3, hi = (qs.index(q) for q in (5, 25, 50, 75, 95))
    rows = [q for table in (res.start, res.end) for v in table.values() for q in v]
    top = max(max(abs(q[lo]), abs(q[hi])) for q in rows)
    top = 1.05 * top if math.isfinite(top) and top > 0 else 5.0
    first = None
    for i, name in enumerate(res.names):
        axv = fig.add_subplot(grid[1, i], sharey=first)
        first = first or axv
        axv.axhspan(-2, 2, color="C8", alpha=0.12, lw=0, label="|s| <= 2")
        for table, colour, when in ((res.start, "0.45", "start"), (res.end, f"C{i}", "end")):
            rows = table[name]
            axv.fill_between(
                layers, [q[lo] for q in rows], [q[hi] for q in rows], color=colour, alpha=0.18
            )
            axv.fill_between(
                layers, [q[q1] for q in rows], [q[q3] for q in rows], color=colour, alpha=0.35
            )
            axv.plot(layers, [q[mid] for q in rows], "o-", ms=2.5, color=colour, label=when)
        axv.set_ylim(-top, top)
        axv.set(xlabel="layer l", title=name)
        if i == 0:
            axv.set_ylabel("s(l), input of the sigmoid")
        axv.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _save(fig, path)
