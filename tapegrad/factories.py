"""Tensor factories: ``zeros, ones, full, eye, arange, linspace, rand, randn,
randint, randperm, empty`` and their ``*_like`` forms, with PyTorch's dtype
rules (float factories give the default dtype; integer ``arange`` and
``randint`` give int64).  Random factories draw from the generator that
``tg.manual_seed`` reseeds, so a run is reproducible bit for bit."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.device import check_device
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        raise TypeError(f"size must be ints, got {size!r}") from None
    if any(s < 0 for s in size):
        raise ValueError(f"size must be non-negative, got {size}")
    return size


def _finish(arr, requires_grad: bool) -> Tensor:
    t = new_tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype) or dtypes.get_default_dtype()


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros")
    return _finish(xp.zeros(_size(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones")
    return _finish(xp.ones(_size(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty")
    return _finish(xp.empty(_size(size), dtype=_float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the
    value: bool, int64 or the default float, unless ``dtype`` is given)."""
    check_device(device, "full")
    if dtype is None:
        dtype = dtypes.scalar_dtype_for(fill_value, dtypes.bool)
    size = _size((size,) if isinstance(size, int) else tuple(size))
    return _finish(xp.full(size, fill_value, dtype=dtypes.as_dtype(dtype)), requires_grad)


def eye(
    n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    check_device(device, "eye")
    return _finish(xp.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``[start, end)`` in steps; int64 when all bounds are ints, else the
    default float dtype."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = dtypes.int64 if ints else dtypes.get_default_dtype()
    return _finish(xp.arange(start, end, step).astype(dtypes.as_dtype(dtype)), requires_grad)


def linspace(
    start, end, steps: int, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    check_device(device, "linspace")
    return _finish(xp.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None) -> Tensor:
    check_device(device, "logspace")
    return _finish(xp.logspace(start, end, steps, base=base).astype(_float_dtype(dtype)), False)


def _like(t: Tensor, dtype):
    return dtypes.as_dtype(dtype) or t.dtype


def zeros_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros_like")
    return _finish(xp.zeros(input.shape, dtype=_like(input, dtype)), requires_grad)


def ones_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones_like")
    return _finish(xp.ones(input.shape, dtype=_like(input, dtype)), requires_grad)


def empty_like(input: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty_like")
    return _finish(xp.empty(input.shape, dtype=_like(input, dtype)), requires_grad)


def full_like(
    input: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    check_device(device, "full_like")
    return _finish(xp.full(input.shape, fill_value, dtype=_like(input, dtype)), requires_grad)


# ------------------------------------------------------------------- random
def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    check_device(device, "rand")
    arr = B.rng(generator).random(_size(size), dtype=_float_dtype(dtype))
    return _finish(arr, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    check_device(device, "randn")
    arr = B.rng(generator).standard_normal(_size(size), dtype=_float_dtype(dtype))
    return _finish(arr, requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None) -> Tensor:
    """Integers uniform on ``[low, high)`` (``randint(high, size)`` as PyTorch)."""
    check_device(device, "randint")
    if high is None:
        low, high = 0, low
    if isinstance(high, tuple):  # randint(high, size)
        low, high, size = 0, low, high
    arr = B.rng(generator).integers(
        low, high, size=_size((size,) if isinstance(size, int) else size)
    )
    return _finish(arr.astype(dtypes.as_dtype(dtype) or dtypes.int64), False)


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    check_device(device, "randperm")
    return _finish(
        B.rng(generator).permutation(n).astype(dtypes.as_dtype(dtype) or dtypes.int64), False
    )


def rand_like(input: Tensor, dtype=None, device=None, generator=None) -> Tensor:
    check_device(device, "rand_like")
    return rand(*input.shape, generator=generator, dtype=_like(input, dtype))


def randn_like(input: Tensor, dtype=None, device=None, generator=None) -> Tensor:
    check_device(device, "randn_like")
    return randn(*input.shape, generator=generator, dtype=_like(input, dtype))


def manual_seed(seed: int):
    """Reseed the generator behind every random factory, initialiser, dropout
    mask and shuffling loader: the same seed gives the same run."""
    return B.manual_seed(seed)


def initial_seed() -> int:
    return B.default_generator.initial_seed()


def seed() -> int:
    """Reseed from fresh entropy and return the seed used."""
    s = int(xp.random.SeedSequence().entropy % 2**63)
    B.manual_seed(s)
    return s


def get_rng_state() -> dict:
    return B.default_generator.get_state()


def set_rng_state(state: dict) -> None:
    B.default_generator.set_state(state)
