"""``tg.finfo`` and ``tg.iinfo``: the numerical limits of a dtype, with the
attributes, values and errors of ``torch.finfo`` and ``torch.iinfo``."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes

# Python's number types name dtypes too, as in PyTorch (``finfo(float)``)
_PYTHON_TYPES = {
    float: dtypes.float64,
    int: dtypes.int64,
    bool: dtypes.bool,
}


def _dtype_arg(kind, who: str):
    """The dtype a ``finfo``/``iinfo`` argument names: a dtype, or Python's
    ``float``, ``int`` or ``bool``."""
    if isinstance(kind, B.xp.dtype):
        return kind
    if isinstance(kind, type) and kind in _PYTHON_TYPES:
        return _PYTHON_TYPES[kind]
    raise TypeError(
        f"{who}(): argument 'type' (position 1) must be a dtype, not {type(kind).__name__}"
    )


class _Info:
    """What ``finfo`` and ``iinfo`` share: read-only attributes, equality by
    dtype (unhashable, as PyTorch's), a print of the limits."""

    __slots__ = ()
    _shown: tuple = ()

    def __setattr__(self, name, value):
        raise AttributeError(
            f"attribute {name!r} of '{type(self).__name__}' objects is not writable"
        )

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.dtype == self.dtype

    __hash__ = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={float(getattr(self, name)):g}" for name in self._shown)
        return f"{type(self).__name__}({shown}, dtype={self.dtype})"


class finfo(_Info):
    """The limits of a floating dtype (the default dtype when none is given):
    ``bits``; ``eps``, the gap between 1 and the next float; ``max`` and
    ``min = -max``; ``tiny = smallest_normal``, the smallest positive normal
    number; ``resolution = 10**-p``, ``p`` the decimal digits the dtype
    holds; ``dtype``, its name (``'float32'``)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __init__(self, type=None):
        dtype = dtypes.get_default_dtype() if type is None else _dtype_arg(type, "finfo")
        if dtype.kind != "f":
            raise TypeError(
                f"finfo() requires a floating point input type, got {dtype}; "
                "use iinfo for integer types"
            )
        limits = B.xp.finfo(dtype)
        values = {
            "bits": limits.bits,
            "eps": float(limits.eps),
            "max": float(limits.max),
            "min": float(limits.min),
            "tiny": float(limits.smallest_normal),
            "smallest_normal": float(limits.smallest_normal),
            "resolution": float(f"1e-{limits.precision}"),
            "dtype": str(dtype),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)


class iinfo(_Info):
    """The limits of an integer dtype: ``bits``, ``max``, ``min`` (Python
    ints) and ``dtype``, its name (``'int32'``)."""

    __slots__ = ("bits", "max", "min", "dtype")
    _shown = ("min", "max")

    def __init__(self, type):
        dtype = _dtype_arg(type, "iinfo")
        if dtype == dtypes.bool:
            raise TypeError("iinfo(): bool is not supported by iinfo")
        if dtype.kind not in "iu":
            raise TypeError(
                f"iinfo() requires an integer input type, got {dtype}; "
                "use finfo for floating point types"
            )
        limits = B.xp.iinfo(dtype)
        values = {"bits": limits.bits, "max": int(limits.max), "min": int(limits.min)}
        for name, value in {**values, "dtype": str(dtype)}.items():
            object.__setattr__(self, name, value)


__all__ = ["finfo", "iinfo"]
