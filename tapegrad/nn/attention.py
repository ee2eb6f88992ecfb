"""``nn.MultiheadAttention`` (PyTorch's parameters, masks and outputs).

For ``H`` heads of size ``d = E / H``, each head attends with its own slice
of the projections::

    q = x_q W_q^T + b_q,  k = x_k W_k^T + b_k,  v = x_v W_v^T + b_v
    head_h = softmax(q_h k_h^T / sqrt(d) + mask) v_h
    out = concat_h(head_h) W_o^T + b_o

All heads and batch items at once: ``(N, H, L, d)`` stacks through
``F.scaled_dot_product_attention`` (one node), or, when the weights are
asked for, through an explicit softmax, whose probabilities are returned.
"""

from __future__ import annotations

import math

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.nn import functional as F
from tapegrad.nn import init
from tapegrad.nn.layers import Linear
from tapegrad.nn.module import Module, Parameter
from tapegrad.ops.shape import ShapeMismatch
from tapegrad.tensor import Tensor

xp = B.xp


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear``, under the name PyTorch gives ``MultiheadAttention.out_proj``."""


def canonical_mask(mask, name: str, dtype):
    """A mask as an additive float tensor: a boolean one gives ``-inf`` where
    it is True (left out), 0 elsewhere; a float one is used as it is."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else tg.tensor(mask)
    if mask.dtype == tg.bool:
        arr = mask.numpy()
        return tg.tensor(xp.where(arr, xp.asarray(-math.inf, dtype), xp.zeros((), dtype)))
    if mask.dtype.kind != "f":
        raise TypeError(f"only bool and floating types of {name} are supported, got {mask.dtype}")
    return mask


