"""``tapegrad.backends.mkldnn``: tapegrad does not use oneDNN (mkldnn);
``enabled`` keeps PyTorch's default and may be set (it changes nothing)."""

from __future__ import annotations

enabled = True


def is_available() -> bool:
    """False: NumPy's own kernels do the work."""
    return False
