"""Sizes: ``tg.Size`` (``torch.Size``) and the one reading of the size a
factory is given, in each of PyTorch's forms: ``zeros(2, 3)``,
``zeros((2, 3))``, ``zeros([2, 3])``, ``zeros(tg.Size([2, 3]))``,
``zeros(size=(2, 3))``, and ``zeros(())`` for a 0-d tensor."""

from __future__ import annotations

import math
import operator

from tapegrad import backend as B

_SEQUENCES = (tuple, list)


class Size(tuple):
    """``torch.Size``: the shape of a tensor, a tuple of ints
    (``tg.Size([2, 3])``; ``Size() == ()``).  Slices, ``+`` and ``*`` give
    ``Size`` again; ``numel()`` is the product of the sizes."""

    def __new__(cls, sizes=()):
        dims = []
        for i, v in enumerate(sizes):
            try:
                dims.append(operator.index(v))
            except TypeError:
                raise TypeError(
                    f"Size() takes an iterable of 'int' (item {i} is '{type(v).__name__}')"
                ) from None
        return super().__new__(cls, dims)

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, key):
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + other)

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(other + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"tapegrad.Size({list(self)})"

    __str__ = __repr__


def parse_size(dims: tuple, size, op: str) -> tuple:
    """The shape a factory ``op`` was given: its positional ``dims`` (ints,
    or one tuple, list or ``Size``) or its ``size`` keyword (a tuple, list
    or ``Size``; ``None`` when not given), with PyTorch's errors: a
    ``TypeError`` naming what is not an int, a ``RuntimeError`` for a
    negative size."""
    if size is not None:
        if dims:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        if not isinstance(size, _SEQUENCES):
            raise TypeError(
                f"{op}(): argument 'size' must be tuple of ints, not {type(size).__name__}"
            )
        dims = size
    elif not dims:
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    elif len(dims) == 1 and isinstance(dims[0], _SEQUENCES):
        dims = dims[0]
    shape = tuple(_dim(v, i, op) for i, v in enumerate(dims))
    for d in shape:
        if d < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {d}: {list(shape)}"
            )
    return shape


def as_int(v) -> int | None:
    """``v`` as an int when it is one PyTorch takes where an int is due (a
    Python or NumPy int, or a 0-d integer tensor; not a bool or a float),
    else ``None``."""
    if isinstance(v, (int, B.xp.integer)) and not isinstance(v, bool):
        return int(v)
    if getattr(v, "ndim", None) == 0 and getattr(v, "dtype", None) is not None:
        if v.dtype.kind in "iu":
            return int(v)
    return None


def _dim(v, position: int, op: str) -> int:
    d = as_int(v)
    if d is None:
        raise TypeError(
            f"{op}(): argument 'size' must be tuple of ints, but found element of type "
            f"{type(v).__name__} at pos {position}"
        )
    return d
