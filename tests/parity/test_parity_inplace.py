"""In-place ops and the version counter vs PyTorch: what each allows, what
it raises, and the values and gradients when it is allowed."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(5)
V = rng.uniform(0.5, 1.5, size=(3,))
M = rng.uniform(0.5, 1.5, size=(2, 3))

INPLACE = {
    "add_": lambda L, t: t.add_(2.0),
    "add_alpha": lambda L, t: t.add_(L.ones(3, dtype=L.float64), alpha=2),
    "sub_": lambda L, t: t.sub_(L.ones(3, dtype=L.float64)),
    "mul_": lambda L, t: t.mul_(3),
    "div_": lambda L, t: t.div_(2),
    "copy_": lambda L, t: t.copy_(L.arange(3.0)),
    "fill_": lambda L, t: t.fill_(7),
    "zero_": lambda L, t: t.zero_(),
    "clamp_": lambda L, t: t.clamp_(0.6, 1.0),
    "iadd": lambda L, t: t.__iadd__(1),
    "isub": lambda L, t: t.__isub__(1),
    "imul": lambda L, t: t.__imul__(2),
    "idiv": lambda L, t: t.__itruediv__(2),
    "setitem_int": lambda L, t: t.__setitem__(0, 5.0),
    "setitem_slice": lambda L, t: t.__setitem__(slice(1, None), L.tensor([1.0, 2.0])),
    "setitem_mask": lambda L, t: t.__setitem__(t > 1, 0.0),
    "setitem_list": lambda L, t: t.__setitem__([0, 2], 9.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_plain_tensor_matches_torch(name):
    def run(L, x):
        t = x.clone()
        out = INPLACE[name](L, t)
        return t, (out is t) if out is not None else True

    check(run, V, grad=False)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_leaf_requiring_grad_raises_like_torch(name):
    check_raises(lambda L, x: INPLACE[name](L, x), V, grad=True)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_leaf_under_no_grad_is_allowed_like_torch(name):
    def run(L, x):
        with L.no_grad():
            INPLACE[name](L, x)
        return x.detach().clone(), x.requires_grad, x.is_leaf

    check(run, V, backward=False)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_non_leaf_is_differentiable_like_torch(name):
    def run(L, x):
        t = x * 1.5
        INPLACE[name](L, t)
        return t * x

    check(run, V)


def test_inplace_with_tensor_argument_requiring_grad_matches_torch():
    def run(L, x, w):
        t = L.zeros(3, dtype=L.float64)
        t.add_(w * 2)
        t.mul_(x)
        t[0] = w[1] * 4
        return t

    check(run, V, V * 2)


def test_inplace_on_view_changes_base_like_torch():
    def run(L, x):
        base = x.clone()
        v = base[1:]
        v.mul_(10)
        base[0] = 0.0
        return base, v

    check(run, V, grad=False)


def test_modifying_a_saved_tensor_raises_at_backward_like_torch():
    def run(L, x):
        y = x * 2
        z = y * y  # saves y
        y.add_(1)
        z.sum().backward()

    check_raises(run, V, grad=True)


def test_modifying_a_saved_output_raises_at_backward_like_torch():
    def run(L, x):
        y = x * 2
        z = y.exp()  # saves its output
        z.mul_(2)
        z.sum().backward()

    check_raises(run, V, grad=True)


def test_modifying_a_tensor_not_saved_is_allowed_like_torch():
    def run(L, x):
        y = x * 2
        z = y + 3  # add saves nothing
        y.mul_(5)
        w = z * x
        return w

    check(run, V)


def test_modifying_an_operand_of_a_product_with_a_constant_is_allowed_like_torch():
    def run(L, x):
        y = x * 2
        z = y * 3 + y / 2  # torch saves only the constants
        y.add_(1)
        return z

    check(run, V)


def test_modifying_a_view_of_a_saved_tensor_raises_like_torch():
    def run(L, x):
        y = x * 2
        z = y.sin()  # saves y
        y[1:].zero_()
        z.sum().backward()

    check_raises(run, V, grad=True)


def test_version_counter_matches_torch():
    def run(L, x):
        t = x.clone()
        v0 = t._version
        t.add_(1)
        t[0] = 2.0
        view = t[1:]
        view.mul_(2)
        return [v0, t._version, view._version]

    t_x, g_x = torch.tensor(V), tg.tensor(V)
    assert run(tg, g_x) == run(torch, t_x)


def test_integer_tensor_inplace_matches_torch():
    def run(L, x):
        t = x.clone()
        t += 2
        t *= 3
        t[0] = 7
        return t

    check(run, np.array([1, 2, 3]), grad=False)


def test_grad_zero_and_optimiser_style_update_match_torch():
    def run(L, w):
        for _ in range(3):
            loss = ((w * w).sum() - 1) ** 2
            loss.backward()
            with L.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        return w.detach().clone(), w.grad

    check(run, V, backward=False)
