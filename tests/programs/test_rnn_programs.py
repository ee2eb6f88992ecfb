"""PyTorch recurrent programs run unchanged on tapegrad: each program in
``sources/`` is written for PyTorch; it runs once as it is and once with only
its import lines pointing at tapegrad, from the same initial weights (copied
through NumPy) and the same data, and gives the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_cnn_programs import _both, _close, _program, _same_weights  # noqa: E402


@pytest.mark.parametrize(
    "rnn_type,tie",
    [("LSTM", False), ("GRU", True), ("LSTM", True)],
    ids=["lstm", "gru-tied", "lstm-tied"],
)
def test_word_language_model_trains_as_in_pytorch(rnn_type, tie):
    pt, tgp = _program("word_language_model", "torch"), _program("word_language_model", "tapegrad")
    torch.manual_seed(0)
    args = (rnn_type, 20, 8, 8, 2, 0.0, tie)
    model_t, model_g = pt.RNNModel(*args), tgp.RNNModel(*args)
    _same_weights(model_t, model_g)
    assert repr(model_t) == repr(model_g)
    rng = np.random.default_rng(0)
    words = rng.integers(0, 20, (23, 4))  # 23 steps of 4 streams, as batchify makes them
    data_t, data_g = _both(words)
    losses_t = pt.train(model_t, data_t)
    losses_g = tgp.train(model_g, data_g)
    assert len(losses_t) == 5
    _close(losses_t, losses_g, rtol=1e-4)
    _close(pt.evaluate(model_t, data_t), tgp.evaluate(model_g, data_g), rtol=1e-4)
    state_g = model_g.state_dict()
    assert sorted(state_g) == sorted(model_t.state_dict())
    for k, v_t in model_t.state_dict().items():
        _close(v_t.numpy(), state_g[k].numpy(), rtol=1e-3, atol=1e-5)


def test_mnist_row_lstm_trains_and_tests_as_in_pytorch():
    pt, tgp = _program("mnist_rnn", "torch"), _program("mnist_rnn", "tapegrad")
    torch.manual_seed(0)
    net_t, net_g = pt.RowLSTM(), tgp.RowLSTM()
    _same_weights(net_t, net_g)
    assert repr(net_t) == repr(net_g)
    rng = np.random.default_rng(1)
    data = [
        (rng.standard_normal((8, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 8))
        for _ in range(3)
    ]
    both = [(_both(x), _both(y)) for x, y in data]
    losses_t = pt.train(net_t, [(x[0], y[0]) for x, y in both])
    losses_g = tgp.train(net_g, [(x[1], y[1]) for x, y in both])
    _close(losses_t, losses_g, rtol=1e-4)
    (loss_t, right_t), (loss_g, right_g) = (
        pt.test(net_t, *both[0][0][:1], both[0][1][0]),
        (tgp.test(net_g, both[0][0][1], both[0][1][1])),
    )
    _close(loss_t, loss_g, rtol=1e-4)
    assert right_t == right_g
