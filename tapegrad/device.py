"""Devices, as far as code written for PyTorch needs them.

tapegrad computes on the CPU, with NumPy.  So that PyTorch code carries
over unchanged, ``tg.device``, the ``device=`` argument of the factories,
``tensor.to(device)`` and ``module.to(device)`` exist with PyTorch's names:
``'cpu'`` (or ``None``) is accepted, and any other device is refused with an
error that says so, where PyTorch would fail on a machine without that
device.  ``tapegrad.cuda`` answers ``torch.cuda``'s questions.
"""

from __future__ import annotations

from tapegrad.dtypes import as_dtype

# the device types PyTorch parses (``torch.device('foo')`` is an error)
_TYPES = (
    "cpu",
    "cuda",
    "mps",
    "xpu",
    "ipu",
    "hip",
    "meta",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "hpu",
    "mtia",
    "privateuseone",
)


class device:
    """``tg.device('cpu')``, ``tg.device('cuda:1')``, ``tg.device('cuda', 0)``:
    a device type and an optional index, as ``torch.device``.  Equal devices
    compare and hash equal; ``str(d)`` is ``'cpu'`` or ``'cuda:1'``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): an index with a device object")
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        elif not isinstance(type, str):
            raise TypeError(f"device(): expected a string, got {type!r}")
        else:
            name, sep, number = type.partition(":")
            if sep:
                if index is not None:
                    raise RuntimeError(f"device(): {type!r} has an index already")
                if not number.isdigit():
                    raise RuntimeError(f"device(): invalid device string {type!r}")
                index = int(number)
            type = name
        if type not in _TYPES:
            raise RuntimeError(
                f"device(): expected one of {', '.join(_TYPES)} device type, got {type!r}"
            )
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"device(): index must be a non-negative int, got {index!r}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device is immutable")

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"


CPU = device("cpu")


def is_device(x) -> bool:
    """Whether ``x`` names a device (a ``device``, or a string such as
    ``'cpu'`` or ``'cuda:0'``) rather than, say, a dtype."""
    if isinstance(x, device):
        return True
    if isinstance(x, str):
        return x.partition(":")[0] in _TYPES
    return False


def check_device(dev, what: str) -> None:
    """Accept ``None`` and the CPU; refuse any other device by name."""
    if dev is None:
        return
    d = dev if isinstance(dev, device) else device(dev)
    if d.type != "cpu":
        raise RuntimeError(
            f"{what}: tapegrad computes on the CPU (with NumPy); device '{d}' is not "
            "available (use 'cpu', or leave the device out)"
        )


def to_arguments(args, kwargs, what: str):
    """The dtype asked for by ``.to(...)`` arguments (PyTorch's forms:
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` for its
    dtype, ``to(device=..., dtype=...)``), or ``None``; a device other than
    the CPU is refused (``tapegrad.device.check_device``)."""
    from tapegrad.tensor import Tensor

    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    dtype = kwargs.get("dtype")
    check_device(kwargs.get("device"), what)
    for a in args:
        if isinstance(a, Tensor):  # (to(other): other's dtype)
            dtype = a.dtype
        elif a is None:
            continue
        elif is_device(a):
            check_device(a, what)
        else:
            dtype = a
    return None if dtype is None else as_dtype(dtype)
