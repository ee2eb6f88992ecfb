"""Rounding (gradient 0), triangles, roll, sort / argsort / topk: values against
NumPy, gradients to the right positions."""

import numpy as np
import pytest

import tapegrad as tg

X = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.234, -3.7])


@pytest.mark.parametrize(
    "name, ref", [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc), ("round", np.round)]
)
def test_rounding_values_and_zero_gradient(name, ref):
    x = tg.tensor(X, requires_grad=True)
    y = getattr(tg, name)(x)
    np.testing.assert_array_equal(y.detach().numpy(), ref(X))  # round: halves to even
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(X))
    ints = tg.tensor([1, -2, 3])
    assert getattr(ints, name)().dtype == tg.int64  # integers: the identity


def test_frac_and_round_decimals():
    x = tg.tensor(X, requires_grad=True)
    y = x.frac()
    np.testing.assert_allclose(y.detach().numpy(), X - np.trunc(X))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(X))
    np.testing.assert_allclose(
        tg.round(tg.tensor([1.2345, 155.0]), decimals=2).numpy(), [1.23, 155.0]
    )
    np.testing.assert_allclose(
        tg.round(tg.tensor([1.2345, 155.0]), decimals=-1).numpy(), [0.0, 160.0]
    )


def test_tril_triu_keep_a_triangle_and_its_gradient():
    m = np.arange(1.0, 13.0).reshape(3, 4)
    x = tg.tensor(m, requires_grad=True)
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(tg.tril(x, k).detach().numpy(), np.tril(m, k))
        np.testing.assert_array_equal(x.triu(k).detach().numpy(), np.triu(m, k))
    tg.tril(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tril(np.ones((3, 4))))
    with pytest.raises(
        ValueError, match=r"tril: input needs at least 2 dimensions, got shape \(3,\)"
    ):
        tg.tril(tg.ones(3))


def test_roll_wraps_and_sends_the_gradient_back():
    m = np.arange(12.0).reshape(3, 4)
    x = tg.tensor(m, requires_grad=True)
    np.testing.assert_array_equal(tg.roll(x, 1, 0).detach().numpy(), np.roll(m, 1, 0))
    np.testing.assert_array_equal(
        x.roll((1, -2), (0, 1)).detach().numpy(), np.roll(m, (1, -2), (0, 1))
    )
    np.testing.assert_array_equal(tg.roll(x, 5).detach().numpy(), np.roll(m, 5))
    w = np.arange(12.0).reshape(3, 4)
    (tg.roll(x, 1, 1) * tg.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.roll(w, -1, 1))


def test_sort_is_stable_puts_nan_last_and_sends_gradients_home():
    v = np.array([[3.0, 1.0, 2.0, 1.0, np.nan], [0.0, 5.0, 5.0, -1.0, 2.0]])
    values, indices = tg.sort(tg.tensor(v), dim=1)
    np.testing.assert_array_equal(indices.numpy(), [[1, 3, 2, 0, 4], [3, 0, 4, 1, 2]])
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(v, indices.numpy(), 1))
    down = tg.sort(tg.tensor(v), dim=1, descending=True)
    np.testing.assert_array_equal(down.indices.numpy(), [[4, 0, 2, 1, 3], [1, 2, 4, 0, 3]])
    assert tg.argsort(tg.tensor(v[1]), descending=True).tolist() == [1, 2, 4, 0, 3]
    x = tg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (x.sort().values * tg.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_topk_values_indices_gradient_and_errors():
    w = np.array([[0.5, 3.0, -1.0, 2.0], [4.0, 0.0, 1.0, -2.0]])
    x = tg.tensor(w, requires_grad=True)
    top = tg.topk(x, 2)
    np.testing.assert_array_equal(top.indices.numpy(), [[1, 3], [0, 2]])
    np.testing.assert_array_equal(top.values.detach().numpy(), [[3.0, 2.0], [4.0, 1.0]])
    low = x.topk(1, dim=0, largest=False)
    np.testing.assert_array_equal(low.values.detach().numpy(), [[0.5, 0.0, -1.0, -2.0]])
    top.values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0, 1], [1, 0, 1, 0]])
    with pytest.raises(IndexError, match="k=5 is out of range for dimension -1 of size 4"):
        tg.topk(x, 5)


