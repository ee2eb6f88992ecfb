"""Parity with PyTorch of the rearranging, selecting, statistics and product
composites (``trace`` ... ``pdist``): values, dtypes, shapes, gradients in
float64, and errors."""

import numpy as np
import pytest

from .helpers import check, check_raises

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def r(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------ rearranging
@pytest.mark.parametrize("offset", [0, 1, -2, 5])
@pytest.mark.parametrize("dims", [(0, 1), (2, 0), (-1, 1)])
def test_diagonal(offset, dims):
    check(lambda lib, x: lib.diagonal(x, offset, *dims), r(3, 4, 5))
    check(lambda lib, x: x.diagonal(offset=offset, dim1=dims[0], dim2=dims[1]), r(3, 4, 5))


def test_trace():
    check(lambda lib, x: lib.trace(x), r(3, 5))
    check(lambda lib, x: x.trace(), np.arange(6, dtype=np.int32).reshape(2, 3))
    check_raises(lambda lib, x: lib.trace(x), r(3))
    check_raises(lambda lib, x: lib.diagonal(x, 0, 1, 1), r(3, 3))


def test_ravel_moveaxis_swapdims():
    check(lambda lib, x: (lib.ravel(x), x.ravel()), r(2, 3, 4))
    check(lambda lib, x: (lib.moveaxis(x, 0, 2), x.moveaxis(-1, 0)), r(2, 3, 4))
    check(
        lambda lib, x: (lib.swapdims(x, 0, 2), x.swapdims(1, 2), lib.swapaxes(x, 0, 1)), r(2, 3, 4)
    )


def test_flips_and_rot90():
    check(lambda lib, x: (lib.fliplr(x), lib.flipud(x), x.fliplr(), x.flipud()), r(2, 3, 4))
    for k in (-3, -1, 0, 1, 2, 3, 6):
        check(lambda lib, x, k=k: lib.rot90(x, k, [2, 0]), r(2, 3, 4))
    check(lambda lib, x: x.rot90(), r(2, 3))
    check_raises(lambda lib, x: lib.fliplr(x), r(3))
    check_raises(lambda lib, x: lib.flipud(x), np.array(1.0))
    for dims in ([0, 0], [0], [0, 5]):
        check_raises(lambda lib, x, dims=dims: lib.rot90(x, 1, dims), r(3, 3))
    check_raises(lambda lib, x: lib.rot90(x), r(3))


def test_column_stack_and_dstack():
    check(lambda lib, a, b, c: lib.column_stack([a, b, c]), r(3), r(3, 2), r(3, 1))
    check(lambda lib, a, b: lib.column_stack([a, b]), np.array(1.0), r(1))
    check(lambda lib, a, b, c: lib.dstack([a, b, c]), r(1, 3), r(3), r(1, 3, 2))
    check(lambda lib, a, b: lib.dstack([a, b]), np.array(2.0), r(1))
    check_raises(lambda lib: lib.column_stack([]))


@pytest.mark.parametrize("offset", [0, 2, -1])
def test_diagflat(offset):
    check(lambda lib, x: (lib.diagflat(x, offset), x.diagflat(offset)), r(2, 3))
    check(lambda lib, x: lib.diagflat(x, offset), np.arange(4))


@pytest.mark.parametrize("N", [None, 0, 1, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing):
    # (PyTorch's own backward of vander fails on its in-place cumprod: gradients in tests/ops)
    x = np.array([0.5, -2.0, 0.0, 1.5])
    check(lambda lib, x: lib.vander(x, N, increasing), x, backward=False)
    check(lambda lib, x: lib.vander(x, N, increasing), np.array([1, 2, 3], dtype=np.int32))
    check(lambda lib, x: lib.vander(x, N, increasing), np.array([True, False]))


def test_vander_errors():
    check_raises(lambda lib, x: lib.vander(x), r(2, 2))
    check_raises(lambda lib, x: lib.vander(x, N=-1), r(2))


def test_cartesian_prod_and_combinations():
    check(lambda lib, a, b, c: lib.cartesian_prod(a, b, c), r(2), r(3), r(1))
    check(lambda lib, a: lib.cartesian_prod(a), r(3))
    check_raises(lambda lib, a: lib.cartesian_prod(a), r(2, 2))
    for rr in (0, 1, 2, 3, 5):
        for rep in (False, True):
            check(lambda lib, a, rr=rr, rep=rep: lib.combinations(a, rr, rep), r(4))
    check(lambda lib, a: lib.combinations(a), np.arange(1))
    check_raises(lambda lib, a: lib.combinations(a, -1), r(3))
    check_raises(lambda lib, a: lib.combinations(a), r(2, 2))


def test_msort():
    check(lambda lib, x: (lib.msort(x), x.msort()), r(4, 3))
    check(lambda lib, x: lib.msort(x), np.array(3.0))


# -------------------------------------------------------------- selection
def test_masked_select():
    mask = RNG.standard_normal((3, 1)) > 0
    check(lambda lib, x, m: (lib.masked_select(x, m), x.masked_select(m)), r(3, 4), mask)
    check(lambda lib, x, m: lib.masked_select(x, m), r(4), RNG.standard_normal((2, 4)) > 0)
    check_raises(lambda lib, x, m: lib.masked_select(x, m), r(3), np.array([1, 0, 1]))


def test_take_and_argwhere():
    check(lambda lib, x, i: (lib.take(x, i), x.take(i)), r(2, 3), np.array([[0, -1], [5, 0]]))
    check_raises(lambda lib, x, i: lib.take(x, i), r(2, 3), np.array([6]))
    check_raises(lambda lib, x, i: lib.take(x, i), r(2, 3), np.array([1], dtype=np.int32))
    a = RNG.integers(0, 2, (3, 4)).astype(np.float64)
    check(lambda lib, x: (lib.argwhere(x), x.argwhere()), a)
    check(lambda lib, x: lib.argwhere(x), np.array(3.0))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_copy(dim):
    x = r(3, 4, 2)
    n = 2
    shape = list(x.shape)
    shape[dim] = n
    index = np.array([1, 0])
    check(
        lambda lib, x, i, s: (lib.index_copy(x, dim, i, s), x.index_copy(dim, i, s)),
        x,
        index,
        r(*shape),
    )


def test_index_copy_errors():
    check_raises(lambda lib, x, i, s: lib.index_copy(x, 0, i, s), r(3, 2), np.array([0]), r(2, 2))
    check_raises(lambda lib, x, i, s: lib.index_copy(x, 0, i, s), r(3, 2), np.array([5]), r(1, 2))
    check_raises(
        lambda lib, x, i, s: lib.index_copy(x, 0, i, s),
        r(3, 2),
        np.array([0], dtype=np.int32),
        r(1, 2),
    )


def test_masked_scatter():
    mask = RNG.standard_normal((3, 4)) > 0
    check(
        lambda lib, x, m, s: (lib.masked_scatter(x, m, s), x.masked_scatter(m, s)),
        r(3, 4),
        mask,
        r(13),
    )
    check(lambda lib, x, m, s: lib.masked_scatter(x, m, s), r(3, 4), mask[:1], r(3, 4))
    check(lambda lib, x, m, s: lib.masked_scatter(x, m, s), r(3), np.zeros(3, bool), r(1))
    check_raises(lambda lib, x, m, s: lib.masked_scatter(x, m, s), r(3), np.ones(3, bool), r(2))
    check_raises(lambda lib, x, m, s: lib.masked_scatter(x, m, s), r(3), np.ones(3, int), r(3))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_reduce_float(reduce, include_self, dim):
    index = np.array([[0, 1, 0], [2, 0, 0]]) if dim == 0 else np.array([[0, 0, 2], [3, 0, 3]])
    check(
        lambda lib, x, i, s: lib.scatter_reduce(x, dim, i, s, reduce, include_self=include_self),
        r(4, 4),
        index,
        r(2, 3),  # (as large as the index: PyTorch's backward rejects a larger src)
    )


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_scatter_reduce_ties_and_zeros(reduce):
    x = np.array([1.0, 0.0, 2.0, 2.0])
    src = np.array([2.0, 0.0, 2.0, 0.0, 3.0, 2.0])
    index = np.array([0, 0, 1, 1, 2, 0])
    for include_self in (True, False):
        check(
            lambda lib, x, i, s, inc=include_self: x.scatter_reduce(
                0, i, s, reduce, include_self=inc
            ),
            x,
            index,
            src,
        )


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_integers(reduce, include_self):
    x = np.arange(5, dtype=np.int64) * 3
    check(
        lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, reduce, include_self=include_self),
        x,
        np.array([0, 0, 4, 1]),
        np.array([4, 7, -5, 2]),
    )


def test_scatter_reduce_errors():
    check_raises(
        lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, "foo"), r(3), np.array([0]), r(1)
    )


