"""``default_collate`` and ``default_convert``: PyTorch's rules for turning
samples into tensors.

``default_collate(batch)`` joins the ``B`` samples of a batch, by the type of
the first sample ``e``:

==============================  =============================================
``e``                           the batch
==============================  =============================================
Tensor                          stacked: shape ``(B, *e.shape)``
NumPy array                     stacked into a tensor of the array's dtype
NumPy scalar                    a ``(B,)`` tensor of its dtype
float / int / bool              a ``(B,)`` tensor: float64 / int64 / bool
str / bytes                     the batch unchanged (a list of strings)
Mapping                         the same mapping, each key collated
namedtuple                      the same namedtuple, each field collated
tuple or other Sequence         a list (for a tuple, as PyTorch) or the same
                                sequence type, each position collated
==============================  =============================================

``default_convert(sample)`` is what a ``DataLoader`` without automatic
batching (``batch_size=None``) applies: NumPy arrays and scalars become
tensors, containers are converted element by element, anything else is
returned as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from tapegrad import backend as B
from tapegrad.dtypes import float64
from tapegrad.ops.shape import stack
from tapegrad.tensor import Tensor, as_tensor, from_numpy, tensor

__all__ = ["default_collate", "default_convert"]

xp, host = B.xp, B.host

_UNSUPPORTED = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_collate(batch: Sequence) -> Any:
    """The samples of ``batch`` (a list) joined into one batch along a new
    first dimension, by the rules in this module's docstring."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, host.ndarray):
        if _holds_text_or_objects(elem):
            raise TypeError(_UNSUPPORTED.format(elem.dtype))
        return _stack_arrays([xp.asarray(a) for a in batch])
    if isinstance(elem, (host.bool_, host.number)):
        return from_numpy(xp.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        _check_equal_lengths(batch)
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_sequence(elem, fields)
    raise TypeError(_UNSUPPORTED.format(type(elem)))


def default_convert(data: Any) -> Any:
    """``data`` with every NumPy array and scalar in it made a tensor (arrays
    share memory, as ``as_tensor``); tuples become lists, other containers keep
    their type; anything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, host.ndarray):
        return data if _holds_text_or_objects(data) else from_numpy(data)
    if isinstance(data, (host.bool_, host.number)):
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _same_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data


def _stack_tensors(batch: Sequence[Tensor]) -> Tensor:
    """``stack(batch)``; recorded for autograd only when a sample requires
    grad (as PyTorch's stack), else one array copy."""
    _check_equal_shapes([t.shape for t in batch])
    if any(t.requires_grad for t in batch):
        return stack(list(batch))
    return from_numpy(xp.stack([t.numpy() for t in batch]))


def _stack_arrays(arrays: list) -> Tensor:
    _check_equal_shapes([a.shape for a in arrays])
    return from_numpy(xp.stack(arrays))


def _check_equal_shapes(shapes: list[tuple]) -> None:
    for i, shape in enumerate(shapes):
        if tuple(shape) != tuple(shapes[0]):
            raise RuntimeError(
                "default_collate: stack expects each tensor to be equal size, but got "
                f"{list(shapes[0])} at entry 0 and {list(shape)} at entry {i}"
            )


def _check_equal_lengths(batch: Sequence[Sequence]) -> None:
    for i, sample in enumerate(batch):
        if len(sample) != len(batch[0]):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size, "
                f"but element 0 has {len(batch[0])} fields and element {i} has {len(sample)}"
            )


def _holds_text_or_objects(array) -> bool:
    return array.dtype.kind in "SaUO"


def _same_mapping(like: Mapping, items: dict) -> Mapping:
    """``items`` in a mapping of ``like``'s type where that type can be built
    (a copy of a mutable one keeps its other state), else a plain dict."""
    try:
        if isinstance(like, MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _same_sequence(like: Sequence, items: list) -> Sequence:
    """``items`` in a sequence of ``like``'s type where that type can be
    built, else a list."""
    try:
        if isinstance(like, MutableSequence):
            clone = copy.copy(like)
            clone[:] = items
            return clone
        return type(like)(items)
    except TypeError:
        return items
