"""``Tensor.data`` as PyTorch has it, the memory of 0-d tensors (kept as NumPy
scalars until shared or written), the multi-tensor in-place ops and the
in-place door's errors."""

import numpy as np
import pytest

import tapegrad as tg


# ------------------------------------------------------------------- .data
def test_data_is_a_tensor_sharing_memory_without_graph_or_grad():
    p = tg.nn.Parameter(tg.ones(3))
    y = p * 2
    for t in (p, y):
        d = t.data
        assert isinstance(d, tg.Tensor) and not d.requires_grad and d.grad_fn is None
        assert d.is_leaf and np.shares_memory(d.numpy(), t.detach().numpy())


def test_data_in_place_updates_change_the_parameter_as_pytorch_programs_expect():
    p = tg.nn.Parameter(tg.tensor([1.0, 2.0, 3.0]))
    (p * p).sum().backward()
    p.data.add_(p.grad, alpha=-0.5)  # the SGD loop of many PyTorch programs
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0, 0.0])
    p.data.copy_(tg.tensor([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(p.detach().numpy(), [4.0, 5.0, 6.0])
    p.data.fill_(0.5)
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 0.5, 0.5])
    tg.manual_seed(0)
    p.data.normal_(0, 0.02)
    assert np.all(np.abs(p.detach().numpy()) < 0.1) and p.detach().numpy().std() > 0
    assert isinstance(p.data.numpy(), np.ndarray)


def test_changes_through_data_do_not_bump_the_version_as_in_pytorch():
    p = tg.nn.Parameter(tg.ones(2))
    p.data.mul_(3)
    assert p._version == 0
    with tg.no_grad():
        p.mul_(2)
    assert p._version == 1
    np.testing.assert_allclose(p.detach().numpy(), [6.0, 6.0])


def test_assigning_data_replaces_the_memory():
    p = tg.nn.Parameter(tg.ones(2))
    q = tg.zeros(3)
    p.data = q
    assert p.shape == (3,) and p.requires_grad
    q.add_(1)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="data must be a Tensor"):
        p.data = np.zeros(3)


# ------------------------------------------------------- 0-d tensors' memory
def test_a_0d_tensor_shares_its_memory_with_numpy_views_and_detach():
    x = tg.tensor(2.0)
    a = x.numpy()
    x.add_(1)
    assert a == 3.0  # numpy() shares memory, as in PyTorch
    v = x.reshape(1)
    v[0] = 5.0
    assert x.item() == 5.0 and a == 5.0
    d = x.detach()
    d.mul_(2)
    assert x.item() == 10.0
    y = x * 1  # an op's 0-d result
    b = y.numpy()
    y.sub_(4)
    assert b == 6.0 and y.item() == 6.0


def test_a_0d_result_changed_in_place_after_use_is_caught_by_backward():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    y = x * 3
    z = y.exp()  # saves its output
    z.add_(1)
    with pytest.raises(tg.autograd.InPlaceError, match="exp"):
        z.backward()


def test_0d_gradients_are_stored_and_accumulate():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    (x * x).backward()
    (x * 3).backward()
    assert x.grad.item() == 7.0
    x.grad.zero_()
    assert x.grad.item() == 0.0


# ------------------------------------------------------- multi-tensor ops
def test_foreach_ops_update_each_tensor_and_bump_its_version():
    a, b = tg.ones(2), tg.ones(3)
    tg._foreach_mul_([a, b], 2.0)
    tg._foreach_add_([a, b], [tg.full((2,), 1.0), tg.full((3,), 2.0)], alpha=0.5)
    np.testing.assert_allclose(a.numpy(), [2.5, 2.5])
    np.testing.assert_allclose(b.numpy(), [3.0, 3.0, 3.0])
    assert a._version == 2 and b._version == 2


def test_foreach_ops_record_what_needs_recording():
    x = tg.ones(2, requires_grad=True)
    h = x * 1
    tg._foreach_mul_([h], 3.0)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_foreach_refuses_results_that_do_not_fit_their_tensor():
    with pytest.raises(RuntimeError, match="cannot broadcast its target"):
        tg._foreach_add_([tg.ones(2)], [tg.ones((3, 2))])
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg._foreach_mul_([tg.tensor([1, 2])], 0.5)


def test_in_place_ops_follow_pytorch_casting_and_name_the_problem():
    i = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)
    i.add_(2)
    assert i.tolist() == [3, 4]
    with pytest.raises(RuntimeError, match="expanded"):
        tg.ones(1).expand(3).add_(1)


# ------------------------------------------------------------ grad_fn(...)
def test_calling_a_grad_fn_gives_its_inputs_gradients_as_in_pytorch():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0])
    ga, gb = (a * b).grad_fn(tg.ones(2))
    np.testing.assert_allclose(ga.numpy(), [3.0, 4.0])
    assert gb is None
    e = a.exp()
    g = e.grad_fn(tg.ones(2))  # one input: the gradient itself
    np.testing.assert_allclose(g.detach().numpy(), np.exp([1.0, 2.0]))
    assert g.requires_grad  # recorded in grad mode, as PyTorch's


# ------------------------------------- what an entry saves, and the 2nd order
def test_cross_entropy_double_backward_through_what_it_saves_matches_differences():
    rng = np.random.default_rng(0)
    t = tg.tensor(rng.integers(0, 4, 5))
    z = tg.tensor(rng.standard_normal((5, 4)), requires_grad=True)

    def gradient_norm(z):
        (g,) = tg.autograd.grad(tg.nn.functional.cross_entropy(z, t), z, create_graph=True)
        return (g * g).sum()

    assert tg.gradcheck(gradient_norm, (z,))
