"""Statistics written as compositions of the table's ops, so that each
gradient is theirs: ``nansum``, ``nanmean``, ``aminmax``, ``cummax``/
``cummin`` (values gathered at their indices), ``quantile``/``nanquantile``
(sort, gather and ``lerp``, as PyTorch's own composite), ``cov``,
``corrcoef``, ``trapezoid``, ``dist`` and ``renorm``."""

from __future__ import annotations

import collections
import warnings

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.dtypes import scalar_type_name
from tapegrad.ops.compare import isnan
from tapegrad.ops.cumulative import diff
from tapegrad.ops.elementwise import clamp, lerp, sqrt, where
from tapegrad.ops.index import gather
from tapegrad.ops.linalg import mm
from tapegrad.ops.order import sort
from tapegrad.ops.reduce import amax, amin, mean, norm, sum
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import movedim, narrow, reshape, squeeze, unsqueeze
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp

return_types_aminmax = collections.namedtuple("aminmax", ["min", "max"])
return_types_cummax = collections.namedtuple("cummax", ["values", "indices"])
return_types_cummin = collections.namedtuple("cummin", ["values", "indices"])

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ------------------------------------------------------------- NaN-skipping
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``sum`` with NaNs counted as zero (their gradient is 0)."""
    x = as_tensor_arg(input)
    if x._array.dtype.kind == "f":
        x = where(isnan(x), 0.0, x)
    return sum(x, dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``nansum / (number of non-NaN elements)`` over ``dim``."""
    x = as_tensor_arg(input)
    if x._array.dtype.kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{scalar_type_name(x.dtype)}"
        )
    counted = sum(new_tensor(~xp.isnan(x._array)), dim, keepdim)
    return nansum(x, dim, keepdim, dtype=dtype) / counted


