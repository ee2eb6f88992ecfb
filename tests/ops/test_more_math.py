"""atan2, hypot, diag_embed, flip's argument forms and Tensor.unfold without
PyTorch: values against NumPy formulas, dtypes, gradients by finite
differences in float64, and the errors."""

import numpy as np
import pytest

import tapegrad as tg

rng = np.random.default_rng(11)
BROADCAST_PAIRS = [((3,), (3,)), ((), (4,)), ((2, 1, 3), (2, 5, 3)), ((2, 1), (5, 2, 3))]


def T(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def close(t, want):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------- atan2
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
def test_atan2_is_numpys_arctan2_with_broadcasting(sa, sb):
    a, b = rng.uniform(-2, 2, sa), rng.uniform(-2, 2, sb)
    close(tg.atan2(T(a), T(b)), np.arctan2(a, b))


def test_atan2_takes_the_quadrant_and_the_signed_zeros_into_account():
    a = np.array([1.0, 1.0, -1.0, -1.0, 0.0, -0.0, 0.0, 1.0])
    b = np.array([1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 0.0, 0.0])
    want = [np.pi / 4, 3 * np.pi / 4, -np.pi / 4, -3 * np.pi / 4, np.pi, -np.pi, 0.0, np.pi / 2]
    close(tg.atan2(T(a), T(b)), want)


def test_atan2_aliases_and_methods_give_the_same_values():
    a, b = T([0.5, -2.0]), T([1.5, 3.0])
    want = np.arctan2([0.5, -2.0], [1.5, 3.0])
    for out in (tg.arctan2(a, b), a.atan2(b), a.arctan2(b)):
        close(out, want)


def test_atan2_of_integers_is_in_the_default_float_dtype():
    out = tg.atan2(tg.tensor([1, 2]), tg.tensor([3, 0]))
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), np.arctan2([1, 2], [3, 0]), rtol=1e-6)
    assert tg.atan2(tg.tensor([True]), tg.tensor([False])).dtype == tg.float32
    assert tg.atan2(tg.tensor([1]), T([2.0])).dtype == tg.float64
    assert tg.atan2(tg.tensor([1.0]), T([2.0])).dtype == tg.float64


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
def test_atan2_gradient_matches_finite_differences(sa, sb):
    a, b = T(rng.uniform(0.2, 2, sa), True), T(rng.uniform(-2, 2, sb), True)
    assert tg.gradcheck(tg.atan2, (a, b))


def test_atan2_gradient_is_b_and_minus_a_over_the_squared_radius():
    a, b = T([3.0, -1.0], True), T([4.0, 2.0], True)
    tg.atan2(a, b).sum().backward()
    close(a.grad, [4.0 / 25.0, 2.0 / 5.0])
    close(b.grad, [-3.0 / 25.0, 1.0 / 5.0])


def test_atan2_gradient_is_zero_at_the_origin():
    a, b = T([0.0], True), T([0.0], True)
    tg.atan2(a, b).sum().backward()
    assert a.grad.numpy().tolist() == [0.0] and b.grad.numpy().tolist() == [0.0]


def test_atan2_second_derivative_matches_finite_differences():
    a, b = T(rng.uniform(0.5, 2, (3,)), True), T(rng.uniform(-2, 2, (3,)), True)

    def grad_of_a(a, b):
        (ga,) = tg.autograd.grad(tg.atan2(a, b).sum(), (a,), create_graph=True)
        return ga

    assert tg.gradcheck(grad_of_a, (a, b))


# ------------------------------------------------------------------- hypot
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
def test_hypot_is_the_length_of_the_vector_with_broadcasting(sa, sb):
    a, b = rng.uniform(-2, 2, sa), rng.uniform(-2, 2, sb)
    close(tg.hypot(T(a), T(b)), np.sqrt(a * a + b * b))
    close(T(a).hypot(T(b)), np.sqrt(a * a + b * b))


def test_hypot_does_not_overflow_where_the_squares_would():
    out = tg.hypot(T([3e200]), T([4e200]))
    np.testing.assert_allclose(out.numpy(), [5e200], rtol=1e-15)


