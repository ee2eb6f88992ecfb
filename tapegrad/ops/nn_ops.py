"""Fused neural-network primitives: softmax cross-entropy with class indices,
layer normalisation and binary cross-entropy.

Each is one entry of the primitive table, so one node of the graph, with its
own vjp.  The vjps are written in tapegrad ops (second derivatives work); the
cross-entropy vjp also has a plain-array path used when no graph is being
recorded (``create_graph=False``), which is the path training takes.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.autograd.graph import GradMode
from tapegrad.ops import elementwise as E
from tapegrad.ops import reduce as R
from tapegrad.ops.registry import apply, defprim
from tapegrad.ops.shape import unsqueeze
from tapegrad.tensor import Tensor, _make

xp = B.xp


# ================================================== softmax cross-entropy
def _ce_parts(t, w, ignore_index, label_smoothing, n_classes, dtype):
    """Per element: the mask of kept targets, the safe targets (ignored -> 0)
    and the target weight ``w[t]`` (0 where ignored)."""
    valid = t != ignore_index
    t_safe = xp.where(valid, t, 0)
    if w is None:
        wt = valid.astype(dtype)
    else:
        wt = xp.where(valid, w[t_safe], 0).astype(dtype, copy=False)
    return valid, t_safe, wt


def _class_shape(ndim: int, n: int) -> tuple:
    """Shape that broadcasts a (C,) vector along axis 1 of an (N, C, d...) array."""
    return (1, n) + (1,) * (ndim - 2)


_ROWS: dict = {}


def _rows(n: int):
    """``arange(n)``, kept for the batch sizes seen (row indices of ``x[rows, t]``)."""
    r = _ROWS.get(n)
    if r is None:
        if len(_ROWS) > 16:
            _ROWS.clear()
        r = _ROWS[n] = xp.arange(n)
    return r


def _check_classes(t, n_classes: int, ignore_index: int) -> None:
    """Every target that is not ``ignore_index`` must be a class in [0, C)."""
    if not t.size or (t.min() >= 0 and t.max() < n_classes):
        return
    kept = t[t != ignore_index]
    bad = kept[(kept < 0) | (kept >= n_classes)]
    if bad.size:
        raise IndexError(f"cross_entropy: target {bad[0]} is out of bounds for {n_classes} classes")


def _ce_fast(z, t, ignore_index, reduction):
    """The common case, (N, C) logits, no weight, no smoothing, every target a
    class in [0, C): ``loss_i = log sum_c exp(s_ic) - s_i,t_i`` with
    ``s = z - max_c z``, the baseline's work and no more.  Returns
    ``(loss, aux)`` or None where that case does not hold (or a row is not
    finite: the general path handles infinities)."""
    n, n_classes = z.shape
    if not n or 0 <= ignore_index < n_classes or t.ndim != 1:
        return None
    if t.min() < 0 or t.max() >= n_classes:
        return None
    s = z - z.max(axis=1, keepdims=True)
    e = xp.exp(s)
    se = e.sum(axis=1, keepdims=True)
    rows = _rows(n)
    if reduction == "none":
        loss = xp.log(se[:, 0])
        loss -= s[rows, t]
        if not xp.isfinite(loss).all():
            return None
    else:
        loss = xp.log(se).sum() - s[rows, t].sum()
        if reduction == "mean":
            loss = loss / n
        if not math.isfinite(loss):
            return None
        loss = xp.asarray(loss, dtype=z.dtype)
    return loss, (e, se, rows)


def _ce_fwd(z, t, *w, ignore_index, reduction, label_smoothing):
    if z.ndim < 2:
        raise ValueError("expects logits of shape (N, C) or (N, C, d1, ...)")
    if t.shape != (z.shape[0],) + z.shape[2:]:
        raise ValueError(f"target shape {t.shape} does not fit logits {z.shape}")
    if z.ndim == 2 and not w and not label_smoothing and z.dtype.kind == "f":
        fast = _ce_fast(z, t, ignore_index, reduction)
        if fast is not None:
            return fast
    w = w[0] if w else None
    n_classes = z.shape[1]
    dtype = z.dtype
    m = z.max(axis=1, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    logp = z - m
    with xp.errstate(divide="ignore"):
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
    _check_classes(t, n_classes, ignore_index)
    valid, t_safe, wt = _ce_parts(t, w, ignore_index, label_smoothing, n_classes, dtype)
    picked = xp.take_along_axis(logp, t_safe[:, None], axis=1)[:, 0]
    loss = xp.where(valid, -picked, 0) * wt if w is not None else xp.where(valid, -picked, 0)
    if label_smoothing:
        lp = logp if w is None else logp * w.reshape(_class_shape(z.ndim, n_classes))
        smooth = xp.where(valid, -lp.sum(axis=1), 0)
        eps = label_smoothing
        loss = loss * (1 - eps) + smooth * (eps / n_classes)
    loss = loss.astype(dtype, copy=False)
    if reduction == "none":
        return loss, logp
    total = loss.sum(dtype=dtype)
    if reduction == "sum":
        return total, logp
    return (total / wt.sum(dtype=dtype)).astype(dtype, copy=False), logp


def _ce_grad_array(logp, t, w, ignore_index, label_smoothing):
    """d(loss_i)/d(z_i) = softmax(z_i) * sum_c q_ic - q_i, where q_i is the
    weighted target distribution ``(1 - eps) w_t onehot(t) + eps/C w``."""
    n_classes = logp.shape[1]
    dtype = logp.dtype
    valid, t_safe, wt = _ce_parts(t, w, ignore_index, label_smoothing, n_classes, dtype)
    eps = label_smoothing
    on = wt * (1 - eps) if eps else wt
    if eps:
        wsum = (w.sum(dtype=dtype) if w is not None else dtype.type(n_classes)) * (eps / n_classes)
        qsum = on + xp.where(valid, wsum, 0).astype(dtype, copy=False)
    else:
        qsum = on
    grad = xp.exp(logp)
    grad *= qsum[:, None]
    if eps:
        spread = (w if w is not None else xp.ones(n_classes, dtype=dtype)) * (eps / n_classes)
        spread = spread.astype(dtype, copy=False).reshape(_class_shape(logp.ndim, n_classes))
        grad -= spread * valid[:, None]
    idx = t_safe[:, None]
    at = xp.take_along_axis(grad, idx, axis=1)
    xp.put_along_axis(grad, idx, at - on[:, None], axis=1)
    return grad, wt


def _ce_vjp(g, ans, z, t, *w, needs, ignore_index, reduction, label_smoothing, aux):
    grads = [None] * len(needs)
    if not needs[0]:
        return tuple(grads)
    warr = w[0]._array if w else None
    if GradMode.enabled:  # create_graph: differentiable in z
        grads[0] = _ce_vjp_graph(g, z, t, w[0] if w else None, ignore_index, reduction,
                                 label_smoothing)  # fmt: skip
        return tuple(grads)
    if type(aux) is tuple:  # the fast forward's softmax parts: p = e / se
        e, se, rows = aux
        gd = g._array
        if reduction == "none":
            scale = gd[:, None] / se
            grad = e * scale
            grad[rows, t._array] -= gd
        else:
            gn = gd / e.shape[0] if reduction == "mean" else gd
            grad = e * (gn / se)
            grad[rows, t._array] -= gn
        grads[0] = _make(grad)
        return tuple(grads)
    grad, wt = _ce_grad_array(aux, t._array, warr, ignore_index, label_smoothing)
    if reduction == "none":
        grad *= g._array[:, None]
    elif reduction == "sum":
        grad *= g._array
    else:
        grad *= g._array / wt.sum(dtype=grad.dtype)
    grads[0] = _make(grad)
    return tuple(grads)


def _ce_vjp_graph(g, z, t, w, ignore_index, reduction, label_smoothing):
    """The same gradient as ``_ce_grad_array`` built from tapegrad ops."""
    p = R.softmax(z, 1)
    n_classes = z._array.shape[1]
    dtype = z._array.dtype
    valid, t_safe, wt = _ce_parts(t._array, None if w is None else w._array, ignore_index,
                                  label_smoothing, n_classes, dtype)  # fmt: skip
    eps = label_smoothing
    q = xp.arange(n_classes).reshape(_class_shape(z.ndim, n_classes)) == t_safe[:, None]
    q = q * (wt * (1 - eps))[:, None]
    if eps:
        wv = w._array if w is not None else xp.ones(n_classes, dtype=dtype)
        q = q + (wv * (eps / n_classes)).reshape(_class_shape(z.ndim, n_classes)) * valid[:, None]
    q = q.astype(dtype)
    dz = p * _make(q.sum(axis=1, keepdims=True)) - _make(q)
    if reduction == "none":
        return dz * unsqueeze(g, 1)
    if reduction == "sum":
        return dz * g
    return dz * (g / _make(xp.asarray(wt.sum(), dtype=dtype)))


CROSS_ENTROPY = defprim(
    "cross_entropy", _ce_fwd, vjp_all=_ce_vjp,
    partials=("softmax(a)*sum(q) - q", "0", "0"), saves=(0,), has_aux=True,
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


def _ln_vjp(g, ans, x, *wb, needs, n_norm, eps, has_weight, has_bias):
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


def _bce_x(g, ans, x, t):
    return g * (x - t) / E.clamp(x * (1 - x), min=1e-12)


def _bce_t(g, ans, x, t):
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
    return apply(CROSS_ENTROPY, *args, ignore_index=int(ignore_index), reduction=reduction,
                 label_smoothing=float(label_smoothing))  # fmt: skip


def layer_norm_fused(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, n_norm: int, eps: float
) -> Tensor:
    """Apply the fused layer-norm primitive over the last ``n_norm`` dims."""
    args = [x] + [a for a in (weight, bias) if a is not None]
    return apply(LAYER_NORM, *args, n_norm=int(n_norm), eps=float(eps),
                 has_weight=weight is not None, has_bias=bias is not None)  # fmt: skip
