"""Reductions (``dim``/``keepdim`` as in PyTorch) and the stable
softmax family: ``logsumexp``, ``softmax``, ``log_softmax`` subtract the
maximum first, so logits of +-1e4 and ``-inf`` entries stay finite."""

from __future__ import annotations

import builtins
import collections
import math

from tapegrad import backend as B
from tapegrad.ops.elementwise import abs as _abs
from tapegrad.ops.elementwise import exp, sign, sqrt, where
from tapegrad.ops.registry import BROADCAST_TO, as_tensor_arg, defprim
from tapegrad.ops.shape import RESHAPE, reshape
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp
add_reduce, max_reduce, min_reduce = B.add_reduce, B.max_reduce, B.min_reduce

return_types_max = collections.namedtuple("max", ["values", "indices"])
return_types_min = collections.namedtuple("min", ["values", "indices"])


def _axes(dim, ndim: int, op: str):
    """``dim`` (None, int or sequence) as a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (int, B.xp.integer)):
        dim = (int(dim),)
    axes = tuple(sorted({_wrap_dim(d, ndim, op) for d in dim}))
    if ndim == 0:
        return None
    return axes


def _kept_shape(shape, axes):
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_back(g: Tensor, shape: tuple, axes, keepdim: bool) -> Tensor:
    """Broadcast a reduction's gradient back over the reduced ``axes``.
    Without ``keepdim``, the reduced axes are put back as size-1 axes first,
    unless they are leading ones (all of them, say): broadcasting adds those."""
    if not keepdim and axes is not None and axes != tuple(range(len(axes))):
        g = RESHAPE.apply(g, shape=_kept_shape(shape, axes))
    if g.shape == shape:
        return g
    return BROADCAST_TO.apply(g, shape=shape)


def _count(shape, axes) -> int:
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


# ---------------------------------------------------------------- sum/mean
def _sum_fwd(a, axes, keepdim):
    return add_reduce(a, axes, keepdims=keepdim)


SUM = defprim(
    "sum",
    _sum_fwd,
    lambda g, out, a, axes, keepdim: expand_back(g, a.shape, axes, keepdim),
    partials="1",
    arrays=True,
    doc="out = sum of a over `dim`",
)


@SUM.public
def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all elements when None); integers and bools sum to int64."""
    x = as_tensor_arg(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x._array.dtype.kind in "biu" and x._array.dtype != B.int64:
        x = new_tensor(x._array.astype(B.int64))
    return SUM.apply(x, axes=_axes(dim, x.ndim, "sum"), keepdim=keepdim)


def _mean_fwd(a, axes, keepdim):
    return a.mean(axis=axes, keepdims=keepdim)


def _mean_vjp(g, out, a, axes, keepdim):
    return expand_back(g, a.shape, axes, keepdim) / _count(a.shape, axes)


MEAN = defprim(
    "mean", _mean_fwd, _mean_vjp, partials="1/n", arrays=True, doc="out = mean of a over `dim`"
)


def _float_input(x: Tensor, op: str) -> Tensor:
    if x._array.dtype.kind != "f":
        raise TypeError(
            f"{op}(): input dtype must be floating point, got {x.dtype}; convert it with .float()"
        )
    return x


@MEAN.public
def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all elements when None); floating inputs only, as PyTorch."""
    x = as_tensor_arg(input)
    x = x.to(dtype) if dtype is not None else _float_input(x, "mean")
    return MEAN.apply(x, axes=_axes(dim, x.ndim, "mean"), keepdim=keepdim)


# ------------------------------------------------------------- var / std
def _var_fwd(a, axes, keepdim, correction):
    n = _count(a.shape, axes)
    out = a.var(axis=axes, keepdims=keepdim, ddof=0)
    return (out * (n / builtins.max(n - correction, 0))).astype(a.dtype, copy=False)


def _var_vjp(g, out, a, axes, keepdim, correction):
    n = _count(a.shape, axes)
    centred = a - mean(a, axes, keepdim=True)
    return expand_back(g, a.shape, axes, keepdim) * centred * (2.0 / (n - correction))


VAR = defprim(
    "var",
    _var_fwd,
    _var_vjp,
    partials="2*(a - mean(a))/(n - correction)",
    saves=(0,),
    doc="out = sum((a - mean a)^2) / (n - correction) over `dim`",
)


def _correction(unbiased, correction) -> float:
    if correction is not None:
        return float(correction)
    if unbiased is None:
        return 1.0
    return 1.0 if unbiased else 0.0


@VAR.public
def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim``; unbiased (divides by n - 1) unless
    ``unbiased=False`` or ``correction=0``."""
    x = _float_input(as_tensor_arg(input), "var")
    if isinstance(dim, bool):  # var(x, False): the old positional `unbiased`
        dim, unbiased = None, dim
    return VAR.apply(
        x,
        axes=_axes(dim, x.ndim, "var"),
        keepdim=keepdim,
        correction=_correction(unbiased, correction),
    )


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


