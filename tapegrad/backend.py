"""The one place that knows which array library runs the math.

Every array operation of tapegrad goes through this module: ``xp`` is the
array namespace (NumPy today), and the few things the array API lacks live
here as functions: scatter-add with repeated indices, the random generator,
copying to the host, and ``erf``.  A CuPy backend only has to provide the same
names; no op imports NumPy itself.

``host`` is always NumPy: it reads and writes files (``.npz``, IDX) and hands
arrays to plotting code, whatever ``xp`` computes on.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy

xp = numpy
host = numpy
name = "numpy"
ndarray = numpy.ndarray

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")


class Constant(dict):
    """``value`` as an operand next to arrays, by dtype: ``ONE[a.dtype]`` is a
    cached, read-only 0-d array of ``a``'s dtype.  NumPy converts a Python
    number anew on every op it meets (about 0.4 us, as long as a small op
    itself); a 0-d array of the same dtype gives the same result without that
    cost, and the lookup is one dict access (made on first use)."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def __missing__(self, dtype):
        c = xp.asarray(self.value, dtype=dtype)
        c.flags.writeable = False
        self[dtype] = c
        return c


ONE = Constant(1)

# Reductions called as the ufuncs' own ``reduce`` (``add_reduce(a, axis,
# keepdims=...)`` is ``a.sum(axis, keepdims=...)``, same dtypes and results):
# the array methods go through a Python wrapper that costs about a third of
# a small reduction, and the hot paths (softmax, cross-entropy, a layer's
# bias gradient, un-broadcasting) make several per step.
add_reduce = xp.add.reduce
max_reduce = xp.maximum.reduce
min_reduce = xp.minimum.reduce


def broadcast_to(a, shape: tuple):
    """``a`` repeated to ``shape``: a read-only view, as ``xp.broadcast_to``.
    A NumPy scalar (the gradient of a reduction to one number, on the
    engine's array path) is viewed through its own read-only buffer with
    zero strides, about three times cheaper than NumPy's general function,
    which iterates over the shapes; arrays keep sharing their memory."""
    if a.__class__ is ndarray or not isinstance(a, xp.generic):
        return xp.broadcast_to(a, shape)
    return ndarray(shape, a.dtype, a, 0, (0,) * len(shape))


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up (unbuffered)."""
    xp.add.at(target, index, values)


def to_host(array):
    """The array as a host NumPy array (no copy on the NumPy backend)."""
    return numpy.asarray(array)


def is_array(obj) -> bool:
    return isinstance(obj, ndarray)


# ----------------------------------------------------------------- randomness
class Generator:
    """One stream of random numbers; ``tg.manual_seed`` reseeds the default one.

    Mirrors ``torch.Generator``: ``manual_seed(n)`` returns the generator,
    ``initial_seed()`` tells the seed, ``get_state``/``set_state`` save and
    restore the stream exactly.
    """

    def __init__(self, seed: int | None = None, device=None):
        """``Generator()``, ``Generator(device='cpu')`` or ``Generator('cpu')``
        as in PyTorch, seeded from fresh entropy; ``Generator(n)`` is
        tapegrad's short form of ``Generator().manual_seed(n)``.  A device
        other than the CPU is refused."""
        from tapegrad.device import check_device, is_device

        if is_device(seed):  # (torch.Generator's one positional argument is the device)
            seed, device = None, seed
        check_device(device, "Generator")
        self.manual_seed(
            seed if seed is not None else int(numpy.random.SeedSequence().entropy % 2**63)
        )

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = xp.random.default_rng(self._seed % 2**64)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return {"seed": self._seed, "state": self.rng.bit_generator.state}

    def set_state(self, state: dict) -> Generator:
        self._seed = state["seed"]
        self.rng.bit_generator.state = state["state"]
        return self


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator that every random factory, initialiser,
    dropout mask and shuffling data loader draws from."""
    return default_generator.manual_seed(seed)


def rng(generator: Generator | None = None):
    """The NumPy ``Generator`` behind ``generator`` (the default when None)."""
    return (generator or default_generator).rng


# ------------------------------------------------------------ the allocator
# A training step allocates and frees the same large arrays (activations,
# im2col blocks, gradients) every step.  glibc's malloc hands freed blocks of
# more than a few MB back to the system, so each step faults the same memory
# in again, and with NumPy's transparent-huge-page advice (arrays >= 4 MB)
# each fault may wait for the kernel to compact memory: a convolutional step
# then takes 50 ms in one process and 95 ms in the next.  Keeping freed blocks
# for reuse makes it 50 ms every time; the process keeps its peak memory
# instead of shrinking between steps.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_FREED_MEMORY = 1 << 30  # bytes: blocks below this are reused, not unmapped


def keep_freed_memory(limit: int = KEEP_FREED_MEMORY) -> bool:
    """Tell glibc's malloc to serve blocks below ``limit`` bytes from memory it
    keeps, and not to return up to ``limit`` freed bytes to the system.
    Returns whether it applied (glibc on Linux only).  tapegrad calls it on
    import unless the environment sets ``TAPEGRAD_KEEP_FREED_MEMORY=0``."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, min(limit, 1 << 30)) and mallopt(_M_TRIM_THRESHOLD, limit)
    )


if os.environ.get("TAPEGRAD_KEEP_FREED_MEMORY", "1") != "0":
    keep_freed_memory()


# ---------------------------------------------------------------- special fns
# erf, erfc, erfinv: vectorised approximations on ``xp`` (``special_math``).
from tapegrad.special_math import erf, erfc, erfinv  # noqa: E402, F401
