"""Behaviour of sampling, cumulative and set functions without PyTorch:
reproducibility under ``tg.manual_seed`` and ``generator=``, result dtypes
and shapes, methods, and one-line errors that name the values."""

import numpy as np
import pytest

import tapegrad as tg


def _draws(**kw):
    w = tg.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]])
    return (
        tg.multinomial(w, 4, True, **kw).numpy(),
        tg.multinomial(w, 2, **kw).numpy(),
        tg.bernoulli(tg.full((5,), 0.5), **kw).numpy(),
        tg.poisson(tg.full((5,), 3.0), **kw).numpy(),
        tg.normal(tg.zeros(5), tg.ones(5), **kw).numpy(),
        tg.normal(0.0, 1.0, (5,), **kw).numpy(),
    )


def test_sampling_is_reproducible_under_manual_seed():
    tg.manual_seed(123)
    first = _draws()
    tg.manual_seed(123)
    for a, b in zip(first, _draws()):
        np.testing.assert_array_equal(a, b)


def test_sampling_takes_a_generator():
    g = tg.Generator().manual_seed(5)
    first = _draws(generator=g)
    g.manual_seed(5)
    tg.manual_seed(99)  # the default generator is not used
    for a, b in zip(first, _draws(generator=g)):
        np.testing.assert_array_equal(a, b)


def test_multinomial_shapes_dtypes_and_methods():
    w = tg.tensor([0.2, 0.0, 0.8])
    out = tg.multinomial(w, 10, replacement=True)
    assert out.dtype == tg.int64 and out.shape == (10,)
    assert 1 not in out.numpy()
    rows = w.multinomial(2)
    assert rows.shape == (2,) and set(rows.tolist()) == {0, 2}
    assert tg.multinomial(tg.ones(4, 6), 6).shape == (4, 6)
    assert sorted(tg.multinomial(tg.ones(6), 6).tolist()) == list(range(6))


@pytest.mark.parametrize(
    "w,n,replacement,words",
    [
        ([0.0, 0.0], 1, False, "sum of probabilities <= 0"),
        ([-1.0, 2.0], 1, False, "element < 0"),
        ([float("nan"), 2.0], 1, True, "`nan`"),
        ([1.0, 2.0], 3, False, "without replacement (3 > 2)"),
        ([1.0, 2.0], 0, True, "n_sample <= 0"),
    ],
)
def test_multinomial_errors(w, n, replacement, words):
    with pytest.raises(RuntimeError) as info:
        tg.multinomial(tg.tensor(w), n, replacement)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_multinomial_rejects_integer_and_3d_inputs():
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.multinomial(tg.tensor([1, 2]), 1)
    with pytest.raises(RuntimeError, match=r"1 or 2 dim, got shape \(2, 2, 2\)"):
        tg.multinomial(tg.ones(2, 2, 2), 1)


def test_bernoulli_forms_and_errors():
    x = tg.tensor([0.0, 1.0, 1.0], dtype=tg.float64)
    assert tg.bernoulli(x).tolist() == [0.0, 1.0, 1.0] and tg.bernoulli(x).dtype == tg.float64
    assert x.bernoulli(0.0).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        tg.bernoulli(tg.tensor([1.5]))


def test_normal_forms():
    assert tg.normal(tg.zeros(2, 1), tg.ones(3)).shape == (2, 3)
    assert tg.normal(tg.zeros(2, dtype=tg.float64), 1.0).dtype == tg.float64
    assert tg.normal(1.0, tg.ones(3)).shape == (3,)
    assert tg.normal(0.0, 1.0, (2, 3), dtype=tg.float64).dtype == tg.float64
    assert (tg.normal(tg.full((4,), 5.0), 0.0).numpy() == 5.0).all()
    with pytest.raises(RuntimeError, match="std >= 0.0, but found std -1"):
        tg.normal(tg.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match=r"\(2,\) and std of shape \(3,\)"):
        tg.normal(tg.zeros(2), tg.ones(3))
    with pytest.raises(TypeError, match="size"):
        tg.normal(0.0, 1.0)


def test_poisson_dtype_and_error():
    assert tg.poisson(tg.ones(3, dtype=tg.float64)).dtype == tg.float64
    with pytest.raises(RuntimeError, match="non-negative, got -1"):
        tg.poisson(tg.tensor([-1.0, 2.0]))


def test_samples_from_parameters_that_require_grad():
    m = tg.zeros(3, requires_grad=True)
    out = tg.normal(m, 1.0)
    assert out.requires_grad
    out.sum().backward()
    assert m.grad.tolist() == [0.0, 0.0, 0.0]
    assert not tg.normal(tg.zeros(3), 1.0).requires_grad


