"""``tapegrad.backends.mps``: Apple's Metal (MPS) device is not available."""

from __future__ import annotations


def is_available() -> bool:
    """False: tapegrad computes on the CPU."""
    return False


def is_built() -> bool:
    """False: tapegrad has no MPS build."""
    return False
