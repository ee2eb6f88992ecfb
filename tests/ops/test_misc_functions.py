"""The rearranging, selecting, statistics and product composites (``trace``
... ``pdist``) without PyTorch: values against NumPy, gradients by finite
differences in float64, and the errors."""

import itertools

import numpy as np
import pytest

import tapegrad as tg

RNG = np.random.default_rng(3)


def f64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def r(*shape):
    return RNG.standard_normal(shape)


def same(t, want):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=1e-10, atol=1e-12)


def grad_ok(fn, *arrays):
    assert tg.gradcheck(fn, tuple(f64(a) for a in arrays))


# ------------------------------------------------------------ rearranging
@pytest.mark.parametrize("offset, dims", [(0, (0, 1)), (1, (2, 0)), (-1, (-1, 1))])
def test_diagonal_and_trace(offset, dims):
    a = r(3, 4, 5)
    same(tg.diagonal(f64(a), offset, *dims), np.diagonal(a, offset, *dims))
    same(f64(a).diagonal(offset, *dims), np.diagonal(a, offset, *dims))
    grad_ok(lambda x: tg.diagonal(x, offset, *dims), a)
    m = r(3, 5)
    same(tg.trace(f64(m)), np.trace(m))
    assert tg.trace(tg.arange(6, dtype=tg.int32).reshape(2, 3)).dtype == tg.int64
    with pytest.raises(RuntimeError, match="expected a matrix"):
        tg.trace(f64(r(3)))
    with pytest.raises(RuntimeError, match="cannot be identical"):
        tg.diagonal(f64(m), 0, 1, 1)


def test_ravel_moveaxis_swapdims_flips():
    a = r(2, 3, 4)
    same(tg.ravel(f64(a)), a.ravel())
    same(tg.moveaxis(f64(a), 0, 2), np.moveaxis(a, 0, 2))
    same(f64(a).swapdims(0, 2), np.swapaxes(a, 0, 2))
    same(tg.fliplr(f64(a)), np.fliplr(a))
    same(tg.flipud(f64(a)), np.flipud(a))
    with pytest.raises(RuntimeError, match=">= 2-d"):
        tg.fliplr(f64(r(3)))


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
def test_rot90_matches_numpy(k):
    a = r(2, 3, 4)
    same(tg.rot90(f64(a), k, (2, 0)), np.rot90(a, k, (2, 0)))
    grad_ok(lambda x: tg.rot90(x, k, (0, 1)), a)
    with pytest.raises(RuntimeError, match="rotation dims"):
        tg.rot90(f64(a), 1, (1, 1))


def test_stacking():
    a, b = r(3), r(3, 2)
    same(tg.column_stack([f64(a), f64(b)]), np.column_stack([a, b]))
    same(tg.dstack([f64(a), f64(a)]), np.dstack([a, a]))
    same(tg.dstack([f64(b), f64(b)]), np.dstack([b, b]))
    grad_ok(lambda x, y: tg.column_stack([x, y]), a, b)
    with pytest.raises(RuntimeError, match="non-empty"):
        tg.column_stack([])


def test_diagflat_and_vander():
    a = r(2, 2)
    same(tg.diagflat(f64(a), 1), np.diagflat(a, 1))
    x = np.array([0.5, -2.0, 0.0, 1.5])
    same(tg.vander(f64(x)), np.vander(x))
    same(tg.vander(f64(x), 3, increasing=True), np.vander(x, 3, increasing=True))
    assert tg.vander(tg.tensor([1, 2], dtype=tg.int32)).dtype == tg.int64
    grad_ok(lambda v: tg.vander(v, 5), x)
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.vander(f64(x), -1)


def test_cartesian_prod_combinations_msort():
    a, b = r(2), r(3)
    same(tg.cartesian_prod(f64(a), f64(b)), np.array(list(itertools.product(a, b))))
    v = r(4)
    for rr, rep in [(2, False), (3, True), (1, False)]:
        choose = itertools.combinations_with_replacement if rep else itertools.combinations
        same(tg.combinations(f64(v), rr, rep), np.array(list(choose(v, rr))))
    assert tg.combinations(f64(v), 0).shape == (0,)
    assert tg.combinations(f64(v), 5).shape == (0, 5)
    grad_ok(lambda x: tg.combinations(x, 2, True), v)
    m = r(4, 3)
    same(tg.msort(f64(m)), np.sort(m, 0))


# -------------------------------------------------------------- selection
def test_masked_select_take_argwhere():
    a = r(3, 4)
    mask = a > 0
    same(tg.masked_select(f64(a), tg.tensor(mask)), a[mask])
    grad_ok(lambda x: tg.masked_select(x, tg.tensor(mask)), a)
    index = np.array([[0, -1], [11, 3]])
    same(tg.take(f64(a), tg.tensor(index)), np.take(a, index))
    grad_ok(lambda x: tg.take(x, tg.tensor(index)), a)
    with pytest.raises(IndexError, match="out of range"):
        tg.take(f64(a), tg.tensor([12]))
    np.testing.assert_array_equal(tg.argwhere(tg.tensor(mask)).numpy(), np.argwhere(mask))
    with pytest.raises(RuntimeError, match="BoolTensor"):
        tg.masked_select(f64(a), tg.tensor([1, 0, 1, 0]))


