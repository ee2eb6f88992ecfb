"""``tensor_split`` and its NumPy-named forms ``hsplit``, ``vsplit``,
``dsplit``: a tensor cut along one dimension into views (slices, so the
gradient of each part flows back to its elements of the input)."""

from __future__ import annotations

import builtins

from tapegrad import backend as B
from tapegrad.factory_args import int_arg
from tapegrad.ops.index import getitem
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import ShapeMismatch
from tapegrad.tensor import Tensor, _wrap_dim


def tensor_split(
    input,
    indices_or_sections=None,
    dim: int = 0,
    *,
    sections=None,
    indices=None,
    tensor_indices_or_sections=None,
) -> tuple:
    """``input`` cut along ``dim`` into a tuple of views.

    * an int ``n`` (or a 0-d int64 tensor): ``n`` parts; of a dimension of
      size ``s``, the first ``s % n`` parts have ``s // n + 1`` elements, the
      others ``s // n`` (so parts may be empty);
    * a sequence (or 1-D int64 tensor) of indices ``[i1, ..., ik]``: the
      parts ``[:i1], [i1:i2], ..., [ik:]`` along ``dim``, each read as a
      Python slice (negative indices count from the end; out-of-range ones
      are clipped, and a part whose end precedes its start is empty).

    PyTorch's keyword names ``sections``, ``indices`` and
    ``tensor_indices_or_sections`` may name the argument instead.
    """
    x = as_tensor_arg(input)
    given = _the_argument(
        "tensor_split",
        indices_or_sections=indices_or_sections,
        sections=sections,
        indices=indices,
        tensor_indices_or_sections=tensor_indices_or_sections,
    )
    if x.ndim == 0:
        raise ShapeMismatch(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = _wrap_dim(int_arg(dim, "dim", "tensor_split"), x.ndim, "tensor_split")
    bounds = _bounds(_points(given), x.shape[d])
    return tuple(getitem(x, (slice(None),) * d + (slice(lo, hi),)) for lo, hi in bounds)


def _the_argument(op: str, **alternatives):
    """The one of PyTorch's alternative names for an argument that was given."""
    given = [value for value in alternatives.values() if value is not None]
    if len(given) != 1:
        names = ", ".join(alternatives)
        raise TypeError(f"{op}() takes exactly one of {names}; got {len(given)}")
    return given[0]


def _points(arg):
    """The split argument as an int number of sections or a list of indices."""
    if isinstance(arg, Tensor):
        if arg._array.dtype != B.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long "
                f"(int64), but got {arg.dtype}"
            )
        if arg.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                f"or one-dimensional tensor, but got a tensor with {arg.ndim} dims"
            )
        return int(arg._array) if arg.ndim == 0 else [int(i) for i in arg._array]
    if isinstance(arg, (list, tuple)):
        return [int_arg(i, "indices", "tensor_split") for i in arg]
    return int_arg(arg, "indices_or_sections", "tensor_split")


def _bounds(points, size: int) -> list:
    """``(start, end)`` of each part along a dimension of ``size``."""
    if isinstance(points, list):
        return list(zip([None] + points, points + [None]))
    if points <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {points}")
    short, longer = divmod(size, points)
    ends = [k * short + builtins.min(k, longer) for k in range(points + 1)]
    return list(zip(ends[:-1], ends[1:]))


def _split_along(op: str, dim: int, needs: int, input, indices_or_sections, sections, indices):
    """``tensor_split`` along ``dim`` of a tensor of at least ``needs`` dims,
    with NumPy's rule that a number of sections must divide the size."""
    x = as_tensor_arg(input)
    arg = _the_argument(
        op, indices_or_sections=indices_or_sections, sections=sections, indices=indices
    )
    if x.ndim < needs:
        raise ShapeMismatch(
            f"torch.{op} requires a tensor with at least {needs} dimension, but got a tensor "
            f"with {x.ndim} dimensions!"
        )
    if isinstance(arg, (list, tuple)):
        return tensor_split(x, arg, dim)
    n, size = int_arg(arg, "indices_or_sections", op), x.shape[dim]
    if n == 0 or size % n:
        raise ShapeMismatch(
            f"torch.{op} attempted to split along dimension {dim}, but the size of the "
            f"dimension {size} is not divisible by the split_size {n}!"
        )
    return tensor_split(x, n, dim)


def hsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """``tensor_split`` along dimension 1 (dimension 0 of a 1-D tensor); a
    number of sections must divide that dimension's size."""
    x = as_tensor_arg(input)
    dim = 1 if x.ndim > 1 else 0
    return _split_along("hsplit", dim, 1, x, indices_or_sections, sections, indices)


def vsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """``tensor_split`` along dimension 0 of a tensor of at least 2 dims; a
    number of sections must divide its size."""
    return _split_along("vsplit", 0, 2, input, indices_or_sections, sections, indices)


def dsplit(input, indices_or_sections=None, *, sections=None, indices=None) -> tuple:
    """``tensor_split`` along dimension 2 of a tensor of at least 3 dims; a
    number of sections must divide its size."""
    return _split_along("dsplit", 2, 3, input, indices_or_sections, sections, indices)


def _method(split):
    """``Tensor.hsplit`` and friends: PyTorch's methods also take the indices
    as separate ints, ``x.hsplit(1, 2)`` for ``x.hsplit([1, 2])``."""

    def method(self, *indices_or_sections, **keywords):
        if len(indices_or_sections) > 1:
            indices_or_sections = (list(indices_or_sections),)
        return split(self, *indices_or_sections, **keywords)

    method.__name__ = method.__qualname__ = split.__name__
    method.__doc__ = split.__doc__
    return method


hsplit_method, vsplit_method, dsplit_method = _method(hsplit), _method(vsplit), _method(dsplit)