# -------------------------------------------------------------- statistics
def with_nans(*shape):
    a = r(*shape)
    a[RNG.random(shape) < 0.3] = np.nan
    return a


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_nansum_and_nanmean(dim, keepdim):
    a = with_nans(3, 4)
    # (no all-NaN slice: there PyTorch's nanmean gradient is NaN (inf * 0), tapegrad's 0)
    a[0], a[:, 0] = r(4), r(3)
    check(lambda lib, x: (lib.nansum(x, dim, keepdim), x.nansum(dim, keepdim)), a)
    check(lambda lib, x: (lib.nanmean(x, dim, keepdim), x.nanmean(dim, keepdim)), a)
    check(lambda lib, x: lib.nansum(x, dim, keepdim), np.arange(12, dtype=np.int32).reshape(3, 4))
    check_raises(lambda lib, x: lib.nanmean(x), np.arange(3))


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_aminmax(dim, keepdim):
    a = np.round(r(3, 4))  # (ties)
    check(lambda lib, x: lib.aminmax(x, dim=dim, keepdim=keepdim), a)
    check(lambda lib, x: x.aminmax(dim=dim, keepdim=keepdim), a)
    check_raises(lambda lib, x: lib.aminmax(x), np.zeros(0))


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cummax_cummin(op, dim):
    a = np.round(r(4, 5))
    a[1, 2] = a[3, 0] = np.nan
    check(lambda lib, x: getattr(lib, op)(x, dim), a)
    check(lambda lib, x: getattr(x, op)(dim), np.round(r(4, 5)))
    check(lambda lib, x: getattr(lib, op)(x, dim), RNG.integers(0, 3, (4, 5)))
    check(lambda lib, x: getattr(lib, op)(x, 0), np.array(3.0))


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_quantile(interpolation, dim, keepdim):
    q = np.array([0.0, 0.25, 0.5, 0.7, 1.0])
    for fn in ("quantile", "nanquantile"):
        kwargs = dict(dim=dim, keepdim=keepdim, interpolation=interpolation)
        check(lambda lib, x, q, fn=fn, kw=kwargs: getattr(lib, fn)(x, q, **kw), r(4, 5), q)
        check(lambda lib, x, fn=fn, kw=kwargs: getattr(x, fn)(0.3, **kw), r(4, 5))
        # (a NaN quantile's gradient goes to the NaN that PyTorch's unstable sort puts last)
        nans = with_nans(4, 5)
        check(
            lambda lib, x, q, fn=fn, kw=kwargs: getattr(lib, fn)(x, q, **kw),
            nans,
            q,
            backward=fn == "nanquantile",
        )
        check(lambda lib, x, q, fn=fn, kw=kwargs: getattr(lib, fn)(x, q[2], **kw), r(4, 6), q)


