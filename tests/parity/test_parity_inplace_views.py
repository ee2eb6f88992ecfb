"""In-place ops through views of tensors in the autograd graph vs PyTorch:
the base's gradient takes the change (PyTorch's CopySlices), and what
PyTorch refuses is refused."""

import numpy as np
import pytest

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(11)
A = rng.uniform(0.5, 1.5, size=(3, 4))
W = rng.uniform(0.5, 1.5, size=(4,))

WRITES = {
    "slice mul_": lambda L, b, w: b[0:2].mul_(3),
    "row add_ tensor": lambda L, b, w: b[1].add_(w),
    "column mul_ tensor": lambda L, b, w: b[:, 1].mul_(w[:3]),
    "view add_": lambda L, b, w: b.view(12).add_(1.5),
    "view of a slice": lambda L, b, w: b[1:].reshape(8)[2:5].mul_(w[:3]),
    "transpose mul_": lambda L, b, w: b.t().mul_(w[:3]),
    "transpose of a slice": lambda L, b, w: b[:, 1:3].t().add_(w[:3]),
    "setitem on a view": lambda L, b, w: b[1].__setitem__(slice(0, 2), w[1:3]),
    "copy_ into a row": lambda L, b, w: b[2].copy_(w * 2),
    "zero_ a slice": lambda L, b, w: b[:, :2].zero_(),
    "unsqueeze view": lambda L, b, w: b.unsqueeze(0)[0, 1].mul_(w),
    "clamp_ a slice": lambda L, b, w: b[0].clamp_(0.9, 1.2),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_inplace_through_a_view_reaches_the_base_gradient_like_torch(name):
    def run(L, a, w):
        b = a * 2.0
        WRITES[name](L, b, w)
        return b, (b * b).sum()

    check(run, A, W, rtol=1e-12, atol=1e-12)


def test_the_written_view_takes_its_new_history_like_torch():
    def run(L, a, w):
        b = a * 2.0
        v = b[1:]
        v.mul_(w)
        return v.exp(), b.sum()

    check(run, A, W, rtol=1e-12, atol=1e-12)


def test_two_writes_through_views_of_one_base_like_torch():
    def run(L, a, w):
        b = a.sin()
        b[0].mul_(w)
        b[:, 2].add_(w[:3])
        return b

    check(run, A, W, rtol=1e-12, atol=1e-12)


def test_writing_through_a_view_of_a_leaf_that_requires_grad_is_refused_like_torch():
    err = check_raises(lambda L, a: a[0].mul_(2), A, grad=True)
    assert "view of a leaf Variable that requires grad" in str(err)


def test_writing_through_an_expanded_view_is_refused_like_torch():
    def run(L, a):
        b = a[0] * 2.0
        b.expand(3, 4).add_(1)

    err = check_raises(run, A, grad=True)
    assert "more than one element of the written-to tensor" in str(err)


def test_a_refused_write_leaves_the_tensor_unchanged():
    import tapegrad as tg

    a = tg.tensor(A, requires_grad=True)
    b = a[0] * 2.0
    with pytest.raises(RuntimeError):
        b.expand(3, 4).add_(1)
    np.testing.assert_array_equal(b.detach().numpy(), A[0] * 2.0)


def test_a_view_taken_before_a_change_of_its_base_follows_it_like_torch():
    def run(L, a, w):
        b = a * 2.0
        v = b[1:]
        t = b.t()
        b.mul_(w)
        return v.exp(), t.sum(0)

    check(run, A, W, rtol=1e-12, atol=1e-12)


def test_a_sibling_view_follows_a_write_through_another_like_torch():
    def run(L, a, w):
        b = a.cos()
        first, second = b[0:2], b[1:3]
        deeper = second[:, 1:]
        first.mul_(w)
        return second * 2.0, deeper.sum()

    check(run, A, W, rtol=1e-12, atol=1e-12)


def test_dead_views_do_not_pile_up_in_the_version_counter():
    import tapegrad as tg

    w = tg.tensor(A, requires_grad=True)
    for _ in range(1000):
        (w.t() * 2.0).sum()
    assert len(w._vc) < 3 or len(w._vc[2]) <= 32


def test_writing_after_a_backward_that_let_go_of_the_graph_does_not_crash():
    import tapegrad as tg

    a = tg.tensor(A, requires_grad=True)
    b = a * 2.0
    v = b[1:]
    v.sum().backward()
    v.mul_(2.0)  # v's view node let go of its base: v alone takes the change
    b.add_(1.0)  # and v, a view of b recorded in a released graph, is left as it is
    np.testing.assert_allclose(b.detach().numpy()[1:], A[1:] * 4.0 + 1.0)
    np.testing.assert_allclose(a.grad.numpy(), np.r_[np.zeros((1, 4)), np.full((2, 4), 2.0)])
