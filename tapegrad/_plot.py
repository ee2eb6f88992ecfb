"""matplotlib for tapegrad's pictures (a run's curves, the lecture's
experiments): imported only when a picture is drawn, with the
non-interactive Agg backend (no display needed), each PNG written
atomically."""

from __future__ import annotations

import os
from pathlib import Path

from tapegrad._io import atomic_path


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported (the ``plot`` extra is installed)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | os.PathLike, dpi: int) -> Path:
    """Lay ``fig`` out, write it to ``path`` as a PNG atomically, close it."""
    path = Path(path)
    try:
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    finally:
        pyplot().close(fig)
    return path