def test_hypot_keeps_float32_and_promotes_to_float64():
    f32 = tg.tensor([3.0], dtype=tg.float32)
    assert tg.hypot(f32, f32).dtype == tg.float32
    assert tg.hypot(f32, T([4.0])).dtype == tg.float64


def test_hypot_refuses_integer_inputs():
    with pytest.raises(NotImplementedError, match="hypot.*int64"):
        tg.hypot(tg.tensor([3]), tg.tensor([4]))


@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
def test_hypot_gradient_matches_finite_differences(sa, sb):
    a, b = T(rng.uniform(-2, 2, sa), True), T(rng.uniform(0.2, 2, sb), True)
    assert tg.gradcheck(tg.hypot, (a, b))


def test_hypot_gradient_is_each_input_over_the_output_and_nan_at_the_origin():
    a, b = T([3.0, 0.0], True), T([4.0, 0.0], True)
    tg.hypot(a, b).sum().backward()
    close(a.grad[:1], [0.6])
    close(b.grad[:1], [0.8])
    assert np.isnan(a.grad.numpy()[1]) and np.isnan(b.grad.numpy()[1])


# -------------------------------------------------------------- diag_embed
def diag_embed_reference(x, offset, dim1, dim2):
    """NumPy: out[..., i, j] = x[..., k] where (i, j) is the k-th position of
    the `offset` diagonal, then the plane moved to dims dim1, dim2."""
    n = x.shape[-1]
    side = n + abs(offset)
    planes = np.zeros(x.shape[:-1] + (side, side))
    for k in range(n):
        planes[..., k + max(-offset, 0), k + max(offset, 0)] = x[..., k]
    ndim = x.ndim + 1
    return np.moveaxis(planes, (-2, -1), (dim1 % ndim, dim2 % ndim))


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 3])
@pytest.mark.parametrize("dims", [(-2, -1), (-1, -2), (0, 1), (0, 3), (3, 0), (2, 0)])
def test_diag_embed_places_the_last_dim_on_a_diagonal(offset, dims):
    x = rng.standard_normal((2, 3, 4))
    out = tg.diag_embed(T(x), offset, *dims)
    close(out, diag_embed_reference(x, offset, *dims))


def test_diag_embed_of_a_vector_is_diag_and_the_method_takes_keywords():
    v = T([1.0, 2.0, 3.0])
    close(tg.diag_embed(v), np.diag([1.0, 2.0, 3.0]))
    close(v.diag_embed(offset=-1), np.diag([1.0, 2.0, 3.0], k=-1))
    close(v.diag_embed(offset=1, dim1=1, dim2=0), np.diag([1.0, 2.0, 3.0], k=-1))


def test_diag_embed_keeps_the_dtype_and_handles_empty_vectors():
    assert tg.diag_embed(tg.tensor([1, 2])).dtype == tg.int64
    assert tuple(tg.diag_embed(T(np.zeros((2, 0)))).shape) == (2, 0, 0)
    close(tg.diag_embed(T(np.zeros((2, 0))), 2), np.zeros((2, 2, 2)))


@pytest.mark.parametrize("offset,dims", [(0, (-2, -1)), (1, (0, 2)), (-2, (2, 1))])
def test_diag_embed_gradient_matches_finite_differences(offset, dims):
    x = T(rng.standard_normal((2, 3)), True)
    assert tg.gradcheck(lambda x: tg.diag_embed(x, offset, *dims), (x,))


def test_diag_embed_gradient_is_the_diagonal_of_the_incoming_gradient():
    x = T(rng.standard_normal((2, 3)), True)
    g = rng.standard_normal((2, 4, 4))
    tg.diag_embed(x, 1).backward(T(g))
    close(x.grad, np.diagonal(g, offset=1, axis1=-2, axis2=-1))