# ---------------------------------------------------------------- amax/amin
def _extreme_vjp(g, out, a, axes, keepdim):
    full = expand_back(out, a.shape, axes, keepdim)
    hit = a == full
    count = sum(hit, axes, keepdim=True)
    share = expand_back(g, a.shape, axes, keepdim) / expand_back(
        count.to(a.dtype), a.shape, axes, True
    )
    return where(hit, share, 0.0)


AMAX = defprim(
    "amax",
    lambda a, axes, keepdim: max_reduce(a, axes, keepdims=keepdim),
    _extreme_vjp,
    partials="[a == max]/count",
    saves=(0,),
    saves_output=True,
    doc="out = largest element of a over `dim`; ties share the gradient equally",
)
AMIN = defprim(
    "amin",
    lambda a, axes, keepdim: min_reduce(a, axes, keepdims=keepdim),
    _extreme_vjp,
    partials="[a == min]/count",
    saves=(0,),
    saves_output=True,
    doc="out = smallest element of a over `dim`; ties share the gradient equally",
)


def _nonempty(x: Tensor, axes, op: str):
    if x._array.size == 0 or (axes is not None and builtins.any(x.shape[i] == 0 for i in axes)):
        raise ValueError(f"{op}(): cannot reduce an empty tensor of shape {x.shape}")


@AMAX.public
def amax(input, dim=None, keepdim: bool = False) -> Tensor:
    x = as_tensor_arg(input)
    axes = _axes(dim, x.ndim, "amax")
    _nonempty(x, axes, "amax")
    return AMAX.apply(x, axes=axes, keepdim=keepdim)


@AMIN.public
def amin(input, dim=None, keepdim: bool = False) -> Tensor:
    x = as_tensor_arg(input)
    axes = _axes(dim, x.ndim, "amin")
    _nonempty(x, axes, "amin")
    return AMIN.apply(x, axes=axes, keepdim=keepdim)


def _max_min(x, dim, keepdim, other, op):
    from tapegrad.ops.elementwise import maximum, minimum
    from tapegrad.ops.index import gather

    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return (maximum if op == "max" else minimum)(x, other)
    x = as_tensor_arg(x)
    if dim is None:
        return (amax if op == "max" else amin)(x)
    d = _wrap_dim(dim, x.ndim, op)
    _nonempty(x, (d,) if x.ndim else None, op)
    idx = (argmax if op == "max" else argmin)(x, d, keepdim=True)
    if x.ndim == 0:
        values, idx = x, new_tensor(xp.zeros((), dtype=B.int64))
    else:
        values = gather(x, d, idx)
        if not keepdim:
            values = reshape(values, values.shape[:d] + values.shape[d + 1 :])
            idx = new_tensor(idx._array.reshape(idx.shape[:d] + idx.shape[d + 1 :]))
    return (return_types_max if op == "max" else return_types_min)(values, idx)


def max(input, dim=None, keepdim: bool = False, *, other=None):
    """``max(x)``: the largest element (ties share the gradient);
    ``max(x, dim)``: ``(values, indices)`` along ``dim`` (the gradient goes to
    the index); ``max(x, y)``: elementwise ``maximum``."""
    return _max_min(input, dim, keepdim, other, "max")


def min(input, dim=None, keepdim: bool = False, *, other=None):
    """As ``max``, for the smallest elements."""
    return _max_min(input, dim, keepdim, other, "min")


def _arg(input, dim, keepdim: bool, op: str) -> Tensor:
    """``argmax``/``argmin``: int64 indices, no gradient."""
    x = as_tensor_arg(input)
    if dim is None:
        return new_tensor(xp.asarray(getattr(x._array, op)(), dtype=B.int64))
    d = _wrap_dim(dim, x.ndim, op)
    if not x.ndim:
        return new_tensor(xp.zeros((), dtype=B.int64))
    return new_tensor(xp.asarray(getattr(x._array, op)(axis=d, keepdims=keepdim), dtype=B.int64))


def argmax(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened when ``dim`` is None); no gradient."""
    return _arg(input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened when ``dim`` is None); no gradient."""
    return _arg(input, dim, keepdim, "argmin")


def any(input, dim=None, keepdim: bool = False) -> Tensor:
    x = as_tensor_arg(input)
    return new_tensor(xp.any(x._array, axis=_axes(dim, x.ndim, "any"), keepdims=keepdim))


def all(input, dim=None, keepdim: bool = False) -> Tensor:
    x = as_tensor_arg(input)
    return new_tensor(xp.all(x._array, axis=_axes(dim, x.ndim, "all"), keepdims=keepdim))


