"""Products and distances written as compositions of ``matmul``, ``dot`` and
``norm`` (so each gradient is theirs): ``tensordot``, ``vdot``,
``chain_matmul``, ``pdist``; and the one-sided clamps ``clamp_min`` and
``clamp_max``."""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.dtypes import scalar_type_name
from tapegrad.ops.elementwise import clamp
from tapegrad.ops.linalg import dot, mm
from tapegrad.ops.reduce import amax, norm, sum
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import permute, reshape
from tapegrad.ops.statistics import nonzero_indicator
from tapegrad.tensor import Tensor, _wrap_dim

xp = B.xp


def _contracted_dims(a: Tensor, b: Tensor, dims) -> tuple[list, list]:
    """``dims`` as two lists of dims of ``a`` and ``b`` to contract."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    wrap = _wrap_dim
    return [wrap(d, a.ndim, "tensordot") for d in dims_a], [
        wrap(d, b.ndim, "tensordot") for d in dims_b
    ]


def tensordot(a, b, dims=2) -> Tensor:
    """``sum over the contracted dims of a[free_a, k] b[k, free_b]``: the
    free dims of ``a`` then those of ``b``.  ``dims`` is a number ``n`` (the
    last ``n`` dims of ``a`` with the first ``n`` of ``b``) or two lists."""
    a, b = as_tensor_arg(a), as_tensor_arg(b)
    dims_a, dims_b = _contracted_dims(a, b, dims)
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}"
            )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    rows = reshape(permute(a, *free_a, *dims_a), -1, k) if a.ndim else reshape(a, 1, 1)
    cols = reshape(permute(b, *dims_b, *free_b), k, -1) if b.ndim else reshape(b, 1, 1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return reshape(mm(rows, cols), *shape)


def vdot(input, other) -> Tensor:
    """``sum_i conj(a_i) b_i`` of two 1-D tensors of one dtype (real: ``dot``)."""
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{scalar_type_name(a.dtype)} and {scalar_type_name(b.dtype)}"
        )
    return dot(a, b)


def chain_matmul(*matrices) -> Tensor:
    """``M_1 M_2 ... M_n`` of 2-D tensors (deprecated in PyTorch for
    ``linalg.multi_dot``), multiplied from the left."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    ms = [as_tensor_arg(m) for m in matrices]
    for m in ms:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(ms) == 1:
        return ms[0].clone()
    product = ms[0]
    for m in ms[1:]:
        product = mm(product, m)
    return product


def pdist(input, p: float = 2) -> Tensor:
    """The ``p``-norm distances ``||x_i - x_j||_p`` between the rows of an
    ``(N, M)`` input for ``i < j``, in row-major order: ``N (N - 1) / 2``."""
    x = as_tensor_arg(input)
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x._array.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = xp.triu_indices(x.shape[0], 1)
    differences = x[first] - x[second]  # (pairs, M)
    if p == 0:
        return sum(nonzero_indicator(differences), 1)
    if p == float("inf"):
        return amax(differences.abs(), 1) if differences.numel() else sum(differences, 1)
    return norm(differences, p, 1)


def clamp_min(input, min) -> Tensor:
    """``max(input, min)`` elementwise (``clamp`` with only a lower bound)."""
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:
    """``min(input, max)`` elementwise (``clamp`` with only an upper bound)."""
    return clamp(input, max=max)
