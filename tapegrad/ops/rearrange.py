"""Rearranging and combining tensors, written as compositions of the table's
shape and index ops (so each gradient is theirs): ``diagonal``, ``trace``,
``ravel``, ``fliplr``/``flipud``/``rot90``, ``column_stack``/``dstack``,
``diagflat``, ``vander``, ``cartesian_prod``, ``combinations``, ``msort``."""

from __future__ import annotations

import builtins
import itertools

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.ops.cumulative import cumprod
from tapegrad.ops.order import sort
from tapegrad.ops.reduce import sum
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import cat, diag, flip, meshgrid, permute, reshape, stack, transpose
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """``out[..., i] = input[..., i + max(-offset, 0), i + max(offset, 0)]``
    over the plane ``(dim1, dim2)``: the other dims keep their order and the
    diagonal becomes the last dim."""
    x = as_tensor_arg(input)
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal"), _wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    plane_last = permute(x, *rest, d1, d2)
    start_r, start_c = builtins.max(-offset, 0), builtins.max(offset, 0)
    n = builtins.max(0, builtins.min(x.shape[d1] - start_r, x.shape[d2] - start_c))
    return plane_last[..., xp.arange(n) + start_r, xp.arange(n) + start_c]


def trace(input) -> Tensor:
    """``sum_i input[i, i]`` of a matrix (integers sum to int64)."""
    x = as_tensor_arg(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype == dtypes.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return sum(diagonal(x))


def ravel(input) -> Tensor:
    """The elements of ``input`` as a 1-D tensor, in row-major order."""
    return reshape(as_tensor_arg(input), -1)


def fliplr(input) -> Tensor:
    """``input`` reversed along dim 1 (left and right swapped)."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(x, 1)


def flipud(input) -> Tensor:
    """``input`` reversed along dim 0 (up and down swapped)."""
    x = as_tensor_arg(input)
    if x.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(x, 0)


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """``input`` rotated by ``k`` quarter turns in the plane ``dims``, from
    the first dim towards the second: one turn is ``flip(dims[1])`` then
    swapping the two dims."""
    x = as_tensor_arg(input)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = (_wrap_dim(d, x.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    turns = k % 4
    if turns == 1:
        return transpose(flip(x, d1), d0, d1)
    if turns == 2:
        return flip(x, d0, d1)
    if turns == 3:
        return transpose(flip(x, d0), d0, d1)
    return x.clone()


def _nonempty_list(tensors, op: str) -> list:
    parts = [as_tensor_arg(t) for t in tensors]
    if not parts:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return parts


def column_stack(tensors) -> Tensor:
    """The tensors side by side as columns: 0-d and 1-d ones become ``(n, 1)``
    columns, the rest are joined along dim 1."""
    parts = _nonempty_list(tensors, "column_stack")
    columns = [reshape(t, t.numel(), 1) if t.ndim <= 1 else t for t in parts]
    return cat(columns, 1)


def _atleast_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return reshape(t, 1, 1, 1)
    if t.ndim == 1:
        return reshape(t, 1, t.shape[0], 1)
    if t.ndim == 2:
        return reshape(t, *t.shape, 1)
    return t


def dstack(tensors) -> Tensor:
    """The tensors stacked depthwise: each made at least 3-d (``(n,)`` to
    ``(1, n, 1)``, ``(m, n)`` to ``(m, n, 1)``), then joined along dim 2."""
    return cat([_atleast_3d(t) for t in _nonempty_list(tensors, "dstack")], 2)


def diagflat(input, offset: int = 0) -> Tensor:
    """A square matrix with the flattened ``input`` on its ``offset``-th
    diagonal and zeros elsewhere."""
    return diag(ravel(input), offset)


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix ``out[i, j] = x_i ** (N - 1 - j)`` (``x_i ** j``
    when ``increasing``), built by a cumulative product so that it is exact
    and differentiable; integers and bools give int64."""
    v = as_tensor_arg(x)
    if v.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = v.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if v._array.dtype.kind in "biu":
        v = v.to(dtypes.int64)
    ones = new_tensor(xp.ones((v.shape[0], 1), dtype=v._array.dtype))
    if n <= 1:
        powers = ones[:, :n]
    else:
        repeated = reshape(v, -1, 1).expand(v.shape[0], n - 1)
        powers = cat([ones, cumprod(repeated, 1)], 1)
    return powers if increasing else flip(powers, 1)


def _vector(t) -> Tensor:
    v = as_tensor_arg(t)
    if v.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(v.shape)}")
    return v


def cartesian_prod(*tensors) -> Tensor:
    """Every tuple ``(a_i, b_j, ...)`` of the 1-D inputs, in row-major order,
    as the rows of a ``(len(a) len(b) ..., k)`` tensor (one input: itself)."""
    vectors = [_vector(t) for t in tensors]
    if len(vectors) == 1:
        return vectors[0]
    return stack([ravel(g) for g in meshgrid(*vectors, indexing="ij")], 1)


def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of the elements of a 1-D ``input`` (as
    ``itertools.combinations``, or ``combinations_with_replacement``) as the
    rows of an ``(m, r)`` tensor; ``r = 0`` gives an empty 1-D tensor."""
    v = _vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return v[:0]
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(choose(range(v.shape[0]), r))
    index = xp.asarray(rows, dtype=B.int64).reshape(len(rows), r)
    return v[index]


def msort(input) -> Tensor:
    """``input`` sorted along dim 0 in ascending order."""
    return sort(as_tensor_arg(input), 0).values
