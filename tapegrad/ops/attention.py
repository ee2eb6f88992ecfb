"""Scaled dot-product attention (``F.scaled_dot_product_attention``): one
entry of the table, a few large batched matmuls forward and backward.

With ``q (..., L, E)``, ``k (..., S, E)``, ``v (..., S, Ev)``::

    s = scale q k^T + mask          (..., L, S)   scores; masked out: -inf
    P = softmax(s) along S                        the attention probabilities
    out = (P * D) v                 (..., L, Ev)  D: dropout's keep/(1-p), or 1

The node keeps ``P`` (``saves_aux``) and the inputs, nothing of size
``L x S`` besides; the vjp is ``dV = (P D)^T g``, ``dP = (g v^T) D``,
``ds = P (dP - rowsum(dP P))``, ``dq = scale ds k``, ``dk = scale ds^T q``
(and ``ds`` for a float mask), in tapegrad ops, so it runs on plain arrays in
a first-order backward and on tensors, recorded, for second derivatives.

Grouped-query attention (``enable_gqa``): ``Hq = G Hk`` query heads share
each key/value head; the query heads are regrouped as ``(Hk, G L)`` rows, so
no key or value is copied.  A row whose keys are all masked out gives zeros
(and zero gradients), as PyTorch 2.13's ``scaled_dot_product_attention``.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.ops.elementwise import WHERE
from tapegrad.ops.reduce import SOFTMAX, SUM
from tapegrad.ops.registry import defprim, sum_to_shape
from tapegrad.ops.shape import PERMUTE, ShapeMismatch
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp
_OP = "scaled_dot_product_attention"


# ------------------------------------------------------------ helpers
def _mT(x):
    """The last two dimensions swapped (arrays or tensors)."""
    n = x.ndim
    return PERMUTE.apply(x, dims=tuple(range(n - 2)) + (n - 1, n - 2))


def _grouped(x, groups: int):
    """``(..., G Hk, L, E) -> (..., Hk, G L, E)``: query heads beside their
    shared key/value head (``groups = G``; 1: unchanged)."""
    if groups == 1:
        return x
    *lead, h, n, e = x.shape
    return x.reshape(tuple(lead) + (h // groups, groups * n, e))


def _ungrouped(x, shape: tuple):
    return x if x.shape == shape else x.reshape(shape)


def _const(array, like):
    """A constant beside ``like``: a tensor when ``like`` is one."""
    return new_tensor(array) if isinstance(like, Tensor) else array


def _value(x):
    return x._array if isinstance(x, Tensor) else x


def _scores_shape(q, k, groups: int) -> tuple:
    heads = (k.shape[-3] * groups,) if k.ndim > 2 else ()
    lead = xp.broadcast_shapes(q.shape[:-2], k.shape[:-3] + heads)
    return tuple(lead) + (q.shape[-2], k.shape[-2])


def _causal(n_query: int, n_key: int):
    """Upper-left aligned: query ``i`` sees keys ``j <= i``."""
    return xp.tri(n_query, n_key, dtype=bool)


# ------------------------------------------------------- probabilities
def _probabilities(q, k, v, *rest, scale, causal, groups, mask_kind, dropout):
    """``P = softmax(scale q k^T + mask)`` over the keys, rows whose keys
    are all masked out set to zero (arrays or tensors, recorded)."""
    s = _grouped(q, groups) @ _mT(k)
    if groups > 1:  # (..., Hk, G L, S) -> (..., Hq, L, S)
        s = s.reshape(s.shape[:-3] + (s.shape[-3] * groups, s.shape[-2] // groups, s.shape[-1]))
    s = s * scale
    live = None
    if mask_kind == "float":
        mask = rest[0]
        finite = _value(mask) > -math.inf
        if finite.ndim == 0:
            finite = finite.reshape(1)
        dead = ~finite.any(-1, keepdims=True)
        if dead.any():
            live = ~dead
            mask = WHERE.apply(_const(live, mask), mask, _const(xp.zeros((), s.dtype), mask))
        s = s + mask
    elif mask_kind == "bool" or causal:
        allowed = _value(rest[0]) if mask_kind == "bool" else _causal(*s.shape[-2:])
        dead = ~allowed.any(-1, keepdims=True)
        if dead.any():
            live = ~dead
            allowed = allowed | dead
        bias = xp.where(allowed, xp.zeros((), s.dtype), xp.asarray(-math.inf, s.dtype))
        s = s + _const(bias, s)
    p = SOFTMAX.apply(s, dim=s.ndim - 1)
    if live is not None:
        p = p * _const(live.astype(p.dtype), p)
    return p


# ------------------------------------------------------------ the entry
def _attention_fwd(q, k, v, *rest, aux, scale, causal, groups, mask_kind, dropout):
    p = aux * rest[-1] if dropout else aux
    out = _grouped(p, groups) @ v
    return out.reshape(p.shape[:-1] + (v.shape[-1],)) if groups > 1 else out


def _attention_vjp(g, out, q, k, v, *rest, aux, needs, scale, causal, groups, mask_kind, dropout):
    """``dv = (P D)^T g``, ``dP = (g v^T) D``, ``ds = P (dP - rowsum(dP P))``,
    ``dq = scale ds k``, ``dk = scale ds^T q``, ``dmask = ds``."""
    p = aux
    pd = p * rest[-1] if dropout else p
    gg = _grouped(g, groups)
    grads = [None] * len(needs)
    if needs[2]:
        grads[2] = sum_to_shape(_mT(_grouped(pd, groups)) @ gg, v.shape)
    if not (needs[0] or needs[1] or (mask_kind == "float" and needs[3])):
        return tuple(grads)
    dp = _ungrouped(gg @ _mT(v), p.shape)
    if dropout:
        dp = dp * rest[-1]
    dpp = dp * p
    ds = dpp - p * SUM.apply(dpp, axes=(p.ndim - 1,), keepdim=True)
    if mask_kind == "float" and needs[3]:
        grads[3] = sum_to_shape(ds, rest[0].shape)
    ds = _grouped(ds * scale, groups)
    if needs[0]:
        grads[0] = sum_to_shape(_ungrouped(ds @ k, p.shape[:-1] + (k.shape[-1],)), q.shape)
    if needs[1]:
        grads[1] = sum_to_shape(_mT(ds) @ _grouped(q, groups), k.shape)
    return tuple(grads)


ATTENTION = defprim(
    "scaled_dot_product_attention",
    _attention_fwd,
    vjp_all=_attention_vjp,
    partials=("scale dP k", "scale dP^T q", "(P D)^T", "dP", "0"),
    saves=(0, 1, 2, 3, 4),
    saves_aux=_probabilities,
    arrays=True,
    doc="out = (softmax(scale q k^T + mask) * D) v: attention; D dropout's keep/(1-p) or 1",
)


# ------------------------------------------------------------ public
def _check(q, k, v, enable_gqa: bool) -> int:
    """The number of query heads per key/value head; clear errors otherwise."""
    shapes = f"query {tuple(q.shape)}, key {tuple(k.shape)} and value {tuple(v.shape)}"
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ShapeMismatch(f"{_OP}: {shapes} need at least 2 dims (..., L, E)")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"{_OP}: expected query, key and value of one dtype, "
            f"got {q.dtype}, {k.dtype} and {v.dtype}"
        )
    if q.dtype.kind != "f":
        raise TypeError(f"{_OP}: expected floating inputs, got {q.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ShapeMismatch(f"{_OP}: {shapes}: query and key embeddings (last dims) differ")
    if k.shape[-2] != v.shape[-2]:
        raise ShapeMismatch(f"{_OP}: {shapes}: key and value lengths (dim -2) differ")
    groups = 1
    if enable_gqa and q.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hq % hk:
            raise ShapeMismatch(
                f"{_OP}: {shapes}: with enable_gqa the query heads ({hq}) must be a "
                f"multiple of the key/value heads ({hk})"
            )
        groups = hq // hk
    heads = (k.shape[-3] * groups,) if k.ndim > 2 else ()
    try:
        xp.broadcast_shapes(q.shape[:-2], k.shape[:-3] + heads, v.shape[:-3] + heads)
    except ValueError:
        raise ShapeMismatch(f"{_OP}: {shapes}: batch dims do not broadcast") from None
    return groups


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale=None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q k^T / sqrt(E) + mask) v`` for ``query (..., L, E)``,
    ``key (..., S, E)``, ``value (..., S, Ev)`` -> ``(..., L, Ev)``.

    ``attn_mask``: boolean (True takes part) or float (added to the scores),
    broadcast to ``(..., L, S)``; ``is_causal``: query ``i`` sees keys
    ``j <= i`` (no ``attn_mask`` then); ``scale`` defaults to ``1/sqrt(E)``;
    ``dropout_p``: dropout on the probabilities, from tapegrad's generator;
    ``enable_gqa``: ``Hq = G Hk`` query heads (dim -3) share each key/value
    head.  A row with every key masked out gives zeros.  One node."""
    q, k, v = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
    groups = _check(q, k, v, enable_gqa)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{_OP}: dropout_p has to be between 0 and 1, but got {dropout_p}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    inputs = [q, k, v]
    shape = _scores_shape(q, k, groups)
    mask_kind = None
    if attn_mask is not None:
        if is_causal:
            raise ValueError(f"{_OP}: give attn_mask or is_causal=True, not both")
        mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(attn_mask)
        try:
            xp.broadcast_shapes(tuple(mask.shape), shape)
        except ValueError:
            raise ShapeMismatch(
                f"{_OP}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the "
                f"scores' shape {shape} (query {tuple(q.shape)}, key {tuple(k.shape)})"
            ) from None
        if mask.dtype == B.bool_:
            mask_kind = "bool"
        else:
            mask_kind = "float"
            if mask.dtype != q.dtype:
                mask = mask.to(q.dtype)
        inputs.append(mask)
    dropout = dropout_p > 0.0
    if dropout:
        if len(inputs) == 3:
            inputs.append(new_tensor(xp.zeros((), q.dtype)))  # (no mask: a placeholder)
        inputs.append(new_tensor(_dropout_scale(shape, dropout_p, q.dtype)))
    return ATTENTION.apply(
        *inputs,
        scale=scale,
        causal=bool(is_causal),
        groups=groups,
        mask_kind=mask_kind,
        dropout=dropout,
    )


def _dropout_scale(shape: tuple, p: float, dtype):
    """Dropout's factors: 0 with probability ``p``, else ``1/(1-p)``."""
    if p >= 1.0:
        return xp.zeros(shape, dtype)
    keep = B.rng().random(shape, dtype=B.float32) >= p
    scale = keep.astype(dtype)
    scale *= dtype.type(1.0 / (1.0 - p))
    return scale
