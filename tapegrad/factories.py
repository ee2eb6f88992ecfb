"""Tensor factories: ``zeros, ones, empty, full, eye, arange, linspace,
logspace`` and the ``*_like`` forms (the random ones are in
``tapegrad.random_factories``), with PyTorch's signatures: a size in every
form PyTorch takes (``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=(2,
3))``, ``zeros(())``), ``dtype``, ``device``, ``requires_grad``, ``layout``,
``pin_memory``, ``memory_format`` where PyTorch has it and ``out=`` (read by
``tapegrad.factory_args``).  Dtypes follow PyTorch: float factories give the
default dtype, ``full`` its value's kind, ``arange`` int64 for integer
bounds."""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.factory_args import (
    check_options,
    finish,
    float_dtype,
    int_arg,
    like,
    number,
    read_size,
    result_dtype,
)
from tapegrad.layouts import check_memory_format
from tapegrad.random_factories import (
    get_rng_state,
    initial_seed,
    manual_seed,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from tapegrad.tensor import Tensor

xp = B.xp
__all__ = [
    "arange",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "get_rng_state",
    "initial_seed",
    "linspace",
    "logspace",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
    "zeros",
    "zeros_like",
]


# ----------------------------------------------------------------- constant
def zeros(
    *dims,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of zeros of the given size."""
    shape = read_size("zeros", dims, size, device, layout, pin_memory)
    return finish(xp.zeros(shape, float_dtype("zeros", dtype, out)), requires_grad, out, "zeros")


def ones(
    *dims,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of ones of the given size."""
    shape = read_size("ones", dims, size, device, layout, pin_memory)
    return finish(xp.ones(shape, float_dtype("ones", dtype, out)), requires_grad, out, "ones")


def empty(
    *dims,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format=None,
) -> Tensor:
    """An uninitialised tensor of the given size."""
    shape = read_size("empty", dims, size, device, layout, pin_memory)
    check_memory_format(memory_format, len(shape), "empty")
    return finish(xp.empty(shape, float_dtype("empty", dtype, out)), requires_grad, out, "empty")


def full(
    size,
    fill_value,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of ``size`` (a tuple, list or ``Size``) filled with
    ``fill_value``; its dtype follows the value (bool, int64 or the default
    float) unless ``dtype`` (or ``out``) says otherwise."""
    shape = read_size("full", (), size, device, layout, pin_memory)
    value = number(fill_value, "fill_value", "full")
    dtype = result_dtype("full", dtype, out, dtypes.scalar_dtype_for(value, dtypes.bool))
    return finish(_filled(shape, value, dtype, "full"), requires_grad, out, "full")


def _filled(shape: tuple, value, dtype, op: str):
    """An array of ``shape`` and ``dtype`` holding ``value`` converted as
    PyTorch converts it (floats truncate; a value out of the dtype's range
    is refused, a negative one wraps into an unsigned dtype)."""
    if dtype.kind in "iu" and not isinstance(value, bool):
        info = xp.iinfo(dtype)
        low = -info.max if dtype.kind == "u" else info.min
        overflows = math.isfinite(value) and not low <= value <= info.max
    else:
        overflows = dtype.kind == "f" and math.isfinite(value) and abs(value) > xp.finfo(dtype).max
    if overflows:
        raise RuntimeError(
            f"{op}(): value {value} cannot be converted to type {dtype} without overflow"
        )
    return xp.full(shape, xp.asarray(value).astype(dtype), dtype=dtype)


def eye(
    n,
    m=None,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """The ``n`` by ``m`` (default ``n``) identity matrix: ones on the diagonal."""
    check_options("eye", device, layout, pin_memory)
    n = int_arg(n, "n", "eye")
    m = n if m is None else int_arg(m, "m", "eye")
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return finish(xp.eye(n, m, dtype=float_dtype("eye", dtype, out)), requires_grad, out, "eye")


# -------------------------------------------------------------------- ranges
def arange(
    start=0,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to ``end`` (excluded): ``arange(end)``,
    ``arange(start, end, step)``; int64 when every bound is an integer,
    else the default float dtype.  Element ``i`` is ``start + i * step``
    (computed in float64 for a float dtype; the bounds are truncated first
    for an integer dtype, as in PyTorch)."""
    check_options("arange", device, layout, pin_memory)
    if end is None:
        start, end = 0, start
    bounds = [number(v, n, "arange") for v, n in ((start, "start"), (end, "end"), (step, "step"))]
    floating = any(isinstance(v, float) for v in bounds)
    default = dtypes.get_default_dtype() if floating else dtypes.int64
    dtype = result_dtype("arange", dtype, out, default)
    return finish(_arange_values(*bounds, dtype), requires_grad, out, "arange")


def _arange_values(start, end, step, dtype):
    if dtype.kind == "b":
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype.kind in "iu":
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.ceil((end - start) / step)
    work = xp.int64 if dtype.kind in "iu" else xp.float64
    return (start + step * xp.arange(n, dtype=work)).astype(dtype)


def linspace(
    start,
    end,
    steps,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end`` (both
    included), of the default float dtype unless ``dtype`` is given."""
    check_options("linspace", device, layout, pin_memory)
    start, end = number(start, "start", "linspace"), number(end, "end", "linspace")
    steps = _steps(steps, "linspace")
    dtype = float_dtype("linspace", dtype, out)
    values = _spaced(start, end, steps, dtype, "linspace", lambda v: v)
    return finish(values, requires_grad, out, "linspace")


def logspace(
    start,
    end,
    steps,
    base: float = 10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``base ** v`` for the ``steps`` values ``v`` of ``linspace(start, end,
    steps)``."""
    check_options("logspace", device, layout, pin_memory)
    start, end = number(start, "start", "logspace"), number(end, "end", "logspace")
    steps = _steps(steps, "logspace")
    base = number(base, "base", "logspace")
    dtype = float_dtype("logspace", dtype, out)
    values = _spaced(start, end, steps, dtype, "logspace", lambda v: xp.power(base, v))
    return finish(values, requires_grad, out, "logspace")


def _steps(steps, op: str) -> int:
    steps = int_arg(steps, "steps", op)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _spaced(start, end, steps: int, dtype, op: str, map_value):
    """``map_value`` of ``steps`` evenly spaced values from ``start`` to
    ``end``, by PyTorch's formula: ``start + i * step`` for the first half,
    ``end - (steps - 1 - i) * step`` for the rest, where ``step = (end -
    start) / (steps - 1)`` is computed in the dtype (float64 for an integer
    dtype, whose bounds are truncated first) and the values in float64, as
    PyTorch's fused multiply-adds round them."""
    if dtype.kind == "b":
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Bool'")
    if dtype.kind in "iu":
        start, end, work = int(start), int(end), xp.float64
    else:
        work = dtype.type
    start, end = work(start), work(end)
    if steps <= 1:  # (PyTorch's special case: no step to divide by)
        values = xp.full(steps, start, dtype=xp.float64)
    else:
        step = float((end - start) / work(steps - 1))
        i = xp.arange(steps)
        values = xp.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))
    return map_value(values).astype(dtype)


# -------------------------------------------------------------------- like
def zeros_like(
    input,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """Zeros of ``input``'s shape and dtype (unless ``dtype`` is given)."""
    shape, dtype = like("zeros_like", input, dtype, layout, device, pin_memory, memory_format)
    return finish(xp.zeros(shape, dtype), requires_grad)


def ones_like(
    input,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """Ones of ``input``'s shape and dtype (unless ``dtype`` is given)."""
    shape, dtype = like("ones_like", input, dtype, layout, device, pin_memory, memory_format)
    return finish(xp.ones(shape, dtype), requires_grad)


def empty_like(
    input,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """An uninitialised tensor of ``input``'s shape and dtype."""
    shape, dtype = like("empty_like", input, dtype, layout, device, pin_memory, memory_format)
    return finish(xp.empty(shape, dtype), requires_grad)


def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
    pin_memory: bool = False,
) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (unless ``dtype`` is given)."""
    shape, dtype = like("full_like", input, dtype, layout, device, pin_memory, memory_format)
    value = number(fill_value, "fill_value", "full_like")
    return finish(_filled(shape, value, dtype, "full_like"), requires_grad)
