"""The Tensor API without PyTorch: factories and their dtypes, attributes,
conversions, grad accumulation, operators, in-place rules, errors."""

import numpy as np
import pytest

import tapegrad as tg


# ---------------------------------------------------------------- factories
@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, tg.float32),
        ([1.0, 2.0], tg.float32),
        (2, tg.int64),
        ([1, 2], tg.int64),
        (True, tg.bool),
        ([1, 2.5], tg.float32),
        (np.array([1, 2], np.int32), tg.int32),
        (np.array([1.0], np.float64), tg.float64),
        (np.array([1], np.uint8), tg.uint8),
    ],
)
def test_tensor_takes_pytorch_default_dtypes(data, dtype):
    assert tg.tensor(data).dtype == dtype


def test_tensor_copies_numpy_data():
    a = np.array([1.0, 2.0])
    t = tg.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_set_default_dtype_changes_float_factories():
    old = tg.get_default_dtype()
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.tensor(1.0).dtype == tg.float64
        assert tg.zeros(2).dtype == tg.float64
        assert (tg.tensor([1, 2]) * 0.5).dtype == tg.float64
        assert tg.tensor(1).dtype == tg.int64
    finally:
        tg.set_default_dtype(old)
    assert tg.tensor(1.0).dtype == tg.float32


def test_set_default_dtype_rejects_integer_dtypes():
    with pytest.raises(TypeError):
        tg.set_default_dtype(tg.int64)


@pytest.mark.parametrize(
    "make, shape, dtype",
    [
        (lambda: tg.zeros(2, 3), (2, 3), tg.float32),
        (lambda: tg.ones((4,)), (4,), tg.float32),
        (lambda: tg.full((2,), 3), (2,), tg.int64),
        (lambda: tg.full((2,), 3.0), (2,), tg.float32),
        (lambda: tg.eye(3), (3, 3), tg.float32),
        (lambda: tg.arange(5), (5,), tg.int64),
        (lambda: tg.arange(0, 1, 0.25), (4,), tg.float32),
        (lambda: tg.linspace(0, 1, 5), (5,), tg.float32),
        (lambda: tg.rand(2, 2), (2, 2), tg.float32),
        (lambda: tg.randn(3), (3,), tg.float32),
        (lambda: tg.randint(0, 5, (3,)), (3,), tg.int64),
        (lambda: tg.empty(2), (2,), tg.float32),
        (lambda: tg.zeros_like(tg.ones(2, dtype=tg.float64)), (2,), tg.float64),
        (lambda: tg.ones_like(tg.arange(3)), (3,), tg.int64),
    ],
)
def test_factories_give_shape_and_dtype(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype == dtype


def test_factory_values():
    np.testing.assert_allclose(tg.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(tg.linspace(-1, 1, 3).numpy(), [-1, 0, 1])
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(tg.full((2,), 7).numpy(), [7, 7])


def test_manual_seed_makes_random_factories_reproducible():
    tg.manual_seed(3)
    a = (tg.rand(3), tg.randn(2), tg.randint(0, 10, (4,)))
    tg.manual_seed(3)
    b = (tg.rand(3), tg.randn(2), tg.randint(0, 10, (4,)))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


# --------------------------------------------------------------- attributes
def test_attributes():
    x = tg.ones(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size() == (2, 3, 4)
    assert x.size(1) == 3 and x.size(-1) == 4 and x.numel() == 24
    assert x.T.shape == (4, 3, 2) and tg.ones(2, 3).T.shape == (3, 2)
    assert x.requires_grad is False and x.grad is None and x.is_leaf and x.grad_fn is None


def test_leaf_and_non_leaf_flags():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert x.detach().requires_grad is False and x.detach().is_leaf
    c = x.clone()
    assert c.requires_grad and not c.is_leaf


def test_requires_grad_only_on_floating_tensors():
    with pytest.raises(RuntimeError):
        tg.tensor([1, 2], requires_grad=True)
    t = tg.tensor([1.0]).requires_grad_()
    assert t.requires_grad


def test_conversions():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tg.tensor(2.5).item() == 2.5 and isinstance(tg.tensor(3).item(), int)
    assert tg.tensor([[7.0]]).item() == 7.0


def test_numpy_of_tensor_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="detach"):
        tg.tensor([1.0], requires_grad=True).numpy()


def test_item_on_many_elements_says_how_many():
    with pytest.raises(RuntimeError, match="6 elements"):
        tg.ones(2, 3).item()


def test_detach_shares_data_and_clone_copies():
    x = tg.tensor([1.0, 2.0])
    d, c = x.detach(), x.clone()
    x.add_(1)
    assert d.tolist() == [2.0, 3.0] and c.tolist() == [1.0, 2.0]


def test_zero_and_requires_grad_return_self():
    x = tg.tensor([1.0, 2.0])
    assert x.zero_() is x and x.tolist() == [0.0, 0.0]
    assert x.requires_grad_() is x


# ------------------------------------------------------------ gradients
def test_grad_accumulates_until_zeroed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    assert isinstance(x.grad, tg.Tensor)
    x.grad.zero_()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_grad_of_shared_input_counts_both_edges():
    x = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_backward_with_gradient_argument():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(tg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 40.0])


def test_backward_on_non_scalar_without_gradient_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_second_backward_without_retain_graph_names_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_gradcheck_of_broadcast_expression():
    a = tg.randn(2, 1, 3, dtype=tg.float64, requires_grad=True)
    b = tg.randn(2, 5, 3, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda a, b: (a * b + a / (b * b + 1) - a**2).sum(1), (a, b))


# ------------------------------------------------------------ operators
def test_operators_match_numpy():
    a = np.array([1.0, 2.0, 4.0], np.float32)
    b = np.array([2.0, 0.5, 1.0], np.float32)
    x, y = tg.tensor(a), tg.tensor(b)
    for got, want in [
        (x + y, a + b),
        (x - y, a - b),
        (x * y, a * b),
        (x / y, a / b),
        (x**y, a**b),
        (-x, -a),
        (2 - x, 2 - a),
        (2 / x, 2 / a),
        (2**x, 2**a),
        (x @ y, a @ b),
        (x + 1, a + 1),
    ]:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
        assert got.dtype == tg.float32


def test_comparisons_give_bool_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert r.dtype == tg.bool and not r.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]