def test_diag_builds_and_reads_diagonals_with_gradients():
    v = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_array_equal(tg.diag(v, 1).detach().numpy(), np.diag([1.0, 2.0, 3.0], 1))
    (tg.diag(v, -1) * tg.tensor(np.arange(16.0).reshape(4, 4))).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), np.diag(np.arange(16.0).reshape(4, 4), -1))
    m = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    np.testing.assert_array_equal(
        m.diag(1).detach().numpy(), np.diag(np.arange(12.0).reshape(3, 4), 1)
    )
    m.diag().sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match=r"diag: input must be 1-D or 2-D, got shape \(2, 2, 2\)"):
        tg.diag(tg.ones(2, 2, 2))


def test_tile_repeat_interleave_meshgrid_as_numpy():
    m = np.arange(6.0).reshape(2, 3)
    x = tg.tensor(m, requires_grad=True)
    np.testing.assert_array_equal(tg.tile(x, (2,)).detach().numpy(), np.tile(m, (2,)))
    np.testing.assert_array_equal(x.tile((2, 1, 3)).detach().numpy(), np.tile(m, (2, 1, 3)))
    r = x.repeat_interleave(2, dim=1)
    np.testing.assert_array_equal(r.detach().numpy(), np.repeat(m, 2, axis=1))
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    np.testing.assert_array_equal(tg.repeat_interleave(x, 3).detach().numpy(), np.repeat(m, 3))
    a, b = tg.tensor([0.0, 1.0]), tg.tensor([5.0, 6.0, 7.0])
    for indexing in ("ij", "xy"):
        got = tg.meshgrid(a, b, indexing=indexing)
        want = np.meshgrid(a.numpy(), b.numpy(), indexing=indexing)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)


def test_linalg_norms_as_numpy():
    rng = np.random.default_rng(0)
    a, v = rng.standard_normal((3, 4)), rng.standard_normal(5)
    np.testing.assert_allclose(tg.linalg.vector_norm(tg.tensor(v)).item(), np.linalg.norm(v))
    np.testing.assert_allclose(
        tg.linalg.vector_norm(tg.tensor(v), float("inf")).item(), np.abs(v).max()
    )
    np.testing.assert_allclose(tg.linalg.norm(tg.tensor(a)).item(), np.linalg.norm(a))
    np.testing.assert_allclose(tg.linalg.matrix_norm(tg.tensor(a)).item(), np.linalg.norm(a, "fro"))
    np.testing.assert_allclose(tg.linalg.norm(tg.tensor(a), 1, dim=1).numpy(), np.abs(a).sum(1))
    x = tg.tensor(v, requires_grad=True)
    tg.linalg.vector_norm(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), v / np.linalg.norm(v))
    with pytest.raises(ValueError, match="ord=2 is not supported"):
        tg.linalg.matrix_norm(tg.tensor(a), 2)


def test_scatter_writes_and_routes_gradients():
    a = np.zeros((2, 4))
    src = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = tg.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    out = tg.scatter(x, 1, tg.tensor([[0, 3], [1, 2]]), src)
    np.testing.assert_array_equal(
        out.detach().numpy(), [[1.0, 1.0, 2.0, 2.0], [4.0, 3.0, 4.0, 7.0]]
    )
    (out * tg.tensor(np.arange(8.0).reshape(2, 4))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 2, 0], [4, 0, 0, 7]])  # overwritten: 0
    np.testing.assert_array_equal(src.grad.numpy(), [[0, 3], [5, 6]])  # gather(g, 1, index)
    filled = tg.tensor(a).scatter(0, tg.tensor([[1, 0, 1, 0]]), value=9.0)
    np.testing.assert_array_equal(filled.numpy(), [[0, 9, 0, 9], [9, 0, 9, 0]])
    with pytest.raises(TypeError, match="exactly one of src and value"):
        tg.scatter(x, 1, tg.tensor([[0]]))


def test_index_add_accumulates_repeated_indices():
    x = tg.zeros(3, 2, requires_grad=True)
    s = tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    out = tg.index_add(x, 0, tg.tensor([2, 0, 2]), s, alpha=2.0)
    np.testing.assert_array_equal(out.detach().numpy(), [[6, 8], [0, 0], [12, 16]])
    out.sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), np.full((3, 2), 2.0))
    y = tg.zeros(2, 3)
    y.index_add_(1, tg.tensor([1, 1]), tg.ones(2, 2))
    assert y.tolist() == [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]] and y._version == 1
    with pytest.raises(ValueError, match="index_add: source of shape"):
        tg.index_add(tg.zeros(3, 2), 0, tg.tensor([0, 1]), tg.ones(3, 2))
