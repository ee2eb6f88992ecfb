"""Parity with PyTorch of the functions sequence programs use: cumulative
ops, diff, addmm/baddbmm/kron, cdist (values, gradients, second derivatives
in float64), the search and set functions, and sampling (statistically: the
random streams differ, the distributions must not)."""

import math

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
INF = float("inf")


def arr(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, size=shape)


# ----------------------------------------------------------- differentiable
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod_logcumsumexp(dim):
    x = arr(3, 4)
    check(lambda lib, t: lib.cumsum(t, dim), x)
    check(lambda lib, t: lib.cumprod(t, dim), x)
    check(lambda lib, t: lib.logcumsumexp(t, dim), x)
    check(lambda lib, t: (t.cumsum(dim), t.cumprod(dim), t.logcumsumexp(dim)), x)


@pytest.mark.parametrize(
    "values",
    [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 1.5], [1.5, -2.0, 3.0, 0.0], [0.0, 1.0, 2.0, 3.0]],
)
def test_cumprod_gradient_with_zeros(values):
    check(lambda lib, t: lib.cumprod(t, 0), np.array(values))
    check(lambda lib, t: lib.cumprod(t, 1), np.array([values, values[::-1]]))


def test_cumulative_integer_dtypes():
    x = np.array([1, 2, 3], dtype=np.int32)
    check(lambda lib, t: (lib.cumsum(t, 0), lib.cumprod(t, 0)), x)
    check(lambda lib, t: lib.cumprod(t, 0, dtype=lib.float64), x)
    check(lambda lib, t: lib.cumsum(t, 0, dtype=lib.float64), x)
    check(lambda lib, t: lib.cumsum(t, 0), np.array([True, False, True]))


def test_logcumsumexp_is_stable():
    x = np.array([[1000.0, 1001.0, -1000.0, 1002.0], [-1e4, -1e4, 5.0, -INF]])
    check(lambda lib, t: lib.logcumsumexp(t, 1), x)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_diff(n):
    x = arr(3, 5)
    check(lambda lib, t: lib.diff(t, n=n), x)
    check(lambda lib, t: lib.diff(t, n=n, dim=0), x)
    check(lambda lib, t, p, a: lib.diff(t, n, 1, p, a), x, arr(3, 2), arr(3, 1))
    check(lambda lib, t: t.diff(n, 0, prepend=t[:1]), x)


def test_diff_of_bools_and_ints():
    check(lambda lib, t: lib.diff(t), np.array([True, False, False, True]))
    check(lambda lib, t: lib.diff(t, n=2), np.array([1, 4, 9, 16]))
    check(lambda lib, t: lib.diff(t, n=5), np.array([1, 4, 9]))


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_addmm_baddbmm(beta, alpha):
    check(
        lambda lib, i, a, b: lib.addmm(i, a, b, beta=beta, alpha=alpha),
        arr(3, 5),
        arr(3, 4),
        arr(4, 5),
    )
    check(lambda lib, i, a, b: i.addmm(a, b, beta=beta, alpha=alpha), arr(5), arr(3, 4), arr(4, 5))
    check(
        lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=beta, alpha=alpha),
        arr(2, 3, 5),
        arr(2, 3, 4),
        arr(2, 4, 5),
    )
    check(lambda lib, i, a, b: i.baddbmm(a, b, alpha=alpha), arr(3, 1), arr(2, 3, 4), arr(2, 4, 5))


def test_addmm_with_beta_zero_ignores_nan():
    bias = np.full((2, 2), np.nan)
    check(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0), bias, arr(2, 3), arr(3, 2))


@pytest.mark.parametrize(
    "sa,sb", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 2), (3,)), ((2, 1, 3), (2, 2))]
)
def test_kron(sa, sb):
    check(lambda lib, a, b: lib.kron(a, b), arr(*sa), arr(*sb))
    check(lambda lib, a, b: a.kron(b), arr(*sa), arr(*sb))


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, INF])
def test_cdist(p):
    check(lambda lib, a, b: lib.cdist(a, b, p=p), arr(4, 3), arr(5, 3))
    check(lambda lib, a, b: lib.cdist(a, b, p=p), arr(2, 4, 3), arr(1, 5, 3))


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0, INF])
def test_cdist_gradient_at_zero_distance_and_equal_coordinates(p):
    a = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0]])
    b = np.array([[0.0, 1.0, 2.0], [1.0, 3.0, 0.0], [2.0, 0.0, 0.0]])
    check(lambda lib, x, y: lib.cdist(x, y, p=p), a, b)