class MultiheadAttention(Module):
    """Attention of ``num_heads`` heads over ``embed_dim`` features (see the
    module docstring): ``forward(query, key, value)`` with ``query (L, N, E)``,
    ``key (S, N, kdim)``, ``value (S, N, vdim)`` (``(N, L, E)`` ... with
    ``batch_first``; unbatched ``(L, E)``) returns ``(output (L, N, E),
    weights (N, L, S) or (N, H, L, S), or None)``.

    Parameters as PyTorch's: ``in_proj_weight (3E, E)`` (or
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim`` or
    ``vdim`` differ from ``E``) from ``xavier_uniform_``, ``in_proj_bias
    (3E,)`` zero, ``out_proj`` (a ``Linear``, bias zero), ``bias_k``,
    ``bias_v (1, 1, E)`` from ``xavier_normal_`` with ``add_bias_kv``."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim=None,
        vdim=None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise ValueError(
                f"embed_dim must be divisible by num_heads (embed_dim={embed_dim}, "
                f"num_heads={num_heads})"
            )
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(tg.empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(tg.empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(tg.empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(tg.empty((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(tg.empty((3 * embed_dim,), dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k = Parameter(tg.empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(tg.empty((1, 1, embed_dim), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            if self.out_proj.bias is not None:
                init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    # ------------------------------------------------------------ forward
    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        batched = _check_inputs(self, query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                "module method `generate_square_subsequent_mask` to create this mask."
            )
        same = query is key and key is value
        if not batched:  # one sequence: a batch of one
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        n, n_query, n_key = query.shape[0], query.shape[1], key.shape[1]
        q, k, v = self._project(query, key, value, same)  # (N, L, E), (N, S', E), (N, S', E)
        mask = self._mask(attn_mask, key_padding_mask, q.dtype, n, n_query, n_key)
        heads = self.num_heads, self.head_dim
        q = q.reshape((n, n_query) + heads).transpose(1, 2)  # (N, H, L, d)
        k = k.reshape((n, k.shape[1]) + heads).transpose(1, 2)  # (N, H, S, d)
        v = v.reshape((n, v.shape[1]) + heads).transpose(1, 2)
        if self.add_zero_attn:
            zeros = tg.zeros((n, self.num_heads, 1, self.head_dim), dtype=q.dtype)
            k, v = tg.cat([k, zeros], dim=2), tg.cat([v, zeros], dim=2)
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.transpose(-2, -1)
            if mask is not None:
                scores = scores + mask
            weights = F.softmax(scores, dim=-1)  # (N, H, L, S)
            if p > 0.0:
                weights = F.dropout(weights, p=p)
            out = weights @ v
        else:
            weights = None
            causal = is_causal and key_padding_mask is None
            out = F.scaled_dot_product_attention(
                q, k, v, None if causal else mask, p, is_causal=causal
            )
        out = self.out_proj(out.transpose(1, 2).reshape(n, n_query, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            return out.squeeze(0), (weights.squeeze(0) if weights is not None else None)
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _project(self, query, key, value, same: bool):
        """The input projections (and ``bias_k``, ``bias_v`` appended)."""
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if same:
                q, k, v = F.linear(query, w, b).chunk(3, dim=-1)
            else:
                q = F.linear(query, w[:e], bq)
                k = F.linear(key, w[e : 2 * e], bk)
                v = F.linear(value, w[2 * e :], bv)
        else:
            q = F.linear(query, self.q_proj_weight, bq)
            k = F.linear(key, self.k_proj_weight, bk)
            v = F.linear(value, self.v_proj_weight, bv)
        if self.bias_k is not None:
            n = k.shape[0]
            k = tg.cat([k, self.bias_k.expand(n, 1, e)], dim=1)
            v = tg.cat([v, self.bias_v.expand(n, 1, e)], dim=1)
        return q, k, v

    def _mask(self, attn_mask, key_padding_mask, dtype, n, n_query, n_key):
        """``attn_mask`` and ``key_padding_mask`` merged into one additive
        float mask broadcasting to ``(N, H, L, S')`` (``S'`` counting
        ``bias_k`` and the zero key), or None."""
        extra = (self.bias_k is not None) + bool(self.add_zero_attn)
        mask = canonical_mask(attn_mask, "attn_mask", dtype)
        if mask is not None:
            if mask.ndim == 2:
                if tuple(mask.shape) != (n_query, n_key):
                    raise RuntimeError(
                        f"The shape of the 2D attn_mask is {tuple(mask.shape)}, but should be "
                        f"{(n_query, n_key)}."
                    )
                mask = mask.reshape(1, 1, n_query, n_key)
            else:
                want = (n * self.num_heads, n_query, n_key)
                if tuple(mask.shape) != want:
                    raise RuntimeError(
                        f"The shape of the 3D attn_mask is {tuple(mask.shape)}, but should be "
                        f"{want}."
                    )
                mask = mask.reshape(n, self.num_heads, n_query, n_key)
            if extra:
                mask = F.pad(mask, (0, extra))
        pad = canonical_mask(key_padding_mask, "key_padding_mask", dtype)
        if pad is not None:
            if tuple(pad.shape) != (n, n_key):
                raise RuntimeError(
                    f"expecting key_padding_mask shape of {(n, n_key)}, but got {tuple(pad.shape)}"
                )
            if extra:
                pad = F.pad(pad, (0, extra))
            pad = pad.reshape(n, 1, 1, n_key + extra)
            mask = pad if mask is None else mask + pad
        return mask


def _check_inputs(mha, query, key, value, key_padding_mask, attn_mask) -> bool:
    """Whether the inputs are batched; clear errors for shapes that do not fit."""
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ShapeMismatch(
            f"MultiheadAttention: expected 3-D (batched) or 2-D (unbatched) query, key and "
            f"value of one kind, got {shapes}"
        )
    if query.shape[-1] != mha.embed_dim:
        raise ShapeMismatch(
            f"MultiheadAttention: was expecting embedding dimension of {mha.embed_dim}, "
            f"but got {shapes}"
        )
    if key.shape[-1] != mha.kdim or value.shape[-1] != mha.vdim:
        raise ShapeMismatch(
            f"MultiheadAttention: key and value need {mha.kdim} and {mha.vdim} features, "
            f"got {shapes}"
        )
    if key.shape[:-1] != value.shape[:-1]:
        raise ShapeMismatch(f"MultiheadAttention: key shape does not match value shape: {shapes}")
    batched = query.ndim == 3
    batch = 0 if mha.batch_first else 1
    if batched and query.shape[batch] != key.shape[batch]:
        raise ShapeMismatch(f"MultiheadAttention: batch sizes differ: {shapes}")
    if key_padding_mask is not None and key_padding_mask.ndim != (2 if batched else 1):
        raise ShapeMismatch(
            f"MultiheadAttention: key_padding_mask of shape {tuple(key_padding_mask.shape)} "
            f"should be {'(N, S)' if batched else '(S,)'} for {shapes}"
        )
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise ShapeMismatch(
            f"MultiheadAttention: attn_mask of shape {tuple(attn_mask.shape)} should be "
            f"(L, S) or (N*num_heads, L, S) for {shapes}"
        )
    return batched
