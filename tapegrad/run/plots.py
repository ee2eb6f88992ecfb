"""The pictures of a run: learning curves and per-layer gradient norms.

matplotlib is imported only inside these functions, with the non-interactive
Agg backend, so importing tapegrad never pulls it in and plotting works
without a display.  :func:`plot_curves` and :func:`plot_gradients` take plain
lists, write one PNG atomically and return its path; :func:`plot_run` turns a
finished run's training history into both pictures.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import tapegrad as tg
from tapegrad._plot import matplotlib_available, save_png
from tapegrad._plot import pyplot as _pyplot
from tapegrad.run.report import model_name

__all__ = ["matplotlib_available", "plot_curves", "plot_filters", "plot_gradients", "plot_run"]

DPI = 100


def _clean(values) -> list[float]:
    """Floats, with ``None`` (a missing value) as NaN so matplotlib leaves a gap."""
    return [math.nan if v is None else float(v) for v in values]


def plot_curves(
    path: str | os.PathLike,
    train_loss: list[float],
    val_loss: list[float] | None,
    train_acc: list[float] | None,
    val_acc: list[float] | None,
    best_epoch: int | None = None,
    title: str = "",
) -> Path:
    """``curves.png``: loss (left) and accuracy (right) per epoch, train and validation.

    Lists hold one value per epoch (epoch 1 first); ``None`` lists are left
    out.  ``best_epoch`` (1-based) is marked by a dotted vertical line: the
    epoch whose weights were kept.
    """
    plt = _pyplot()
    epochs = list(range(1, len(train_loss) + 1))
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax_loss.plot(epochs, _clean(train_loss), "o-", ms=3, label="train")
    if val_loss:
        ax_loss.plot(epochs, _clean(val_loss), "o-", ms=3, label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.set_yscale("log")
    ax_loss.set_title("loss")
    if train_acc:
        ax_acc.plot(epochs, [100 * a for a in _clean(train_acc)], "o-", ms=3, label="train")
    if val_acc:
        ax_acc.plot(epochs, [100 * a for a in _clean(val_acc)], "o-", ms=3, label="validation")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_title("accuracy")
    for ax in (ax_loss, ax_acc):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", ls=":", lw=1, label=f"best (epoch {best_epoch})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_png(fig, path, DPI)


def plot_gradients(
    path: str | os.PathLike,
    x: list[float],
    norms: dict[str, list[float]],
    xlabel: str = "epoch",
    title: str = "",
) -> Path:
    """``gradients.png``: the gradient norm of each layer over training, log scale.

    ``norms`` maps a layer name (e.g. ``"0.weight"``) to one norm per point
    of ``x`` (epochs or steps), in network order (input layer first).
    Zero or missing norms are left out (a log scale cannot show them).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    cmap = plt.get_cmap("viridis")
    names = list(norms)
    for i, name in enumerate(names):
        values = [v if v is not None and v > 0 else math.nan for v in _clean(norms[name])]
        colour = cmap(i / max(1, len(names) - 1))
        ax.plot(x[: len(values)], values, "-", lw=1.2, color=colour, label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("gradient norm ||dL/dW||")
    ax.set_title(title or "gradient norm per layer")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2 if len(names) > 6 else 1)
    return save_png(fig, path, DPI)


MAX_MAPS = 16  # feature maps and filters shown per row


def _feature_maps(model, x) -> list[tuple[str, object]]:
    """``[(name, maps)]``: each 2-D convolution's output for the one input
    ``x`` (a tensor of one row), as an array (channels, height, width)."""
    from tapegrad import nn

    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    maps = {}
    handles = [
        m.register_forward_hook(lambda mod, args, out, n=n: maps.__setitem__(n, out))
        for n, m in convs
    ]
    was_training = model.training
    model.eval()
    try:
        with tg.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return [(n, maps[n].numpy()[0]) for n, _ in convs if n in maps]


def plot_filters(path: str | os.PathLike, model, x, image_shape, title: str = "") -> Path:
    """``filters.png``: the first convolution's learned filters (one 3x3
    kernel per output channel, grey: its weights), the input image ``x`` (a
    tensor of one row) and, one row per convolution, the feature maps it
    computes for that image (the first 16 channels each)."""
    from tapegrad import nn

    plt = _pyplot()
    maps = _feature_maps(model, x)
    name, first = next((n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d))
    kernels = first.weight.detach().numpy(force=True)[:MAX_MAPS, 0]
    rows = 1 + len(maps)
    fig, axes = plt.subplots(rows, 1 + MAX_MAPS, figsize=(1.0 + 0.9 * MAX_MAPS, 1.1 * rows + 0.6))
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].imshow(x.numpy(force=True).reshape(image_shape), cmap="gray")
    axes[0, 0].set_title("input", fontsize=8)
    for j, k in enumerate(kernels):
        axes[0, j + 1].imshow(k, cmap="gray")
    axes[0, 1].set_title(f"{name}: filters (input channel 0)", fontsize=8, loc="left")
    for i, (name, fmap) in enumerate(maps, start=1):
        axes[i, 0].text(0.5, 0.5, name, ha="center", va="center", fontsize=8)
        for j, channel in enumerate(fmap[:MAX_MAPS]):
            axes[i, j + 1].imshow(channel, cmap="viridis")
    fig.suptitle(title or "learned filters and feature maps", fontsize=10)
    return save_png(fig, path, DPI)


def _title(prep) -> str:
    """``"digits: MLP 64-256-10"``: the data set and the network."""
    return f"{prep.config.dataset}: {model_name(prep.config, prep.info)}"


def _weight_norms(prep, history) -> dict[str, list[float]]:
    """Per-epoch gradient norms of the weight matrices, as ``"layer k (name)"``.

    Only parameters with two or more dimensions count, so the picture has
    one line per layer rather than one per bias or normalisation scale.
    """
    dims = {name: p.ndim for name, p in prep.model.named_parameters()}
    weights = [name for name in history.grad_stats if dims.get(name, 0) >= 2]
    return {
        f"layer {i + 1} ({name})": history.grad_stats[name]["norm"]
        for i, name in enumerate(weights)
    }


def plot_run(folder: Path, prep, history) -> list[Path]:
    """``curves.png``, ``filters.png`` for a CNN and, when gradient norms were
    recorded, ``gradients.png`` of a run in ``folder``; returns the paths
    written (none without matplotlib or epochs)."""
    if not matplotlib_available() or not history.epochs:
        return []
    cfg, m, title = prep.config, history.metrics, _title(prep)
    written = [
        plot_curves(
            folder / "curves.png",
            m.get("loss", []),
            m.get("val_loss"),
            m.get("accuracy"),
            m.get("val_accuracy"),
            best_epoch=history.best_epoch,
            title=f"{title}, {cfg.optimizer} lr {cfg.lr:g}",
        )
    ]
    if prep.config.model != "mlp":
        x = prep.split.x_test[:1].astype(cfg.dtype)
        written.append(
            plot_filters(
                folder / "filters.png",
                prep.model,
                tg.tensor(x),
                prep.info.image_shape,
                title=f"{title}: first filters, and feature maps of test example 0",
            )
        )
    norms = _weight_norms(prep, history)
    if norms:
        title = f"{title}: gradient norm per layer (mean over each epoch)"
        written.append(plot_gradients(folder / "gradients.png", history.epochs, norms, title=title))
    return written
