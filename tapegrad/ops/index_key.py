"""PyTorch's reading of an index key (``x[key]``, ``x[key] = v``), as the
NumPy keys that compute it: the one place where keys are normalised.

PyTorch accepts ints, slices (positive steps only), ``None``, ``...``,
``range``s, (nested) lists, tuples mixing all of these, integer tensors
(int64, int32; a 0-d one of any integer dtype selects like an int), bool
tensors and lists as masks (uint8 ones too, deprecated), 0-d bools, and
NumPy arrays (their data read as a list's).  It reads the key in two steps:
first the basic items (an int *selects*, removing its dimension; ``None``
and a 0-d bool insert one), then the advanced indices (index arrays and
masks) on what is left, whose result dimensions go where the first of them
stood when they are neighbours there, else first.  NumPy counts an int as an
advanced index, so the two differ when an int stands apart from the index
arrays (``x[0, :, [1, 2]]``); such keys become two NumPy keys applied in
turn.  A key of basic items that both read alike (the common case) is
checked by ``basic_key`` at the cost of one loop and passed on unchanged.
"""

from __future__ import annotations

import operator
import re
import warnings

from tapegrad import backend as B
from tapegrad.ops.registry import ShapeError
from tapegrad.tensor import TENSOR_TYPES, Tensor, _unwrap_nested

xp = B.xp
_ndarray = B.ndarray
_FULL = slice(None)
_SEQUENCES = (list, tuple, range, str)
# PyTorch reads a list holding one of these as a tuple of index items
_MULTI_DIM_ITEMS = (Tensor, _ndarray, list, tuple, range, str, slice)
_INDEX_DTYPES = (xp.dtype(xp.int64), xp.dtype(xp.int32))


class IndexOutOfRange(ShapeError, IndexError):
    """An index that does not fit the tensor: the ``IndexError`` PyTorch
    raises (and a ``tg.ShapeError``, so an op passes it on unchanged)."""


def basic_key(key):
    """``key`` as a tuple when it holds only items that PyTorch and NumPy
    read alike and that give a view (ints, slices of positive step, ``None``,
    one ``...``), else ``None``."""
    if key.__class__ is not tuple:
        key = (key,)
    ellipsis = False
    for k in key:
        cls = k.__class__
        if cls is int or k is None:
            continue
        if cls is slice:
            step = k.step
            if step is None or (step.__class__ is int and step > 0):
                continue
            return None
        if k is Ellipsis and not ellipsis:
            ellipsis = True
            continue
        return None
    return key


def index_steps(key, shape: tuple) -> tuple:
    """PyTorch's reading of ``key`` for a tensor of ``shape``: a tuple of one
    or two steps ``(numpy_key, basic)``, applied in turn (``basic``: the step
    gives a view).  Raises PyTorch's errors for keys it refuses."""
    if key.__class__ in TENSOR_TYPES and key._array.dtype in _INDEX_DTYPES and key._array.ndim:
        return (((key._array,), False),)  # (one tensor of indices: an embedding's lookup)
    items = tuple(map(_index_item, _key_items(key)))
    basic = _numpy_reading(items)
    if basic is None:
        return _select_then_index(items, shape)
    return ((items, basic),)


# ------------------------------------------------------------------ items
def _key_items(key) -> tuple:
    """The items of ``key``.  As PyTorch (and old NumPy), a list of fewer than
    32 items holding a sequence, slice, tensor, ``None`` or ``...`` is read
    as a tuple (deprecated there, with a warning)."""
    if key.__class__ is tuple:
        return key
    if isinstance(key, (list, range)) and len(key) < 32:
        if any(isinstance(k, _MULTI_DIM_ITEMS) or k is None or k is Ellipsis for k in key):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated (as in "
                "PyTorch); use x[tuple(seq)] instead of x[seq]",
                UserWarning,
                stacklevel=4,
            )
            return tuple(key)
    return (key,)


