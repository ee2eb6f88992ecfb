"""``tapegrad.backends.openmp``: tapegrad does not use OpenMP itself."""

from __future__ import annotations


def is_available() -> bool:
    """False: tapegrad runs no OpenMP code of its own."""
    return False