def test_quantile_errors():
    check_raises(lambda lib, x: lib.quantile(x, 0.5, interpolation="foo"), r(3))
    check_raises(lambda lib, x: lib.quantile(x, 1.5), r(3))
    check_raises(lambda lib, x: lib.quantile(x, 0.5), np.arange(3))
    check_raises(lambda lib, x: lib.quantile(x, 0.5), np.zeros(0))
    check_raises(lambda lib, x, q: lib.quantile(x, q), r(3), np.full((2, 2), 0.5))
    check_raises(lambda lib, x, q: lib.quantile(x, q), r(3), np.array([0.5], np.float32))


def test_cov_and_corrcoef():
    x = r(3, 6)
    check(lambda lib, x: (lib.cov(x), x.cov(), lib.corrcoef(x), x.corrcoef()), x)
    check(lambda lib, x: lib.cov(x, correction=0), x)
    check(lambda lib, x: (lib.cov(x), lib.corrcoef(x)), r(5))
    check(lambda lib, x: lib.cov(x), np.arange(6).reshape(2, 3))
    fw, aw = np.array([1, 2, 0, 3, 1, 1]), RNG.random(6)
    check(lambda lib, x, f: lib.cov(x, fweights=f), x, fw)
    check(lambda lib, x, a: lib.cov(x, aweights=a), x, aw)
    check(lambda lib, x, f, a: lib.cov(x, correction=2, fweights=f, aweights=a), x, fw, aw)


def test_cov_errors():
    check_raises(lambda lib, x: lib.cov(x), r(2, 2, 2))
    x = r(2, 3)
    check_raises(lambda lib, x, f: lib.cov(x, fweights=f), x, np.ones(3))
    check_raises(lambda lib, x, a: lib.cov(x, aweights=a), x, np.ones(3, int))
    check_raises(lambda lib, x, f: lib.cov(x, fweights=f), x, np.ones(2, int))
    check_raises(lambda lib, x, f: lib.cov(x, fweights=f), x, np.array([1, -1, 1]))


@pytest.mark.parametrize("dim", [0, -1])
def test_trapezoid(dim):
    check(lambda lib, y: lib.trapezoid(y, dim=dim), r(4, 5))
    check(lambda lib, y: lib.trapezoid(y, dx=0.5, dim=dim), r(4, 5))
    check(lambda lib, y, x: lib.trapezoid(y, x, dim=dim), r(4, 5), np.sort(r(4, 5), axis=dim))
    check(lambda lib, y, x: lib.trapezoid(y, x, dim=dim), r(5, 5), np.sort(r(5)))
    check(lambda lib, y: lib.trapezoid(y), np.arange(6).reshape(2, 3))
    check(lambda lib, y: lib.trapezoid(y), np.zeros((2, 0)))


