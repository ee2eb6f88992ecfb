"""Matrix functions and decompositions: ``inv``, ``solve``, ``det``,
``slogdet``, ``cholesky``, ``qr``, ``eigh``, ``svd``, one table entry each.

Every entry works on the last two dimensions, batched over the leading ones.
The vjps are PyTorch's (``FunctionsManual.cpp``), written in tapegrad ops so
second derivatives work; the triangular solves they need are products with
an inverse (``INV``), itself an entry.

Several outputs (``Q, R``; eigenvalues and eigenvectors; ``U, S, Vh``) are
one entry whose output packs them: each flattened over its matrix dimensions
and laid side by side along the last dimension (``pack``); the public
function slices them apart again (``unpack``), differentiably.

Symmetric input (``cholesky``, ``eigh``): PyTorch reads one triangle of
``A`` for the value and gives the symmetric gradient.  The entries are the
decomposition of the symmetric part ``(A + A^T) / 2``, whose derivative is
exactly that symmetric gradient (so gradcheck can verify it); the public
functions first replace the unread triangle by the mirror of the read one
(a constant added, gradient 1), so the value is PyTorch's for any input.
"""

from __future__ import annotations

import collections
import math

from tapegrad import backend as B
from tapegrad.ops.linalg import matmul, mT
from tapegrad.ops.registry import as_tensor_arg, cast_common, defprim, sum_to_shape
from tapegrad.ops.shape import cat, stack
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp
_np_linalg = xp.linalg


class LinAlgError(RuntimeError):
    """A matrix function failed on its input (a singular matrix, one that is
    not positive-definite, no convergence): PyTorch's
    ``torch.linalg.LinAlgError``, a ``RuntimeError``."""


# What the functions of several results return: tuples whose fields are also
# named, as PyTorch's ``torch.return_types``.
SlogdetResult = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
QRResult = collections.namedtuple("linalg_qr", ["Q", "R"])
EighResult = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
LstsqResult = collections.namedtuple(
    "linalg_lstsq", ["solution", "residuals", "rank", "singular_values"]
)


# ------------------------------------------------------------------ helpers
def check_square(fn: str, a) -> None:
    """``a`` is a batch of square matrices ``(*, n, n)``, or ``fn`` raises."""
    if a.ndim < 2:
        raise LinAlgError(
            f"{fn}: The input tensor A must have at least 2 dimensions, got shape {tuple(a.shape)}"
        )
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError(
            f"{fn}: A must be batches of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} matrices"
        )


def check_matrix(fn: str, a) -> None:
    """``a`` has at least two dimensions (a batch of matrices)."""
    if a.ndim < 2:
        raise LinAlgError(
            f"{fn}: The input tensor A must have at least 2 dimensions, got shape {tuple(a.shape)}"
        )


def check_float(fn: str, a) -> None:
    """``a`` is float32 or float64 (PyTorch's linalg takes no integers)."""
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        raise LinAlgError(
            f"{fn}: Expected a floating point tensor (float32 or float64), got {a.dtype}"
        )


def first_failing(decompose, a) -> int:
    """The index (in the flattened batch) of the first matrix of ``a`` that
    ``decompose`` rejects (what PyTorch's 'Batch element' names)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        try:
            decompose(m)
        except _np_linalg.LinAlgError:
            return i
    return 0


def failed(fn: str, a, decompose, reason: str) -> LinAlgError:
    """The error for ``fn`` failing on ``a``: names the batch element (for a
    batched input) and the ``reason``, as PyTorch's message does."""
    where = f"(Batch element {first_failing(decompose, a)}): " if a.ndim > 2 else ""
    return LinAlgError(f"{fn}: {where}{reason}")


def symmetric_part(a):
    """``(A + A^T) / 2`` over the last two dimensions (an array)."""
    return (a + xp.swapaxes(a, -1, -2)) * 0.5


def eye_like(n: int, like: Tensor) -> Tensor:
    """The ``n x n`` identity, a constant of ``like``'s dtype."""
    return new_tensor(xp.eye(n, dtype=like._array.dtype))