def count_nonzero(input, dim=None) -> Tensor:
    x = as_tensor_arg(input)
    return new_tensor(
        xp.asarray(
            xp.count_nonzero(x._array, axis=_axes(dim, x.ndim, "count_nonzero")), dtype=B.int64
        )
    )


# --------------------------------------------------------------------- prod
def _prod_fwd(a, axes, keepdim):
    return a.prod(axis=axes, keepdims=keepdim)


def _prod_vjp(g, out, a, axes, keepdim):
    ge = expand_back(g, a.shape, axes, keepdim)
    if not (a._array == 0).any():
        return ge * expand_back(out, a.shape, axes, keepdim) / a
    # With zeros, the product of the *other* elements cannot come from out / a:
    # take it from exclusive cumulative products from both sides (first order).
    others = _prod_of_others(a._array, axes)
    return ge * new_tensor(others)


def _prod_of_others(a, axes):
    axes = tuple(range(a.ndim)) if axes is None else axes
    moved = xp.moveaxis(a, axes, tuple(range(len(axes))))
    flat = moved.reshape((-1,) + moved.shape[len(axes) :])
    ones = xp.ones((1,) + flat.shape[1:], dtype=a.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[:-1]]), axis=0)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, 0)[:-1]]), axis=0), 0)
    return xp.moveaxis((left * right).reshape(moved.shape), tuple(range(len(axes))), axes)


PROD = defprim(
    "prod",
    _prod_fwd,
    _prod_vjp,
    partials="prod(a)/a",
    saves=(0,),
    saves_output=True,
    doc="out = product of a over `dim`",
)


@PROD.public
def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (PyTorch's ``prod`` takes one int dim or none)."""
    x = as_tensor_arg(input)
    if dtype is not None:
        x = x.to(dtype)
    return PROD.apply(x, axes=_axes(dim, x.ndim, "prod"), keepdim=keepdim)


# ------------------------------------------------------------------ cumsum
def _cumsum_vjp(g, out, a, dim):
    from tapegrad.ops.shape import flip

    return flip(cumsum(flip(g, dim), dim), dim)


CUMSUM = defprim(
    "cumsum",
    lambda a, dim: xp.cumsum(a, axis=dim),
    _cumsum_vjp,
    partials="[j>=i]",
    doc="out_i = sum of a_j for j <= i along `dim`",
)


@CUMSUM.public
def cumsum(input, dim: int, *, dtype=None) -> Tensor:
    """``out_i = a_0 + ... + a_i`` along ``dim``; integers and bools give int64."""
    x = as_tensor_arg(input)
    if dtype is not None:
        x = x.to(dtype)
    elif x._array.dtype.kind in "biu" and x._array.dtype != B.int64:
        x = new_tensor(x._array.astype(B.int64))
    return CUMSUM.apply(x, dim=_wrap_dim(dim, x.ndim, "cumsum"))


# ------------------------------------------------------------ norm
def _norm_fwd(a, p, axes, keepdim):
    if p == 2:
        return xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
    m = xp.abs(a)
    if p == float("inf"):
        return m.max(axis=axes, keepdims=keepdim)
    if p == 1:
        return m.sum(axis=axes, keepdims=keepdim)
    return ((m**p).sum(axis=axes, keepdims=keepdim)) ** (1.0 / p)


def _norm_vjp(g, out, a, p, axes, keepdim):
    shape = a.shape
    ge = expand_back(g, shape, axes, keepdim)
    ne = expand_back(out, shape, axes, keepdim)
    if p == 2:
        return where(ne == 0, 0.0, ge * a / ne)
    if p == 1:
        return ge * sign(a)
    if p == float("inf"):
        m = _abs(a)
        hit = m == ne
        count = expand_back(sum(hit, axes, keepdim=True).to(a.dtype), shape, axes, True)
        return where(hit, ge * sign(a) / count, 0.0)
    m = _abs(a)
    return where(ne == 0, 0.0, ge * sign(a) * m ** (p - 1) / ne ** (p - 1))


NORM = defprim(
    "norm",
    _norm_fwd,
    _norm_vjp,
    partials="a*|a|**(p-2)/norm**(p-1)",
    saves=(0,),
    saves_output=True,
    doc="out = (sum |a|^p)^(1/p) over `dim` (p = 2 by default; 1 and inf too)",
)


@NORM.public
def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None); ``'fro'`` is 2.
    Gradient 0 at a zero vector, as PyTorch."""
    x = _float_input(as_tensor_arg(input), "norm")
    if p in ("fro", None):
        p = 2
    if p == "nuc":
        raise ValueError("norm: p='nuc' (nuclear norm) is not supported")
    p = float(p)
    if p <= 0:
        raise ValueError(f"norm: p must be positive, got {p}")
    return NORM.apply(x, p=p, axes=_axes(dim, x.ndim, "norm"), keepdim=keepdim)


# ------------------------------------------------------- softmax family
def _max_and_shifted(a, axes, guard: bool):
    """``(m, a - m, finite)`` for ``m`` the maximum over ``axes`` (kept) and
    whether every maximum was finite: then every ``sum(exp(a - m))`` is at
    least 1 (no log of 0 to guard).  Where a maximum is not finite, ``a - m``
    is NaN there, which is what PyTorch's softmax and log-softmax give; with
    ``guard`` (log-sum-exp, which is +-inf there) such a maximum counts as 0."""
    m = max_reduce(a, axes, keepdims=True)
    if math.isfinite(add_reduce(m, None)):  # (a sum: the cheapest check of them all)
        return m, a - m, True
    if guard:
        m = xp.where(xp.isfinite(m), m, 0)
    with xp.errstate(invalid="ignore"):  # (inf - inf: NaN, silently as PyTorch)
        return m, a - m, False


def _log_sum_exp(shifted, axes, finite: bool):
    """``log(sum(exp(shifted)))`` over ``axes`` (kept)."""
    if finite:
        return xp.log(add_reduce(xp.exp(shifted), axes, keepdims=True))
    with xp.errstate(divide="ignore"):  # (a row of -inf: log 0 = -inf, as PyTorch)
        return xp.log(add_reduce(xp.exp(shifted), axes, keepdims=True))


def _logsumexp_fwd(a, axes, keepdim):
    m, shifted, finite = _max_and_shifted(a, axes, guard=True)
    out = _log_sum_exp(shifted, axes, finite) + m
    return out if keepdim else out.reshape(_drop(out.shape, axes))


def _drop(shape, axes):
    return () if axes is None else tuple(n for i, n in enumerate(shape) if i not in axes)


def _logsumexp_vjp(g, out, a, axes, keepdim):
    shape = a.shape
    return expand_back(g, shape, axes, keepdim) * exp(a - expand_back(out, shape, axes, keepdim))


LOGSUMEXP = defprim(
    "logsumexp",
    _logsumexp_fwd,
    _logsumexp_vjp,
    partials="softmax(a)",
    saves=(0,),
    saves_output=True,
    doc="out = log(sum(exp(a))) over `dim`, computed as m + log(sum(exp(a - m)))",
)


@LOGSUMEXP.public
def logsumexp(input, dim=None, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, stable: the maximum is taken out first."""
    x = _float_input(as_tensor_arg(input), "logsumexp")
    return LOGSUMEXP.apply(x, axes=_axes(dim, x.ndim, "logsumexp"), keepdim=keepdim)


