"""PyTorch sequence programs run unchanged on tapegrad: a small GPT
(nanoGPT style: causal self-attention, AdamW, top-k sampling) and a
transformer encoder classifier (key padding mask, mean pooling, Adam).  Each
runs once as written and once with only its import lines pointing at
tapegrad, from the same weights (copied through NumPy) and the same data,
and gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_cnn_programs import _both, _close, _program, _same_weights  # noqa: E402


def _gpt_pair(flash: bool):
    pt, tgp = _program("gpt", "torch"), _program("gpt", "tapegrad")
    torch.manual_seed(0)
    net_t, net_g = pt.GPT(flash=flash), tgp.GPT(flash=flash)
    _same_weights(net_t, net_g)
    return pt, tgp, net_t, net_g


def _token_batches(rng, n, shape, vocab=27):
    out = []
    for _ in range(n):
        x = rng.integers(0, vocab, shape)
        y = np.roll(x, -1, axis=1)
        y[:, -1] = -1  # (ignored by cross_entropy)
        out.append((x, y))
    return out


@pytest.mark.parametrize("flash", [True, False], ids=["sdpa", "masked softmax"])
def test_gpt_trains_as_in_pytorch(flash):
    pt, tgp, net_t, net_g = _gpt_pair(flash)
    assert repr(net_t) == repr(net_g)
    assert list(net_t.state_dict()) == list(net_g.state_dict())
    data = _token_batches(np.random.default_rng(0), 4, (4, 8))
    both = [(_both(x), _both(y)) for x, y in data]
    losses_t = pt.train(net_t, [(x[0], y[0]) for x, y in both])
    losses_g = tgp.train(net_g, [(x[1], y[1]) for x, y in both])
    _close(losses_t, losses_g, rtol=1e-4)
    # the tied weight stays one tensor, trained as one
    assert net_g.transformer.wte.weight is net_g.lm_head.weight
    for v_t, v_g in zip(net_t.state_dict().values(), net_g.state_dict().values()):
        _close(v_t.numpy(), v_g.numpy(), rtol=1e-3, atol=1e-4)


def test_gpt_greedy_sampling_matches_pytorch():
    """top_k=1 makes torch.multinomial's distribution one-hot: both libraries
    must then draw the same tokens, through topk, the -inf fill, softmax
    and multinomial."""
    pt, tgp, net_t, net_g = _gpt_pair(True)
    net_t.eval()
    net_g.eval()
    start = np.array([[1, 2], [3, 4]])
    x_t, x_g = _both(start)
    out_t = net_t.generate(x_t, 10, temperature=0.8, top_k=1).numpy()
    out_g = net_g.generate(x_g, 10, temperature=0.8, top_k=1).numpy()
    np.testing.assert_array_equal(out_g, out_t)


def test_gpt_top_k_sampling_draws_from_the_top_k():
    import tapegrad as tg

    _, tgp, _, net_g = _gpt_pair(True)
    net_g.eval()
    tg.manual_seed(3)
    idx = tg.tensor(np.array([[5, 6, 7]]))
    out = net_g.generate(idx, 6, temperature=1.5, top_k=3)
    assert tuple(out.shape) == (1, 9) and out.dtype == tg.int64
    seq = out.numpy()[0]
    for t in range(3, 9):
        with tg.no_grad():
            logits, _ = net_g(tg.tensor(seq[None, max(0, t - 8) : t]))
        top = np.argsort(logits.numpy()[0, -1])[-3:]
        assert seq[t] in top


def _classifier_data(rng, n_batches, batch=6, length=10, vocab=20):
    data = []
    for _ in range(n_batches):
        tokens = rng.integers(1, vocab, (batch, length))
        lengths = rng.integers(3, length + 1, batch)
        tokens[np.arange(length)[None, :] >= lengths[:, None]] = 0  # padding
        data.append((tokens, rng.integers(0, 3, batch)))
    return data


def test_transformer_classifier_trains_and_evaluates_as_in_pytorch():
    pt, tgp = _program("text_classifier", "torch"), _program("text_classifier", "tapegrad")
    torch.manual_seed(0)
    # dropout off for training (its masks are random)
    net_t, net_g = (
        pt.TransformerClassifier(20, 3, dropout=0.0),
        tgp.TransformerClassifier(20, 3, dropout=0.0),
    )
    _same_weights(net_t, net_g)
    assert repr(net_t) == repr(net_g)
    data = _classifier_data(np.random.default_rng(1), 3)
    both = [(_both(x), _both(y)) for x, y in data]
    losses_t = pt.train(net_t, [(x[0], y[0]) for x, y in both])
    losses_g = tgp.train(net_g, [(x[1], y[1]) for x, y in both])
    _close(losses_t, losses_g, rtol=1e-4)
    (x_t, x_g), (y_t, y_g) = both[0]
    (loss_t, right_t), (loss_g, right_g) = (
        pt.evaluate(net_t, x_t, y_t),
        tgp.evaluate(net_g, x_g, y_g),
    )
    _close(loss_t, loss_g, rtol=1e-4)
    assert right_t == right_g
