"""Autodiff API vs PyTorch: backward options, second derivatives, grad modes,
autograd.grad, the functional API, Function, hooks and retain_grad."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from random_dags import random_dag  # noqa: E402

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(4)
V = rng.uniform(0.5, 1.5, size=(3,))
M = rng.standard_normal((2, 3))


def _grad(L, *args, **kw):
    return L.autograd.grad(*args, **kw)


def test_backward_with_gradient_argument_matches_torch():
    g = rng.standard_normal((2, 3))

    def run(L, x):
        y = x * x
        y.backward(L.tensor(g))
        return x.grad

    check(run, M, backward=False)


def test_grad_accumulates_across_backward_calls_like_torch():
    def run(L, x):
        (x * 2).sum().backward()
        (x * x).sum().backward()
        first = x.grad.clone()
        x.grad.zero_()
        (x**3).sum().backward()
        return first, x.grad

    check(run, V, backward=False)


def test_retain_graph_allows_second_backward_like_torch():
    def run(L, x):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    check(run, V, backward=False)


def test_second_backward_without_retain_graph_raises_like_torch():
    def run(L, x):
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()

    err = check_raises(run, V, grad=True)
    assert "retain_graph" in str(err)


def test_backward_on_non_scalar_without_gradient_raises_like_torch():
    def run(L, x):
        (x * 2).backward()

    err = check_raises(run, V, grad=True)
    assert "scalar" in str(err)


SECOND = {
    "cube": lambda L, x: (x**3).sum(),
    "exp_sin": lambda L, x: (L.exp(x) * L.sin(x)).sum(),
    "tanh": lambda L, x: L.tanh(x * 2).sum(),
    "sigmoid": lambda L, x: L.sigmoid(x).prod(),
    "log_div": lambda L, x: (L.log(x) / (x + 1)).sum(),
    "softmax": lambda L, x: (L.softmax(x, 0) * L.arange(3.0, dtype=L.float64)).sum(),
    "logsumexp": lambda L, x: L.logsumexp(x, 0),
    "norm": lambda L, x: x.norm(),
    "sqrt_pow": lambda L, x: (L.sqrt(x) ** 3 + x**x).sum(),
    "matmul": lambda L, x: (L.outer(x, x) @ x).sum(),
    "var": lambda L, x: x.var() * x.std(),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivatives_match_torch(name):
    f = SECOND[name]

    def run(L, x):
        (g,) = _grad(L, f(L, x), x, create_graph=True)
        return g

    check(run, V, rtol=1e-9)


def test_third_derivative_of_cube_matches_torch():
    def run(L, x):
        (g,) = _grad(L, (x**3).sum(), x, create_graph=True)
        (h,) = _grad(L, g.sum(), x, create_graph=True)
        return h

    check(run, V)


def test_backward_create_graph_then_backward_of_grad_matches_torch():
    def run(L, x):
        y = (x**3).sum()
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return x.grad

    check(run, V, backward=False)


def test_no_grad_enable_grad_set_grad_enabled_match_torch():
    def run(L, x):
        with L.no_grad():
            a = x * 2
            with L.enable_grad():
                b = x * 2
        with L.set_grad_enabled(False):
            c = x * 2
        with L.set_grad_enabled(True):
            d = x * 2

        @L.no_grad()
        def f(x):
            return x * 2

        @L.enable_grad()
        def h(x):
            return x * 2

        with L.no_grad():
            e = h(x)
        return [t.requires_grad for t in (a, b, c, d, f(x), e)] + [L.is_grad_enabled()]

    t_x = torch.tensor(V, requires_grad=True)
    g_x = tg.tensor(V, requires_grad=True)
    assert run(tg, g_x) == run(torch, t_x)


def test_autograd_grad_with_grad_outputs_and_several_inputs_matches_torch():
    go = rng.standard_normal((2, 3))

    def run(L, x, w):
        y = x * w.sum()
        return _grad(L, y, (x, w), grad_outputs=L.tensor(go))

    check(run, M, V, backward=False)


def test_autograd_grad_allow_unused_matches_torch():
    def run(L, x, w):
        return _grad(L, (x * 2).sum(), [x, w], allow_unused=True)

    t_out = run(torch, torch.tensor(V, requires_grad=True), torch.tensor(V, requires_grad=True))
    g_out = run(tg, tg.tensor(V, requires_grad=True), tg.tensor(V, requires_grad=True))
    assert g_out[1] is None and t_out[1] is None
    np.testing.assert_allclose(g_out[0].numpy(), t_out[0].numpy())
    check_raises(lambda L, x, w: _grad(L, (x * 2).sum(), [x, w]), V, V, grad=True)


def test_autograd_grad_does_not_touch_dot_grad_like_torch():
    def run(L, x):
        _grad(L, (x * 2).sum(), x)
        return x.grad is None

    assert run(tg, tg.tensor(V, requires_grad=True)) is run(
        torch, torch.tensor(V, requires_grad=True)
    )


def _f1(L, x):
    return L.tanh(x) * x.sum()


def _f2(L, x, y):
    return (x * y.sum(), L.exp(x).sum() * y)


def _scalar1(L, x):
    return (x**3).sum() + x.prod()


def _scalar2(L, x, y):
    return (x**2).sum() * y.sum() + (y**3).sum()


def _af(L):
    return L.autograd.functional


FUNCTIONAL = {
    "jacobian_single": lambda L, x, y: _af(L).jacobian(lambda a: _f1(L, a), x),
    "jacobian_tuple": lambda L, x, y: _af(L).jacobian(lambda a, b: _f2(L, a, b), (x, y)),
    "jacobian_scalar": lambda L, x, y: _af(L).jacobian(lambda a: _scalar1(L, a), x),
    "hessian_single": lambda L, x, y: _af(L).hessian(lambda a: _scalar1(L, a), x),
    "hessian_tuple": lambda L, x, y: _af(L).hessian(lambda a, b: _scalar2(L, a, b), (x, y)),
    "vjp_single": lambda L, x, y: _af(L).vjp(lambda a: _f1(L, a), x, y),
    "vjp_tuple": lambda L, x, y: _af(L).vjp(lambda a, b: _f2(L, a, b), (x, y), (x, y)),
    "jvp_single": lambda L, x, y: _af(L).jvp(lambda a: _f1(L, a), x, y),
    "jvp_tuple": lambda L, x, y: _af(L).jvp(lambda a, b: _f2(L, a, b), (x, y), (x, y)),
    "hvp_single": lambda L, x, y: _af(L).hvp(lambda a: _scalar1(L, a), x, y),
    "hvp_tuple": lambda L, x, y: _af(L).hvp(lambda a, b: _scalar2(L, a, b), (x, y), (y, x)),
    "vhp_single": lambda L, x, y: _af(L).vhp(lambda a: _scalar1(L, a), x, y),
    "vhp_tuple": lambda L, x, y: _af(L).vhp(lambda a, b: _scalar2(L, a, b), (x, y), (y, x)),
}


def _structure(out):
    if isinstance(out, (tuple, list)):
        return tuple(_structure(o) for o in out)
    return tuple(out.shape)


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_api_shapes_and_values_match_torch(name):
    x = rng.uniform(0.5, 1.5, size=(3,))
    y = rng.uniform(0.5, 1.5, size=(3,))
    out_t, out_g = check(FUNCTIONAL[name], x, y, backward=False, rtol=1e-9)
    assert _structure(out_g) == _structure(out_t)


def test_jacobian_of_matrix_function_has_out_by_in_shape_like_torch():
    out_t, out_g = check(
        lambda L, x: L.autograd.functional.jacobian(lambda a: a @ a.T, x), M, backward=False
    )
    assert out_g.shape == (2, 2, 2, 3)


def test_jacobian_create_graph_is_differentiable_like_torch():
    check(lambda L, x: L.autograd.functional.jacobian(lambda a: a**3, x, create_graph=True), V)


class _Cube:
    @staticmethod
    def make(L):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x)
                ctx.k = k
                return x**3 * k

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                assert ctx.needs_input_grad[0] is True
                return g * 3 * x**2 * ctx.k, None

        return Cube


def test_function_with_save_for_backward_matches_torch():
    check(lambda L, x: _Cube.make(L).apply(x, 2.0).exp(), V * 0.5)


def test_function_needs_input_grad_matches_torch():
    seen = {}

    def make(L):
        class Mul(L.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                seen[L.__name__] = tuple(ctx.needs_input_grad)
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return (
                    g * b if ctx.needs_input_grad[0] else None,
                    g * a if ctx.needs_input_grad[1] else None,
                )

        return Mul

    def run(L, a):
        b = L.tensor(V)
        return make(L).apply(a, b)

    check(run, V)
    assert seen["tapegrad"] == seen["torch"] == (True, False)


def test_hooks_on_leaf_and_non_leaf_match_torch():
    def run(L, x):
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        y = x * 3
        y.register_hook(lambda g: g * 10)
        z = y.exp()
        h = z.register_hook(lambda g: g + 1)
        h.remove()
        z.sum().backward()
        return x.grad, seen[0]

    check(run, V * 0.3, backward=False)


def test_retain_grad_matches_torch():
    def run(L, x):
        y = x * 2
        y.retain_grad()
        z = y * y
        z.retain_grad()
        z.sum().backward()
        return y.grad, z.grad, y.retains_grad, y.is_leaf, z.grad_fn is not None

    check(run, V, backward=False)


def test_non_leaf_grad_is_none_without_retain_grad_like_torch():
    def run(L, x):
        y = x * 2
        y.sum().backward()
        return y.grad is None, x.grad is not None, x.is_leaf, y.is_leaf

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(tg, tg.tensor(V, requires_grad=True)) == run(
            torch, torch.tensor(V, requires_grad=True)
        )


def test_detach_and_requires_grad_flags_match_torch():
    def run(L, x):
        d = x.detach()
        c = x.clone()
        n = L.tensor(V)
        return (
            d.requires_grad,
            d.is_leaf,
            c.requires_grad,
            c.is_leaf,
            n.requires_grad,
            (n * x).requires_grad,
            (n * 2).requires_grad,
            x.requires_grad_(True).is_leaf,
        )

    assert run(tg, tg.tensor(V, requires_grad=True)) == run(
        torch, torch.tensor(V, requires_grad=True)
    )


def test_clone_passes_gradient_like_torch():
    check(lambda L, x: x.clone() * x, V)


def test_autograd_backward_of_several_tensors_matches_torch():
    v = rng.standard_normal((2, 3))

    def run(L, x):
        h = (x * x).tanh() * x
        L.autograd.backward([h.sum(), h * 2], [None, L.tensor(v)])
        return x.grad

    check(run, M, backward=False)


def _random_graph(L, seed, shapes, n_ops):
    dtype = tg.float64 if L is tg else torch.float64
    values = np.random.default_rng(seed + 1)
    leaves = [L.tensor(values.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]
    return leaves, random_dag(seed, leaves, n_ops)


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_backpropagate_like_torch(seed):
    """The engine's order (creation number, a heap at fan-out), the 0-d
    NumPy-scalar path and the early release, against torch on random DAGs."""
    shapes = [(3,), (3,), ()] if seed % 3 else [(), (), ()]
    grads = []
    for L in (tg, torch):
        leaves, loss = _random_graph(L, seed, shapes, 5 + seed)
        loss.backward()
        grads.append([None if x.grad is None else x.grad.numpy() for x in leaves])
    assert any(g is not None for g in grads[1])  # the graph reaches the leaves
    for g_tg, g_torch in zip(*grads):
        assert (g_tg is None) == (g_torch is None)
        if g_tg is not None:
            assert g_tg.shape == g_torch.shape
            np.testing.assert_allclose(g_tg, g_torch, rtol=1e-9, atol=1e-12)