def test_index_copy_and_masked_scatter():
    a, s = r(3, 4), r(3, 2)
    want = a.copy()
    want[:, [3, 0]] = s
    same(tg.index_copy(f64(a), 1, tg.tensor([3, 0]), f64(s)), want)
    grad_ok(lambda x, y: tg.index_copy(x, 1, tg.tensor([3, 0]), y), a, s)
    with pytest.raises(IndexError, match="out of bounds"):
        tg.index_copy(f64(a), 1, tg.tensor([4, 0]), f64(s))
    mask = a > 0
    src = r(12)
    want = a.copy()
    want[mask] = src[: mask.sum()]
    same(tg.masked_scatter(f64(a), tg.tensor(mask), f64(src)), want)
    grad_ok(lambda x, y: tg.masked_scatter(x, tg.tensor(mask), y), a, src)
    with pytest.raises(RuntimeError, match="source < number of ones"):
        tg.masked_scatter(f64(a), tg.tensor(np.ones((3, 4), bool)), f64(r(5)))


def scatter_reduce_reference(a, index, src, reduce, include_self):
    """Loop reference of ``scatter_reduce`` along dim 0 of 1-D arrays."""
    groups = {j: ([a[j]] if include_self else []) for j in range(len(a))}
    for i, v in zip(index, src):
        groups[i].append(v)
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    return np.array(
        [
            fns[reduce](g) if len(g) and (include_self or j in index) else a[j]
            for j, g in groups.items()
        ]
    )


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    a, src = r(5), r(6)
    index = np.array([0, 0, 3, 1, 3, 3])
    out = tg.scatter_reduce(
        f64(a), 0, tg.tensor(index), f64(src), reduce, include_self=include_self
    )
    same(out, scatter_reduce_reference(a, index, src, reduce, include_self))
    grad_ok(
        lambda x, y: x.scatter_reduce(0, tg.tensor(index), y, reduce, include_self=include_self),
        a,
        src,
    )


def test_scatter_reduce_amax_shares_the_gradient_among_ties():
    x, src = f64([1.0, 5.0]), f64([1.0, 0.0, 1.0])
    tg.scatter_reduce(x, 0, tg.tensor([0, 1, 0]), src, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1])
    np.testing.assert_allclose(src.grad.numpy(), [1 / 3, 0, 1 / 3])
    with pytest.raises(RuntimeError, match="reduce argument"):
        tg.scatter_reduce(x, 0, tg.tensor([0]), src, "max")


# -------------------------------------------------------------- statistics
def test_nansum_nanmean_aminmax():
    a = r(3, 4)
    a[1, 2] = a[0, 0] = np.nan
    same(tg.nansum(f64(a), 1), np.nansum(a, 1))
    same(tg.nanmean(f64(a), 0, keepdim=True), np.nanmean(a, 0, keepdims=True))
    grad_ok(lambda x: tg.nanmean(x, 1), a)
    b = r(3, 4)
    lo, hi = tg.aminmax(f64(b), dim=1)
    same(lo, b.min(1))
    same(hi, b.max(1))
    with pytest.raises(RuntimeError, match="nanmean"):
        tg.nanmean(tg.arange(3))


@pytest.mark.parametrize("op, acc", [("cummax", np.fmax), ("cummin", np.fmin)])
def test_cummax_cummin(op, acc):
    a = np.round(r(4, 5))
    values, indices = getattr(tg, op)(f64(a), 1)
    same(values, acc.accumulate(a, axis=1))
    np.testing.assert_array_equal(
        np.take_along_axis(a, indices.numpy(), 1), values.detach().numpy()
    )
    ties = getattr(tg, op)(f64([1.0, 1.0, 0.0 if op == "cummax" else 2.0]), 0).indices
    np.testing.assert_array_equal(ties.numpy(), [0, 1, 1])  # (the latest of equal values)
    nan = getattr(tg, op)(f64([1.0, np.nan, 3.0]), 0)
    np.testing.assert_array_equal(nan.indices.numpy(), [0, 1, 1])
    grad_ok(lambda x: getattr(tg, op)(x, 0).values, r(4, 3))


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(interpolation):
    a = r(4, 7)
    q = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    out = tg.quantile(f64(a), f64(q), dim=1, keepdim=True, interpolation=interpolation)
    same(out, np.quantile(a, q, axis=1, keepdims=True, method=interpolation))
    a[0, 3] = np.nan
    same(
        tg.nanquantile(f64(a), 0.3, dim=1, interpolation=interpolation),
        np.nanquantile(a, 0.3, axis=1, method=interpolation),
    )
    assert np.isnan(tg.quantile(f64(a), 0.3).item())
    grad_ok(lambda x: tg.quantile(x, 0.3, dim=0, interpolation=interpolation), r(5, 3))