def _index_item(k):
    """One item of a key as NumPy reads it the way PyTorch means it: an int,
    a slice, ``None``, ``...``, a Python bool (a 0-d mask), a bool array (a
    mask) or an int64/int32 array (indices)."""
    cls = k.__class__
    if cls is int or cls is bool or k is None or k is Ellipsis:
        return k
    if cls is slice:
        return _checked_slice(k)
    if cls in TENSOR_TYPES:
        return _tensor_item(k._array)
    if isinstance(k, xp.integer):
        return int(k)
    if isinstance(k, (_ndarray, *_SEQUENCES)):
        return _data_item(k)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {name})"
    )


def _checked_slice(s: slice) -> slice:
    """``s``, refused as PyTorch refuses a step that is not positive."""
    if s.step is not None:
        try:
            step = operator.index(s.step)
        except TypeError:
            raise TypeError(
                "slice indices must be integers or None or have an __index__ method"
            ) from None
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    return s


def _tensor_item(arr):
    """A tensor index: int64/int32 indices, a bool (or deprecated uint8)
    mask; a 0-d integer tensor of any dtype selects like an int."""
    dtype = arr.dtype
    if dtype in _INDEX_DTYPES and arr.ndim:
        return arr
    if dtype.kind == "b" or dtype == xp.uint8:
        return _mask(arr)
    if dtype.kind in "iu" and arr.ndim == 0:
        return int(arr)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _data_item(data):
    """A list, range or NumPy array read as PyTorch reads it: bool (or
    uint8) data is a mask, anything else becomes int64 indices (floats
    truncated); 0-d data is a single int or bool."""
    try:
        arr = xp.asarray(data if data.__class__ is _ndarray else _unwrap_nested(data))
    except ValueError:
        raise ValueError(f"index: the nested list {data!r} is not rectangular") from None
    if arr.dtype.kind == "b" or arr.dtype == xp.uint8:
        return _mask(arr)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"index: cannot index with {type(data).__name__} data of dtype {arr.dtype}")
    arr = arr.astype(xp.int64, copy=False)
    return int(arr) if arr.ndim == 0 else arr


def _mask(arr):
    """A bool mask (a Python bool when 0-d); uint8 data is read as one, with
    PyTorch's deprecation warning."""
    if arr.dtype == xp.uint8:
        warnings.warn(
            "indexing with dtype uint8 is now deprecated, please use a dtype bool instead.",
            UserWarning,
            stacklevel=6,
        )
        arr = arr.astype(bool)
    return bool(arr) if arr.ndim == 0 else arr


# ------------------------------------------------------------------ placing
def _numpy_reading(items: tuple):
    """``None`` where NumPy reads ``items`` otherwise than PyTorch (a 0-d
    bool, a second ``...``, or an int standing apart from the index arrays:
    NumPy places the result of advanced indices by where the ints stand
    too), else whether the key is basic (no index array or mask)."""
    ints, arrays, ellipses = [], [], 0
    for i, k in enumerate(items):
        cls = k.__class__
        if cls is _ndarray:
            arrays.append(i)
        elif cls is int:
            ints.append(i)
        elif cls is bool:
            return None
        elif k is Ellipsis:
            ellipses += 1
    if ellipses > 1:
        return None
    if ints and arrays and max(ints + arrays) - min(ints + arrays) >= len(ints) + len(arrays):
        return None
    return not arrays