# ------------------------------------------------------------------ extremes
def aminmax(input, *, dim=None, keepdim: bool = False):
    """``(amin, amax)`` over ``dim`` (all elements when None), as a named
    tuple ``(min, max)``; ties share the gradient as in ``amin``/``amax``."""
    x = as_tensor_arg(input)
    if x.numel() == 0:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity."
        )
    if dim is None and keepdim:
        kept = (1,) * x.ndim
        return return_types_aminmax(reshape(amin(x), kept), reshape(amax(x), kept))
    return return_types_aminmax(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _running_extreme_index(a, dim: int, larger: bool):
    """The index of the running max (min) along ``dim``: the latest position
    whose value is NaN or ``>=`` (``<=``) the extreme so far, PyTorch's rule."""
    moved = xp.moveaxis(a, dim, 0)
    index = xp.zeros(moved.shape, dtype=B.int64)
    best, best_at = moved[0].copy(), xp.zeros(moved.shape[1:], dtype=B.int64)
    for i in range(moved.shape[0]):
        with xp.errstate(invalid="ignore"):
            beats = moved[i] >= best if larger else moved[i] <= best
        takes = xp.isnan(moved[i]) | (~xp.isnan(best) & beats) if a.dtype.kind == "f" else beats
        best, best_at = xp.where(takes, moved[i], best), xp.where(takes, i, best_at)
        index[i] = best_at
    return xp.moveaxis(index, 0, dim)


def _cumulative_extreme(input, dim: int, larger: bool, op: str, result):
    x = as_tensor_arg(input)
    d = _wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return result(x.clone(), new_tensor(xp.zeros((), dtype=B.int64)))
    if x.numel() == 0:
        return result(x.clone(), new_tensor(xp.zeros(x.shape, dtype=B.int64)))
    index = new_tensor(_running_extreme_index(x._array, d, larger))
    return result(gather(x, d, index), index)


def cummax(input, dim: int):
    """``(values, indices)``: ``values_i = max(a_0, ..., a_i)`` along ``dim``
    (NaN once seen), ``indices_i`` where it was last attained; the gradient
    goes to that index."""
    return _cumulative_extreme(input, dim, True, "cummax", return_types_cummax)


def cummin(input, dim: int):
    """As ``cummax``, with the running minimum."""
    return _cumulative_extreme(input, dim, False, "cummin", return_types_cummin)


# ----------------------------------------------------------------- quantiles
def _quantile_q(q, x: Tensor):
    """``q`` as a 1-D tensor of probabilities (differentiable, as PyTorch's)
    and whether it was a scalar."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != x.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        probs, scalar = reshape(q, -1), q.ndim == 0
    else:
        probs, scalar = new_tensor(xp.asarray([q], dtype=x._array.dtype)), True
    for p in probs._array.tolist():
        if not 0 <= p <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {p}")
    return probs, scalar


def _quantile_ranks(sorted_: Tensor, probs: Tensor, ignore_nan: bool, interpolation: str):
    """The fractional position of each quantile in each sorted row (last
    axis): ``q (n - 1)`` over the non-NaN values (``nanquantile``), or over
    all values with NaN rows pointing at their last (NaN) element."""
    nans = xp.isnan(sorted_._array)
    if ignore_nan:
        counted = (~nans).sum(-1, keepdims=True).astype(sorted_._array.dtype)
        ranks = probs * new_tensor(counted - 1)
        ranks = where(ranks < 0, 0.0, ranks)
    else:
        last = sorted_.shape[-1] - 1
        ranks = where(new_tensor(nans.any(-1, keepdims=True)), float(last), probs * last)
    rounding = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}.get(interpolation)
    return new_tensor(rounding(ranks._array)) if rounding else ranks


def _rows_for_quantile(x: Tensor, dim, keepdim: bool, op: str):
    """The values to take quantiles of, as the last axis of ``rows``, and the
    shape each quantile's result takes."""
    if dim is None:
        return reshape(x, -1), (1,) * x.ndim if keepdim else ()
    d = _wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return reshape(x, 1), ()
    return movedim(x, d, -1), x.shape[:d] + (1,) * keepdim + x.shape[d + 1 :]


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    x = as_tensor_arg(input)
    if x.dtype not in (dtypes.float32, dtypes.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if x.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    probs, scalar = _quantile_q(q, x)
    rows, kept = _rows_for_quantile(x, dim, keepdim, op)
    sorted_ = sort(unsqueeze(rows, 0), -1).values  # (1, ..., n): a leading axis for the q's
    ranks = _quantile_ranks(
        sorted_, reshape(probs, -1, *(1,) * rows.ndim), ignore_nan, interpolation
    )
    sorted_ = sorted_.expand(*ranks.shape[:-1], sorted_.shape[-1])
    below = xp.floor(ranks._array).astype(B.int64)
    values = gather(sorted_, -1, new_tensor(below))
    if interpolation in ("linear", "midpoint"):
        upper = gather(sorted_, -1, new_tensor(xp.ceil(ranks._array).astype(B.int64)))
        below_t = new_tensor(below.astype(ranks._array.dtype))
        if interpolation == "midpoint":
            weight = new_tensor(xp.full_like(ranks._array, 0.5))
        else:
            weight = ranks - below_t
        values = lerp(values, upper, weight)
    out = reshape(values, probs.shape[0], *kept)
    return squeeze(out, 0) if scalar else out


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The ``q``-quantiles of ``input`` over ``dim`` (all elements when None):
    sorted values at the fractional position ``q (n - 1)``, interpolated as
    ``interpolation`` says; a row with a NaN gives NaN.  A 1-D ``q`` puts its
    dim first in the result."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """``quantile`` of the non-NaN values (NaN only where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# --------------------------------------------------------------- covariance
def _check_weights(w, kind: str, observations: int, integral: bool):
    if w is None:
        return None
    w = as_tensor_arg(w)
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions")
    is_integral = w._array.dtype.kind in "biu"
    if is_integral != integral:
        want = "integral" if integral else "floating point"
        raise RuntimeError(
            f"cov(): expected {kind} to have {want} dtype but got {kind} with "
            f"{scalar_type_name(w.dtype)} dtype"
        )
    if w.numel() != observations:
        raise RuntimeError(
            f"cov(): expected {kind} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {observations}"
        )
    if (w._array < 0).any():
        raise RuntimeError(f"cov(): {kind} cannot be negative")
    return w


def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input``
    (observations in the columns): with weights ``w = fweights * aweights``,
    ``cov = (X - avg)(w (X - avg))^T / (sum w - correction * sum(w aweights) /
    sum w)`` (``sum w - correction`` without ``aweights``); a 1-D input is
    one variable and gives a 0-d result."""
    x = as_tensor_arg(input)
    if x.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{x.ndim} dimensions"
        )
    if x._array.dtype.kind in "biu":
        x = x.to(dtypes.get_default_dtype())
    x = reshape(x, 1, -1) if x.ndim < 2 else x
    n = x.shape[1]
    fw = _check_weights(fweights, "fweights", n, True)
    aw = _check_weights(aweights, "aweights", n, False)
    w = fw if aw is None else aw if fw is None else fw * aw
    if w is None:
        w_sum, avg = n, mean(x, 1)
    else:
        w_sum = sum(w)
        avg = sum(x * w, 1) / w_sum
    if w is not None and aw is not None and correction != 0:
        norm_factor = w_sum - correction * sum(w * aw) / w_sum
    else:
        norm_factor = w_sum - correction
    if float(norm_factor) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0", UserWarning, stacklevel=2)
        norm_factor = norm_factor * 0
    centered = x - unsqueeze(avg, 1)
    weighted = centered if w is None else centered * w
    return squeeze(mm(centered, weighted.t()) / norm_factor)


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients ``cov_ij / sqrt(cov_ii cov_jj)`` of the
    variables in the rows of ``input``, clipped to ``[-1, 1]``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = sqrt(c.diagonal())
    c = c / unsqueeze(stddev, 1) / unsqueeze(stddev, 0)
    return clamp(c, -1, 1)


# ----------------------------------------------------------------- integrals
def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: ``sum_i (x_{i+1} - x_i)(y_i +
    y_{i+1}) / 2``, with sample points ``x`` or the spacing ``dx`` (1)."""
    y = as_tensor_arg(y)
    d = _wrap_dim(dim, y.ndim, "trapezoid")
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received both x and dx; pass only one")
    if y._array.dtype.kind in "biu":
        y = y.to(dtypes.get_default_dtype())
    n = y.shape[d]
    if x is None:
        ends = narrow(y, d, 0, 1) + narrow(y, d, n - 1, 1) if n else narrow(y, d, 0, 0)
        return (sum(y, d) - sum(ends, d) * 0.5) * (1 if dx is None else dx)
    x = as_tensor_arg(x)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(
                f"trapezoid: There must be one `x` value for each sample point, got {x.shape[0]} "
                f"x values and {n} sample points along dim {d}"
            )
        spacing = reshape(diff(x), *[n - 1 if i == d else 1 for i in range(y.ndim)]) if n else x
    else:
        spacing = diff(x, dim=d)
    if n == 0:
        return sum(y, d)
    pairs = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    return sum(spacing * pairs, d) / 2


# -------------------------------------------------------------------- norms
def nonzero_indicator(t: Tensor) -> Tensor:
    """``1`` where ``t != 0``, else ``0``: the terms of the "0-norm", with
    gradient 0 (as PyTorch's) but still recorded."""
    return t.sign().abs()


def dist(input, other, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast), a 0-d tensor."""
    a = as_tensor_arg(input)
    if a._array.dtype.kind != "f":
        raise RuntimeError(
            "norm(): input dtype should be either floating point or complex. Got "
            f"{scalar_type_name(a.dtype)} instead."
        )
    difference = a - other
    if p == 0:
        return sum(nonzero_indicator(difference))
    if p == float("inf"):
        return amax(difference.abs())
    return norm(difference, p)


def renorm(input, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice ``input.select(dim, i)`` whose ``p``-norm exceeds
    ``maxnorm`` scaled by ``maxnorm / (norm + 1e-7)``; the others unchanged."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x._array.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{scalar_type_name(x.dtype)}"
        )
    d = _wrap_dim(dim, x.ndim, "renorm")
    others = tuple(i for i in range(x.ndim) if i != d)
    norms = amax(x.abs(), others, True) if p == float("inf") else norm(x, p, others, True)
    factor = where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return x * factor
