"""Sampling with PyTorch's names: ``multinomial``, ``bernoulli``,
``poisson`` and the four forms of ``normal``.  Every draw comes from
``generator`` or the default generator that ``tg.manual_seed`` reseeds, so
a run is reproducible bit for bit.

As in PyTorch, a sample drawn from parameters that require grad requires
grad too, with a zero gradient (the draw is not reparameterised: use
``tg.distributions.Normal(...).rsample()`` for that)."""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.ops.elementwise import where
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def _sample(array, *parameters) -> Tensor:
    """``array`` as a tensor that requires grad when a parameter does, its
    gradient 0 (a where that never picks the parameter: no NaN leaks in)."""
    out = new_tensor(array)
    for p in parameters:
        if isinstance(p, Tensor) and p.requires_grad:
            out = out + where(False, p, 0.0)
    return out


def _floating(x: Tensor, op: str) -> Tensor:
    if x._array.dtype.kind != "f":
        raise RuntimeError(f"{op} only supports floating-point dtypes for input, got: {x.dtype}")
    return x


# -------------------------------------------------------------- multinomial
def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from the categories of each row of ``input`` (K,) or
    (N, K) with probabilities proportional to its non-negative weights:
    int64 of shape (num_samples,) or (N, num_samples).  Without replacement
    each category is drawn at most once."""
    w = _floating(as_tensor_arg(input), "multinomial")._array
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {n})")
    k = w.shape[-1]
    if not replacement and n > k:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({n} > {k})"
        )
    rows = w.reshape(-1, k).astype(B.float64)
    if not xp.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    rng = B.rng(generator)
    draw = _with_replacement if replacement else _without_replacement
    out = draw(rng, rows, n)
    return new_tensor(out.reshape(w.shape[:-1] + (n,)).astype(B.int64))


def _with_replacement(rng, rows, n):
    """Inverse-CDF sampling: the index of the first cumulative weight above a
    uniform draw (a zero weight is never picked: its step has no width)."""
    u = rng.random((rows.shape[0], n))
    out = xp.empty((rows.shape[0], n), dtype=B.int64)
    for i, row in enumerate(rows):
        cdf = xp.cumsum(row)
        cdf /= cdf[-1]  # (the last step ends at exactly 1)
        out[i] = xp.searchsorted(cdf, u[i], side="right")
    return out


def _without_replacement(rng, rows, n):
    """The exponential race: category j finishes at ``E_j / w_j`` with ``E_j``
    exponential, and the first ``n`` to finish are a draw without
    replacement (zero weights finish last)."""
    e = rng.standard_exponential(rows.shape)
    with xp.errstate(divide="ignore"):
        finish = e / rows
    return xp.argsort(finish, axis=-1, kind="stable")[:, :n]


# ------------------------------------------------------ bernoulli / poisson
def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or the number ``p``), else 0, in
    ``input``'s dtype."""
    x = as_tensor_arg(input)
    probs = x._array if p is None else xp.full(x.shape, float(p))
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError(
            "bernoulli: expected every probability in [0, 1], got values from "
            f"{probs.min()} to {probs.max()}"
        )
    draws = B.rng(generator).random(x.shape) < probs
    return _sample(draws.astype(x._array.dtype), x if p is None else None)


def poisson(input, generator=None) -> Tensor:
    """Counts drawn from Poisson distributions of rates ``input``, in its
    (floating) dtype."""
    x = _floating(as_tensor_arg(input), "poisson")
    rates = x._array
    if not (rates >= 0).all():
        raise RuntimeError(
            f"poisson: invalid Poisson rate, expected rate to be non-negative, got {rates.min()}"
        )
    return _sample(B.rng(generator).poisson(rates).astype(rates.dtype), x)


# -------------------------------------------------------------------- normal
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, **kw):
    """Draws from N(mean, std^2).  PyTorch's four forms: ``normal(mean_tensor,
    std_tensor)`` (broadcast), ``normal(mean_tensor, std=1.0)``,
    ``normal(mean=0.0, std_tensor)`` and ``normal(mean, std, size)`` (the
    default float dtype, or ``dtype``)."""
    from tapegrad.device import check_device

    check_device(device, "normal")
    if kw.pop("requires_grad", False):
        raise RuntimeError("normal: requires_grad=True is not supported; call requires_grad_()")
    if kw:
        raise TypeError(f"normal() got unexpected keyword arguments {sorted(kw)}")
    rng = B.rng(generator)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(mean: float, std: float) needs a size")
        _check_std(std)
        shape = (size,) if isinstance(size, int) else tuple(int(s) for s in size)
        dt = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
        return new_tensor((mean + std * _standard_normal(rng, shape, dt)).astype(dt))
    if size is not None:
        raise TypeError("normal: size is only for the form normal(mean: float, std: float, size)")
    m, s = as_tensor_arg(mean), as_tensor_arg(std)
    dt = dtypes.result_type([(t._array.dtype, t._array.ndim) for t in tensors])
    if dt.kind != "f":
        raise RuntimeError(f"normal expects floating-point mean and std, got {dt}")
    _check_std(s._array if isinstance(std, Tensor) else std)
    try:
        shape = xp.broadcast_shapes(m.shape, s.shape)
    except ValueError:
        raise RuntimeError(
            f"normal: mean of shape {tuple(m.shape)} and std of shape {tuple(s.shape)} do not "
            "broadcast"
        ) from None
    z = _standard_normal(rng, shape, dt)
    return _sample((m._array + s._array * z).astype(dt), m, s)


def _standard_normal(rng, shape, dt):
    if dt in (B.float32, B.float64):
        return rng.standard_normal(shape, dtype=dt)
    return rng.standard_normal(shape).astype(dt)


def _check_std(std) -> None:
    if isinstance(std, (int, float)):
        if not std >= 0 or math.isnan(std):
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    elif (xp.asarray(std) < 0).any():
        raise RuntimeError(
            f"normal expects all elements of std >= 0.0, but found {xp.asarray(std).min()}"
        )
