"""The engine walks iteratively: deep graphs never hit the recursion limit."""

import sys

import numpy as np

import tapegrad as tg


def test_chain_of_10000_ops():
    x = tg.tensor(0.5, dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert abs(x.grad.item() - 1.0001**10_000) < 1e-9 * 1.0001**10_000


def test_network_of_1000_layers():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 8)))
    ws = [tg.tensor(rng.standard_normal((8, 8)) * 0.3, requires_grad=True) for _ in range(1000)]
    h = x
    for w in ws:
        h = tg.tanh(tg.linear(h, w))
    h.sum().backward()
    assert all(w.grad is not None and w.grad.shape == (8, 8) for w in ws)
    assert np.isfinite(ws[0].grad.numpy()).all()


def test_second_order_through_a_long_chain():
    x = tg.tensor(1.0, dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(2000):
        y = tg.sin(y) + 0.0
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (h,) = tg.autograd.grad(g, x)
    assert np.isfinite(h.item())
