"""Fused neural-network primitives: softmax cross-entropy with class indices,
layer normalisation and binary cross-entropy.

Each is one entry of the primitive table, so one node of the graph, with its
own vjp, written in tapegrad ops (second derivatives work).  The
cross-entropy vjp runs on plain arrays too: the first-order path training
takes.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.ops import elementwise as E
from tapegrad.ops import reduce as R
from tapegrad.ops.reduce import SOFTMAX
from tapegrad.ops.registry import defprim
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


# ================================================== softmax cross-entropy
def check_class_indices(t, n_classes: int, ignore_index: int, op: str) -> None:
    """Every target (an integer array) that is not ``ignore_index`` must be a
    class in ``[0, C)``."""
    if not t.size or (t.min() >= 0 and t.max() < n_classes):
        return
    kept = t[t != ignore_index]
    bad = kept[(kept < 0) | (kept >= n_classes)]
    if bad.size:
        raise IndexError(f"{op}: target {bad[0]} is out of bounds for {n_classes} classes")


def _class_axis(v, ndim: int):
    """A per-element value of shape ``(N, d...)`` with a class axis put back
    at 1, to broadcast against ``(N, C, d...)`` (arrays or tensors)."""
    return v.reshape(v.shape[:1] + (1,) + v.shape[1:]) if ndim > 1 else v


def _targets(t, w, n_classes: int, ignore_index: int, label_smoothing: float, dtype):
    """The target distribution of each element, ``q_i = (1 - eps) w_{t_i}
    onehot(t_i) + eps/C w`` (zero where ``t_i`` is ``ignore_index``), in parts:
    ``valid`` (not ignored), ``t_safe`` (ignored -> class 0), ``wt = w_{t_i}``
    (0 where ignored), ``on`` (the one-hot part's height) and ``spread``
    (``eps/C w`` per class, shaped ``(1, C, 1...)``; None without smoothing)."""
    valid = t != ignore_index
    t_safe = xp.where(valid, t, 0)
    wt = valid.astype(dtype) if w is None else xp.where(valid, w[t_safe], 0).astype(dtype)
    eps = label_smoothing
    if not eps:
        return valid, t_safe, wt, wt, None
    per_class = xp.ones(n_classes, dtype=dtype) if w is None else w.astype(dtype)
    spread = (per_class * (eps / n_classes)).astype(dtype)
    return valid, t_safe, wt, wt * (1 - eps), spread.reshape((1, n_classes) + (1,) * (t.ndim - 1))


def _ce_fwd(z, t, *w, ignore_index, reduction, label_smoothing):
    """``loss_i = -sum_c q_ic log_softmax(z_i)_c``, the maximum subtracted first."""
    if z.ndim < 2:
        raise ValueError("expects logits of shape (N, C) or (N, C, d1, ...)")
    if t.shape != (z.shape[0],) + z.shape[2:]:
        raise ValueError(f"target shape {t.shape} does not fit logits {z.shape}")
    n_classes, dtype = z.shape[1], z.dtype
    check_class_indices(t, n_classes, ignore_index, "cross_entropy")
    m = z.max(axis=1, keepdims=True)
    logp = z - xp.where(xp.isfinite(m), m, 0)
    with xp.errstate(divide="ignore"):
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
    valid, t_safe, wt, on, spread = _targets(t, w[0] if w else None, n_classes, ignore_index,
                                             label_smoothing, dtype)  # fmt: skip
    picked = xp.take_along_axis(logp, _class_axis(t_safe, z.ndim), axis=1)[:, 0]
    loss = xp.where(valid, -picked, 0) * on
    if spread is not None:
        loss += xp.where(valid, -(logp * spread).sum(axis=1), 0)
    loss = loss.astype(dtype, copy=False)
    if reduction == "none":
        return loss
    total = loss.sum(dtype=dtype)
    return total if reduction == "sum" else (total / wt.sum(dtype=dtype)).astype(dtype)


def _ce_vjp(g, out, z, t, *w, needs, ignore_index, reduction, label_smoothing):
    """``dloss_i/dz_i = softmax(z_i) sum_c q_ic - q_i``, times the incoming
    gradient (and 1/sum of the target weights for 'mean').  On arrays in a
    first-order backward; on tensors, differentiable in ``z``."""
    if not needs[0]:
        return (None,) * len(needs)
    n_classes, dtype = z.shape[1], z.dtype
    valid, t_safe, wt, on, spread = _targets(_value(t), _value(w[0]) if w else None, n_classes,
                                             ignore_index, label_smoothing, dtype)  # fmt: skip
    if spread is not None:
        spread = spread * _class_axis(valid, z.ndim)
    qsum = on if spread is None else on + spread.sum(axis=1)
    dz = _minus_at(SOFTMAX.apply(z, dim=1) * _class_axis(qsum, z.ndim), t_safe, on, spread)
    if reduction == "none":
        dz = dz * _class_axis(g, z.ndim)
    else:
        dz = dz * (g if reduction == "sum" else g / wt.sum(dtype=dtype))
    return (dz,) + (None,) * (len(needs) - 1)


def _value(x):
    return x._array if isinstance(x, Tensor) else x


def _minus_at(dz, t_safe, on, spread):
    """``dz - q``: ``on`` taken away at the target classes, and the smoothing
    ``spread`` everywhere (in place on an array; a constant on a tensor)."""
    if isinstance(dz, Tensor):
        q = xp.zeros(dz.shape, dtype=dz.dtype)
        xp.put_along_axis(q, _class_axis(t_safe, dz.ndim), _class_axis(on, dz.ndim), axis=1)
        return dz - new_tensor(q if spread is None else q + spread)
    idx = _class_axis(t_safe, dz.ndim)
    at = xp.take_along_axis(dz, idx, axis=1)
    xp.put_along_axis(dz, idx, at - _class_axis(on, dz.ndim), axis=1)
    return dz if spread is None else dz - spread


CROSS_ENTROPY = defprim(
    "cross_entropy", _ce_fwd, vjp_all=_ce_vjp, partials=("softmax(a)*sum(q) - q", "0", "0"),
    saves=(0,), arrays=True,
    doc="out = -sum_c q_c log_softmax(a)_c, q the (weighted, smoothed) one-hot target "
        "(log-softmax and NLL fused; stable: the maximum is subtracted first)",
)  # fmt: skip


# ========================================================== layer norm
def _norm_axes(ndim: int, k: int) -> tuple:
    return tuple(range(ndim - k, ndim))


def _ln_fwd(x, *wb, n_norm, eps, has_weight, has_bias):
    axes = _norm_axes(x.ndim, n_norm)
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=axes, keepdims=True)
    out = xc
    out *= 1 / xp.sqrt(var + xp.asarray(eps, dtype=x.dtype))
    i = 0
    if has_weight:
        out *= wb[0]
        i = 1
    if has_bias:
        out += wb[i]
    return out


def _ln_vjp(g, out, x, *wb, needs, n_norm, eps, has_weight, has_bias):
    """With xhat = (x - mean) / sigma: dx = (gh - mean(gh) - xhat mean(gh xhat)) / sigma
    where gh = g * weight; dweight = sum g xhat, dbias = sum g over the leading dims."""
    axes = _norm_axes(x.ndim, n_norm)
    lead = tuple(range(x.ndim - n_norm))
    mu = R.mean(x, axes, keepdim=True)
    xc = x - mu
    rstd = E.rsqrt(R.mean(xc * xc, axes, keepdim=True) + eps)
    xhat = xc * rstd
    grads = [None] * len(needs)
    if needs[0]:
        gh = g * wb[0] if has_weight else g
        inner = gh - R.mean(gh, axes, keepdim=True) - xhat * R.mean(gh * xhat, axes, keepdim=True)
        grads[0] = inner * rstd
    i = 1
    if has_weight:
        if needs[i]:
            grads[i] = R.sum(g * xhat, lead) if lead else g * xhat
        i += 1
    if has_bias and needs[i]:
        grads[i] = R.sum(g, lead) if lead else g
    return tuple(grads)


LAYER_NORM = defprim(
    "layer_norm", _ln_fwd, vjp_all=_ln_vjp,
    partials=("(I - 1/d - xhat xhat^T/d) w / sigma", "xhat", "1"), saves=(0,),
    doc="out = (a - mean(a)) / sqrt(var(a) + eps) * weight + bias over the last dims "
        "(biased variance)",
)  # fmt: skip


# ================================================ binary cross-entropy
def _bce_fwd(x, t):
    if x.shape != t.shape:
        raise ValueError("input and target shapes differ")
    with xp.errstate(divide="ignore", invalid="ignore"):
        lx = xp.maximum(xp.log(x), -100)
        l1 = xp.maximum(xp.log1p(-x), -100)
    return (-(t * lx + (1 - t) * l1)).astype(x.dtype, copy=False)


def _bce_x(g, out, x, t):
    return g * (x - t) / E.clamp(x * (1 - x), min=1e-12)


def _bce_t(g, out, x, t):
    # PyTorch's target gradient: the unclamped logs (infinite at x = 0 or 1)
    return g * (E.log1p(E.neg(x)) - E.log(x))


BINARY_CROSS_ENTROPY = defprim(
    "binary_cross_entropy", _bce_fwd, (_bce_x, _bce_t),
    partials=("(a - b) / max(a (1 - a), 1e-12)", "log(1 - a) - log(a)"), saves=(0, 1),
    doc="out = -(b max(log a, -100) + (1 - b) max(log(1 - a), -100)) elementwise",
)  # fmt: skip


def cross_entropy_indices(
    logits: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """Apply the fused primitive; ``logits (N, C, d...)``, ``target (N, d...)``."""
    args = (logits, target) if weight is None else (logits, target, weight)
    return CROSS_ENTROPY.apply(*args, ignore_index=int(ignore_index), reduction=reduction,
                 label_smoothing=float(label_smoothing))  # fmt: skip


def layer_norm_fused(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, n_norm: int, eps: float
) -> Tensor:
    """Apply the fused layer-norm primitive over the last ``n_norm`` dims."""
    args = [x] + [a for a in (weight, bias) if a is not None]
    return LAYER_NORM.apply(*args, n_norm=int(n_norm), eps=float(eps),
                 has_weight=weight is not None, has_bias=bias is not None)  # fmt: skip
