"""Order statistics (``median``, ``nanmedian``, ``kthvalue``, ``mode``) and
``tensor_split``/``hsplit``/``vsplit``/``dsplit`` without PyTorch: values
against NumPy, indices by their rules (and a few ties recorded from
PyTorch 2.13's CPU kernels), gradients by finite differences in float64."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops.cpu_selection import introselect, introsort, quickselect

RNG = np.random.default_rng(5)
NAN = float("nan")


def f64(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def lower_middle(a, axis):
    """NumPy reference of ``median``: the lower of the two middle values."""
    n = a.shape[axis]
    return np.take(np.sort(a, axis=axis), (n - 1) // 2, axis=axis)


# -------------------------------------------------------------------- median
@pytest.mark.parametrize("shape", [(7,), (8,), (3, 4), (2, 3, 5)], ids=str)
def test_median_of_all_elements_is_the_lower_middle_value(shape):
    a = RNG.standard_normal(shape)
    out = tg.median(f64(a))
    assert out.shape == () and out.item() == lower_middle(a.reshape(-1), 0)
    assert tg.nanmedian(f64(a)).item() == out.item()


def test_median_of_all_elements_shares_the_gradient_among_equal_elements():
    x = f64([[1.0, 2.0, 2.0], [3.0, 2.0, 1.0]], grad=True)
    x.median().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1 / 3, 1 / 3], [0, 1 / 3, 0]])


def test_median_of_all_elements_with_nans():
    x = f64([1.0, NAN, 3.0, NAN, 0.5], grad=True)
    assert np.isnan(tg.median(x).item())
    tg.median(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0, 0.5, 0])  # (the NaNs share it)
    assert tg.nanmedian(x).item() == 1.0
    assert np.isnan(tg.nanmedian(f64([NAN, NAN])).item())


def test_median_of_an_empty_tensor_is_nan_cast_to_its_dtype():
    assert np.isnan(tg.median(tg.zeros(0, 3)).item())
    assert tg.median(tg.tensor([], dtype=tg.int64)).item() == np.iinfo(np.int64).min


@pytest.mark.parametrize("dtype", [tg.int64, tg.int32, tg.float32])
def test_median_keeps_the_dtype(dtype):
    x = tg.tensor([5, 1, 4, 2], dtype=dtype)
    assert tg.median(x).dtype == dtype and tg.median(x).item() == 2
    assert tg.median(x, 0).values.dtype == dtype


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_median_along_a_dim_matches_numpy(dim, keepdim):
    a = RNG.standard_normal((4, 5, 6))
    values, indices = tg.median(f64(a), dim, keepdim)
    want = lower_middle(a, dim)
    if keepdim:
        want = np.expand_dims(want, dim)
    np.testing.assert_array_equal(values.numpy(), want)
    assert indices.dtype == tg.int64
    picked = np.take_along_axis(
        a, indices.numpy() if keepdim else np.expand_dims(indices.numpy(), dim), dim
    )
    np.testing.assert_array_equal(picked.squeeze(dim) if not keepdim else picked, want)


def test_median_index_among_ties_is_the_middle_of_a_stable_sort():
    out = tg.median(f64([[1, 2, 2, 1, 2, 1], [3, 1, 2, 1, 3, 1]]), 1)
    np.testing.assert_array_equal(out.values.numpy(), [1, 1])
    np.testing.assert_array_equal(out.indices.numpy(), [5, 5])


def test_median_along_a_dim_with_a_nan_gives_the_first_nan():
    out = tg.median(f64([[2, NAN, 1, NAN], [4, 3, 2, 1]]), 1)
    np.testing.assert_array_equal(out.indices.numpy(), [1, 2])
    assert np.isnan(out.values[0].item()) and out.values[1].item() == 2


def test_nanmedian_along_a_dim_skips_nans():
    out = tg.nanmedian(f64([[2, NAN, 1, NAN], [4, 3, 2, 1]]), 1)
    np.testing.assert_array_equal(out.values.numpy(), [1, 2])
    np.testing.assert_array_equal(out.indices.numpy(), [2, 2])


@pytest.mark.parametrize(
    "n,index", [(1, 0), (4, 2), (7, 5), (10, 8), (13, 8), (16, 10), (19, 11), (22, 14)]
)
def test_nanmedian_of_an_all_nan_row_gives_pytorchs_index(n, index):
    out = tg.nanmedian(tg.full((n,), NAN), 0)
    assert np.isnan(out.values.item()) and out.indices.item() == index


def test_median_along_a_dim_sends_the_gradient_to_the_index():
    x = f64([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, 4.0]], grad=True)
    out = tg.median(x, 1)
    (out.values * f64([2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0, 2], [0, 0, 0, 3]])


@pytest.mark.parametrize("op", [tg.median, tg.nanmedian])
def test_median_gradcheck(op):
    a = RNG.standard_normal((3, 5))
    assert tg.gradcheck(lambda x: op(x), [f64(a, grad=True)])
    assert tg.gradcheck(lambda x: op(x, 1, True).values, [f64(a, grad=True)])
    assert tg.gradcheck(lambda x: op(x, 0).values, [f64(a, grad=True)])


def test_median_of_a_0d_tensor():
    out = tg.median(f64(2.5), 0, keepdim=True)
    assert out.values.shape == () and out.values.item() == 2.5 and out.indices.item() == 0


def test_median_results_are_named_tuples():
    out = f64([[3.0, 1.0, 2.0]]).median(1)
    assert type(out).__name__ == "median" and out._fields == ("values", "indices")
    assert type(f64([1.0]).nanmedian(0)).__name__ == "nanmedian"


# ------------------------------------------------------------------ kthvalue
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("dim", [0, -1])
def test_kthvalue_matches_numpy(k, dim):
    a = RNG.standard_normal((5, 4, 5))
    values, indices = tg.kthvalue(f64(a), k, dim)
    np.testing.assert_array_equal(values.numpy(), np.take(np.sort(a, dim), k - 1, dim))
    np.testing.assert_array_equal(indices.numpy(), np.take(np.argsort(a, dim), k - 1, dim))
    assert tg.kthvalue(f64(a), k, dim, keepdim=True).values.shape[dim] == 1


def test_kthvalue_index_among_ties_is_pytorchs_quickselect_one():
    out = f64([1, 2, 2, 3, 2, 1, 3, 1]).kthvalue(2)
    assert out.values.item() == 1 and out.indices.item() == 7  # (not 5, a stable sort's)
    row = [2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2]
    assert tg.kthvalue(f64(row), 10).indices.item() == 2


def test_kthvalue_counts_nan_as_the_largest():
    out = tg.kthvalue(f64([NAN, 3.0, 1.0]), 3)
    assert np.isnan(out.values.item()) and out.indices.item() == 0
    assert tg.kthvalue(f64([NAN, 3.0, 1.0]), 2).values.item() == 3.0


def test_kthvalue_gradcheck_and_gradient_to_the_index():
    a = RNG.standard_normal((4, 6))
    assert tg.gradcheck(lambda x: tg.kthvalue(x, 2, 1).values, [f64(a, grad=True)])
    x = f64([3.0, 1.0, 2.0], grad=True)
    tg.kthvalue(x, 3).values.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 0])


@pytest.mark.parametrize("k", [0, 4, -1])
def test_kthvalue_k_out_of_range(k):
    with pytest.raises(RuntimeError, match="k out of range for dimension 1"):
        tg.kthvalue(f64(np.ones((2, 3))), k)


# ---------------------------------------------------------------------- mode
def test_mode_is_the_smallest_most_frequent_value_at_its_last_position_in_short_rows():
    out = tg.mode(f64([[1, 2, 2, 1, 3], [4, 4, 0, 0, 4]]))
    np.testing.assert_array_equal(out.values.numpy(), [1, 4])
    np.testing.assert_array_equal(out.indices.numpy(), [3, 4])


def test_mode_of_a_long_row_gives_pytorchs_index():
    row = [2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2]  # 0 and 2 seven times
    out = tg.mode(f64(row))
    assert out.values.item() == 0 and out.indices.item() == 15  # (not 18: std::sort's order)


def test_mode_with_a_nan_as_pytorchs_kernel():
    out = tg.mode(f64([3.0, NAN, 2.0, 2.0]))
    assert out.values.item() == 2.0 and out.indices.item() == 2


@pytest.mark.parametrize("n", [5, 16, 40])
def test_mode_values_match_numpy(n):
    a = RNG.integers(0, 4, size=(6, n))
    values, indices = tg.mode(tg.tensor(a), 1)
    for row, v, i in zip(a, values.numpy(), indices.numpy()):
        uniq, counts = np.unique(row, return_counts=True)
        assert v == uniq[np.argmax(counts)] and row[i] == v


def test_mode_of_bools_and_the_gradient_to_the_index():
    assert tg.mode(tg.tensor([True, False, True])).indices.item() == 2
    x = f64([[1.0, 2.0, 1.0], [5.0, 4.0, 3.0]], grad=True)
    tg.mode(x, 1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1], [0, 0, 1]])
    assert tg.gradcheck(lambda x: tg.mode(x, 0).values, [f64(RNG.standard_normal((3, 4)), True)])


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call",
    [
        lambda x: tg.median(x[:0], 0),
        lambda x: tg.nanmedian(x[:, :0], 1),
        lambda x: tg.kthvalue(x[:0], 1, 0),
        lambda x: tg.mode(x[:, :0]),
        lambda x: tg.mode(x, 2),
    ],
)
def test_reducing_an_empty_or_missing_dimension_is_an_index_error(call):
    with pytest.raises(IndexError):
        call(f64(np.ones((2, 3))))


@pytest.mark.parametrize(
    "call",
    [
        lambda x: tg.kthvalue(x, 1.0),
        lambda x: tg.kthvalue(x, True),
        lambda x: tg.mode(x, 0.0),
        lambda x: tg.median(x, True),
        lambda x: tg.median(x, keepdim=True),
    ],
)
def test_non_int_arguments_are_type_errors(call):
    with pytest.raises(TypeError):
        call(f64(np.ones((2, 3))))


@pytest.mark.parametrize("op", [tg.median, tg.nanmedian, lambda x: tg.kthvalue(x, 1)])
def test_bools_cannot_be_ordered(op):
    with pytest.raises(NotImplementedError, match="Bool"):
        op(tg.tensor([True, False]))


# ---------------------------------------------- the kernels' selection loops
@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 50, 300])
def test_introsort_sorts(n):
    values = RNG.integers(0, 5, size=n).tolist()
    order = introsort(n, lambda i, j: values[i] < values[j])
    assert sorted(order) == list(range(n))
    assert [values[i] for i in order] == sorted(values)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 17, 60])
def test_introselect_and_quickselect_place_the_kth(n):
    values = RNG.integers(0, 5, size=n).tolist()
    for k in range(n):
        for order in (
            introselect(n, k, lambda i, j: values[i] < values[j]),
            quickselect(values, k),
        ):
            assert sorted(order) == list(range(n))
            got = [values[i] for i in order]
            assert got[k] == sorted(values)[k]
            assert max(got[:k], default=got[k]) <= got[k] <= min(got[k + 1 :], default=got[k])


# -------------------------------------------------------------- tensor_split
def shapes(parts):
    return [tuple(p.shape) for p in parts]


@pytest.mark.parametrize("sections", [1, 2, 3, 4, 7, 10])
@pytest.mark.parametrize("dim", [0, 1])
def test_tensor_split_into_sections_matches_numpys_array_split(sections, dim):
    a = RNG.standard_normal((7, 5))
    parts = tg.tensor_split(f64(a), sections, dim)
    want = np.array_split(a, sections, axis=dim)
    assert isinstance(parts, tuple) and shapes(parts) == [w.shape for w in want]
    for p, w in zip(parts, want):
        np.testing.assert_array_equal(p.numpy(), w)


def test_tensor_split_sections_make_the_first_parts_one_longer():
    assert shapes(f64(np.arange(7)).tensor_split(3)) == [(3,), (2,), (2,)]


@pytest.mark.parametrize("indices", [[], [3], [1, 5], (2, 4), [5, 1], [-2, 9], [-10, 3]], ids=str)
def test_tensor_split_at_indices_matches_numpy(indices):
    a = RNG.standard_normal((7, 3))
    for given in (indices, tg.tensor(list(indices), dtype=tg.int64)):
        parts = tg.tensor_split(f64(a), given)
        want = np.array_split(a, list(indices))
        assert shapes(parts) == [w.shape for w in want]
        for p, w in zip(parts, want):
            np.testing.assert_array_equal(p.numpy(), w)


def test_tensor_split_by_a_0d_tensor_or_keyword_takes_sections():
    x = f64(np.arange(7))
    assert shapes(tg.tensor_split(x, tg.tensor(3))) == [(3,), (2,), (2,)]
    assert shapes(tg.tensor_split(x, sections=2)) == [(4,), (3,)]
    assert shapes(tg.tensor_split(x, indices=[2])) == [(2,), (5,)]


def test_tensor_split_gradcheck_and_views():
    a = RNG.standard_normal((5, 4))
    weights = [f64(RNG.standard_normal(s)) for s in [(2, 4), (2, 4), (1, 4)]]
    assert tg.gradcheck(
        lambda x: sum((p * w).sum() for p, w in zip(tg.tensor_split(x, 3), weights)),
        [f64(a, grad=True)],
    )
    x = f64(a)
    tg.tensor_split(x, [1, 3], 1)[1].mul_(0.0)
    assert (x.numpy()[:, 1:3] == 0).all() and (x.numpy()[:, [0, 3]] == a[:, [0, 3]]).all()


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda x: tg.tensor_split(x, 0), RuntimeError),
        (lambda x: tg.tensor_split(x, 2.0), TypeError),
        (lambda x: tg.tensor_split(x, [1.5]), TypeError),
        (lambda x: tg.tensor_split(x, tg.tensor([1.0])), RuntimeError),
        (lambda x: tg.tensor_split(x, tg.tensor([[1]])), RuntimeError),
        (lambda x: tg.tensor_split(x.sum(), 2), RuntimeError),
        (lambda x: tg.tensor_split(x, 2, 2), IndexError),
        (lambda x: tg.tensor_split(x, 2, sections=2), TypeError),
    ],
)
def test_tensor_split_errors(call, exc):
    with pytest.raises(exc):
        call(f64(np.ones((4, 6))))


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
@pytest.mark.parametrize("arg", [2, [1], [1, 3]], ids=str)
def test_hsplit_vsplit_dsplit_match_numpy(name, arg):
    a = RNG.standard_normal((4, 6, 2))
    want = getattr(np, name)(a, arg)
    for parts in (getattr(tg, name)(f64(a), arg), getattr(f64(a), name)(arg)):
        assert shapes(parts) == [w.shape for w in want]
        for p, w in zip(parts, want):
            np.testing.assert_array_equal(p.numpy(), w)


def test_hsplit_of_a_vector_and_indices_given_one_by_one():
    assert shapes(tg.hsplit(f64(np.arange(6)), 3)) == [(2,), (2,), (2,)]
    assert shapes(f64(np.ones((4, 6))).hsplit(1, 2)) == [(4, 1), (4, 1), (4, 4)]


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: tg.hsplit(x, 4), "dimension 1, but the size of the dimension 6"),
        (lambda x: tg.hsplit(x, 0), "not divisible by the split_size 0"),
        (lambda x: tg.hsplit(x, -1), "number of sections must be larger than 0"),
        (lambda x: tg.vsplit(x, 3), "not divisible"),
        (lambda x: tg.vsplit(x[0, 0], 2), "at least 2 dimension"),
        (lambda x: tg.dsplit(x[0], 2), "at least 3 dimension"),
        (lambda x: tg.hsplit(x.sum(), 1), "at least 1 dimension"),
    ],
)
def test_hsplit_vsplit_dsplit_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call(f64(np.ones((4, 6, 2))))
