"""Second derivatives: create_graph records the backward pass."""

import numpy as np
import pytest

import tapegrad as tg


@pytest.mark.parametrize("x0", [-1.5, 0.5, 2.0])
def test_second_derivative_of_cube_is_6x(x0):
    x = tg.tensor(x0, dtype=tg.float64, requires_grad=True)
    (dx,) = tg.autograd.grad(x**3, x, create_graph=True)
    assert dx.item() == pytest.approx(3 * x0**2)
    (d2x,) = tg.autograd.grad(dx, x)
    assert d2x.item() == pytest.approx(6 * x0)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad.clone()
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def _two_layer_loss(params, x, t):
    w1, b1, w2, b2 = params
    h = tg.tanh(x @ w1.T + b1)
    y = h @ w2.T + b2
    return ((y - t) ** 2).mean()


def test_hessian_vector_product_equals_difference_of_gradients():
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    params = [
        tg.tensor(rng.standard_normal(s), dtype=tg.float64, requires_grad=True) for s in shapes
    ]
    x = tg.tensor(rng.standard_normal((5, 3)), dtype=tg.float64)
    t = tg.tensor(rng.standard_normal((5, 2)), dtype=tg.float64)
    v = [rng.standard_normal(s) for s in shapes]

    loss = _two_layer_loss(params, x, t)
    grads = tg.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * tg.tensor(vi)).sum() for g, vi in zip(grads, v))
    hvp = tg.autograd.grad(dot, params)

    eps = 1e-5

    def grads_at(sign):
        shifted = [
            tg.tensor(p.data + sign * eps * vi, requires_grad=True) for p, vi in zip(params, v)
        ]
        return [g.numpy() for g in tg.autograd.grad(_two_layer_loss(shifted, x, t), shifted)]

    plus, minus = grads_at(+1), grads_at(-1)
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.numpy(), (gp - gm) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_functional_hessian_of_quadratic_form():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    hess = tg.autograd.functional.hessian(
        lambda x: x @ tg.tensor(a) @ x / 2, tg.tensor([1.0, -1.0], dtype=tg.float64)
    )
    np.testing.assert_allclose(hess.numpy(), a)
