"""Engine behaviour: accumulation, hooks, grad(), Function, version counter."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.autograd import InPlaceError


def test_fan_out_gradients_add_up():
    x = tg.tensor(3.0, requires_grad=True)
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_a_times_a_has_two_edges():
    a = tg.tensor(2.0, requires_grad=True)
    y = a * a
    assert len(y.grad_fn.parents) == 2
    assert y.grad_fn.parents[0] is a and y.grad_fn.parents[1] is a


def test_grad_accumulates_across_backward_calls_until_zeroed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad.zero_()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_leaf_grads_do_not_share_memory():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data += 1
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_zero_dim_backward_equals_the_recorded_backward(dtype):
    """A first-order backward through 0-d tensors runs the vjps on NumPy
    scalars; create_graph runs them on tensors: the same bits and dtypes, and
    every .grad is a writeable 0-d array of its own."""
    x = tg.tensor(0.7, dtype=dtype, requires_grad=True)
    z = tg.tensor(1.3, dtype=dtype, requires_grad=True)

    def f():
        a = x * z
        b = tg.log(x)
        h = tg.tanh(a) - tg.sigmoid(b) / a + tg.sin(b) * tg.exp(-a) + tg.relu(a - 0.5)
        return h * h + tg.cos(z) / b

    f().backward()
    got = [x.grad, z.grad]
    want = tg.autograd.grad(f(), [x, z], create_graph=True)
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == ()
        assert isinstance(g.numpy(), np.ndarray) and g.numpy().flags.writeable
        np.testing.assert_array_equal(g.numpy(), w.detach().numpy())
    x.grad.add_(1.0)  # in place on one leaf's grad leaves the other alone
    np.testing.assert_array_equal(z.grad.numpy(), want[1].detach().numpy())


def test_grad_stored_with_create_graph_can_be_changed_in_place():
    """The gradient of a sum is a broadcast (read-only) view of the seed;
    stored with create_graph it gets its own memory, as in PyTorch."""
    x = tg.ones(3, requires_grad=True)
    x.sum().backward(create_graph=True)
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    y = tg.tensor(2.0, requires_grad=True)
    (y * y).backward(create_graph=True)
    (g2,) = tg.autograd.grad(y.grad, [y])
    assert g2.item() == 2.0  # the stored grad kept its graph: d(2y)/dy


def test_backward_on_non_scalar_needs_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient"):
        (x * 2).backward()
    (x * 2).backward(gradient=tg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_hooks_see_and_replace_gradients():
    x = tg.tensor(2.0, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.item()))
    y = x * 3
    y.register_hook(lambda g: g * 10)
    y.backward()
    assert seen == [30.0]
    assert x.grad.item() == 30.0


def test_hooks_may_change_the_seed_gradient_in_place():
    """As in PyTorch: the seed of backward() reaches hooks as a tensor of its
    own (the engine shares one read-only seed otherwise)."""
    x = tg.tensor(2.0, requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g.mul_(2))
    y.backward()
    assert x.grad.item() == 6.0  # d(3x)/dx times the doubled seed
    y = x * 3
    y.backward()  # the next seed is 1 again
    assert x.grad.item() == 9.0
    w = tg.tensor(1.5, requires_grad=True)
    w.register_hook(lambda g: g.mul_(4))
    w.backward()  # a leaf as the output: the seed is its gradient
    assert w.grad.item() == 4.0


def test_hooks_must_keep_the_gradients_shape_and_dtype_and_seeds_are_converted():
    """As PyTorch: a hook may not change a gradient's shape or dtype; a
    gradient given to backward() in another dtype is converted."""
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match=r"changed the gradient.*float32.*float64"):
        y.sum().backward()
    y = x * 2
    y.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        y.sum().backward()
    x.grad = None
    (x * 2).backward(tg.ones(3, dtype=tg.float64))
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_mixed_dtype_graphs_give_each_leaf_its_own_dtype():
    a = tg.tensor([1.0, 2.0], dtype=tg.float32, requires_grad=True)
    b = tg.tensor([0.5, 0.25], dtype=tg.float64, requires_grad=True)
    c = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)  # 0-d: does not promote
    (tg.tanh(a * c) * b + a.exp() / c).sum().backward()
    assert (a.grad.dtype, b.grad.dtype, c.grad.dtype) == (tg.float32, tg.float64, tg.float64)


def test_hook_handle_removes_the_hook():
    x = tg.tensor(2.0, requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 3).backward()
    assert x.grad.item() == 3.0


def test_retain_grad_on_intermediate():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h**2).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])
    assert (x * 2).grad is None


def test_autograd_backward_of_several_outputs_walks_the_shared_graph_once():
    """tg.autograd.backward([y1, y2], [None, v]) adds dy1/dx + v^T dy2/dx, as
    two calls would (which need retain_graph), in one pass."""
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    v = tg.tensor([1.0, 0.5, -1.0], dtype=tg.float64)

    def outputs():
        h = tg.tanh(x * x) * x
        return h.sum(), h * 3.0

    y1, y2 = outputs()
    tg.autograd.backward([y1, y2], [None, v])
    got = x.grad.numpy().copy()
    x.grad = None
    y1, y2 = outputs()
    y1.backward(retain_graph=True)
    y2.backward(v)
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-14)
    with pytest.raises(ValueError, match="1 grad_tensors for 2 tensors"):
        tg.autograd.backward(list(outputs()), [None])
    with pytest.raises(RuntimeError, match="gradient"):
        tg.autograd.backward(outputs()[1])  # three elements need a gradient


def test_autograd_grad_does_not_touch_dot_grad_and_allow_unused():
    x = tg.tensor(1.0, requires_grad=True)
    z = tg.tensor(1.0, requires_grad=True)
    y = x * 5
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = tg.autograd.grad(y, [x, z], allow_unused=True)
    assert gx.item() == 5.0 and gz is None
    assert x.grad is None


def test_grad_with_respect_to_an_intermediate():
    x = tg.tensor(3.0, requires_grad=True)
    h = x * x
    y = h * 2
    (gh,) = tg.autograd.grad(y, h)
    assert gh.item() == 2.0


class Cube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


def test_custom_function():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert tg.gradcheck(Cube.apply, (tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True),))


class SplitHalves(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x[:2] * scale, x[2:] * 2 * scale

    @staticmethod
    def backward(ctx, g1, g2):
        return tg.cat([g1 * ctx.scale, g2 * 2 * ctx.scale]), None


def test_custom_function_backward_may_change_its_gradient_in_place():
    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.mul_(2)

    a = tg.tensor(1.0, requires_grad=True)
    Double.apply(a).backward()
    assert a.grad.item() == 2.0
    Double.apply(a).backward()  # the shared seed was not changed
    assert a.grad.item() == 4.0


def test_custom_function_with_two_outputs_and_a_number_argument():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b = SplitHalves.apply(x, 3.0)
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 60.0])


def test_needs_input_grad():
    seen = {}

    class Probe(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    Probe.apply(tg.tensor(1.0, requires_grad=True), tg.tensor(2.0))
    assert seen["needs"] == (True, False)


def test_in_place_change_of_a_saved_tensor_is_caught_naming_the_op():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h  # mul saves h
    h.add_(1)
    with pytest.raises(InPlaceError, match="mul"):
        y.sum().backward()


def test_in_place_changes_by_optimizers_and_init_are_caught():
    """Every in-place write counts (``bump_version``), so the backward pass
    checks the nodes recorded before it, whoever made the change."""
    import tapegrad.nn as nn

    lin = nn.Linear(3, 2)
    x = tg.ones(4, 3, requires_grad=True)
    out = (lin(x) * lin(x)).sum()  # linear saves the weight
    tg.optim.SGD(lin.parameters(), lr=0.1).zero_grad()  # touches no saved tensor
    (lin.weight * 1).sum().backward()
    tg.optim.SGD(lin.parameters(), lr=0.1).step()  # changes the weight in place
    with pytest.raises(InPlaceError, match="linear"):
        out.backward()
    out = lin(x).sum()
    nn.init.zeros_(lin.weight)
    with pytest.raises(InPlaceError, match="linear"):
        out.backward()
    out = lin(x).sum()  # recorded after the last change: fine
    out.backward()
    assert x.grad is not None


def test_every_version_bump_goes_through_bump_version():
    """The engine skips the version check for nodes recorded after the last
    in-place change; that is sound only if every write calls bump_version."""
    import pathlib

    import tapegrad

    root = pathlib.Path(tapegrad.__file__).parent
    offenders = [
        str(f.relative_to(root))
        for f in root.rglob("*.py")
        if f.name != "tensor.py" and "_vc[0] +=" in f.read_text()
    ]
    assert offenders == []


def test_in_place_change_of_an_output_a_vjp_reads_is_caught():
    """exp's vjp reads its output; changing that output in place after the
    op (not before, and not another tensor) is an error naming exp."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(InPlaceError, match=r"its output \(shape \(2,\)\) of `exp`"):
        y.sum().backward()
    x.grad = None
    y = x.exp()
    tg.tensor([3.0]).add_(1)  # a change elsewhere: the check runs, finds nothing
    (y * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_in_place_change_of_an_unsaved_tensor_is_fine():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h + 1  # add saves nothing
    h.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_in_place_on_leaf_requiring_grad_needs_no_grad():
    w = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1)
    with tg.no_grad():
        w.add_(1)
    assert w.item() == 2.0