def _select_then_index(items: tuple, shape: tuple) -> tuple:
    """PyTorch's two steps as two NumPy keys: the basic items (each index
    array or mask kept as full slices, a 0-d bool as ``None``), then the
    advanced indices at the dimensions they stand on in that result.  Every
    ``...`` stands for the dimensions no item names, as in PyTorch."""
    ndim = len(shape)
    named = sum(_dims_named(k) for k in items)
    if named > ndim:
        raise IndexError(_too_many(ndim))
    basic, advanced = [], []  # advanced: (dimension of the basic result, index)
    dim = src = 0  # the next dimension of the basic result, and of the input
    for k in items:
        cls = k.__class__
        if k is Ellipsis:
            basic += [_FULL] * (ndim - named)
            dim, src = dim + ndim - named, src + ndim - named
        elif k is None or cls is bool:
            basic.append(None)
            if cls is bool:  # a 0-d mask: a new dimension, kept (True) or emptied
                advanced.append((dim, xp.arange(int(k))))
            dim += 1
        elif cls is int:
            _check_int(k, src, shape)
            basic.append(k)
            src += 1
        elif cls is slice:
            basic.append(k)
            dim, src = dim + 1, src + 1
        else:
            span = _dims_named(k)
            _check_array(k, src, shape)
            basic += [_FULL] * span
            advanced.append((dim, k))
            dim, src = dim + span, src + span
    while basic and basic[-1] == _FULL:  # (what a second ``...`` leaves at the end)
        basic.pop()
    steps = ((tuple(basic), True),) if basic else ()
    if advanced:
        steps += ((_advanced_key(advanced), False),)
    return steps or (((), True),)


def _dims_named(k) -> int:
    """How many dimensions of the input an item indexes."""
    if k.__class__ is _ndarray:
        return k.ndim if k.dtype.kind == "b" else 1
    return 1 if k.__class__ in (int, slice) else 0


def _advanced_key(advanced: list) -> tuple:
    """The NumPy key putting each ``(dimension, index)`` on its dimension."""
    key = []
    for dim, index in advanced:
        key += [_FULL] * (dim - len(key))
        key.append(index)
        key += [_FULL] * (_dims_named(index) - 1)  # (the rest of a mask's dimensions)
    return tuple(key)


# ------------------------------------------------------------------ errors
def _too_many(ndim: int) -> str:
    if ndim == 0:
        return (
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
            "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
        )
    return f"too many indices for tensor of dimension {ndim}"


def _out_of_bounds(index: int, dim: int, size: int) -> IndexOutOfRange:
    return IndexOutOfRange(f"index {index} is out of bounds for dimension {dim} with size {size}")


def _check_int(i: int, dim: int, shape: tuple) -> None:
    if dim >= len(shape):
        raise IndexError(_too_many(len(shape)))
    if not -shape[dim] <= i < shape[dim]:
        raise _out_of_bounds(i, dim, shape[dim])


def _check_array(index, dim: int, shape: tuple) -> None:
    """An index array's values, or a mask's shape, against the dimensions
    of the input it stands on (PyTorch's messages)."""
    if dim + _dims_named(index) > len(shape):
        raise IndexError(_too_many(len(shape)))
    if index.dtype.kind == "b":
        for j, n in enumerate(index.shape):
            if n != shape[dim + j]:
                raise IndexOutOfRange(
                    f"The shape of the mask {list(index.shape)} at index {j} does not match the "
                    f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                )
    elif index.size:
        size, low, high = shape[dim], int(index.min()), int(index.max())
        if high >= size or low < -size:
            raise _out_of_bounds(high if high >= size else low, dim, size)


_NUMPY_MESSAGES = (  # NumPy's words for a bad index, and PyTorch's
    (
        re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)"),
        r"index \1 is out of bounds for dimension \2 with size \3",
    ),
    (re.compile(r"indexing arrays could not"), "indexing tensors could not"),
)


def index_error(err: IndexError, shape: tuple, key: tuple) -> IndexOutOfRange:
    """NumPy's complaint about ``key`` (a NumPy key from ``index_steps``) on
    an array of ``shape``, in PyTorch's words (``index 5 is out of bounds
    for dimension 0 with size 3``)."""
    message = str(err)
    if message.startswith("too many indices"):
        return IndexOutOfRange(_too_many(len(shape)))
    if message.startswith("boolean index did not match"):
        try:  # (PyTorch's reading checks each mask against the dimensions it covers)
            _select_then_index(key, shape)
        except IndexOutOfRange as precise:
            return precise
    for pattern, replacement in _NUMPY_MESSAGES:
        message = pattern.sub(replacement, message)
    return IndexOutOfRange(message)
