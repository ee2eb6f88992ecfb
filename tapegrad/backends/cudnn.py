"""``tapegrad.backends.cudnn``: cuDNN is not available; its flags keep
PyTorch's defaults and may be set (they change nothing)."""

from __future__ import annotations

import contextlib

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: tapegrad does not use cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN library is loaded (as PyTorch without it)."""
    return None


@contextlib.contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
):
    """Set the flags inside a ``with`` block and restore them after it."""
    new = dict(
        enabled=enabled,
        benchmark=benchmark,
        benchmark_limit=benchmark_limit,
        deterministic=deterministic,
        allow_tf32=allow_tf32,
    )
    settings = globals()  # (this module's flags)
    old = {name: settings[name] for name in new}
    settings.update(new)
    try:
        yield
    finally:
        settings.update(old)