def test_in_place_on_non_leaf_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.mul_(3)
    h[0] = 0.0
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0])


def test_setitem_view_bumps_version_of_base():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    y = tg.exp(h)  # exp saves its output
    row = y[0]
    row.zero_()
    with pytest.raises(InPlaceError):
        y.sum().backward()


def test_jacobian_layouts():
    def f(v):
        return tg.stack([v[0] * v[1], v[0] + 2 * v[1], v[1] ** 2])

    v = tg.tensor([1.0, 2.0], dtype=tg.float64)
    j = tg.autograd.functional.jacobian(f, v)
    expected = np.array([[2.0, 1.0], [1.0, 2.0], [0.0, 4.0]])
    np.testing.assert_allclose(j.numpy(), expected)
    jd = tg.autograd.functional.jacobian(f, v, layout="denominator")
    np.testing.assert_allclose(jd.numpy(), expected.T)


def test_vjp_and_jvp():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = lambda x: tg.tensor(a) @ x
    x = tg.tensor([1.0, 1.0], dtype=tg.float64)
    _, vjp = tg.autograd.functional.vjp(f, x, tg.tensor([1.0, 0.0, 1.0], dtype=tg.float64))
    np.testing.assert_allclose(vjp.numpy(), [6.0, 8.0])
    _, jvp = tg.autograd.functional.jvp(f, x, tg.tensor([1.0, -1.0], dtype=tg.float64))
    np.testing.assert_allclose(jvp.numpy(), [-1.0, -1.0, -1.0])


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = tg.tensor(1.0, requires_grad=True)

    @tg.no_grad()
    def f():
        with tg.enable_grad():
            inner = x * 2
        return x * 2, inner

    outer, inner = f()
    assert not outer.requires_grad and inner.requires_grad


def test_set_grad_enabled_restores():
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_function_outputs_of_different_dtypes_keep_them_forward_and_backward():
    seen = {}

    class Split(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x.double() * 3, (x > 0).long()

        @staticmethod
        def backward(ctx, ga, gb, gc):
            seen["dtypes"] = (ga.dtype, gb.dtype)
            return ga * 2 + gb.float() * 3

    x = tg.ones(3, requires_grad=True)
    a, b, c = Split.apply(x)
    assert (a.dtype, b.dtype, c.dtype) == (tg.float32, tg.float64, tg.int64)
    assert not c.requires_grad
    (a.sum() + (b * b).sum()).backward()
    assert seen["dtypes"] == (tg.float32, tg.float64)
    assert x.grad.dtype == tg.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * 1 + 3 * (2 * 3))  # ga = 1, gb = 2 b
