"""``linalg`` matrix functions and decompositions vs PyTorch: values and
gradients (batched, float32 and float64) and the errors raised."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(11)
DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-7, atol=1e-9)}


def square(*shape, dtype="float64"):
    n = shape[-1]
    return (rng.uniform(-1, 1, shape) + n * np.eye(n)).astype(dtype)


def spd(*shape, dtype="float64"):
    b = rng.uniform(-1, 1, shape)
    return (b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def matrix(*shape, dtype="float64"):
    return rng.uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 3, 3)], ids=str)
def test_inv_det_slogdet(dtype, shape):
    A = square(*shape, dtype=dtype)
    check(lambda lib, a: lib.linalg.inv(a), A, **TOL[dtype])
    check(lambda lib, a: lib.inverse(a), A, **TOL[dtype])
    check(lambda lib, a: a.inverse(), A, **TOL[dtype])
    check(lambda lib, a: lib.linalg.det(a), A, **TOL[dtype])
    check(lambda lib, a: lib.det(-a), A, **TOL[dtype])
    check(lambda lib, a: _detached_sign(lib.linalg.slogdet(-a)), A, **TOL[dtype])
    check(lambda lib, a: lib.logdet(a), A, **TOL[dtype])


def _detached_sign(result):
    """``slogdet``'s sign is a constant in tapegrad (PyTorch's requires grad
    but its gradient is never used)."""
    return result[0].detach(), result[1]


def test_logdet_of_a_negative_determinant_is_nan():
    A = -square(3, 3)
    A[0] *= 1 if np.linalg.det(A) < 0 else -1
    check(lambda lib, a: lib.logdet(a), A, backward=False)
    _, g = check(lambda lib, a: _detached_sign(lib.linalg.slogdet(a)), A)
    g = tg.linalg.slogdet(tg.tensor(A))
    assert g.sign.item() == -1.0 and g.logabsdet.shape == ()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes",
    [
        ((3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (2, 3)),
        ((2, 3, 3), (3, 4)),
        ((3, 3), (4, 3, 1)),
    ],
    ids=str,
)
def test_solve(dtype, shapes):
    A, B = square(*shapes[0], dtype=dtype), matrix(*shapes[1], dtype=dtype)
    check(lambda lib, a, b: lib.linalg.solve(a, b), A, B, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_solve_on_the_right(dtype):
    A, B = square(2, 3, 3, dtype=dtype), matrix(4, 3, dtype=dtype)
    check(lambda lib, a, b: lib.linalg.solve(a, b, left=False), A, B, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_cholesky(dtype, shape):
    A = spd(*shape, dtype=dtype)
    check(lambda lib, a: lib.linalg.cholesky(a), A, **TOL[dtype])
    check(lambda lib, a: lib.linalg.cholesky(a, upper=True), A, **TOL[dtype])


def test_cholesky_reads_the_lower_triangle_and_gives_the_symmetric_gradient():
    A = spd(3, 3)
    A[0, 2] += 5.0  # the upper triangle is not read
    check(lambda lib, a: lib.linalg.cholesky(a), A)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3), (2, 3, 5)], ids=str)
@pytest.mark.parametrize("mode", ["reduced", "r"])
def test_qr(dtype, shape, mode):
    A = matrix(*shape, dtype=dtype) + np.eye(*shape[-2:]).astype(dtype)
    check(lambda lib, a: tuple(lib.linalg.qr(a, mode=mode)), A, backward=mode != "r", **TOL[dtype])


def test_qr_complete():
    A = matrix(5, 3)
    check(lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")), A, backward=False)
    check(lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")), square(3, 3))


def _eigh_invariants(result):
    """What does not depend on the eigenvectors' signs."""
    L, V = result
    return L, V * V, V[..., :1] @ V[..., :1].mT


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh(dtype, UPLO):
    A = matrix(2, 4, 4, dtype=dtype)  # not symmetric: only the UPLO triangle is read
    check(lambda lib, a: _eigh_invariants(lib.linalg.eigh(a, UPLO=UPLO)), A, **TOL[dtype])
    check(lambda lib, a: lib.linalg.eigvalsh(a, UPLO), A, **TOL[dtype])
    _, g = check(lambda lib, a: lib.linalg.eigh(a, UPLO=UPLO)[0], A, backward=False)


