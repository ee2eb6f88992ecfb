"""Gradchecks (float64) of every fused primitive of ``tapegrad.ops.nn_ops``,
from the samples in ``tests/ops/samples_nn.py``, plus their stability."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn.functional as F
from tapegrad.ops import nn_ops  # noqa: F401  (registers the primitives)
from tapegrad.ops.registry import PRIMITIVES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
from samples_nn import SAMPLES  # noqa: E402

CASES = [(name, c) for name, cases in SAMPLES.items() for c in cases]


@pytest.mark.parametrize("name,c", CASES, ids=[f"{n}-{c.label}" for n, c in CASES])
def test_fused_primitive_gradcheck(name, c):
    rng = np.random.default_rng(0)
    args, params = c.build(rng)
    prim = PRIMITIVES[name]
    assert tg.gradcheck(lambda *a: prim(*a, **params), args)


def test_every_nn_primitive_has_samples():
    for name in ("cross_entropy", "layer_norm", "binary_cross_entropy"):
        assert SAMPLES[name]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_second_derivative_matches_finite_differences(reduction):
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    t = tg.tensor([0, 3, 1])

    def grad_sum(x):
        with tg.enable_grad():
            loss = F.cross_entropy(x, t, reduction=reduction).sum()
            (g,) = tg.autograd.grad(loss, x, create_graph=True)
            return (g * g).sum()

    assert tg.gradcheck(grad_sum, [x])


def test_linear_second_derivative_through_every_input_matches_finite_differences():
    x = tg.randn(4, 3, dtype=tg.float64, requires_grad=True)
    w = tg.randn(2, 3, dtype=tg.float64, requires_grad=True)
    b = tg.randn(2, dtype=tg.float64, requires_grad=True)

    def grad_sum(x, w, b):
        with tg.enable_grad():
            y = F.linear(x, w, b)
            grads = tg.autograd.grad((y * y * y).sum(), [x, w, b], create_graph=True)
            return sum((g * g).sum() for g in grads)

    assert tg.gradcheck(grad_sum, [x, w, b])


def test_layer_norm_second_derivative_matches_finite_differences():
    x = tg.randn(2, 5, dtype=tg.float64, requires_grad=True)
    w = tg.randn(5, dtype=tg.float64, requires_grad=True)

    def grad_sum(x, w):
        with tg.enable_grad():
            y = F.layer_norm(x, (5,), w, None)
            (g,) = tg.autograd.grad((y * y * y).sum(), x, create_graph=True)
            return (g * g).sum()

    assert tg.gradcheck(grad_sum, [x, w])


def test_cross_entropy_is_one_node():
    x = tg.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([0, 1, 2, 0]))
    assert loss.grad_fn.prim.name == "cross_entropy"
    assert loss.grad_fn.parents[0] is x


def test_cross_entropy_huge_logits_give_finite_loss_and_grad():
    x = tg.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1, 1]))
    loss.backward()
    assert np.isclose(loss.item(), 1e4, rtol=1e-6)
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


def test_cross_entropy_minus_inf_logit_gives_finite_loss_and_grad():
    x = tg.tensor([[-float("inf"), 0.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1]))
    loss.backward()
    assert np.isclose(loss.item(), np.log(2.0))
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, -0.5, 0.5]], atol=1e-7)


def test_cross_entropy_keeps_float32():
    x = tg.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([0, 1, 2, 0]))
    loss.backward()
    assert loss.dtype == tg.float32 and x.grad.dtype == tg.float32


def test_layer_norm_is_one_node_and_normalises():
    x = tg.randn(3, 6, dtype=tg.float64)
    y = F.layer_norm(x, (6,))
    np.testing.assert_allclose(y.numpy().mean(1), 0, atol=1e-12)
    np.testing.assert_allclose(y.numpy().var(1), 1, rtol=1e-4)
