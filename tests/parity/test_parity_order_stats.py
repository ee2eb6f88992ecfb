"""Parity with PyTorch (CPU) of the order statistics ``median``, ``nanmedian``,
``kthvalue``, ``mode`` and of ``tensor_split``/``hsplit``/``vsplit``/``dsplit``:
values, the exact indices PyTorch's kernels pick among ties and NaNs, result
types, gradients and errors."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

RNG = np.random.default_rng(11)
NAN = float("nan")
EXACT = {"rtol": 1e-12, "atol": 0.0}  # selections are copies: values and indices agree exactly


def ties(*shape, values=4):
    """Small integers as floats: most values occur several times."""
    return RNG.integers(0, values, size=shape).astype(np.float64)


def with_nans(a, fraction=0.25):
    a = a.copy()
    a[RNG.random(a.shape) < fraction] = NAN
    return a


DISTINCT = RNG.standard_normal((5, 6, 7))
TIED = ties(6, 40, 3)  # rows of 6, 40 (past std::sort's insertion sort) and 3 elements


# -------------------------------------------------------------------- median
@pytest.mark.parametrize("op", ["median", "nanmedian"])
@pytest.mark.parametrize("shape", [(7,), (8,), (3, 4), (2, 3, 5), ()], ids=str)
def test_median_of_all_elements_and_its_shared_gradient(op, shape):
    check(lambda L, x: getattr(L, op)(x), RNG.standard_normal(shape), **EXACT)
    check(lambda L, x: getattr(x, op)(), ties(*shape, values=3) if shape else np.array(1.0))


@pytest.mark.parametrize("op", ["median", "nanmedian"])
def test_median_of_all_elements_with_nans(op):
    x = np.array([[1.0, NAN, 3.0], [NAN, 2.0, 0.5]])
    check(lambda L, x: getattr(L, op)(x), x)
    check(lambda L, x: getattr(L, op)(x), np.full((2, 3), NAN))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float16"])
def test_median_of_all_elements_keeps_the_dtype(dtype):
    check(lambda L, x: (L.median(x), L.nanmedian(x)), ties(9, values=7).astype(dtype))


@pytest.mark.parametrize("dtype", ["float64", "int64", "int16"])
def test_median_of_an_empty_tensor_is_nan_cast_to_its_dtype(dtype):
    check(lambda L, x: (L.median(x), L.nanmedian(x)), np.zeros((0, 3), dtype=dtype))


@pytest.mark.parametrize("op", ["median", "nanmedian"])
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_along_a_dim(op, dim, keepdim):
    check(lambda L, x: getattr(L, op)(x, dim, keepdim), DISTINCT, **EXACT)
    check(lambda L, x: getattr(x, op)(dim, keepdim=keepdim), TIED, **EXACT)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 17, 40])
def test_median_index_among_ties_is_the_middle_of_a_stable_sort(n):
    x = ties(20, n, values=3)
    check(lambda L, x: (L.median(x, 1), L.nanmedian(x, dim=1)), x, **EXACT)


def test_median_along_a_dim_with_nans_gives_the_first_nan():
    x = with_nans(ties(8, 9))
    x[0] = NAN
    check(lambda L, x: L.median(x, 1), x, **EXACT)
    check(lambda L, x: L.median(x, 0, True), x, **EXACT)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 12, 17, 33, 100])
def test_nanmedian_skips_nans_and_all_nan_rows_match_the_kernel(n):
    x = with_nans(ties(10, n), 0.4)
    x[0] = NAN
    check(lambda L, x: L.nanmedian(x, -1), x, **EXACT)
    check(lambda L, x: L.nanmedian(x, 0, keepdim=True), x, **EXACT)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float16"])
def test_median_along_a_dim_keeps_the_dtype(dtype):
    x = ties(4, 9, values=5).astype(dtype)
    check(lambda L, x: (L.median(x, 1), L.nanmedian(x, 0)), x, **EXACT)


def test_median_of_a_0d_tensor_and_of_empty_rows():
    check(lambda L, x: (L.median(x, 0), L.median(x, -1, True)), np.array(2.5))
    check(lambda L, x: (L.median(x, 1), L.nanmedian(x, 1, True)), np.zeros((0, 3)))


def test_median_returns_named_tuples_like_torch():
    x = tg.tensor([[3.0, 1.0, 2.0]])
    for op in ("median", "nanmedian"):
        out = getattr(tg, op)(x, 1)
        expected = getattr(torch, op)(torch.tensor([[3.0, 1.0, 2.0]]), 1)
        assert type(out).__name__ == type(expected).__name__ == op
        assert out._fields == ("values", "indices")


# ------------------------------------------------------------------ kthvalue
@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_along_a_dim(k, dim, keepdim):
    x = DISTINCT.reshape(6, 5, 7)[:, :, :6]
    check(lambda L, x: L.kthvalue(x, k, dim, keepdim), x, **EXACT)
    check(lambda L, x: x.kthvalue(k, dim=dim, keepdim=keepdim), ties(6, 4, 6), **EXACT)


@pytest.mark.parametrize("n", [2, 3, 7, 16, 17, 40, 101])
def test_kthvalue_index_among_ties_is_the_quickselect_one(n):
    x = ties(12, n, values=3)
    for k in sorted({1, (n + 1) // 2, n}):
        check(lambda L, x, k=k: L.kthvalue(x, k), x, **EXACT)


@pytest.mark.parametrize("n", [3, 10, 40])
def test_kthvalue_counts_nan_as_the_largest(n):
    x = with_nans(ties(12, n, values=3), 0.3)
    for k in sorted({1, (n + 1) // 2, n}):
        check(lambda L, x, k=k: L.kthvalue(x, k, 1), x, **EXACT)


@pytest.mark.parametrize("dtype", ["int64", "int16", "float32", "float16"])
def test_kthvalue_keeps_the_dtype(dtype):
    check(lambda L, x: L.kthvalue(x, 2, 0), ties(5, 3).astype(dtype), **EXACT)


def test_kthvalue_of_a_0d_tensor_and_of_empty_rows():
    check(lambda L, x: (L.kthvalue(x, 1), L.kthvalue(x, 1, 0, True)), np.array(2.5))
    check(lambda L, x: L.kthvalue(x, 2, 1), np.zeros((0, 3)))


# ---------------------------------------------------------------------- mode
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_mode_along_a_dim(dim, keepdim):
    check(lambda L, x: L.mode(x, dim, keepdim), TIED, **EXACT)
    check(lambda L, x: x.mode(dim=dim, keepdim=keepdim), DISTINCT, **EXACT)


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 18, 33, 64, 150])
@pytest.mark.parametrize("values", [1, 2, 5])
def test_mode_index_is_the_one_the_kernels_sort_leaves(n, values):
    check(lambda L, x: L.mode(x), ties(15, n, values=values), **EXACT)


@pytest.mark.parametrize("n", [3, 8, 16, 17, 50])
def test_mode_with_nans_as_the_kernel(n):
    check(lambda L, x: L.mode(x), with_nans(ties(15, n, values=3), 0.3), **EXACT)
    check(lambda L, x: L.mode(x), np.full((2, n), NAN), **EXACT)


def median_of_three_killer(n: int):
    """Musser's sequence that makes median-of-three quicksort go quadratic."""
    k, a = n // 2, np.zeros(n)
    for i in range(1, k + 1):
        if i % 2:
            a[i - 1], a[i] = i, k + i
        a[k + i - 1] = 2 * i
    return a