def _svd_invariants(result):
    U, S, Vh = result
    return S, U[..., :, :1] * Vh[..., :1, :], U[..., :, :2] @ U[..., :, :2].mT


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 3)], ids=str)
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd(dtype, shape, full_matrices):
    A = matrix(*shape, dtype=dtype)
    tol = TOL[dtype]
    check(lambda lib, a: _svd_invariants(lib.linalg.svd(a, full_matrices)), A, **tol)
    check(lambda lib, a: lib.linalg.svdvals(a), A, **tol)
    _, g = check(lambda lib, a: lib.linalg.svd(a, full_matrices), A, backward=False, rtol=1, atol=9)
    assert g.U.shape[-1] == (shape[-2] if full_matrices else min(shape[-2:]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)], ids=str)
def test_pinv_and_lstsq(dtype, shape):
    A = matrix(*shape, dtype=dtype)
    B = matrix(*shape[:-1], 2, dtype=dtype)
    check(lambda lib, a: lib.linalg.pinv(a), A, **TOL[dtype])
    check(
        lambda lib, a, b: lib.linalg.lstsq(a, b).solution,
        A[..., :3, :3],
        B[..., :3, :],
        **TOL[dtype],
    )


def test_matrix_rank():
    A = matrix(3, 4, 2) @ matrix(3, 2, 5)
    check(lambda lib, a: lib.linalg.matrix_rank(a), A, grad=False)
    check(lambda lib, a: lib.linalg.matrix_rank(a, atol=1.0), A, grad=False)
    check(lambda lib, a: lib.linalg.matrix_rank(a, rtol=0.5), A, grad=False)


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power(n):
    # (n = 0: the identity, a constant here; PyTorch's requires grad, gradient 0)
    check(lambda lib, a: lib.linalg.matrix_power(a, n), square(2, 3, 3) / 3, backward=n != 0)


def test_cross_vecdot_multi_dot():
    a, b = matrix(2, 3, 4), matrix(1, 3, 4)
    check(lambda lib, x, y: lib.linalg.cross(x, y, dim=1), a, b)
    check(lambda lib, x, y: lib.linalg.cross(x, y), a[..., :3], b[..., :3])
    check(lambda lib, x, y: lib.linalg.vecdot(x, y), a, b)
    check(lambda lib, x, y: lib.linalg.vecdot(x, y, dim=1), a, b)
    mats = [matrix(3), matrix(3, 4), matrix(4, 2), matrix(2)]
    check(lambda lib, *m: lib.linalg.multi_dot(list(m)), *mats)
    check(lambda lib, *m: lib.linalg.multi_dot(m), *[matrix(2, 3), matrix(3, 4)])


def _singular_batch():
    A = square(3, 3, 3)
    A[1, :, 2] = 0.0  # batch element 1 is singular
    return A


@pytest.mark.parametrize("fn", ["inv", "solve"])
def test_a_singular_matrix_raises_a_linalg_error(fn):
    A = _singular_batch()
    call = {"inv": lambda lib, a: lib.linalg.inv(a), "solve": lambda lib, a: lib.linalg.solve(a, a)}
    err = check_raises(call[fn], A)
    assert isinstance(err, tg.linalg.LinAlgError) and isinstance(err, RuntimeError)
    assert f"linalg.{fn}" in str(err) and "Batch element 1" in str(err) and "singular" in str(err)
    with pytest.raises(torch.linalg.LinAlgError, match="Batch element 1"):
        call[fn](torch, torch.tensor(A))


def test_cholesky_of_a_matrix_that_is_not_positive_definite():
    A = spd(2, 3, 3)
    A[1, 1, 1] = -5.0
    err = check_raises(lambda lib, a: lib.linalg.cholesky(a), A)
    assert isinstance(err, tg.linalg.LinAlgError)
    with pytest.raises(torch.linalg.LinAlgError) as want:
        torch.linalg.cholesky(torch.tensor(A))
    assert str(err) == str(want.value)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh", "solve"])
def test_non_square_and_integer_inputs_raise(name):
    fn = getattr(tg.linalg, name)
    args = (lambda a: (a, a)) if name == "solve" else (lambda a: (a,))
    for bad in (matrix(2, 3), np.arange(9).reshape(3, 3), matrix(3)):
        with pytest.raises(RuntimeError, match=f"linalg.{name}"):
            fn(*args(tg.tensor(bad)))
        with pytest.raises(RuntimeError):
            getattr(torch.linalg, name)(*args(torch.tensor(bad)))
