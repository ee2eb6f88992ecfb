"""Behaviour of attention without PyTorch: shapes, masks, errors, reprs and
state-dict keys of F.scaled_dot_product_attention, nn.MultiheadAttention and
the transformer modules."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F


def _randn(*shape):
    return tg.randn(*shape, dtype=tg.float64)


# ------------------------------------------------------------ F.sdpa
def test_sdpa_shapes_and_default_scale():
    q, k, v = _randn(2, 3, 4, 5), _randn(2, 3, 6, 5), _randn(2, 3, 6, 7)
    out = F.scaled_dot_product_attention(q, k, v)
    assert tuple(out.shape) == (2, 3, 4, 7)
    s = q.numpy() @ k.numpy().swapaxes(-1, -2) / np.sqrt(5)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), p @ v.numpy(), rtol=1e-12)


def test_sdpa_is_one_node_that_keeps_the_probabilities():
    q = _randn(2, 4, 3).requires_grad_()
    out = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    node = out.grad_fn
    assert node.prim.name == "scaled_dot_product_attention"
    assert node.params["aux"].shape == (2, 4, 4)
    assert np.allclose(np.triu(node.params["aux"], 1), 0)


def test_sdpa_fully_masked_row_gives_zeros_and_zero_gradients():
    q = _randn(3, 2).requires_grad_()
    mask = tg.tensor(np.array([[True, False, True], [False, False, False], [False, True, True]]))
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    assert np.all(out.detach().numpy()[1] == 0) and np.isfinite(out.detach().numpy()).all()
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all()


def test_sdpa_errors_name_the_shapes():
    q, k, v = _randn(2, 4, 5), _randn(2, 6, 3), _randn(2, 6, 7)
    with pytest.raises(ValueError, match=r"\(2, 4, 5\).*\(2, 6, 3\)"):
        F.scaled_dot_product_attention(q, k, v)
    with pytest.raises(ValueError, match="lengths"):
        F.scaled_dot_product_attention(q, _randn(2, 6, 5), _randn(2, 5, 7))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 6\)"):
        F.scaled_dot_product_attention(q, _randn(2, 6, 5), v, attn_mask=tg.zeros(3, 6))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(
            q, q, q, attn_mask=tg.zeros(4, 4, dtype=tg.float64), is_causal=True
        )
    with pytest.raises(ValueError, match="multiple"):
        F.scaled_dot_product_attention(
            _randn(1, 3, 4, 5), _randn(1, 2, 4, 5), _randn(1, 2, 4, 5), enable_gqa=True
        )
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, q.float(), q)


def test_sdpa_dropout_is_reproducible_with_manual_seed():
    q = _randn(2, 5, 4)
    tg.manual_seed(7)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    tg.manual_seed(7)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, F.scaled_dot_product_attention(q, q, q).numpy())


# ------------------------------------------------------------ MHA
def test_multihead_attention_parameters_and_repr():
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert m.head_dim == 4 and m._qkv_same_embed_dim
    assert repr(m) == (
        "MultiheadAttention(\n"
        "  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        ")"
    )
    assert isinstance(m.out_proj, nn.Linear)
    m2 = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert list(m2.state_dict()) == [
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
        "bias_k",
        "bias_v",
        "out_proj.weight",
    ]
    assert m2.in_proj_weight is None and tuple(m2.bias_k.shape) == (1, 1, 8)


def test_multihead_attention_shapes():
    m = nn.MultiheadAttention(8, 2)
    x = _randn(5, 3, 8).float()
    out, w = m(x, x, x)
    assert tuple(out.shape) == (5, 3, 8) and tuple(w.shape) == (3, 5, 5)
    out, w = m(x, x, x, need_weights=False)
    assert w is None
    out, w = m(x[:, 0], x[:, 0], x[:, 0], average_attn_weights=False)
    assert tuple(out.shape) == (5, 8) and tuple(w.shape) == (2, 5, 5)
    mb = nn.MultiheadAttention(8, 2, batch_first=True)
    out, w = mb(x, x[:, :2], x[:, :2])
    assert tuple(out.shape) == (5, 3, 8) and tuple(w.shape) == (5, 3, 2)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(8, 2)
    x = tg.randn(5, 3, 8)
    with pytest.raises(ValueError, match=r"embedding dimension of 8.*\(5, 3, 6\)"):
        m(tg.randn(5, 3, 6), x, x)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=tg.zeros(4, 5))
    with pytest.raises(RuntimeError, match="key_padding_mask shape"):
        m(x, x, x, key_padding_mask=tg.zeros(3, 4, dtype=tg.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)


def test_boolean_and_float_masks_agree():
    m = nn.MultiheadAttention(4, 2, batch_first=True)
    x = tg.randn(2, 3, 4)
    pad = np.array([[False, False, True], [False, False, False]])
    a, wa = m(x, x, x, key_padding_mask=tg.tensor(pad))
    b, wb = m(x, x, x, key_padding_mask=tg.tensor(np.where(pad, -np.inf, 0.0).astype("f4")))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    assert np.all(wa.detach().numpy()[0, :, 2] == 0)


# ------------------------------------------------------------ transformers
def test_encoder_layer_keys_and_shapes():
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight",
        "self_attn.in_proj_bias",
        "self_attn.out_proj.weight",
        "self_attn.out_proj.bias",
        "linear1.weight",
        "linear1.bias",
        "linear2.weight",
        "linear2.bias",
        "norm1.weight",
        "norm1.bias",
        "norm2.weight",
        "norm2.bias",
    ]
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert len(enc.layers) == 3 and enc.layers[0] is not layer
    assert "(0-2): 3 x TransformerEncoderLayer(" in repr(enc)
    assert tuple(enc(tg.randn(2, 5, 8)).shape) == (2, 5, 8)
    assert tuple(enc(tg.randn(5, 8)).shape) == (5, 8)


def test_decoder_layer_names_and_activation():
    layer = nn.TransformerDecoderLayer(8, 2, 16, activation="gelu")
    names = [n for n, _ in layer.named_children()]
    assert names == [
        "self_attn",
        "multihead_attn",
        "linear1",
        "dropout",
        "linear2",
        "norm1",
        "norm2",
        "norm3",
        "dropout1",
        "dropout2",
        "dropout3",
    ]
    assert layer.activation is F.gelu
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    dec = nn.TransformerDecoder(layer, 2)
    assert tuple(dec(tg.randn(4, 2, 8), tg.randn(6, 2, 8)).shape) == (4, 2, 8)


def test_transformer_shapes_errors_and_mask():
    model = nn.Transformer(8, 2, 1, 1, 16)
    assert tuple(model(tg.randn(5, 2, 8), tg.randn(3, 2, 8)).shape) == (3, 2, 8)
    with pytest.raises(RuntimeError, match="batch number"):
        model(tg.randn(5, 2, 8), tg.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        model(tg.randn(5, 2, 6), tg.randn(3, 2, 6))
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == tg.float32
    np.testing.assert_array_equal(
        mask.numpy(), np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    )


def test_causal_mask_makes_earlier_outputs_independent_of_later_inputs():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = tg.randn(1, 5, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    a = layer(x, src_mask=mask, is_causal=True).detach().numpy()
    y = x.clone()
    with tg.no_grad():
        y[0, 4] = 10.0
    b = layer(y, src_mask=mask, is_causal=True).detach().numpy()
    np.testing.assert_allclose(a[0, :4], b[0, :4], rtol=1e-5)
    assert not np.allclose(a[0, 4], b[0, 4])
