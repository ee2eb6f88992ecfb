"""Fused neural-network primitives: softmax cross-entropy with class indices,
layer normalisation and binary cross-entropy.

Each is one entry of the primitive table, so one node of the graph, with its
own vjp, written in tapegrad ops (second derivatives work).  The
cross-entropy vjp runs on plain arrays too: the first-order path training
takes.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops import elementwise as E
from tapegrad.ops import reduce as R
from tapegrad.ops.elementwise import EXP
from tapegrad.ops.reduce import LOG_SOFTMAX
from tapegrad.ops.registry import defprim
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


# ================================================== softmax cross-entropy
def check_class_indices(t, n_classes: int, ignore_index: int, op: str) -> bool:
    """Every target (an integer array) that is not ``ignore_index`` must be a
    class in ``[0, C)``.  True when every target counts (each is a class and
    none is ``ignore_index``)."""
    if not t.size or (B.min_reduce(t, None) >= 0 and B.max_reduce(t, None) < n_classes):
        return not 0 <= ignore_index < n_classes
    kept = t[t != ignore_index]
    bad = kept[(kept < 0) | (kept >= n_classes)]
    if bad.size:
        raise IndexError(f"{op}: target {bad[0]} is out of bounds for {n_classes} classes")
    return False


def _class_axis(v, ndim: int):
    """A per-element value of shape ``(N, d...)`` with a class axis put back
    at 1, to broadcast against ``(N, C, d...)`` (arrays or tensors)."""
    return v.reshape(v.shape[:1] + (1,) + v.shape[1:]) if ndim > 1 else v


class _Targets:
    """The target distribution of each element of a cross-entropy,
    ``q_i = (1 - eps) w_{t_i} onehot(t_i) + eps/C w`` (zero where ``t_i`` is
    ``ignore_index``), in parts; ``None`` stands for the common values:

    * ``index``: the target class (class 0 where ignored);
    * ``valid``: whether it counts (``None``: every target counts);
    * ``on``: the one-hot part's height, ``(1 - eps) w_{t_i}``, 0 where
      ignored (``None``: 1 everywhere);
    * ``spread``: the smoothing part ``eps/C w`` per class, shaped
      ``(1, C, 1...)`` (``None``: no smoothing);
    * ``total``: the sum of the kept targets' weights, 'mean''s divisor."""

    def __init__(
        self,
        t,
        w,
        n_classes: int,
        ignore_index: int,
        eps: float,
        dtype,
        everything: bool | None = None,
    ):
        valid = None if everything else t != ignore_index
        if everything is None:
            everything = bool(valid.all())
        self.valid = None if everything else valid
        self.index = t if everything else xp.where(valid, t, 0)
        if w is not None:
            weight = w[self.index].astype(dtype)
            if not everything:
                weight = xp.where(valid, weight, 0).astype(dtype)
        else:
            weight = None if everything else valid.astype(dtype)
        self.total = t.size if weight is None else weight.sum(dtype=dtype)
        self.on = weight if not eps else (1 - eps) * (1 if weight is None else weight)
        self.spread = None
        if eps:
            per_class = xp.ones(n_classes, dtype=dtype) if w is None else w.astype(dtype)
            spread = (per_class * (eps / n_classes)).astype(dtype)
            self.spread = spread.reshape((1, n_classes) + (1,) * (t.ndim - 1))


_ROWS: dict = {}


def _rows(n: int):
    """``arange(n)``, kept for the batch sizes seen (the row numbers of ``a[rows, t]``)."""
    rows = _ROWS.get(n)
    if rows is None:
        if len(_ROWS) > 16:
            _ROWS.clear()
        rows = _ROWS[n] = xp.arange(n)
    return rows


def _pick(a, index):
    """``a[i, index_i, ...]``: the value at each element's class."""
    if a.ndim == 2:  # (fancy indexing: several times faster than take_along_axis)
        return a[_rows(a.shape[0]), index]
    return xp.take_along_axis(a, _class_axis(index, a.ndim), axis=1)[:, 0]


def _log_probabilities(z, t, *w, ignore_index, reduction, label_smoothing):
    """What cross-entropy's forward and vjp share: ``log_softmax(z)`` over the
    class axis (stable: the maximum subtracted first), and the targets
    (checked to be classes) as ``_Targets``."""
    if z.ndim < 2:
        raise ValueError("expects logits of shape (N, C) or (N, C, d1, ...)")
    t = _value(t)
    if t.shape != (z.shape[0],) + z.shape[2:]:
        raise ValueError(f"target shape {t.shape} does not fit logits {z.shape}")
    n_classes = z.shape[1]
    everything = check_class_indices(t, n_classes, ignore_index, "cross_entropy")
    weight = _value(w[0]) if w else None
    q = _Targets(t, weight, n_classes, ignore_index, label_smoothing, z.dtype, everything or None)
    return LOG_SOFTMAX.apply(z, dim=1), q