def test_diag_embed_refuses_equal_or_out_of_range_dims_and_a_float_offset():
    x = T(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 1, 1"):
        tg.diag_embed(x, 0, 1, 1)
    with pytest.raises(IndexError, match="dimension 3 is out of range"):
        tg.diag_embed(x, 0, 3, 1)
    with pytest.raises(IndexError, match="dimension -2 is out of range"):
        tg.diag_embed(T(1.0))
    with pytest.raises(TypeError, match="'offset' must be int"):
        tg.diag_embed(x, 1.0)


# -------------------------------------------------------------------- flip
X = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: tg.flip(x, (0, 2)),
        lambda x: tg.flip(x, [0, 2]),
        lambda x: tg.flip(x, dims=(0, 2)),
        lambda x: tg.flip(x, dims=[0, -1]),
        lambda x: tg.flip(x, 0, 2),
        lambda x: x.flip(0, 2),
        lambda x: x.flip((0, 2)),
        lambda x: x.flip(dims=(0, 2)),
    ],
)
def test_flip_takes_every_pytorch_form_of_dims(call):
    close(call(T(X)), X[::-1, :, ::-1])


def test_flip_of_one_dim_and_of_no_dims():
    close(tg.flip(T(X), 1), X[:, ::-1])
    close(T(X).flip(dims=1), X[:, ::-1])
    close(tg.flip(T(X), ()), X)
    close(tg.flip(T(5.0), [0]), 5.0)


def test_flip_returns_a_copy():
    x = T(X)
    y = x.flip(0)
    y.add_(1.0)
    close(x, X)


def test_flip_gradient_matches_finite_differences():
    x = T(rng.standard_normal((2, 3)), True)
    assert tg.gradcheck(lambda x: tg.flip(x, dims=(0, 1)), (x,))


def test_flip_refuses_bad_dims():
    x = T(X)
    with pytest.raises(TypeError, match="missing 1 required positional arguments"):
        x.flip()
    with pytest.raises(TypeError, match="dims given both"):
        x.flip(0, dims=(1,))
    with pytest.raises(TypeError, match="dims must be ints"):
        x.flip([0], 1)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        x.flip(0, -3)
    with pytest.raises(IndexError, match="dimension 3 is out of range"):
        x.flip(3)


# ------------------------------------------------------------------ unfold
def unfold_reference(x, dim, size, step):
    """NumPy: the windows x[..., s:s+size, ...] along dim, s = 0, step, ...,
    the window index in place of dim and the window as the last dim."""
    dim %= x.ndim
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return np.take(windows, np.arange(0, x.shape[dim] - size + 1, step), axis=dim)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("size,step", [(1, 1), (2, 1), (2, 2), (2, 3), (0, 1), (3, 5)])
def test_unfold_takes_windows_of_size_every_step(dim, size, step):
    x = rng.standard_normal((3, 4, 5))
    out = T(x).unfold(dim, size, step)
    n = x.shape[dim]
    shape = list(x.shape)
    shape[dim] = (n - size) // step + 1
    assert tuple(out.shape) == tuple(shape) + (size,)
    close(out, unfold_reference(x, dim, size, step))


def test_unfold_of_a_0d_tensor_is_one_window():
    close(T(3.0).unfold(0, 1, 1), [3.0])
    assert tuple(T(3.0).unfold(-1, 0, 2).shape) == (0,)


def test_unfold_gradient_adds_up_over_overlapping_windows():
    x = T(np.arange(5.0), True)
    x.unfold(0, 3, 1).sum().backward()  # windows [0,1,2], [1,2,3], [2,3,4]
    close(x.grad, [1.0, 2.0, 3.0, 2.0, 1.0])


@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 2)])
def test_unfold_gradient_matches_finite_differences(dim, size, step):
    x = T(rng.standard_normal((3, 4)), True)
    assert tg.gradcheck(lambda x: x.unfold(dim, size, step), (x,))


def test_unfold_refuses_bad_size_step_and_dimension():
    x = T(np.zeros((2, 5)))
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 5 but size"):
        x.unfold(-1, 6, 1)
    with pytest.raises(RuntimeError, match="size is -1 but must be >= 0"):
        x.unfold(1, -1, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        x.unfold(2, 1, 1)
    with pytest.raises(TypeError, match="'size' must be int"):
        x.unfold(1, 2.0, 1)


def test_unfold_is_a_tensor_method_and_not_the_im2col_function():
    assert not hasattr(tg, "unfold")
    assert tg.nn.functional.unfold is not tg.Tensor.unfold
