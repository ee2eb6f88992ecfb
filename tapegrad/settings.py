"""PyTorch's process-wide settings that programs set at the top of a script
(``torch.set_num_threads(1)``, ``torch.use_deterministic_algorithms(True)``
in a "seed everything" function, ``torch.set_float32_matmul_precision("high")``),
with PyTorch's names, defaults, checks and errors.

They are kept and read back.  ``set_num_threads`` also sets the thread
count of NumPy's BLAS, which is the number of threads tapegrad's ops run on
(``tapegrad.intraop``); the others change nothing in what tapegrad
computes: its ops are NumPy calls, whose results are already deterministic
and in full float32 precision."""

from __future__ import annotations

import os
import warnings

from tapegrad import intraop
from tapegrad.backends import cuda as _cuda_backend

_MATMUL_PRECISIONS = ("highest", "high", "medium")

_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

_settings = {
    "num_threads": _CPUS,
    "num_interop_threads": _CPUS,
    "deterministic": False,
    "warn_only": False,
    "matmul_precision": "highest",
}


def _positive_int(n, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{what} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{what} expects a positive integer")
    return n


def set_num_threads(n: int) -> None:
    """Run ops on ``n`` threads: the BLAS's thread count, which tapegrad's
    split kernels follow; ``n`` must be a positive int."""
    _settings["num_threads"] = _positive_int(n, "set_num_threads")
    intraop.set_blas_threads(n)


def get_num_threads() -> int:
    """The count last set, at first the CPUs this process may run on."""
    return _settings["num_threads"]


def set_num_interop_threads(n: int) -> None:
    """Keep ``n`` as the inter-op thread count; ``n`` must be a positive int."""
    _settings["num_interop_threads"] = _positive_int(n, "set_num_interop_threads")


def get_num_interop_threads() -> int:
    """The count last set, at first the CPUs this process may run on."""
    return _settings["num_interop_threads"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms only (every tapegrad op is one)."""
    if not isinstance(mode, bool):
        raise TypeError(
            "use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
            f"not {type(mode).__name__}"
        )
    _settings["deterministic"] = mode
    _settings["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """The ``mode`` last given to ``use_deterministic_algorithms`` (False at first)."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` last given to ``use_deterministic_algorithms``."""
    return _settings["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """``'highest'`` (the default), ``'high'`` or ``'medium'``; as in PyTorch,
    anything but ``'highest'`` also sets ``backends.cuda.matmul.allow_tf32``,
    and an unknown name warns and changes nothing."""
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _settings["matmul_precision"] = precision
    _cuda_backend.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """The precision last set (``'highest'`` at first)."""
    return _settings["matmul_precision"]
