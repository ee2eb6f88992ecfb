"""Reductions with dim/keepdim and the softmax family: values and gradients vs PyTorch."""

import numpy as np
import pytest

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(1)
X = rng.standard_normal((3, 4, 5))

DIMS = [None, 0, 1, -1, (0, 2), (-1, 1)]
REDUCTIONS = {
    "sum": lambda L, x, d, k: x.sum() if d is None else x.sum(d, keepdim=k),
    "mean": lambda L, x, d, k: x.mean() if d is None else x.mean(d, keepdim=k),
    "var": lambda L, x, d, k: x.var() if d is None else x.var(d, keepdim=k),
    "std": lambda L, x, d, k: x.std() if d is None else L.std(x, d, keepdim=k),
    "var_biased": lambda L, x, d, k: L.var(x, d, unbiased=False, keepdim=k),
    "var_correction0": lambda L, x, d, k: L.var(x, d, correction=0, keepdim=k),
    "logsumexp": lambda L, x, d, k: L.logsumexp(x, d if d is not None else (0, 1, 2), keepdim=k),
    "norm": lambda L, x, d, k: x.norm(dim=d, keepdim=k),
    "norm1": lambda L, x, d, k: x.norm(p=1, dim=d, keepdim=k),
    "norm3": lambda L, x, d, k: x.norm(p=3, dim=d, keepdim=k),
    "amax": lambda L, x, d, k: x.amax() if d is None else x.amax(d, keepdim=k),
    "amin": lambda L, x, d, k: x.amin() if d is None else x.amin(d, keepdim=k),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_matches_torch(name, dim, keepdim):
    check(lambda L, x: REDUCTIONS[name](L, x, dim, keepdim), X, rtol=1e-9)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_with_dim_return_values_and_indices_like_torch(op, dim, keepdim):
    out_t, out_g = check(lambda L, x: getattr(x, op)(dim, keepdim=keepdim), X)
    assert out_g.values.shape == tuple(out_t.values.shape)
    np.testing.assert_array_equal(out_g.indices.numpy(), out_t.indices.numpy())
    check(lambda L, x: getattr(L, op)(x, dim=dim, keepdim=keepdim)[0], X)


def test_max_min_with_dim_send_gradient_to_one_index_on_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(lambda L, x: (x.max(1), x.min(0), x.max(dim=-1, keepdim=True)), x)


def test_max_min_without_dim_share_gradient_on_ties_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [3.0, -1.0, -1.0]])
    check(lambda L, x: x.max() * 2 + x.min(), x)
    check(lambda L, x: L.max(x) + L.min(x), x)


def test_elementwise_max_form_matches_torch():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    check(lambda L, a, b: L.max(a, b) + L.min(a, b), a, b)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_matches_torch_with_and_without_zeros(dim):
    for x in [
        rng.uniform(0.5, 2, (3, 4)),
        np.array([[1.0, 0.0, 2.0, 3.0], [0.0, 0.0, 1.0, 2.0], [1.5, 2.0, 3.0, -1.0]]),
    ]:
        check(lambda L, x: x.prod() if dim is None else x.prod(dim), x, rtol=1e-9)
        check(lambda L, x: x.prod() if dim is None else x.prod(dim, keepdim=True), x, rtol=1e-9)


def test_argmax_argmin_match_torch():
    x = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    check(
        lambda L, x: (x.argmax(), x.argmin(), x.argmax(1), x.argmin(0), x.argmax(1, keepdim=True)),
        x,
        grad=False,
    )


def test_zero_dim_reductions_match_torch():
    x = np.array(2.5)
    check(lambda L, x: (x.sum(), x.mean(), x.sum(0), x.amax(), x.max(0)[0], x.prod(), x.norm()), x)


def test_norm_at_zero_vector_has_zero_gradient_like_torch():
    check(lambda L, x: x.norm(), np.zeros(3))


def test_norm_inf_matches_torch():
    x = np.array([[1.0, -3.0, 2.0], [3.0, 0.5, -3.0]])
    check(lambda L, x: L.norm(x, p=float("inf")), x)
    check(lambda L, x: L.norm(x, p=float("inf"), dim=1), x)


@pytest.mark.parametrize("scale", [1.0, 1e4, -1e4])
def test_softmax_family_is_stable_at_large_logits_like_torch(scale):
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]) * scale
    check(lambda L, x: (L.softmax(x, 1), L.log_softmax(x, 1), L.logsumexp(x, 1)), x, rtol=1e-9)
    check(lambda L, x: (L.softmax(x, 0), L.log_softmax(x, dim=0), L.logsumexp(x, 0)), x, rtol=1e-9)


def test_softmax_family_with_minus_inf_entries_like_torch():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 3.0, -np.inf]])
    check(lambda L, x: L.softmax(x, 1), x)
    check(lambda L, x: L.logsumexp(x, 1), x)
    check(lambda L, x: L.log_softmax(x, 1)[:, 0], x)


@pytest.mark.parametrize(
    "row", [[np.inf, 1.0, 0.0], [-np.inf, -np.inf, -np.inf], [np.nan, 1.0, 0.0]]
)
def test_softmax_family_of_a_row_with_no_finite_maximum_matches_torch(row):
    x = np.array([row, [1.0, 2.0, 3.0]])
    check(lambda L, x: (L.softmax(x, 1), L.log_softmax(x, 1), L.logsumexp(x, 1)), x, backward=False)


def test_softmax_family_float32_matches_torch():
    x = (rng.standard_normal((4, 6)) * 5).astype(np.float32)
    check(lambda L, x: (x.softmax(-1), x.log_softmax(-1), x.logsumexp(-1)), x)


def test_cumsum_matches_torch():
    check(lambda L, x: (x.cumsum(1), L.cumsum(x, dim=0)), X)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: L.linalg.vector_norm(x),
        lambda L, x: L.linalg.vector_norm(x, 3, dim=1, keepdim=True),
        lambda L, x: L.linalg.vector_norm(x, float("inf"), dim=0),
        lambda L, x: L.linalg.norm(x),
        lambda L, x: L.linalg.norm(x, dim=0),
        lambda L, x: L.linalg.norm(x, 1, dim=1),
        lambda L, x: L.linalg.norm(x, "fro"),
        lambda L, x: L.linalg.matrix_norm(x),
    ],
)
def test_linalg_norms_match_torch(fn):
    check(fn, np.random.default_rng(8).standard_normal((3, 4)))
