"""matmul (every 1-D/2-D/batched/broadcast case), einsum, outer, dot vs PyTorch."""

import numpy as np
import pytest

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(3)

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 2)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((1, 2, 3), (4, 3, 2)),
    ((4, 1, 2, 3), (5, 3, 2)),
    ((2, 1, 2, 3), (1, 3, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    check(lambda L, a, b: a @ b, a, b, rtol=1e-9)
    check(lambda L, a, b: L.matmul(a, b), a, b, rtol=1e-9)


def test_mm_bmm_mv_dot_outer_match_torch():
    m, n, v, w = (rng.standard_normal(s) for s in [(2, 3), (3, 4), (3,), (3,)])
    bm, bn = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 3, 2))
    check(lambda L, m, n: L.mm(m, n), m, n)
    check(lambda L, m, v: (L.mv(m, v), m.mv(v)), m, v)
    check(lambda L, v, w: (L.dot(v, w), v.dot(w), L.outer(v, w), v.outer(w), L.inner(v, w)), v, w)
    check(lambda L, a, b: L.bmm(a, b), bm, bn)


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...i,...i->...", [(2, 5, 3), (5, 3)]),
    ("i...->...", [(3, 2, 4)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("iij->ij", [(3, 3, 2)]),
    ("ijj->i", [(2, 3, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bii->b", [(4, 3, 3)]),
]


@pytest.mark.parametrize("eq, shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch(eq, shapes):
    ops = [rng.standard_normal(s) for s in shapes]
    check(lambda L, *xs: L.einsum(eq, *xs), *ops, rtol=1e-9)


def test_einsum_list_operands_match_torch():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    check(lambda L, a, b: L.einsum("ij,j->i", [a, b]), a, b)


@pytest.mark.parametrize(
    "shapes", [((3, 4), (5, 2)), ((3,), (4,)), ((2, 3, 4), (2, 5, 2))], ids=str
)
def test_matmul_shape_errors_raise_like_torch(shapes):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    err = check_raises(lambda L, a, b: a @ b, a, b)
    assert str(err).startswith(f"matmul: shapes {shapes[0]} and {shapes[1]} do not fit")


def test_matmul_with_zero_dim_raises_like_torch():
    check_raises(lambda L, a, b: a @ b, np.array(2.0), np.ones(3))
