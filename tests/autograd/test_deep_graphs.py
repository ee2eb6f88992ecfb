"""The engine walks iteratively: deep graphs never hit the recursion limit, and
random graphs backpropagate correctly."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from random_dags import random_dag  # noqa: E402


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


@pytest.mark.parametrize("seed", range(20))
def test_random_dags_backward_matches_finite_differences(seed):
    """backward() on random DAGs (the engine's order by creation number with a
    heap at fan-out, the 0-d NumPy-scalar path, the early release) against
    central differences in float64."""
    shapes = [(3,), (3,), ()] if seed % 2 else [(), (), ()]
    values = [
        np.random.default_rng(seed + 100 + i).standard_normal(s) for i, s in enumerate(shapes)
    ]
    leaves = [tg.tensor(v, dtype=tg.float64, requires_grad=True) for v in values]
    random_dag(seed, leaves, 6 + 3 * seed).backward()

    def f(vals):
        with tg.no_grad():
            return random_dag(
                seed, [tg.tensor(v, dtype=tg.float64) for v in vals], 6 + 3 * seed
            ).item()

    eps = 1e-6
    for k, v in enumerate(values):
        numeric = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up = [w.copy() for w in values]
            down = [w.copy() for w in values]
            up[k][idx] += eps
            down[k][idx] -= eps
            numeric[idx] = (f(up) - f(down)) / (2 * eps)
        got = np.zeros_like(v) if leaves[k].grad is None else leaves[k].grad.numpy()
        np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-7)