def diag_of(x: Tensor) -> Tensor:
    """The diagonal of each matrix of ``x (*, n, n)``: ``(*, n)``."""
    return (x * eye_like(x.shape[-1], x)).sum(-1)


def diag_embed(v: Tensor) -> Tensor:
    """``(*, n)`` -> the diagonal matrices ``(*, n, n)``."""
    return v.unsqueeze(-1) * eye_like(v.shape[-1], v)


def pack(batch: tuple, *arrays):
    """The arrays ``(*batch, ...)`` side by side: ``(*batch, total)``."""
    return xp.concatenate([a.reshape(batch + (-1,)) for a in arrays], axis=-1)


def unpack(packed, shapes):
    """``pack`` undone: the pieces of ``packed``, of ``shapes`` (the matrix
    or vector dimensions of each, after the batch dimensions)."""
    batch = tuple(packed.shape[:-1])
    out, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(packed[..., start : start + size].reshape(batch + tuple(shape)))
        start += size
    return out


# ---------------------------------------------------------------------- inv
def _inv_fwd(a):
    check_square("linalg.inv", a)
    try:
        return _np_linalg.inv(a)
    except _np_linalg.LinAlgError:
        raise failed(
            "linalg.inv",
            a,
            _np_linalg.inv,
            "The inversion could not be completed because the input matrix is singular.",
        ) from None


def _inv_vjp(g, out, a):
    """``-A^{-T} G A^{-T}``: from ``d(A^{-1}) = -A^{-1} dA A^{-1}``."""
    inv_t = mT(out)
    return -matmul(matmul(inv_t, g), inv_t)


INV = defprim(
    "inv",
    _inv_fwd,
    _inv_vjp,
    partials="-out^T (.) out^T",
    saves_output=True,
    doc="out = A^{-1} (batched over leading dims)",
)


@INV.public(methods=("inverse",))
def inv(A) -> Tensor:
    """``A^{-1}`` for ``A (*, n, n)``; a singular matrix raises
    ``LinAlgError`` naming the batch element."""
    A = as_tensor_arg(A)
    check_float("linalg.inv", A._array)
    return INV.apply(A)


def inverse(input) -> Tensor:
    """``torch.inverse``: ``linalg.inv``."""
    return inv(input)


# -------------------------------------------------------------------- solve
def _solve_fwd(a, b):
    """``X`` with ``A X = B``: ``A (*, n, n)``, ``B (*, n, k)``, the batch
    dimensions broadcast."""
    check_square("linalg.solve", a)
    if b.shape[-2] != a.shape[-1]:
        raise LinAlgError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})"
        )
    batch = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    try:
        return _np_linalg.solve(a, b)
    except _np_linalg.LinAlgError:
        raise failed(
            "linalg.solve",
            a,
            _np_linalg.inv,
            "The solver failed because the input matrix is singular.",
        ) from None


def _solve_vjp(g, out, a, b, *, needs):
    """``gB = A^{-T} G`` (a solve with ``A^T``), ``gA = -gB X^T``; each summed
    over the batch dimensions its input was broadcast along."""
    gb = SOLVE.apply(mT(a), g)
    ga = sum_to_shape(-matmul(gb, mT(out)), a.shape) if needs[0] else None
    return ga, (sum_to_shape(gb, b.shape) if needs[1] else None)


SOLVE = defprim(
    "solve",
    _solve_fwd,
    vjp_all=_solve_vjp,
    partials=("-A^{-T} (.) out^T", "A^{-T}"),
    saves=(0,),
    saves_output=True,
    doc="out = A^{-1} B for A (*, n, n), B (*, n, k) (batch dims broadcast)",
)


