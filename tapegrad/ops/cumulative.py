"""Cumulative ops along one dimension: ``cumprod`` and ``logcumsumexp`` as
entries of the table, ``diff`` as a composition (``cumsum`` is in
``reduce``).  Their vjps are written in tapegrad ops, so second derivatives
work; ``cumprod``'s is exact where the input has zeros, as PyTorch's."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.ops.compare import logical_xor
from tapegrad.ops.elementwise import exp, log, where
from tapegrad.ops.reduce import cumsum
from tapegrad.ops.registry import as_tensor_arg, defprim
from tapegrad.ops.shape import cat, flip, narrow
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """``out_k = sum_{i >= k} t_i`` along ``dim``."""
    return flip(cumsum(flip(t, dim), dim), dim)


def _cumulative_input(input, dim, dtype, op: str):
    """The input (converted to ``dtype``; integers and bools to int64, as
    PyTorch) and ``dim`` wrapped."""
    x = as_tensor_arg(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x._array.dtype.kind in "biu" and x._array.dtype != B.int64:
        x = new_tensor(x._array.astype(B.int64))
    return x, _wrap_dim(dim, x.ndim, op)


# ------------------------------------------------------------------ cumprod
def _cumprod_vjp(g, out, a, dim):
    """``grad_k = sum_{i >= k} g_i prod_{j <= i, j != k} a_j``.  Before the
    first zero of a slice that is ``revcumsum(g out)_k / a_k``; at the first
    zero it is ``revcumsum(g c)_k`` with ``c`` the cumulative product of
    ``a`` with that zero taken as 1; after it, 0 (PyTorch's algorithm)."""
    zero = a._array == 0
    if not zero.any():
        return _reverse_cumsum(g * out, dim) / a
    zeros_so_far = xp.cumsum(zero, axis=dim)
    before = new_tensor(zeros_so_far == 0)
    first = new_tensor(zero & (zeros_so_far == 1))
    safe = where(before, a, 1.0)
    at_first = _reverse_cumsum(g * cumprod(where(first, 1.0, a), dim), dim)
    return where(before, _reverse_cumsum(g * out, dim) / safe, where(first, at_first, 0.0))


CUMPROD = defprim(
    "cumprod",
    lambda a, dim: xp.cumprod(a, axis=dim),
    _cumprod_vjp,
    partials="prod_{j<=i, j!=k} a_j",
    saves=(0,),
    saves_output=True,
    doc="out_i = product of a_j for j <= i along `dim`",
)


@CUMPROD.public
def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """``out_i = a_0 a_1 ... a_i`` along ``dim``; integers give int64."""
    x, d = _cumulative_input(input, dim, dtype, "cumprod")
    return CUMPROD.apply(x, dim=d)


# ------------------------------------------------------------- logcumsumexp
def _logcumsumexp_fwd(a, dim):
    if a.shape[dim] == 0:
        return a.copy()
    with xp.errstate(invalid="ignore"):  # (NaN in, NaN out, silently as PyTorch)
        return xp.logaddexp.accumulate(a, axis=dim)


def _log_positive(t: Tensor) -> Tensor:
    """``log t`` where ``t > 0``, ``-inf`` elsewhere (its gradient 0 there)."""
    pos = t > 0
    return where(pos, log(where(pos, t, 1.0)), float("-inf"))


def _logcumsumexp_vjp(g, out, a, dim):
    """``grad_k = sum_{i >= k} g_i exp(a_k - out_i)``, summed in log space for
    the positive and the negative parts of ``g`` apart, so that nothing
    overflows (each term is at most ``|g_i|``).  Where ``out_i = -inf`` (every
    ``a_j = -inf`` so far) the terms are taken as 0."""
    finite_out = where(out == float("-inf"), 0.0, out)

    def part(w):
        rev = flip(logcumsumexp(flip(_log_positive(w) - finite_out, dim), dim), dim)
        return exp(a + rev)

    return part(g) - part(-g)


LOGCUMSUMEXP = defprim(
    "logcumsumexp",
    _logcumsumexp_fwd,
    _logcumsumexp_vjp,
    partials="exp(a_k - out_i) [i >= k]",
    saves=(0,),
    saves_output=True,
    doc="out_i = log(sum of exp(a_j) for j <= i) along `dim`, without overflow",
)


@LOGCUMSUMEXP.public
def logcumsumexp(input, dim: int) -> Tensor:
    """``log(exp(a_0) + ... + exp(a_i))`` along ``dim``, stable for large values."""
    x = as_tensor_arg(input)
    if x._array.dtype.kind != "f":
        raise TypeError(f"logcumsumexp(): expected a floating point input, got {x.dtype}")
    return LOGCUMSUMEXP.apply(x, dim=_wrap_dim(dim, x.ndim, "logcumsumexp"))


# --------------------------------------------------------------------- diff
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference ``out_i = a_{i+1} - a_i`` along ``dim``,
    after joining ``prepend`` and ``append`` to the input there (bools:
    ``a_{i+1} xor a_i``)."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional, got a 0-d tensor")
    if not isinstance(n, int) or n < 0:
        raise RuntimeError(f"diff: order n must be non-negative, got {n}")
    d = _wrap_dim(dim, x.ndim, "diff")
    parts = [_diff_edge(prepend, x, d), x, _diff_edge(append, x, d)]
    parts = [p for p in parts if p is not None]
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in range(n):
        length = x.shape[d] - 1
        if length <= 0:
            return narrow(x, d, 0, 0)
        later, earlier = narrow(x, d, 1, length), narrow(x, d, 0, length)
        x = logical_xor(later, earlier) if x.dtype == dtypes.bool else later - earlier
    return x


def _diff_edge(edge, x: Tensor, d: int):
    """``prepend``/``append`` as a tensor with ``x``'s dimensions (a number
    becomes a slice of length 1; a tensor is broadcast but for ``d``)."""
    if edge is None:
        return None
    e = as_tensor_arg(edge, x)
    if e.ndim == 0:
        shape = list(x.shape)
        shape[d] = 1
        return e.expand(*shape)
    if e.ndim != x.ndim:
        raise RuntimeError(
            f"diff: prepend/append of shape {tuple(e.shape)} must have as many dims as the input "
            f"of shape {tuple(x.shape)}"
        )
    return e
