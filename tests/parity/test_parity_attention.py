"""Attention against PyTorch in float64: ``F.scaled_dot_product_attention``
(values, gradients, second derivatives) across masks, causal, scale and
grouped-query heads; ``nn.MultiheadAttention`` and the transformer modules
from the same weights (copied through NumPy), in eval mode and in train mode
with dropout 0."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as tnn
import tapegrad.nn.functional as TF

from .helpers import check

torch = pytest.importorskip("torch")


def _sdpa(lib, *args, **kw):
    f = torch.nn.functional if lib is torch else TF
    return f.scaled_dot_product_attention(*args, **kw)


def _arrays(rng, *shapes):
    return [rng.standard_normal(s) for s in shapes]


SHAPES = [
    ((4, 5), (6, 5), (6, 3)),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)),
    ((2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 7)),
    ((2, 1, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)),
]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_values_and_gradients(shapes, causal, scale):
    rng = np.random.default_rng(0)
    check(
        lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=causal, scale=scale),
        *_arrays(rng, *shapes),
        rtol=1e-10,
        atol=1e-12,
    )


def test_sdpa_causal_with_more_queries_than_keys_is_upper_left_aligned():
    rng = np.random.default_rng(1)
    check(
        lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=True),
        *_arrays(rng, (2, 7, 4), (2, 3, 4), (2, 3, 5)),
        rtol=1e-10,
        atol=1e-12,
    )


MASKS = {
    "bool (L, S)": lambda rng: rng.random((4, 6)) > 0.4,
    "bool (N, 1, L, S)": lambda rng: rng.random((2, 1, 4, 6)) > 0.4,
    "bool (1, S)": lambda rng: np.array([[True, False, True, True, False, True]]),
    "float (L, S)": lambda rng: rng.standard_normal((4, 6)),
    "float (H, 1, S) with -inf": lambda rng: np.where(
        rng.random((3, 1, 6)) > 0.7, -np.inf, rng.standard_normal((3, 1, 6))
    ),
}


@pytest.mark.parametrize("name", list(MASKS))
def test_sdpa_masks(name):
    rng = np.random.default_rng(2)
    mask = MASKS[name](rng)
    if mask.dtype == bool:
        mask[..., 0] = True  # (a row of its own sees at least one key)
    q, k, v = _arrays(rng, (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7))
    check(
        lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m),
        q,
        k,
        v,
        mask,
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows_give_zeros_as_pytorch(kind):
    rng = np.random.default_rng(3)
    mask = rng.random((4, 6)) > 0.3
    mask[1] = False
    mask[0, 0] = mask[2, 0] = mask[3, 0] = True
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf)
    q, k, v = _arrays(rng, (2, 4, 5), (2, 6, 5), (2, 6, 3))
    out_t, out_g = check(
        lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m),
        q,
        k,
        v,
        mask,
        rtol=1e-10,
        atol=1e-12,
    )
    assert np.all(out_g.detach().numpy()[:, 1] == 0)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_grouped_query_heads(causal):
    rng = np.random.default_rng(4)
    check(
        lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=causal, enable_gqa=True),
        *_arrays(rng, (2, 6, 4, 5), (2, 2, 6, 5), (2, 2, 6, 3)),
        rtol=1e-10,
        atol=1e-12,
    )


def test_sdpa_float_mask_gradient():
    rng = np.random.default_rng(5)
    check(
        lambda lib, q, k, v, m: _sdpa(lib, q, k, v, attn_mask=m),
        *_arrays(rng, (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), (3, 4, 6)),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "kw",
    [{}, {"is_causal": True}, {"scale": 0.7, "enable_gqa": True}, {"mask": True}],
    ids=["plain", "causal", "gqa", "mask"],
)
def test_sdpa_second_derivatives(kw):
    """The Hessian-vector product of a scalar of the output, in q, k and v."""
    rng = np.random.default_rng(6)
    q, k, v = _arrays(rng, (2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3))
    if not kw.get("enable_gqa"):
        k, v = np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)
    mask = rng.standard_normal((3, 5)) if kw.pop("mask", False) else None
    w = rng.standard_normal((2, 4, 3, 3))
    dirs = _arrays(rng, q.shape, k.shape, v.shape)
    results = []
    for lib in (torch, tg):
        xs = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        m = None if mask is None else lib.tensor(mask)
        out = _sdpa(lib, *xs, attn_mask=m, **kw)
        y = (out * lib.tensor(w)).sum()
        grads = (torch.autograd.grad if lib is torch else tg.autograd.grad)(
            y, xs, create_graph=True
        )
        z = sum((g * lib.tensor(d)).sum() for g, d in zip(grads, dirs))
        second = (torch.autograd.grad if lib is torch else tg.autograd.grad)(z, xs)
        results.append([s.detach().numpy() for s in second])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)


def test_sdpa_dropout_keeps_the_expected_fraction_and_scales():
    tg.manual_seed(0)
    q = tg.zeros((1, 200, 4), dtype=tg.float64)
    v = tg.ones((1, 50, 3), dtype=tg.float64)
    out = TF.scaled_dot_product_attention(q, q[:, :50], v, dropout_p=0.25)
    # uniform probabilities 1/50, each kept with 0.75 and scaled by 4/3: mean 1
    assert abs(out.numpy().mean() - 1.0) < 0.05
    assert out.numpy().std() > 0.05


# ------------------------------------------------------------ modules
def _copy(model_t, model_g):
    state = {k: tg.tensor(v.detach().numpy().copy()) for k, v in model_t.state_dict().items()}
    model_g.load_state_dict(state)


def _close(a, b, rtol=1e-9, atol=1e-11):
    if a is None:
        assert b is None
        return
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=rtol, atol=atol)


def _pair(make, train: bool):
    m_t = make(torch.nn).double()
    m_g = make(tnn).double()
    _copy(m_t, m_g)
    m_t.train(train)
    m_g.train(train)
    return m_t, m_g


def _run_both(m_t, m_g, arrays, **kwargs):
    """Run both modules on the same inputs (float arrays require grad) and
    compare outputs and the gradients of every parameter and input."""
    ins_t = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ins_g = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    kw_t = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    kw_g = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out_t, out_g = m_t(*ins_t, **kw_t), m_g(*ins_g, **kw_g)
    outs_t = out_t if isinstance(out_t, tuple) else (out_t,)
    outs_g = out_g if isinstance(out_g, tuple) else (out_g,)
    for a, b in zip(outs_t, outs_g):
        _close(a, b)
    rng = np.random.default_rng(9)
    w = rng.standard_normal(tuple(outs_t[0].shape))
    (outs_t[0] * torch.tensor(w)).sum().backward()
    (outs_g[0] * tg.tensor(w)).sum().backward()
    for a, b in zip(ins_t, ins_g):
        if a.requires_grad:
            _close(a.grad, b.grad)
    grads_g = dict(m_g.named_parameters())
    for name, p in m_t.named_parameters():
        _close(p.grad, grads_g[name].grad)
    return outs_t, outs_g


MHA_CONFIGS = {
    "plain": dict(),
    "batch_first": dict(batch_first=True),
    "kdim/vdim": dict(kdim=3, vdim=5),
    "bias_kv, zero_attn": dict(add_bias_kv=True, add_zero_attn=True),
    "no bias": dict(bias=False),
}


@pytest.mark.parametrize("name", list(MHA_CONFIGS))
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_multihead_attention(name, need_weights, train):
    cfg = MHA_CONFIGS[name]
    m_t, m_g = _pair(lambda nn: nn.MultiheadAttention(8, 2, **cfg), train)
    rng = np.random.default_rng(10)
    n, lq, s = 3, 4, 5
    bf = cfg.get("batch_first", False)
    shape = (lambda length, e: (n, length, e)) if bf else (lambda length, e: (length, n, e))
    q = rng.standard_normal(shape(lq, 8))
    k = rng.standard_normal(shape(s, cfg.get("kdim", 8)))
    v = rng.standard_normal(shape(s, cfg.get("vdim", 8)))
    pad = np.zeros((n, s), bool)
    pad[0, -2:] = True
    mask = rng.random((lq, s)) > 0.8
    mask[:, 0] = False
    _run_both(
        m_t,
        m_g,
        [q, k, v],
        key_padding_mask=pad,
        attn_mask=mask,
        need_weights=need_weights,
    )


@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_self_attention_float_masks_and_weights(average):
    m_t, m_g = _pair(lambda nn: nn.MultiheadAttention(6, 3), True)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 2, 6))
    ins_t, ins_g = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    mask = rng.standard_normal((2 * 3, 4, 4))
    pad = np.where(np.array([[0, 0, 0, 1], [0, 0, 0, 0]]) > 0, -np.inf, 0.0)
    o_t, w_t = m_t(ins_t, ins_t, ins_t, torch.tensor(pad), True, torch.tensor(mask), average)
    o_g, w_g = m_g(ins_g, ins_g, ins_g, tg.tensor(pad), True, tg.tensor(mask), average)
    _close(o_t, o_g)
    _close(w_t, w_g)
    assert tuple(w_g.shape) == ((2, 4, 4) if average else (2, 3, 4, 4))


def test_multihead_attention_unbatched_and_causal_hint():
    m_t, m_g = _pair(lambda nn: nn.MultiheadAttention(4, 2), True)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((5, 4))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    for need in (True, False):
        _run_both(
            m_t,
            m_g,
            [x, x, x],
            attn_mask=causal.numpy(),
            is_causal=True,
            need_weights=need,
        )


def test_multihead_attention_fully_padded_sequence_as_pytorch():
    """need_weights: an explicit softmax, NaN on a row with no key (as
    PyTorch); need_weights=False: scaled_dot_product_attention, zeros."""
    m_t, m_g = _pair(lambda nn: nn.MultiheadAttention(4, 2, batch_first=True), True)
    x = np.random.default_rng(13).standard_normal((2, 3, 4))
    pad = np.array([[False] * 3, [True] * 3])
    for need in (True, False):
        o_t, _ = m_t(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(pad), need_weights=need)
        o_g, _ = m_g(*[tg.tensor(x)] * 3, key_padding_mask=tg.tensor(pad), need_weights=need)
        np.testing.assert_allclose(o_g.detach().numpy(), o_t.detach().numpy(), equal_nan=True)


LAYER_CONFIGS = {
    "post-norm relu": dict(),
    "pre-norm gelu batch_first": dict(norm_first=True, activation="gelu", batch_first=True),
    "no bias, callable": dict(bias=False, activation=torch.tanh),
}


def _act(cfg, nn):
    cfg = dict(cfg)
    if cfg.get("activation") is torch.tanh:
        cfg["activation"] = torch.tanh if nn is torch.nn else tg.tanh
    return cfg


@pytest.mark.parametrize("name", list(LAYER_CONFIGS))
@pytest.mark.parametrize("train", [True, False])
def test_transformer_encoder(name, train):
    cfg = LAYER_CONFIGS[name]

    def make(nn):
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **_act(cfg, nn))
        return nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))

    m_t, m_g = _pair(make, train)
    rng = np.random.default_rng(14)
    bf = cfg.get("batch_first", False)
    x = rng.standard_normal((3, 5, 8) if bf else (5, 3, 8))
    pad = np.zeros((3, 5), bool)
    pad[1, -2:] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    _run_both(m_t, m_g, [x], mask=mask, src_key_padding_mask=pad)
    assert repr(m_t) == repr(m_g).replace("tapegrad.", "torch.")


@pytest.mark.parametrize("name", list(LAYER_CONFIGS))
@pytest.mark.parametrize("train", [True, False])
def test_transformer_decoder(name, train):
    cfg = LAYER_CONFIGS[name]

    def make(nn):
        layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **_act(cfg, nn))
        return nn.TransformerDecoder(layer, 2)

    m_t, m_g = _pair(make, train)
    rng = np.random.default_rng(15)
    bf = cfg.get("batch_first", False)
    tgt = rng.standard_normal((3, 4, 8) if bf else (4, 3, 8))
    mem = rng.standard_normal((3, 6, 8) if bf else (6, 3, 8))
    pad = np.zeros((3, 6), bool)
    pad[0, -1] = True
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64).numpy()
    _run_both(m_t, m_g, [tgt, mem], tgt_mask=mask, memory_key_padding_mask=pad, tgt_is_causal=True)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(batch_first):
    def make(nn):
        return nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=batch_first)

    m_t, m_g = _pair(make, True)
    assert list(m_t.state_dict()) == list(m_g.state_dict())
    assert repr(m_t) == repr(m_g)
    rng = np.random.default_rng(16)
    src = rng.standard_normal((2, 5, 8) if batch_first else (5, 2, 8))
    tgt = rng.standard_normal((2, 3, 8) if batch_first else (3, 2, 8))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64).numpy()
    _run_both(m_t, m_g, [src, tgt], tgt_mask=mask)


def test_generate_square_subsequent_mask():
    a = torch.nn.Transformer.generate_square_subsequent_mask(4)
    b = tnn.Transformer.generate_square_subsequent_mask(4)
    assert str(b.dtype).endswith("float32")
    np.testing.assert_array_equal(b.numpy(), a.numpy())


def test_multihead_attention_init_statistics_and_keys_match_pytorch():
    m_t = torch.nn.MultiheadAttention(16, 4, add_bias_kv=True, kdim=8, vdim=12)
    m_g = tnn.MultiheadAttention(16, 4, add_bias_kv=True, kdim=8, vdim=12)
    st, sg = m_t.state_dict(), m_g.state_dict()
    assert list(st) == list(sg)
    for k in st:
        assert tuple(st[k].shape) == tuple(sg[k].shape), k
    assert np.all(sg["in_proj_bias"].numpy() == 0) and np.all(sg["out_proj.bias"].numpy() == 0)
    bound = np.sqrt(6 / (16 + 8))  # xavier_uniform_ of (16, 8)
    assert np.abs(sg["k_proj_weight"].numpy()).max() <= bound
    assert repr(m_t) == repr(m_g)
