"""The per-epoch progress bar of ``fit`` (tqdm, imported only when shown)."""

from __future__ import annotations

import sys

__all__ = ["progress_bar"]


class _NoBar:
    """Stands in for a bar when none is shown."""

    def update(self, n: int = 1, postfix: dict | None = None) -> None: ...
    def set_postfix(self, postfix: dict) -> None: ...
    def close(self) -> None: ...


class _TqdmBar:
    def __init__(self, bar):
        self.bar = bar

    def update(self, n: int = 1, postfix: dict | None = None) -> None:
        if postfix is not None:
            self.bar.set_postfix(_fmt(postfix), refresh=False)
        self.bar.update(n)

    def set_postfix(self, postfix: dict) -> None:
        self.bar.set_postfix(_fmt(postfix))

    def close(self) -> None:
        self.bar.close()


def _fmt(postfix: dict) -> dict:
    return {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in postfix.items()}


def progress_enabled(progress: bool) -> bool:
    """Whether to draw bars: asked for, stdout is a terminal, tqdm installed."""
    if not progress:
        return False
    try:
        if not sys.stdout.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def progress_bar(total: int | None, desc: str, enabled: bool):
    """A bar over ``total`` batches labelled ``desc``, or a silent stand-in."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    bar = tqdm(
        total=total, desc=desc, leave=True, dynamic_ncols=True, unit="batch", file=sys.stdout
    )
    return _TqdmBar(bar)