# ---------------------------------------------------------- cumulative
def test_cumulative_functions_and_methods():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]])
    assert x.cumprod(1).tolist() == [[1.0, 2.0, 6.0], [4.0, 0.0, 0.0]]
    assert tg.cumprod(tg.tensor([1, 2, 3], dtype=tg.int32), 0).dtype == tg.int64
    np.testing.assert_allclose(
        x.logcumsumexp(1).numpy(), np.log(np.cumsum(np.exp(x.numpy()), 1)), rtol=1e-6
    )
    assert tg.logcumsumexp(tg.tensor([1e4, 1e4]), 0).tolist()[1] == pytest.approx(1e4 + np.log(2))
    assert x.diff().tolist() == [[1.0, 1.0], [-4.0, 6.0]]
    assert tg.diff(x, dim=0, prepend=tg.zeros(1, 3)).shape == (2, 3)
    assert tg.diff(tg.tensor([1.0, 3.0]), append=10.0).tolist() == [2.0, 7.0]


def test_cumprod_gradient_with_a_zero():
    x = tg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    tg.cumprod(x, 0).sum().backward()
    # d/dx0 (x0 + x0 x1 + x0 x1 x2) = 1 + x1 + x1 x2; d/dx1 = x0 + x0 x2; d/dx2 = x0 x1
    assert x.grad.tolist() == [1.0, 8.0, 0.0]


def test_cumulative_errors():
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        tg.cumprod(tg.ones(3), 2)
    with pytest.raises(TypeError, match="floating point"):
        tg.logcumsumexp(tg.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match="0-d"):
        tg.diff(tg.tensor(1.0))


# ---------------------------------------------------------- products, cdist
def test_addmm_baddbmm_kron_values():
    a, b = tg.ones(2, 3), tg.ones(3, 4)
    assert (tg.addmm(tg.ones(4), a, b, beta=2, alpha=0.5).numpy() == 3.5).all()
    assert a.addmm(a, b.T[:3, :3]).shape == (2, 3)
    assert tg.baddbmm(tg.zeros(2, 2, 4), tg.ones(2, 2, 3), tg.ones(2, 3, 4)).shape == (2, 2, 4)
    k = tg.kron(tg.tensor([[1.0, 2.0]]), tg.eye(2))
    assert k.tolist() == [[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0]]


def test_product_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4, 4\)"):
        tg.addmm(tg.ones(2, 4), tg.ones(2, 3), tg.ones(4, 4))
    with pytest.raises(RuntimeError, match=r"input of shape \(3,\)"):
        tg.addmm(tg.ones(3), tg.ones(2, 3), tg.ones(3, 4))
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3\) and \(3, 3, 4\)"):
        tg.baddbmm(tg.ones(1), tg.ones(2, 2, 3), tg.ones(3, 3, 4))


def test_cdist_values_and_zero_distance_gradient():
    x = tg.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    d = tg.cdist(x, tg.tensor([[0.0, 0.0]]))
    assert d.tolist() == [[0.0], [5.0]]
    d.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])
    y = tg.tensor([[1.0, 2.0]])
    assert tg.cdist(y, tg.tensor([[1.0, 5.0]]), p=0).item() == 1.0
    assert tg.cdist(y, tg.tensor([[4.0, 5.0]]), p=float("inf")).item() == 3.0


def test_cdist_errors():
    with pytest.raises(RuntimeError, match="at least 2D"):
        tg.cdist(tg.ones(3), tg.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"same number of columns, got shapes \(2, 3\) and"):
        tg.cdist(tg.ones(2, 3), tg.ones(2, 4))
    with pytest.raises(RuntimeError, match="non-negative p"):
        tg.cdist(tg.ones(2, 3), tg.ones(2, 3), p=-1)


# ----------------------------------------------------------- search, sets
def test_searchsorted_bucketize():
    s = tg.tensor([1.0, 3.0, 5.0])
    assert tg.searchsorted(s, tg.tensor([3.0, 4.0])).tolist() == [1, 2]
    assert tg.searchsorted(s, tg.tensor([3.0]), right=True).tolist() == [2]
    assert tg.searchsorted(s, 3.0, side="right").item() == 2
    assert tg.searchsorted(s, tg.tensor([3.0]), out_int32=True).dtype == tg.int32
    assert tg.bucketize(tg.tensor([3.0, 6.0]), s).tolist() == [1, 3]
    out = tg.zeros(2, dtype=tg.int64)
    tg.searchsorted(s, tg.tensor([0.0, 9.0]), out=out)
    assert out.tolist() == [0, 3]
    with pytest.raises(RuntimeError, match="opposites"):
        tg.searchsorted(s, s, right=True, side="left")
    with pytest.raises(RuntimeError, match="1 dimension"):
        tg.bucketize(s, tg.ones(2, 2))


def test_unique_and_unique_consecutive():
    x = tg.tensor([3, 1, 2, 3, 1])
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 1, 2, 0]
    assert counts.tolist() == [2, 1, 2] and counts.dtype == tg.int64
    rows = tg.unique(tg.tensor([[1, 2], [0, 3], [1, 2]]), dim=0)
    assert rows.tolist() == [[0, 3], [1, 2]]
    v, c = tg.unique_consecutive(tg.tensor([1, 1, 2, 1]), return_counts=True)
    assert v.tolist() == [1, 2, 1] and c.tolist() == [2, 1, 1]