@pytest.mark.parametrize("p", [2, 1, 3.5, 0, float("inf")])
def test_dist(p):
    # (PyTorch's backward of the 0-"norm" fails: its zero gradient is tested in tests/ops)
    check(lambda lib, a, b: (lib.dist(a, b, p), a.dist(b, p)), r(3, 4), r(4), backward=p != 0)


def test_dist_of_integers_fails():
    check_raises(lambda lib, a, b: lib.dist(a, b), np.arange(3), np.arange(3))


@pytest.mark.parametrize("p", [1, 2, 3.0, float("inf")])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_renorm(p, dim):
    check(lambda lib, x: (lib.renorm(x, p, dim, 1.0), x.renorm(p, dim, 1.0)), r(3, 4, 2) * 2)


def test_renorm_errors():
    check_raises(lambda lib, x: lib.renorm(x, 2, 0, 1.0), r(3))
    check_raises(lambda lib, x: lib.renorm(x, -1, 0, 1.0), r(3, 2))
    check_raises(lambda lib, x: lib.renorm(x, 1, 0, -1.0), r(3, 2))
    check_raises(lambda lib, x: lib.renorm(x, 1, 0, 1.0), np.arange(6).reshape(3, 2))


# ---------------------------------------------------------------- products
@pytest.mark.parametrize(
    "shapes, dims",
    [
        (((2, 3, 4), (3, 4, 5)), 2),
        (((2, 3), (3, 4)), 1),
        (((2, 3), (4, 5)), 0),
        (((2, 3, 4), (4, 2, 5)), ([0, 2], [1, 0])),
        (((2, 3, 4), (4, 3)), ([-1, 1], [0, 1])),
    ],
)
def test_tensordot(shapes, dims):
    check(lambda lib, a, b: lib.tensordot(a, b, dims), r(*shapes[0]), r(*shapes[1]))


def test_tensordot_errors():
    a, b = r(2, 3), r(3, 4)
    check_raises(lambda lib, a, b: lib.tensordot(a, b, -1), a, b)
    check_raises(lambda lib, a, b: lib.tensordot(a, b, 3), a, b)
    check_raises(lambda lib, a, b: lib.tensordot(a, b, 1), a, r(4, 4))
    check_raises(lambda lib, a, b: lib.tensordot(a, b, ([1, 0], [0])), a, b)


def test_vdot():
    check(lambda lib, a, b: (lib.vdot(a, b), a.vdot(b)), r(5), r(5))
    check_raises(lambda lib, a, b: lib.vdot(a, b), r(2, 2), r(2))
    check_raises(lambda lib, a, b: lib.vdot(a, b), r(2), r(2).astype(np.float32))


def test_clamp_min_and_clamp_max():
    check(lambda lib, x: (lib.clamp_min(x, 0.2), lib.clamp_max(x, -0.1)), r(3, 4))
    check(lambda lib, x: (x.clamp_min(0.2), x.clamp_max(-0.1)), r(3, 4))
    check(lambda lib, x, lo: lib.clamp_min(x, lo), r(3, 4), r(4))
    check(lambda lib, x: lib.clamp_max(x, 2), np.arange(6))


def test_addcmul_and_addcdiv_functions():
    check(lambda lib, x, a, b: lib.addcmul(x, a, b, value=0.5), r(3, 1), r(1, 4), r(3, 4))
    check(lambda lib, x, a, b: lib.addcdiv(x, a, b, value=-2), r(3, 4), r(4), r(3, 4) + 3)
    check_raises(lambda lib, x: lib.addcdiv(x, x, x), np.arange(1, 4))


def test_chain_matmul():
    check(lambda lib, a, b, c: lib.chain_matmul(a, b, c), r(2, 3), r(3, 4), r(4, 2))
    check(lambda lib, a: lib.chain_matmul(a), r(2, 3))
    check_raises(lambda lib: lib.chain_matmul())
    check_raises(lambda lib, a: lib.chain_matmul(a), r(2))


@pytest.mark.parametrize("p", [2, 1, 0.5, 3, 0, float("inf")])
def test_pdist(p):
    check(lambda lib, x: lib.pdist(x, p), r(5, 3))
    check(lambda lib, x: lib.pdist(x, p), r(1, 3))


def test_pdist_errors():
    check_raises(lambda lib, x: lib.pdist(x), r(3))
    check_raises(lambda lib, x: lib.pdist(x), np.arange(6).reshape(2, 3))
    check_raises(lambda lib, x: lib.pdist(x, -1), r(3, 2))