def test_quantile_errors():
    with pytest.raises(RuntimeError, match="range"):
        tg.quantile(f64(r(3)), 1.5)
    with pytest.raises(RuntimeError, match="interpolation"):
        tg.quantile(f64(r(3)), 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="float or double"):
        tg.quantile(tg.arange(3), 0.5)


def test_cov_corrcoef():
    a = r(3, 6)
    same(tg.cov(f64(a)), np.cov(a))
    same(tg.corrcoef(f64(a)), np.corrcoef(a))
    fw, aw = np.array([1, 2, 0, 3, 1, 1]), RNG.random(6)
    same(
        tg.cov(f64(a), fweights=tg.tensor(fw), aweights=f64(aw)),
        np.cov(a, fweights=fw, aweights=aw),
    )
    grad_ok(lambda x: tg.cov(x, correction=0), a)
    grad_ok(tg.corrcoef, a)
    with pytest.raises(RuntimeError, match="integral"):
        tg.cov(f64(a), fweights=f64(np.ones(6)))


def test_trapezoid_dist_renorm():
    y, x = r(4, 5), np.sort(r(5))
    same(tg.trapezoid(f64(y)), np.trapezoid(y))
    same(tg.trapezoid(f64(y), f64(x)), np.trapezoid(y, x))
    same(tg.trapezoid(f64(y), dx=0.5, dim=0), np.trapezoid(y, dx=0.5, axis=0))
    grad_ok(lambda u, v: tg.trapezoid(u, v), y, x)
    a, b = r(3, 4), r(4)
    for p in (1, 2, 3.5, float("inf")):
        same(tg.dist(f64(a), f64(b), p), np.linalg.norm((a - b).ravel(), p))
    assert tg.dist(f64([1.0, 2.0]), f64([1.0, 0.0]), 0).item() == 1
    x0 = f64(a)
    tg.dist(x0, f64(b), 0).backward()
    np.testing.assert_array_equal(x0.grad.numpy(), 0)
    grad_ok(lambda u, v: tg.dist(u, v, 3), a, b)
    m = r(3, 4) * 2
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    same(tg.renorm(f64(m), 2, 0, 1.0), np.where(norms > 1, m / (norms + 1e-7), m))
    grad_ok(lambda u: tg.renorm(u, 2, 0, 1.0), m)
    with pytest.raises(RuntimeError, match="non-positive"):
        tg.renorm(f64(m), 0, 0, 1.0)


# ---------------------------------------------------------------- products
def test_tensordot_vdot_chain_matmul():
    a, b = r(2, 3, 4), r(4, 3, 5)
    same(tg.tensordot(f64(a), f64(b), ([1, 2], [1, 0])), np.tensordot(a, b, ([1, 2], [1, 0])))
    same(tg.tensordot(f64(a[0]), f64(b[:, 0]), 1), np.tensordot(a[0], b[:, 0], 1))
    grad_ok(lambda u, v: tg.tensordot(u, v, ([2], [0])), a, b)
    with pytest.raises(RuntimeError, match="contracted dimensions"):
        tg.tensordot(f64(a), f64(b), 2)
    u, v = r(4), r(4)
    same(tg.vdot(f64(u), f64(v)), np.vdot(u, v))
    ms = [r(2, 3), r(3, 4), r(4, 2)]
    same(tg.chain_matmul(*map(f64, ms)), ms[0] @ ms[1] @ ms[2])
    grad_ok(tg.chain_matmul, *ms)
    with pytest.raises(RuntimeError, match="one or more"):
        tg.chain_matmul()


@pytest.mark.parametrize("p", [1, 2, 0.5, float("inf")])
def test_pdist(p):
    x = r(5, 3)
    first, second = np.triu_indices(5, 1)
    same(
        tg.pdist(f64(x), p),
        np.linalg.norm(x[first] - x[second], p, axis=1)
        if p >= 1
        else (np.abs(x[first] - x[second]) ** p).sum(1) ** (1 / p),
    )
    grad_ok(lambda u: tg.pdist(u, p), x)


def test_clamps_and_addc():
    a = r(3, 4)
    same(tg.clamp_min(f64(a), 0.1), np.maximum(a, 0.1))
    same(f64(a).clamp_max(-0.1), np.minimum(a, -0.1))
    b, c = r(3, 4), r(4) + 3
    same(tg.addcmul(f64(a), f64(b), f64(c), value=0.5), a + 0.5 * b * c)
    same(tg.addcdiv(f64(a), f64(b), f64(c), value=2), a + 2 * b / c)
    grad_ok(lambda x, y, z: tg.addcdiv(x, y, z, value=2), a, b, c)
    with pytest.raises(RuntimeError, match="Integer division"):
        tg.addcdiv(tg.arange(3), tg.arange(3), tg.arange(3))