def test_cdist_large_euclidean_uses_products():
    check(lambda lib, a, b: lib.cdist(a, b), arr(300, 8), arr(2000, 8), rtol=1e-7, atol=1e-7)


def _second(lib, f, x, w):
    xt = torch.tensor(x, requires_grad=True) if lib is torch else tg.tensor(x, requires_grad=True)
    y = (f(lib, xt) * (torch.tensor(w) if lib is torch else tg.tensor(w))).sum()
    grad = torch.autograd.grad if lib is torch else tg.autograd.grad
    (g,) = grad(y, [xt], create_graph=True)
    (h,) = grad((g * g * g * xt).sum(), [xt])
    return g.detach().numpy(), h.numpy()


@pytest.mark.parametrize(
    "f",
    [
        lambda lib, t: lib.cumsum(t, 1),
        lambda lib, t: lib.cumprod(t, 1),
        lambda lib, t: lib.logcumsumexp(t, 1),
        lambda lib, t: lib.diff(t, 2),
        lambda lib, t: lib.addmm(t[:, :2], t, t.T[:, :2], beta=0.5, alpha=2.0),
        lambda lib, t: lib.kron(t, t[:2, :2]),
    ],
    ids=["cumsum", "cumprod", "logcumsumexp", "diff", "addmm", "kron"],
)
def test_second_derivatives(f):
    x = arr(3, 4)
    out = f(torch, torch.tensor(x))
    w = RNG.standard_normal(tuple(out.shape))
    for a, b in zip(_second(torch, f, x, w), _second(tg, f, x, w)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)


def test_cumprod_second_derivative_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 1.5, 0.0, 2.0]])
    w = RNG.standard_normal((2, 4))
    f = lambda lib, t: lib.cumprod(t, 1)  # noqa: E731
    for a, b in zip(_second(torch, f, x, w), _second(tg, f, x, w)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("p", [0.7, 2.0, 3.0])
def test_cdist_second_derivative_matches_the_composition(p):
    """torch has no double backward of cdist: compare with its composed form."""
    x = arr(3, 4)
    w = RNG.standard_normal((3, 2))

    def f(lib, t):
        other = t[:2] * 0.5 + 0.1
        if lib is tg:
            return tg.cdist(t, other, p=p)
        return ((t[:, None, :] - other[None]).abs() ** p).sum(-1) ** (1 / p)

    for a, b in zip(_second(torch, f, x, w), _second(tg, f, x, w)):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-10)


# ------------------------------------------------------------- search, sets
def test_searchsorted_and_bucketize():
    s = np.array([1.0, 3.0, 5.0, 7.0])
    v = np.array([[3.0, 6.0], [9.0, 0.0]])
    for kw in [{}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}]:
        check(lambda lib, a, b, kw=kw: lib.searchsorted(a, b, **kw), s, v, grad=False)
    check(lambda lib, a: lib.searchsorted(a, 3.0), s, grad=False)
    rows = np.sort(arr(2, 5), axis=1)
    check(lambda lib, a, b: lib.searchsorted(a, b), rows, arr(2, 3), grad=False)
    unsorted = np.array([5.0, 1.0, 3.0])
    check(
        lambda lib, a, b, o: lib.searchsorted(a, b, sorter=o),
        unsorted,
        np.array([2.0, 4.0]),
        np.array([1, 2, 0]),
        grad=False,
    )
    for right in (False, True):
        check(lambda lib, x, b, right=right: lib.bucketize(x, b, right=right), v, s, grad=False)


def test_searchsorted_errors():
    s = np.array([1.0, 3.0])
    check_raises(lambda lib, a, b: lib.searchsorted(a, b, right=True, side="left"), s, s)
    check_raises(lambda lib, a, b: lib.searchsorted(a, b), np.ones((2, 2)), np.ones(3))


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique(dim):
    x = np.array([[1, 2, 1], [1, 2, 1], [0, 3, 0]])
    for inv in (False, True):
        for counts in (False, True):
            check(
                lambda lib, t, i=inv, c=counts: lib.unique(
                    t, return_inverse=i, return_counts=c, dim=dim
                ),
                x,
                grad=False,
            )
    check(lambda lib, t: t.unique(sorted=False), x.astype(float), grad=False)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_unique_consecutive(dim):
    x = np.array([[1, 1, 2], [1, 1, 2], [3, 1, 1], [1, 1, 2]])
    check(
        lambda lib, t: lib.unique_consecutive(t, return_inverse=True, return_counts=True, dim=dim),
        x,
        grad=False,
    )
    check(lambda lib, t: t.unique_consecutive(), np.array([1, 1, 2, 2, 3, 1]), grad=False)


