"""Acceptance: the lecture's 1-2-3-1 ReLU network built from ``nn.Linear``."""

import numpy as np

import tapegrad as tg
import tapegrad.nn as nn

W1 = [[3.0], [-1.0]]
B1 = [0.0, 0.0]
W2 = [[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]
B2 = [2.0, -2.0, 0.0]
W3 = [[-1.0, 1.0, 1.0 / 3.0]]
B3 = [5.0]


def _network():
    layers = [nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    net = nn.Sequential(*layers).double()
    with tg.no_grad():
        for lin, (w, b) in zip([layers[0], layers[2], layers[4]], [(W1, B1), (W2, B2), (W3, B3)]):
            lin.weight.copy_(tg.tensor(w, dtype=tg.float64))
            lin.bias.copy_(tg.tensor(b, dtype=tg.float64))
    return net, [layers[0], layers[2], layers[4]]


def _forward_backward():
    net, linears = _network()
    x = tg.tensor([1.0], dtype=tg.float64)
    y = net(x)
    loss = 0.5 * (y - 1) ** 2
    loss.sum().backward()
    return y, loss, linears


def test_slide_network_output_is_6():
    y, _, _ = _forward_backward()
    assert y.item() == 6.0


def test_slide_network_loss_is_12_5():
    _, loss, _ = _forward_backward()
    assert loss.item() == 12.5


def test_slide_network_gradients_match_the_matrix_form_recursion():
    _, _, linears = _forward_backward()
    # forward, keeping s (before) and o (after the activation) of each layer
    Ws = [np.array(W1), np.array(W2), np.array(W3)]
    bs = [np.array(B1), np.array(B2), np.array(B3)]
    o = [np.array([1.0])]
    s = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        s.append(W @ o[-1] + b)
        o.append(np.maximum(s[-1], 0) if l < 2 else s[-1])
    # backward: r <- dloss/do(L); r <- r * sigma'(s); dW = r o^T; db = r; r <- W^T r
    r = o[-1] - 1.0
    expected = [None, None, None]
    for l in (2, 1, 0):
        sigma_prime = (s[l] > 0).astype(float) if l < 2 else np.ones_like(s[l])
        r = r * sigma_prime
        expected[l] = (np.outer(r, o[l]), r.copy())
        r = Ws[l].T @ r
    for lin, (dW, db) in zip(linears, expected):
        np.testing.assert_allclose(lin.weight.grad.numpy(), dW, rtol=0, atol=1e-12)
        np.testing.assert_allclose(lin.bias.grad.numpy(), db, rtol=0, atol=1e-12)
    # and the numbers worked out on the slide
    np.testing.assert_allclose(linears[2].weight.grad.numpy(), [[0.0, 0.0, 15.0]])
    np.testing.assert_allclose(linears[1].weight.grad.numpy(), [[0, 0], [0, 0], [5.0, 0]])
    np.testing.assert_allclose(linears[0].weight.grad.numpy(), [[5.0 / 3.0], [0.0]])