@pytest.mark.parametrize(
    "a, b, dtype",
    [
        (tg.ones(3), tg.ones(3, dtype=tg.float64), tg.float64),
        (tg.ones(3), 2.5, tg.float32),
        (tg.ones(3), tg.tensor(2.0, dtype=tg.float64), tg.float32),
        (tg.ones(3, dtype=tg.int64), tg.ones(3), tg.float32),
        (tg.ones(3, dtype=tg.int32), tg.ones(3, dtype=tg.int64), tg.int64),
        (tg.tensor([True]), tg.tensor([2]), tg.int64),
        (tg.tensor([True]), 1.5, tg.float32),
    ],
)
def test_promotion_follows_pytorch(a, b, dtype):
    assert (a * b).dtype == dtype and (b * a).dtype == dtype


def test_int_division_gives_default_float():
    assert (tg.tensor([1, 2]) / tg.tensor([2, 2])).dtype == tg.float32
    assert (tg.tensor([3, 4]) / 2).tolist() == [1.5, 2.0]


# ------------------------------------------------------------ in-place
def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    for change in (
        lambda: w.add_(1),
        lambda: w.mul_(2),
        lambda: w.zero_(),
        lambda: w.__setitem__(0, 1.0),
    ):
        with pytest.raises(RuntimeError, match="leaf"):
            change()
    with tg.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 1.5] and w.is_leaf and w.requires_grad


def test_inplace_methods_change_values():
    x = tg.tensor([1.0, 2.0, 3.0])
    x.add_(1).mul_(2).sub_(1).div_(2)
    np.testing.assert_allclose(x.numpy(), [1.5, 2.5, 3.5])
    x.clamp_(2.0, 3.0)
    np.testing.assert_allclose(x.numpy(), [2.0, 2.5, 3.0])
    x.copy_(tg.tensor([7.0, 8.0, 9.0]))
    x[1] = 0.0
    assert x.tolist() == [7.0, 0.0, 9.0]
    x += 1
    x *= 2
    assert x.tolist() == [16.0, 2.0, 20.0]
    x.fill_(4.0)
    assert x.tolist() == [4.0, 4.0, 4.0]


def test_inplace_on_non_leaf_is_differentiable():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = x * 2
    y.add_(x)  # y = 3x
    y[0] = x[0] * 10
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 3.0])


def test_changing_a_saved_tensor_fails_at_backward_naming_the_op():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.sin()
    y.add_(1)
    with pytest.raises(RuntimeError, match="sin"):
        z.sum().backward()