def _ce_fwd(z, t, *w, aux, ignore_index, reduction, label_smoothing):
    """``loss_i = -sum_c q_ic logp_ic``, ``logp`` the log-probabilities."""
    logp, q = aux
    picked = _pick(logp, q.index)  # log p of each target (the loss is minus that)
    if q.valid is not None:  # (before the weights: no NaN from -inf * 0)
        picked = xp.where(q.valid, picked, 0)
    if q.on is not None:
        picked = picked * q.on
    if q.spread is not None:
        smooth = (logp * q.spread).sum(axis=1)
        picked = picked + (smooth if q.valid is None else xp.where(q.valid, smooth, 0))
    if reduction == "none":
        return (-picked).astype(z.dtype, copy=False)
    total = -B.add_reduce(picked, None)
    return total if reduction == "sum" else total / q.total


def _ce_vjp(g, out, z, t, *w, aux, needs, ignore_index, reduction, label_smoothing):
    """``dloss_i/dz_i = softmax(z_i) sum_c q_ic - q_i`` with ``softmax = e^logp``,
    times the incoming gradient (and 1/sum of the target weights for
    'mean').  On arrays in a first-order backward; on tensors (``logp``
    recorded), differentiable in ``z``."""
    if not needs[0]:
        return (None,) * len(needs)
    logp, q = aux
    spread = q.spread
    if spread is not None and q.valid is not None:
        spread = spread * _class_axis(q.valid, z.ndim)
    qsum = q.on if spread is None else (1 if q.on is None else q.on) + spread.sum(axis=1)
    dz = EXP.apply(logp)
    if qsum is not None:
        dz = dz * _class_axis(qsum, z.ndim)
    dz = _minus_targets(dz, q.index, q.on, spread)
    if reduction == "none":
        return (dz * _class_axis(g, z.ndim),) + (None,) * (len(needs) - 1)
    scale = g if reduction == "sum" else g / q.total
    return (dz * scale,) + (None,) * (len(needs) - 1)


def _value(x):
    return x._array if isinstance(x, Tensor) else x


def _minus_targets(dz, index, on, spread):
    """``dz - q``: ``on`` (or 1) taken away at the target classes, and the
    smoothing ``spread`` everywhere (in place on an array, a constant
    subtracted from a tensor)."""
    if isinstance(dz, Tensor):
        q = xp.zeros(dz.shape, dtype=dz.dtype)
        height = xp.ones(index.shape, dtype=dz.dtype) if on is None else on
        xp.put_along_axis(q, _class_axis(index, dz.ndim), _class_axis(height, dz.ndim), axis=1)
        return dz - new_tensor(q if spread is None else q + spread)
    if dz.ndim == 2:
        dz[_rows(dz.shape[0]), index] -= 1 if on is None else on
    else:
        idx = _class_axis(index, dz.ndim)
        at = xp.take_along_axis(dz, idx, axis=1)
        xp.put_along_axis(dz, idx, at - (1 if on is None else _class_axis(on, dz.ndim)), axis=1)
    return dz if spread is None else dz - spread


CROSS_ENTROPY = defprim(
    "cross_entropy",
    _ce_fwd,
    vjp_all=_ce_vjp,
    partials=("softmax(a)*sum(q) - q", "0", "0"),
    saves=(0,),
    saves_aux=_log_probabilities,
    arrays=True,
    doc="out = -sum_c q_c log_softmax(a)_c, q the (weighted, smoothed) one-hot target "
    "(log-softmax and NLL fused; stable: the maximum is subtracted first)",
)


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
    "layer_norm",
    _ln_fwd,
    vjp_all=_ln_vjp,
    partials=("(I - 1/d - xhat xhat^T/d) w / sigma", "xhat", "1"),
    saves=(0,),
    doc="out = (a - mean(a)) / sqrt(var(a) + eps) * weight + bias over the last dims "
    "(biased variance)",
)


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
    "binary_cross_entropy",
    _bce_fwd,
    (_bce_x, _bce_t),
    partials=("(a - b) / max(a (1 - a), 1e-12)", "log(1 - a) - log(a)"),
    saves=(0, 1),
    doc="out = -(b max(log a, -100) + (1 - b) max(log(1 - a), -100)) elementwise",
)


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
    return CROSS_ENTROPY.apply(
        *args,
        ignore_index=int(ignore_index),
        reduction=reduction,
        label_smoothing=float(label_smoothing),
    )


def layer_norm_fused(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, n_norm: int, eps: float
) -> Tensor:
    """Apply the fused layer-norm primitive over the last ``n_norm`` dims."""
    args = [x] + [a for a in (weight, bias) if a is not None]
    return LAYER_NORM.apply(
        *args,
        n_norm=int(n_norm),
        eps=float(eps),
        has_weight=weight is not None,
        has_bias=bias is not None,
    )
