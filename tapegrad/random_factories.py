"""Random tensor factories: ``rand, randn, randint, randperm`` and their
``*_like`` forms, with PyTorch's signatures (``tapegrad.factory_args``) and
``generator=``; and the state of the generator they draw from by default,
which ``tg.manual_seed`` reseeds, so a run is reproducible bit for bit."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.factory_args import (
    check_options,
    finish,
    float_dtype,
    floating,
    int_arg,
    like,
    read_size,
    result_dtype,
)
from tapegrad.size import parse_size
from tapegrad.tensor import Tensor

xp = B.xp
_NUMPY_FLOATS = (dtypes.float32, dtypes.float64)  # what NumPy's generators draw directly


def _drawn(law: str, generator, shape: tuple, dtype):
    """``shape`` values of the NumPy generator's ``law`` (``"random"``:
    uniform on [0, 1), ``"standard_normal"``), drawn directly in float32 or
    float64 and converted for the other floating dtypes."""
    draw = getattr(B.rng(generator), law)
    if dtype in _NUMPY_FLOATS:
        return draw(shape, dtype=dtype)
    return draw(shape).astype(dtype)


def _uniform(generator, shape: tuple, dtype):
    return _drawn("random", generator, shape, dtype)


def _normal(generator, shape: tuple, dtype):
    return _drawn("standard_normal", generator, shape, dtype)


def rand(
    *dims,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform on [0, 1)."""
    shape = read_size("rand", dims, size, device, layout, pin_memory)
    dtype = floating(float_dtype("rand", dtype, out), "rand")
    return finish(_uniform(generator, shape, dtype), requires_grad, out, "rand")


def randn(
    *dims,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal."""
    shape = read_size("randn", dims, size, device, layout, pin_memory)
    dtype = floating(float_dtype("randn", dtype, out), "randn")
    return finish(_normal(generator, shape, dtype), requires_grad, out, "randn")


def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Integers uniform on ``[low, high)``: ``randint(high, size)``,
    ``randint(low, high, size)`` (``low`` 0 unless given), int64 unless
    ``dtype`` says otherwise."""
    check_options("randint", device, layout, pin_memory)
    low, high, size = _randint_args(args, low, high, size)
    shape = parse_size((), size, "randint")
    dtype = result_dtype("randint", dtype, out, dtypes.int64)
    values = _integers(generator, low, high, shape, dtype, "randint")
    return finish(values, requires_grad, out, "randint")


def _randint_args(args: tuple, low, high, size):
    """``(low, high, size)`` from ``randint``'s positional and keyword forms."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if len(args) == 2 and low is None and high is None:
        low, high = args
    elif len(args) == 1 and high is None:
        high = args[0]
    elif len(args) == 1 and low is None:
        low = args[0]
    elif args:
        raise TypeError(
            f"randint(): expected (high, size) or (low, high, size), got {len(args)} bounds"
        )
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if size is None:
        raise TypeError('randint() missing 1 required positional arguments: "size"')
    low = 0 if low is None else int_arg(low, "low", "randint")
    return low, int_arg(high, "high", "randint"), size


def _integers(generator, low: int, high: int, shape: tuple, dtype, op: str):
    """Integers uniform on ``[low, high)`` as ``dtype``."""
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if dtype.kind in "iu":
        info = xp.iinfo(dtype)
        if low < info.min or high - 1 > info.max:
            raise RuntimeError(f"{op}(): [{low}, {high}) is out of bounds for {dtype}")
    return B.rng(generator).integers(low, high, size=shape).astype(dtype)


def randperm(
    n,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of ``0, ..., n - 1`` (int64 unless ``dtype`` says
    otherwise)."""
    check_options("randperm", device, layout, pin_memory)
    (n,) = parse_size((int_arg(n, "n", "randperm"),), None, "randperm")
    dtype = result_dtype("randperm", dtype, out, dtypes.int64)
    values = B.rng(generator).permutation(n).astype(dtype)
    return finish(values, requires_grad, out, "randperm")


def rand_like(
    input,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform on [0, 1) in ``input``'s shape and (floating) dtype."""
    shape, dtype = like("rand_like", input, dtype, layout, device, pin_memory, memory_format)
    return finish(_uniform(generator, shape, floating(dtype, "rand_like")), requires_grad)


def randn_like(
    input,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal in ``input``'s shape and (floating) dtype."""
    shape, dtype = like("randn_like", input, dtype, layout, device, pin_memory, memory_format)
    return finish(_normal(generator, shape, floating(dtype, "randn_like")), requires_grad)


def randint_like(
    input,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """Integers uniform on ``[low, high)`` in ``input``'s shape and dtype:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    shape, dtype = like("randint_like", input, dtype, layout, device, pin_memory, memory_format)
    if high is None:
        low, high = 0, low
    low, high = int_arg(low, "low", "randint_like"), int_arg(high, "high", "randint_like")
    return finish(_integers(generator, low, high, shape, dtype, "randint_like"), requires_grad)


# ------------------------------------------------------------------ state
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