def test_inplace_bumps_version_shared_with_views():
    x = tg.ones(3)
    v = x[1:]
    v.mul_(2)
    assert x._version == v._version == 1
    assert x.tolist() == [1.0, 2.0, 2.0]


def test_version_counter_is_shared_by_views_detached_tensors_and_parameters():
    """A fresh tensor starts with a shared immutable counter; whatever shares
    it (a view, detach(), a Parameter made from it) gets the same list, made
    before or after the first change, in either direction."""
    import tapegrad.nn as nn

    x = tg.ones(3)
    d = x.detach()
    d.add_(1)
    assert x._version == d._version == 1
    p = nn.Parameter(x)
    x.mul_(2)
    assert p._version == 2 and d._version == 2
    y = tg.ones(2)
    v = y.view(2)  # shared before any change
    y.add_(1)
    assert v._version == 1
    other = tg.ones(2)
    assert other._version == 0  # untouched by the others' changes


def test_view_as_and_reshape_as_take_the_other_shape():
    x = tg.arange(6)
    assert x.view_as(tg.zeros(2, 3)).shape == (2, 3)
    assert x.reshape_as(tg.zeros(3, 2)).shape == (3, 2)


def test_index_put_with_accumulate_adds_repeated_indices():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=tg.float64, requires_grad=True)
    v = tg.tensor([5.0, 6.0], dtype=tg.float64, requires_grad=True)
    i = (tg.tensor([0, 0]), tg.tensor([1, 1]))
    np.testing.assert_allclose(
        x.index_put(i, v, accumulate=True).detach().numpy(), [[1.0, 13.0], [3.0, 4.0]]
    )
    np.testing.assert_allclose(x.index_put(i, v).detach().numpy()[0, 1], 6.0)
    assert tg.gradcheck(lambda x, v: x.index_put(i, v, accumulate=True), (x, v))


def test_logical_xor_method():
    a, b = tg.tensor([True, False, True]), tg.tensor([True, True, False])
    assert a.logical_xor(b).tolist() == [False, True, True]


def test_small_pytorch_conveniences():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    end = tg.tensor([3.0, 5.0], requires_grad=True)
    w = tg.tensor([0.5, 0.1], requires_grad=True)
    y = x.lerp(end, w)
    np.testing.assert_allclose(y.detach().numpy(), [2.0, 2.3])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.9])
    np.testing.assert_allclose(end.grad.numpy(), [0.5, 0.1])
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 3.0])
    assert tg.lerp(tg.tensor([0.0]), tg.tensor([4.0]), 0.25).tolist() == [1.0]
    assert tg.isclose(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.1])).tolist() == [True, False]
    assert tg.numel(tg.ones(2, 3)) == 6 and tg.ones(2, 3).ndimension() == 2
    assert tg.is_floating_point(tg.ones(1)) and not tg.is_floating_point(tg.tensor([1]))
    assert tg.ones(2, 3).is_contiguous() and not tg.ones(2, 3).T.is_contiguous()


def test_inference_mode_records_nothing_as_no_grad():
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode()
    def double(a):
        return a * 2

    assert not double(x).requires_grad and (x * 2).requires_grad


@pytest.mark.parametrize(
    "values, text",
    [
        ([1.5, 2.75], "tensor([1.5000, 2.7500])"),
        ([1.0, 2.0], "tensor([1., 2.])"),
        ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
        ([0.1234567, -22.5], "tensor([  0.1235, -22.5000])"),
        ([float("nan"), 1.5, float("inf")], "tensor([   nan, 1.5000,    inf])"),
        (
            [[1.25, -3.5], [100.0, 2.0]],
            "tensor([[  1.2500,  -3.5000],\n        [100.0000,   2.0000]])",
        ),
        (3.25, "tensor(3.2500)"),
        ([-0.0, 1.5], "tensor([-0.0000, 1.5000])"),
    ],
)
def test_repr_prints_floats_as_pytorch(values, text):
    assert repr(tg.tensor(values)) == text


def test_repr_summarizes_long_tensors_as_pytorch():
    assert repr(tg.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    x = tg.tensor(np.r_[np.full(1500, 0.5), 1e-9, np.full(500, 2.0)])
    # the elements shown decide the format (1e-9 is not shown): fixed, not scientific
    assert repr(x) == (
        "tensor([0.5000, 0.5000, 0.5000,  ..., 2.0000, 2.0000, 2.0000],\n"
        "       dtype=tapegrad.float64)"
    )  # a suffix past 80 columns starts a new line, as in PyTorch