def test_mode_where_the_sort_runs_past_its_depth_limit_into_heapsort():
    killer = median_of_three_killer(200)
    check(lambda L, x: L.mode(x), np.stack([killer // 2, killer // 4]), **EXACT)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32", "float16"])
def test_mode_keeps_the_dtype(dtype):
    x = ties(6, 30, values=2).astype(dtype)
    check(lambda L, x: (L.mode(x), L.mode(x, 0)), x, **EXACT)


def test_mode_of_a_0d_tensor_and_of_empty_rows():
    check(lambda L, x: (L.mode(x), L.mode(x, 0, True)), np.array(2.5))
    check(lambda L, x: L.mode(x, 1), np.zeros((0, 3)))


# -------------------------------------------------------------------- errors
ERRORS = {
    "median of an empty dim": (lambda L, x: L.median(x[:0], 0), IndexError),
    "nanmedian of an empty dim": (lambda L, x: L.nanmedian(x[:, :0], 1), IndexError),
    "kthvalue of an empty dim": (lambda L, x: L.kthvalue(x[:0], 1, 0), IndexError),
    "mode of an empty dim": (lambda L, x: L.mode(x[:, :0]), IndexError),
    "median dim out of range": (lambda L, x: L.median(x, 2), IndexError),
    "kthvalue dim out of range": (lambda L, x: L.kthvalue(x, 1, -3), IndexError),
    "mode dim out of range": (lambda L, x: L.mode(x, 5), IndexError),
    "k = 0": (lambda L, x: L.kthvalue(x, 0), RuntimeError),
    "k too large": (lambda L, x: L.kthvalue(x, 5), RuntimeError),
    "k too large for dim 0": (lambda L, x: L.kthvalue(x, 4, 0), RuntimeError),
    "k negative": (lambda L, x: L.kthvalue(x, -1), RuntimeError),
    "k a float": (lambda L, x: L.kthvalue(x, 1.0), TypeError),
    "k a bool": (lambda L, x: L.kthvalue(x, True), TypeError),
    "dim a float": (lambda L, x: L.mode(x, 0.0), TypeError),
    "dim a bool": (lambda L, x: L.median(x, True), TypeError),
    "keepdim without dim": (lambda L, x: L.median(x, keepdim=True), TypeError),
    "median of bools": (lambda L, x: L.median(x > 0), NotImplementedError),
    "median of bools along a dim": (lambda L, x: L.median(x > 0, 0), NotImplementedError),
    "kthvalue of bools": (lambda L, x: L.kthvalue(x > 0, 1), NotImplementedError),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_like_torch(name):
    fn, exc = ERRORS[name]
    err = check_raises(fn, RNG.standard_normal((3, 4)))
    assert isinstance(err, exc)
    with pytest.raises(exc):
        fn(torch, torch.tensor(RNG.standard_normal((3, 4))))


def test_kthvalue_message_names_the_dimension():
    err = check_raises(lambda L, x: L.kthvalue(x, 5, -1), RNG.standard_normal((3, 4)))
    assert "selected number k out of range for dimension 1" in str(err)


# -------------------------------------------------------------- tensor_split
SPLIT_X = RNG.standard_normal((7, 6, 4))


@pytest.mark.parametrize("sections", [1, 2, 3, 4, 7, 10])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_tensor_split_into_sections(sections, dim):
    check(lambda L, x: L.tensor_split(x, sections, dim), SPLIT_X, **EXACT)
    check(lambda L, x: x.tensor_split(sections, dim=dim), SPLIT_X, **EXACT)


@pytest.mark.parametrize(
    "indices",
    [[], [3], [1, 5], (2, 4), [5, 1], [-2, 9], [-10, 3], [0, 0, 7], [3, 3]],
    ids=str,
)
def test_tensor_split_at_indices(indices):
    check(lambda L, x: L.tensor_split(x, indices), SPLIT_X, **EXACT)
    check(lambda L, x: L.tensor_split(x, indices, dim=1), SPLIT_X, **EXACT)


@pytest.mark.parametrize("given", [np.int64(3), [1, 4], 3], ids=str)
def test_tensor_split_by_an_int64_tensor(given):
    check(
        lambda L, x: L.tensor_split(x, L.tensor(given), 1),
        SPLIT_X,
        **EXACT,
    )


def test_tensor_split_keyword_forms():
    check(lambda L, x: L.tensor_split(x, sections=3), SPLIT_X, **EXACT)
    check(lambda L, x: L.tensor_split(x, indices=[1, 2], dim=2), SPLIT_X, **EXACT)
    check(
        lambda L, x: L.tensor_split(x, tensor_indices_or_sections=L.tensor([1, 2])),
        SPLIT_X,
        **EXACT,
    )


def test_tensor_split_parts_are_views_of_the_input():
    x_t, x_g = torch.tensor(SPLIT_X), tg.tensor(SPLIT_X)
    parts_t, parts_g = torch.tensor_split(x_t, 3, 1), tg.tensor_split(x_g, 3, 1)
    parts_t[1].mul_(-2.0)
    parts_g[1].mul_(-2.0)
    np.testing.assert_array_equal(x_g.numpy(), x_t.numpy())


@pytest.mark.parametrize("op", ["hsplit", "vsplit", "dsplit"])
@pytest.mark.parametrize("arg", [1, 2, [1], [1, 3], (0, 5)], ids=str)
def test_hsplit_vsplit_dsplit(op, arg):
    x = RNG.standard_normal((4, 6, 2))
    check(lambda L, x: getattr(L, op)(x, arg), x, **EXACT)
    check(lambda L, x: getattr(x, op)(arg), x, **EXACT)


def test_hsplit_of_a_vector_and_the_methods_taking_indices_one_by_one():
    check(lambda L, x: (L.hsplit(x, 7), L.hsplit(x, [2])), RNG.standard_normal(7), **EXACT)
    x = RNG.standard_normal((4, 6, 2))
    check(lambda L, x: (x.hsplit(1, 2), x.vsplit(1, 2), x.dsplit(1, 1)), x, **EXACT)
    check(lambda L, x: (L.hsplit(x, sections=3), L.vsplit(x, indices=[1])), x, **EXACT)


SPLIT_ERRORS = {
    "zero sections": (lambda L, x: L.tensor_split(x, 0), RuntimeError),
    "negative sections": (lambda L, x: L.tensor_split(x, -1), RuntimeError),
    "float sections": (lambda L, x: L.tensor_split(x, 3.0), TypeError),
    "bool sections": (lambda L, x: L.tensor_split(x, True), TypeError),
    "float indices": (lambda L, x: L.tensor_split(x, [1.0, 2]), TypeError),
    "float tensor": (lambda L, x: L.tensor_split(x, L.tensor([1.0])), RuntimeError),
    "int32 tensor": (lambda L, x: L.tensor_split(x, L.tensor([1], dtype=L.int32)), RuntimeError),
    "2-D tensor": (lambda L, x: L.tensor_split(x, L.tensor([[1]])), RuntimeError),
    "0-d input": (lambda L, x: L.tensor_split(x.sum(), 2), RuntimeError),
    "dim out of range": (lambda L, x: L.tensor_split(x, 2, 3), IndexError),
    "hsplit not divisible": (lambda L, x: L.hsplit(x, 4), RuntimeError),
    "hsplit zero": (lambda L, x: L.hsplit(x, 0), RuntimeError),
    "hsplit negative": (lambda L, x: L.hsplit(x, -1), RuntimeError),
    "hsplit of a 0-d": (lambda L, x: L.hsplit(x.sum(), 1), RuntimeError),
    "vsplit of a vector": (lambda L, x: L.vsplit(x[0, 0], 2), RuntimeError),
    "vsplit not divisible": (lambda L, x: L.vsplit(x, 3), RuntimeError),
    "dsplit of a matrix": (lambda L, x: L.dsplit(x[0], 2), RuntimeError),
    "dsplit not divisible": (lambda L, x: L.dsplit(x, 3), RuntimeError),
    "hsplit float": (lambda L, x: L.hsplit(x, 2.0), TypeError),
}


@pytest.mark.parametrize("name", sorted(SPLIT_ERRORS))
def test_split_errors_like_torch(name):
    fn, exc = SPLIT_ERRORS[name]
    err = check_raises(fn, RNG.standard_normal((4, 6, 2)))
    assert isinstance(err, exc)
    with pytest.raises(exc):
        fn(torch, torch.tensor(RNG.standard_normal((4, 6, 2))))


def test_hsplit_message_names_dimension_and_sizes():
    err = check_raises(lambda L, x: L.hsplit(x, 4), RNG.standard_normal((4, 6, 2)))
    assert "split along dimension 1" in str(err) and "size of the dimension 6" in str(err)