# ----------------------------------------------------------------- sampling
def _chi_square(counts, probs) -> float:
    expected = np.asarray(probs) * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


# the 99.99% point of chi-square with k - 1 degrees of freedom, k <= 6: below 30
CHI2_BOUND = 30.0


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies(replacement):
    tg.manual_seed(0)
    w = np.array([1.0, 0.0, 2.0, 3.0, 4.0])
    p = w / w.sum()
    if replacement:
        draws = tg.multinomial(tg.tensor(w), 20000, replacement=True).numpy()
        counts = np.bincount(draws, minlength=5)
    else:  # the first draw of each row is a draw with the row's probabilities
        rows = tg.tensor(np.tile(w, (20000, 1)))
        draws = tg.multinomial(rows, 2).numpy()
        assert (draws[:, 0] != draws[:, 1]).all()
        counts = np.bincount(draws[:, 0], minlength=5)
    assert counts[1] == 0
    keep = p > 0
    assert _chi_square(counts[keep], p[keep]) < CHI2_BOUND
    t = torch.multinomial(torch.tensor(w), 20000, replacement=True)
    assert str(t.dtype).endswith(str(tg.multinomial(tg.tensor(w), 3).dtype))


def test_multinomial_errors_as_torch():
    for w, n, rep in [
        ([0.0, 0.0], 1, False),
        ([-1.0, 2.0], 1, False),
        ([INF, 2.0], 1, True),
        ([1.0, 2.0], 3, False),
        ([1.0, 2.0], 0, True),
    ]:
        check_raises(lambda lib, t, n=n, rep=rep: lib.multinomial(t, n, rep), np.array(w))
    check_raises(lambda lib, t: lib.multinomial(t, 1), np.ones((2, 2, 2)))
    check_raises(lambda lib, t: lib.multinomial(t, 1), np.array([1, 2]))


def test_bernoulli_poisson_normal_moments():
    tg.manual_seed(3)
    n = 40000
    p = tg.full((n,), 0.3, dtype=tg.float64)
    b = tg.bernoulli(p).numpy()
    assert abs(b.mean() - 0.3) < 5 * math.sqrt(0.21 / n)
    rates = tg.full((n,), 4.0, dtype=tg.float64)
    k = tg.poisson(rates).numpy()
    assert abs(k.mean() - 4.0) < 5 * math.sqrt(4.0 / n) and abs(k.var() - 4.0) < 0.2
    z = tg.normal(tg.full((n,), 2.0), tg.full((n,), 3.0)).numpy()
    assert abs(z.mean() - 2.0) < 5 * 3.0 / math.sqrt(n) and abs(z.std() - 3.0) < 0.06


def test_normal_forms_shapes_and_dtypes_as_torch():
    m2, s3 = np.zeros((2, 1)), np.ones(3)
    for fn in [
        lambda lib, m, s: lib.normal(m, s),
        lambda lib, m, s: lib.normal(m, 2.0),
        lambda lib, m, s: lib.normal(1.0, s),
    ]:
        out_t = fn(torch, torch.tensor(m2), torch.tensor(s3))
        out_g = fn(tg, tg.tensor(m2), tg.tensor(s3))
        assert tuple(out_g.shape) == tuple(out_t.shape)
        assert str(out_g.dtype) in str(out_t.dtype)
    assert tg.normal(0.0, 1.0, (2, 3)).dtype == tg.float32
    check_raises(lambda lib, m: lib.normal(m, -1.0), np.zeros(2))
    check_raises(lambda lib, m, s: lib.normal(m, s), np.zeros(2), np.ones(3))
    check_raises(lambda lib, t: lib.poisson(t), np.array([-1.0, 2.0]))
    check_raises(lambda lib, t: lib.bernoulli(t), np.array([1.5]))


def test_samples_from_parameters_that_require_grad_have_zero_gradient():
    for lib in (torch, tg):
        m = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        s = lib.ones(3, dtype=lib.float64, requires_grad=True)
        out = lib.normal(m, s) + lib.poisson(s) + lib.bernoulli(s * 0.5)
        assert out.requires_grad
        out.sum().backward()
        assert (m.grad.numpy() == 0).all() and (s.grad.numpy() == 0).all()
