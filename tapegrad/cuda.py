"""``tapegrad.cuda``: ``torch.cuda`` as a program sees it on a machine
without CUDA.

tapegrad computes on the CPU with NumPy, so ``is_available()`` is False
and ``device_count()`` 0: ``'cuda' if torch.cuda.is_available() else 'cpu'``
picks the CPU.  What PyTorch also answers without CUDA is answered the same
way (seeding does nothing, the memory counters are 0, ``empty_cache()`` has
nothing to free).  ``synchronize()`` does nothing as well, since tapegrad's
work is finished when an op returns (PyTorch's CPU-only build raises there
instead).  Questions about a particular device (``current_device()``,
``get_device_name()``, ...) raise ``CUDAUnavailableError``, an
``AssertionError`` as PyTorch's CPU-only build raises and a ``RuntimeError``
as its CUDA build raises without a GPU, so either ``except`` catches it.
"""

from __future__ import annotations

from tapegrad.unsupported import NotSupportedError, not_supported


class CUDAUnavailableError(NotSupportedError, AssertionError):
    """A ``torch.cuda`` call that needs a CUDA device."""


_NO_CUDA = "tapegrad computes on the CPU (with NumPy) and has no CUDA devices"


def is_available() -> bool:
    """False: tapegrad has no CUDA devices."""
    return False


def is_initialized() -> bool:
    """False: there is no CUDA state to initialise."""
    return False


def device_count() -> int:
    """0: tapegrad has no CUDA devices."""
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False, as PyTorch answers without CUDA."""
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed (PyTorch without CUDA ignores it too); ``tg.manual_seed``
    seeds tapegrad's one generator."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (PyTorch without CUDA ignores it too)."""


def synchronize(device=None) -> None:
    """Nothing to wait for: an op's result is complete when it returns."""


def empty_cache() -> None:
    """Nothing to free: tapegrad keeps no device memory cache."""


def memory_allocated(device=None) -> int:
    """0 bytes of CUDA memory, as PyTorch reports without CUDA."""
    return 0


def max_memory_allocated(device=None) -> int:
    """0 bytes of CUDA memory, as PyTorch reports without CUDA."""
    return 0


def memory_reserved(device=None) -> int:
    """0 bytes of CUDA memory, as PyTorch reports without CUDA."""
    return 0


def max_memory_reserved(device=None) -> int:
    """0 bytes of CUDA memory, as PyTorch reports without CUDA."""
    return 0


current_device = not_supported("cuda.current_device", _NO_CUDA, CUDAUnavailableError)
get_device_name = not_supported("cuda.get_device_name", _NO_CUDA, CUDAUnavailableError)
get_device_properties = not_supported("cuda.get_device_properties", _NO_CUDA, CUDAUnavailableError)
get_device_capability = not_supported("cuda.get_device_capability", _NO_CUDA, CUDAUnavailableError)
set_device = not_supported("cuda.set_device", _NO_CUDA, CUDAUnavailableError)
init = not_supported("cuda.init", _NO_CUDA, CUDAUnavailableError)
