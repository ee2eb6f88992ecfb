"""Data types and PyTorch's type-promotion rules.

``tg.float32`` and friends are the backend's dtype objects, so
``x.dtype == tg.float32`` reads as in PyTorch.  Promotion follows PyTorch, not
NumPy: operands fall into three groups, tensors with dimensions, 0-d tensors
and Python numbers; a later group only changes the result when its *category*
(bool < integer < floating) is higher.  So ``float32 (3,) * float64 ()`` is
float32, ``int64 (3,) * 2.5`` is the default float dtype, and
``float32 (3,) * float64 (3,)`` is float64.
"""

from __future__ import annotations

import builtins

from tapegrad import backend as B

_pybool, _pyint = builtins.bool, builtins.int

float16 = half = B.float16
float32 = float = B.float32
float64 = double = B.float64
int8 = B.int8
int16 = short = B.int16
int32 = int = B.int32
int64 = long = B.int64
uint8 = B.uint8
bool = B.bool_

_FLOATS = (float16, float32, float64)
_by_name = {
    "float16": float16,
    "half": float16,
    "float32": float32,
    "float": float32,
    "float64": float64,
    "double": float64,
    "int8": int8,
    "int16": int16,
    "int32": int32,
    "int64": int64,
    "long": int64,
    "uint8": uint8,
    "bool": bool,
}


class _Default:
    dtype = float32


def get_default_dtype():
    """The dtype Python floats become (float32 unless changed)."""
    return _Default.dtype


def set_default_dtype(d) -> None:
    """Make ``d`` (float32 or float64, a dtype or its name) the dtype that
    Python floats and float factories produce, as ``torch.set_default_dtype``."""
    d = as_dtype(d)
    if d not in _FLOATS:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _Default.dtype = d


def as_dtype(d):
    """Turn a dtype, its name (``"float64"``) or a NumPy type into a dtype."""
    if d is None:
        return None
    if isinstance(d, str):
        try:
            return _by_name[d.replace("torch.", "").replace("tapegrad.", "")]
        except KeyError:
            raise TypeError(f"unknown dtype {d!r}; known: {', '.join(sorted(_by_name))}") from None
    try:
        return B.xp.dtype(d)
    except TypeError:
        raise TypeError(f"unknown dtype {d!r}") from None


def is_floating_point(d) -> bool:
    return d.kind == "f"


def _category(d) -> int:
    k = d.kind
    return 2 if k == "f" else (0 if k == "b" else 1)


def _scalar_category(v) -> int:
    if isinstance(v, (_pybool, B.xp.bool_)):
        return 0
    if isinstance(v, (_pyint, B.xp.integer)):
        return 1
    return 2


def promote(a, b):
    """PyTorch's promote_types for two dtypes: within one category as NumPy;
    across categories the higher category's dtype wins unchanged (so
    ``float32 with int64`` is float32, where NumPy would say float64)."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return B.xp.promote_types(a, b)


def result_type(tensors_dtypes_ndims, scalars=()):
    """The dtype of an op over tensors ``[(dtype, ndim), ...]`` and Python
    numbers ``scalars``, by PyTorch's three-group rule."""
    dim = zero = None
    for d, nd in tensors_dtypes_ndims:
        if nd:
            dim = d if dim is None else promote(dim, d)
        else:
            zero = d if zero is None else promote(zero, d)
    result = dim
    if zero is not None and (result is None or _category(zero) > _category(result)):
        result = zero  # a higher-category 0-d tensor decides, keeping its own dtype
    for s in scalars:
        cat = _scalar_category(s)
        if result is None or cat > _category(result):
            result = _scalar_dtype(cat)
    return result


def _scalar_dtype(cat):
    return (bool, int64, _Default.dtype)[cat]


def scalar_dtype_for(value, like):
    """The dtype a Python number takes when combined with a tensor of dtype ``like``."""
    cat = _scalar_category(value)
    return like if cat <= _category(like) else _scalar_dtype(cat)


#: PyTorch's names of the dtypes in its error messages (``Float``, ``Long``, ...)
_SCALAR_TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
}


def scalar_type_name(dtype) -> str:
    """PyTorch's name of ``dtype`` in its error messages (``Float``, ``Long``, ...)."""
    name = str(dtype).rsplit(".", 1)[-1]
    return _SCALAR_TYPE_NAMES.get(name, name)