def _softmax_fwd(a, dim):
    e = xp.exp(_max_and_shifted(a, dim, guard=False)[1])
    return e / add_reduce(e, dim, keepdims=True)


def _softmax_vjp(g, out, a, dim):
    return out * (g - sum(g * out, dim, keepdim=True))


SOFTMAX = defprim(
    "softmax",
    _softmax_fwd,
    _softmax_vjp,
    partials="diag(s) - s s^T",
    saves_output=True,
    doc="out = exp(a) / sum(exp(a)) along `dim`, computed with the maximum subtracted",
)


def _log_softmax_fwd(a, dim):
    _, shifted, finite = _max_and_shifted(a, dim, guard=False)
    shifted -= _log_sum_exp(shifted, dim, finite)
    return shifted


def _log_softmax_vjp(g, out, a, dim):
    return g - exp(out) * sum(g, dim, keepdim=True)


LOG_SOFTMAX = defprim(
    "log_softmax",
    _log_softmax_fwd,
    _log_softmax_vjp,
    partials="I - softmax(a)",
    saves_output=True,
    doc="out = a - logsumexp(a) along `dim`",
)


def _softmax_dim(ndim: int, dim):
    if dim is None:
        return 0 if ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return _wrap_dim(dim, ndim, "softmax")


@SOFTMAX.public
def softmax(input, dim=None, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``; stable for huge logits and
    zero where a logit is ``-inf``."""
    x = as_tensor_arg(input)
    x = x.to(dtype) if dtype is not None else _float_input(x, "softmax")
    return SOFTMAX.apply(x, dim=_softmax_dim(x.ndim, dim))


@LOG_SOFTMAX.public
def log_softmax(input, dim=None, dtype=None) -> Tensor:
    """``x_i - logsumexp(x)`` along ``dim``, stable (see ``softmax``)."""
    x = as_tensor_arg(input)
    x = x.to(dtype) if dtype is not None else _float_input(x, "log_softmax")
    return LOG_SOFTMAX.apply(x, dim=_softmax_dim(x.ndim, dim))