@SOLVE.public(methods=())
def solve(A, B, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``).
    ``B`` is a batch of vectors ``(*, n)`` when it is 1-D or has ``A``'s
    shape without its last dimension (PyTorch's rule), else of matrices
    ``(*, n, k)``; batch dimensions broadcast."""
    A, B = cast_common(as_tensor_arg(A), as_tensor_arg(B))
    check_float("linalg.solve", A._array)
    check_square("linalg.solve", A._array)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    matrix_b = B.unsqueeze(-1) if vector else B
    if B.ndim < 1 or matrix_b.ndim < 2:
        raise LinAlgError(f"linalg.solve: B must have at least 1 dimension, got shape {B.shape}")
    if left:
        X = SOLVE.apply(A, matrix_b)
    elif matrix_b.shape[-1] != A.shape[-1]:  # (a vector B is a column: only n = 1 fits)
        n, rows, cols = A.shape[-1], matrix_b.shape[-2], matrix_b.shape[-1]
        raise LinAlgError(
            f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
            f"({n}x{n} and {rows}x{cols})"
        )
    else:
        X = mT(SOLVE.apply(mT(A), mT(matrix_b)))
    return X.squeeze(-1) if vector else X


# ------------------------------------------------------------ det, slogdet
def _det_fwd(a):
    check_square("linalg.det", a)
    return _np_linalg.det(a)


def _det_vjp(g, out, a):
    """``g det(A) A^{-T}`` (Jacobi's formula; needs an invertible ``A``)."""
    return (g * out).unsqueeze(-1).unsqueeze(-1) * mT(INV.apply(a))


DET = defprim(
    "det",
    _det_fwd,
    _det_vjp,
    partials="out A^{-T}",
    saves=(0,),
    saves_output=True,
    doc="out = det(A) (batched over leading dims)",
)


@DET.public(methods=("det",))
def det(A) -> Tensor:
    """``det(A)`` for ``A (*, n, n)``.  The gradient ``det(A) A^{-T}`` needs
    an invertible ``A`` (a singular one raises in the backward pass)."""
    A = as_tensor_arg(A)
    check_float("linalg.det", A._array)
    return DET.apply(A)


def _logabsdet_fwd(a):
    check_square("linalg.slogdet", a)
    return _np_linalg.slogdet(a)[1]


LOGABSDET = defprim(
    "logabsdet",
    _logabsdet_fwd,
    lambda g, out, a: g.unsqueeze(-1).unsqueeze(-1) * mT(INV.apply(a)),
    partials="A^{-T}",
    saves=(0,),
    doc="out = log |det(A)| (batched over leading dims)",
)


def slogdet(A):
    """``(sign, logabsdet)``: ``det(A) = sign * exp(logabsdet)``; ``sign``
    is a constant (no gradient), ``logabsdet`` differentiable
    (``A^{-T}``)."""
    A = as_tensor_arg(A)
    check_float("linalg.slogdet", A._array)
    logabsdet = LOGABSDET.apply(A)
    sign = new_tensor(_np_linalg.slogdet(A._array)[0])
    return SlogdetResult(sign, logabsdet)


def logdet(input) -> Tensor:
    """``log det(A)``: ``nan`` for a negative determinant, ``-inf`` for zero
    (as PyTorch); the gradient ``A^{-T}``."""
    sign, logabsdet = slogdet(input)
    with _errstate(divide="ignore", invalid="ignore"):
        return logabsdet + new_tensor(xp.log(sign._array))


_errstate = xp.errstate


# ----------------------------------------------------------------- cholesky
def _cholesky_fwd(a):
    check_square("linalg.cholesky", a)
    try:
        return _np_linalg.cholesky(symmetric_part(a))
    except _np_linalg.LinAlgError:
        raise failed(
            "linalg.cholesky",
            a,
            _np_linalg.cholesky,
            "The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {_failing_order(a)} is not "
            "positive-definite).",
        ) from None


def _failing_order(a) -> int:
    """The order of the first leading minor that is not positive-definite,
    in the first matrix of ``a`` whose factorization fails."""
    m = symmetric_part(a).reshape((-1,) + a.shape[-2:])[first_failing(_np_linalg.cholesky, a)]
    for k in range(1, m.shape[-1] + 1):
        try:
            _np_linalg.cholesky(m[:k, :k])
        except _np_linalg.LinAlgError:
            return k
    return m.shape[-1]


def _cholesky_vjp(g, out, a):
    """PyTorch's: ``gA = L^{-T} Phi L^{-1}``, ``P = tril(L^T gL)`` and
    ``Phi = (P + tril(P, -1)^T) / 2`` (symmetric)."""
    p = matmul(mT(out), g).tril()
    phi = (p + mT(p.tril(-1))) * 0.5
    l_inv = INV.apply(out)
    return matmul(matmul(mT(l_inv), phi), l_inv)


CHOLESKY = defprim(
    "cholesky",
    _cholesky_fwd,
    _cholesky_vjp,
    partials="L^{-T} Phi(L^T (.)) L^{-1}",
    saves_output=True,
    doc="out = L, lower triangular with L L^T = (A + A^T)/2 (batched)",
)


def triangle_symmetric(A: Tensor, lower: bool) -> Tensor:
    """``A`` with the triangle PyTorch does not read replaced by the mirror
    of the one it does (a constant added, so the gradient passes as is)."""
    a = A._array
    kept = xp.tril(a) if lower else xp.triu(a)
    mirrored = kept + xp.swapaxes(kept, -1, -2) - a * xp.eye(a.shape[-1], dtype=a.dtype)
    if (mirrored == a).all():
        return A
    return A + new_tensor(mirrored - a)


def cholesky(A, *, upper: bool = False) -> Tensor:
    """``L`` lower triangular with ``A = L L^T`` (``U = L^T`` with
    ``A = U^T U`` when ``upper``); reads the lower triangle of ``A``."""
    A = as_tensor_arg(A)
    check_float("linalg.cholesky", A._array)
    check_square("linalg.cholesky", A._array)
    L = CHOLESKY.apply(triangle_symmetric(A, lower=True))
    return mT(L) if upper else L


# ----------------------------------------------------------------------- qr
_QR_MODES = ("reduced", "complete", "r")


def _qr_shapes(m: int, n: int, mode: str):
    k = m if mode == "complete" else min(m, n)
    return (m, k), (k, n)


def _qr_fwd(a, mode):
    check_matrix("linalg.qr", a)
    return pack(a.shape[:-2], *_np_linalg.qr(a, mode=mode))


def _qr_square_vjp(gq, gr, q, r):
    """For ``A = QR`` with ``R`` square (``m >= n``):
    ``gA = (gQ + Q copyltu(M)) R^{-T}``, ``M = R gR^T - gQ^T Q`` and
    ``copyltu(M) = tril(M) + tril(M, -1)^T``."""
    m = matmul(r, mT(gr)) - matmul(mT(gq), q)
    copyltu = m.tril() + mT(m.tril(-1))
    return matmul(gq + matmul(q, copyltu), mT(INV.apply(r)))


def _qr_vjp(g, out, a, mode):
    """``m >= n``: ``_qr_square_vjp``.  ``m < n``: with ``A = [X | Y]``,
    ``R = [U | V]`` (``X = QU`` square), ``gY = Q gV`` and ``gX`` the square
    case for ``gQ + Y gV^T``, ``gU``."""
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        raise LinAlgError(
            "linalg.qr: The QR decomposition is not differentiable when mode='complete' "
            "and nrows > ncols."
        )
    gq, gr = unpack(g, _qr_shapes(m, n, mode))
    q, r = unpack(out, _qr_shapes(m, n, mode))
    if m >= n:
        return _qr_square_vjp(gq, gr, q, r)
    gv = gr[..., m:]
    gx = _qr_square_vjp(gq + matmul(a[..., m:], mT(gv)), gr[..., :m], q, r[..., :m])
    return cat([gx, matmul(q, gv)], -1)


QR = defprim(
    "qr",
    _qr_fwd,
    _qr_vjp,
    partials="(gQ + Q copyltu(R gR^T - gQ^T Q)) R^{-T}",
    saves=(0,),
    saves_output=True,
    doc="out = [Q | R] packed, A = QR, Q orthonormal columns, R upper triangular",
)


def qr(A, mode: str = "reduced"):
    """``A = QR`` for ``A (*, m, n)``: ``Q (*, m, k)`` with orthonormal
    columns and ``R (*, k, n)`` upper triangular, ``k = min(m, n)``
    (``mode='complete'``: ``k = m``; ``mode='r'``: ``Q`` empty)."""
    A = as_tensor_arg(A)
    if mode not in _QR_MODES:
        raise LinAlgError(f"qr received unrecognized mode '{mode}' but expected one of {_QR_MODES}")
    check_float("linalg.qr", A._array)
    check_matrix("linalg.qr", A._array)
    m, n = A.shape[-2:]
    entry_mode = "reduced" if mode == "r" else mode
    Q, R = unpack(QR.apply(A, mode=entry_mode), _qr_shapes(m, n, entry_mode))
    if mode == "r":
        Q = new_tensor(xp.empty((0,), dtype=A._array.dtype))
    return QRResult(Q, R)


# --------------------------------------------------------------------- eigh
def _eigh_fwd(a):
    check_square("linalg.eigh", a)
    try:
        return pack(a.shape[:-2], *_np_linalg.eigh(symmetric_part(a)))
    except _np_linalg.LinAlgError:
        raise failed(
            "linalg.eigh", a, _np_linalg.eigh, "The algorithm failed to converge."
        ) from None


def _eigh_vjp(g, out, a):
    """PyTorch's, for distinct eigenvalues: ``gA = V (diag(gL) + K / E) V^T``
    with ``K = (V^T gV - gV^T V) / 2`` and ``E_ij = L_j - L_i`` (a repeated
    eigenvalue divides by zero: the eigenvectors are not unique there)."""
    n = a.shape[-1]
    gl, gv = unpack(g, ((n,), (n, n)))
    lam, v = unpack(out, ((n,), (n, n)))
    vtgv = matmul(mT(v), gv)
    skew = (vtgv - mT(vtgv)) * 0.5
    gaps = lam.unsqueeze(-2) - lam.unsqueeze(-1) + eye_like(n, lam)
    return matmul(matmul(v, skew / gaps + diag_embed(gl)), mT(v))


EIGH = defprim(
    "eigh",
    _eigh_fwd,
    _eigh_vjp,
    partials="V (diag(gL) + skew(V^T gV) / E) V^T",
    saves=(0,),
    saves_output=True,
    doc="out = [L | V] packed, (A + A^T)/2 = V diag(L) V^T, L ascending",
)


def _check_uplo(UPLO: str) -> bool:
    """``True`` for the lower triangle ('L'), ``False`` for 'U'."""
    if UPLO not in ("L", "U"):
        raise LinAlgError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "L"


def eigh(A, UPLO: str = "L"):
    """``A = V diag(L) V^T`` for symmetric ``A (*, n, n)``, read from the
    triangle ``UPLO``: eigenvalues ``L (*, n)`` ascending, eigenvectors the
    columns of ``V (*, n, n)``.  The eigenvectors' gradient assumes distinct
    eigenvalues (it is infinite or NaN otherwise, as in PyTorch)."""
    A = as_tensor_arg(A)
    lower = _check_uplo(UPLO)
    check_float("linalg.eigh", A._array)
    check_square("linalg.eigh", A._array)
    n = A.shape[-1]
    lam, v = unpack(EIGH.apply(triangle_symmetric(A, lower)), ((n,), (n, n)))
    return EighResult(lam, v)


def eigvalsh(A, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric ``A``, ascending (``eigh``'s first)."""
    return eigh(A, UPLO)[0]


# ---------------------------------------------------------------------- svd
def _svd_shapes(m: int, n: int, full_matrices: bool):
    k = min(m, n)
    if full_matrices:
        return (m, m), (k,), (n, n)
    return (m, k), (k,), (k, n)


def _svd_fwd(a, full_matrices):
    check_matrix("linalg.svd", a)
    try:
        return pack(a.shape[:-2], *_np_linalg.svd(a, full_matrices=full_matrices))
    except _np_linalg.LinAlgError:
        raise failed(
            "linalg.svd",
            a,
            _np_linalg.svd,
            "The algorithm failed to converge because the input matrix is ill-conditioned "
            "or has too many repeated singular values.",
        ) from None


def _svd_vjp(g, out, a, full_matrices):
    """PyTorch's (``svd_backward``), on the first ``k = min(m, n)`` singular
    vectors (with ``full_matrices`` the others' gradient is dropped, as
    PyTorch does):  ``gA = U (J + diag(gS)) V^T`` plus the parts of ``gU``
    (``gV``) outside the span of ``U`` (``V``), where
    ``J = (skew(U^T gU) S + S skew(V^T gV)) / E``, ``E_ij = S_j^2 - S_i^2``."""
    m, n = a.shape[-2:]
    k = min(m, n)
    gu, gs, gvh = unpack(g, _svd_shapes(m, n, full_matrices))
    u, s, vh = unpack(out, _svd_shapes(m, n, full_matrices))
    u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
    v, gv = mT(vh), mT(gvh)
    utgu, vtgv = matmul(mT(u), gu), matmul(mT(v), gv)
    s2 = s * s
    gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye_like(k, s)
    inner = (
        (utgu - mT(utgu)) * s.unsqueeze(-2) + s.unsqueeze(-1) * (vtgv - mT(vtgv))
    ) / gaps + diag_embed(gs)
    if m > k:
        gu_s = gu / s.unsqueeze(-2)
        left = matmul(u, inner) + gu_s - matmul(u, matmul(mT(u), gu_s))
        return matmul(left, vh)
    if n > k:
        gv_s = gv / s.unsqueeze(-2)
        right = matmul(inner, vh) + mT(gv_s) - matmul(matmul(mT(gv_s), v), vh)
        return matmul(u, right)
    return matmul(matmul(u, inner), vh)


SVD = defprim(
    "svd",
    _svd_fwd,
    _svd_vjp,
    partials="U (J + diag(gS)) V^T + (I - UU^T) gU S^{-1} V^T + ...",
    saves=(0,),
    saves_output=True,
    doc="out = [U | S | Vh] packed, A = U diag(S) Vh, S descending",
)


def svd(A, full_matrices: bool = True, *, driver=None):
    """``A = U diag(S) Vh`` for ``A (*, m, n)``, ``S (*, k)`` descending,
    ``k = min(m, n)``; ``U (*, m, m)``, ``Vh (*, n, n)`` with
    ``full_matrices``, else ``(*, m, k)``, ``(*, k, n)``.  The singular
    vectors' gradient assumes distinct nonzero singular values."""
    if driver is not None:
        raise LinAlgError(
            "linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            "with cuSOLVER backend."
        )
    A = as_tensor_arg(A)
    check_float("linalg.svd", A._array)
    check_matrix("linalg.svd", A._array)
    m, n = A.shape[-2:]
    full = bool(full_matrices) and m != n  # (square: the same matrices)
    return SVDResult(*unpack(SVD.apply(A, full_matrices=full), _svd_shapes(m, n, full)))


def svdvals(A, *, driver=None) -> Tensor:
    """The singular values of ``A (*, m, n)``, descending: ``(*, min(m, n))``."""
    return svd(A, full_matrices=False, driver=driver)[1]


# --------------------------------------------- functions made of the above
def _tolerance(S: Tensor, atol, rtol, shape) -> Tensor:
    """PyTorch's cutoff for ``pinv`` and ``matrix_rank``:
    ``max(atol, rtol * S_max)``, ``rtol = eps * max(m, n)`` when neither is
    given (a constant: the cutoff gets no gradient)."""
    s = S._array
    if rtol is None:
        rtol = xp.finfo(s.dtype).eps * max(shape) if atol is None or atol == 0 else 0.0
    s_max = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    return new_tensor(xp.maximum(0.0 if atol is None else atol, rtol * s_max).astype(s.dtype))


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse ``V diag(1/S) U^T`` of ``A (*, m, n)``,
    singular values at or below ``max(atol, rtol * S_max)`` dropped;
    differentiable through ``svd`` (full rank, distinct singular values).
    ``hermitian`` is accepted (the SVD covers symmetric ``A`` too)."""
    A = as_tensor_arg(A)
    U, S, Vh = svd(A, full_matrices=False)
    kept = S._array > _tolerance(S, atol, rtol, A.shape[-2:])._array
    safe = S + new_tensor((~kept).astype(S._array.dtype))  # (1 where dropped: no 1/0)
    s_inv = new_tensor(kept.astype(S._array.dtype)) / safe
    return matmul(mT(Vh) * s_inv.unsqueeze(-2), mT(U))


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values of ``A (*, m, n)`` above
    ``max(atol, rtol * S_max)`` (int64, no gradient)."""
    A = as_tensor_arg(A)
    check_matrix("linalg.matrix_rank", A._array)
    S = new_tensor(_np_linalg.svd(A._array, compute_uv=False))
    tol = _tolerance(S, atol, rtol, A.shape[-2:])._array
    return new_tensor((S._array > tol).sum(-1).astype(xp.int64))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution ``X = pinv(A) B`` of ``A X ~ B`` for
    ``A (*, m, n)``, ``B (*, m, k)``, differentiable.  Only ``solution`` is
    computed: ``residuals``, ``rank`` and ``singular_values`` are empty
    tensors (what PyTorch's default CPU driver leaves of them varies by
    shape and rank)."""
    A, B = cast_common(as_tensor_arg(A), as_tensor_arg(B))
    check_matrix("linalg.lstsq", A._array)
    if B.ndim < 1 or B.shape[-2 if B.ndim > 1 else 0] != A.shape[-2]:
        raise LinAlgError(
            f"linalg.lstsq: input.size(-2) should match other.size(-2), got shapes "
            f"{tuple(A.shape)} and {tuple(B.shape)}"
        )
    vector = B.ndim == A.ndim - 1
    X = matmul(pinv(A, rtol=rcond), B.unsqueeze(-1) if vector else B)
    empty = new_tensor(xp.empty((0,), dtype=A._array.dtype))
    return LstsqResult(
        X.squeeze(-1) if vector else X, empty, new_tensor(xp.empty((0,), dtype=xp.int64)), empty
    )


def matrix_power(A, n: int) -> Tensor:
    """``A^n`` for square ``A (*, m, m)`` and an integer ``n``: by squaring;
    ``n = 0`` the identity, ``n < 0`` powers of ``inv(A)``."""
    A = as_tensor_arg(A)
    check_square("linalg.matrix_power", A._array)
    if not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._array.dtype), tuple(A.shape))
        return new_tensor(eye.copy())
    base, result = (inv(A) if n < 0 else A), None
    k = abs(n)
    while k:
        if k & 1:
            result = base if result is None else matmul(result, base)
        k >>= 1
        if k:
            base = matmul(base, base)
    return result


def cross(input, other, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (other dimensions
    broadcast)."""
    a, b = cast_common(as_tensor_arg(input), as_tensor_arg(other))
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise LinAlgError(
            f"linalg.cross: inputs dimension {dim} must have length 3. "
            f"Got {a.shape[dim]} and {b.shape[dim]}"
        )
    a, b = a.movedim(dim, -1), b.movedim(dim, -1)
    parts = [a[..., i] * b[..., j] - a[..., j] * b[..., i] for i, j in ((1, 2), (2, 0), (0, 1))]
    return stack(parts, -1).movedim(-1, dim)


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """``sum_i x_i y_i`` along ``dim`` (the others broadcast)."""
    a, b = cast_common(as_tensor_arg(x), as_tensor_arg(y))
    return (a * b).sum(dim)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first may be a row vector and
    the last a column vector (1-D), their dimension dropped from the result."""
    ts = [as_tensor_arg(t) for t in tensors]
    if len(ts) < 2:
        raise LinAlgError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        allowed = (1, 2) if i in (0, len(ts) - 1) else (2,)
        if t.ndim not in allowed:
            raise LinAlgError(
                f"multi_dot(): tensor {i} must be {' or '.join(f'{d}D' for d in allowed)} "
                f"but got {t.ndim}D"
            )
    result = ts[0]
    for t in ts[1:]:
        result = matmul(result, t)
    return result
