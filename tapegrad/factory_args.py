"""The arguments every tensor factory shares, read as PyTorch reads them,
and the one way a factory's result is made: ``dtype`` (with PyTorch's
defaults), ``device`` (the CPU), ``layout`` (strided), ``pin_memory``
(False), ``requires_grad``, and ``out=`` (written into, resized when its
shape differs, and returned; the result then takes ``out``'s dtype).  Sizes
are read by ``tapegrad.size.parse_size``."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.autograd.graph import is_grad_enabled, no_grad
from tapegrad.device import check_device
from tapegrad.layouts import check_layout, check_memory_format, check_pin_memory
from tapegrad.size import as_int, parse_size
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def check_options(op: str, device, layout, pin_memory: bool) -> None:
    """Refuse what tapegrad cannot give: another device than the CPU,
    another layout than strided, pinned memory."""
    check_device(device, op)
    check_layout(layout, op)
    check_pin_memory(pin_memory, op)


def read_size(op: str, dims: tuple, size, device, layout, pin_memory: bool) -> tuple:
    check_options(op, device, layout, pin_memory)
    return parse_size(dims, size, op)


def result_dtype(op: str, dtype, out, default):
    """The dtype of a factory's result: ``dtype``, else ``out``'s, else
    ``default``; a ``dtype`` other than ``out``'s is refused."""
    dtype = dtypes.as_dtype(dtype)
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if dtype is not None and dtype != out.dtype:
            raise RuntimeError(
                f"{op}(): dtype {dtype} does not match dtype of out parameter ({out.dtype})"
            )
        return out.dtype
    return default if dtype is None else dtype


def float_dtype(op: str, dtype, out=None):
    return result_dtype(op, dtype, out, dtypes.get_default_dtype())


def floating(dtype, op: str):
    """``dtype``, which must be floating for random floats."""
    if dtype.kind != "f":
        raise NotImplementedError(f"{op}(): random floats need a floating dtype, not {dtype}")
    return dtype


def int_arg(value, name: str, op: str) -> int:
    n = as_int(value)
    if n is None:
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return n


def number(value, name: str, op: str):
    """A bound or fill value as a Python number (a 0-d tensor's value too)."""
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.item()
    elif isinstance(value, (xp.generic,)):
        value = value.item()
    if isinstance(value, complex):
        raise TypeError(f"{op}(): argument '{name}' is complex; tapegrad has no complex dtypes")
    if not isinstance(value, (int, float)):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(value).__name__}")
    return value


def like(op: str, input, dtype, layout, device, pin_memory: bool, memory_format):
    """The shape and dtype of a tensor made like ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    check_options(op, device, layout, pin_memory)
    check_memory_format(memory_format, input.ndim, op, like=True)
    return input.shape, dtypes.as_dtype(dtype) or input.dtype


# ------------------------------------------------------------------ results
def finish(arr, requires_grad: bool, out=None, op: str = "") -> Tensor:
    """A factory's result: ``arr`` as a new leaf, or written into ``out``;
    requiring grad when asked."""
    t = new_tensor(arr) if out is None else write_out(out, arr, op)
    if requires_grad:
        t.requires_grad_(True)
    return t


def write_out(out: Tensor, arr, op: str) -> Tensor:
    """``out`` holding ``arr`` (of ``out``'s dtype), given new memory of
    ``arr``'s shape first when its shape differs, as PyTorch resizes an
    ``out=`` tensor; an in-place change (its version counts up)."""
    if out.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    if out.shape != arr.shape:
        out.data = new_tensor(xp.empty(arr.shape, dtype=out.dtype))
    with no_grad():
        out.copy_(new_tensor(arr))
    return out
