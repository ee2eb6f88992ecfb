"""``tg.linalg``: PyTorch's ``torch.linalg`` norms, on tapegrad's
differentiable ``norm`` (gradient 0 at a zero vector, as PyTorch), and the
matrix functions and decompositions of ``tapegrad.ops.linalg_decomp``."""

from __future__ import annotations

from tapegrad.ops.linalg_decomp import (
    LinAlgError,
    cholesky,
    cross,
    det,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vecdot,
)
from tapegrad.ops.reduce import norm as _norm
from tapegrad.tensor import Tensor

__all__ = [
    "LinAlgError",
    "cholesky",
    "cross",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (every element when None);
    ``ord`` a positive number or ``inf`` (the largest ``|x|``)."""
    if dtype is not None:
        x = x.to(dtype)
    return _norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The Frobenius norm over the two dimensions ``dim`` (the only ``ord``
    tapegrad has; spectral and nuclear norms need decompositions)."""
    if ord != "fro":
        raise ValueError(f"linalg.matrix_norm: ord={ord!r} is not supported (only 'fro')")
    if dtype is not None:
        A = A.to(dtype)
    return _norm(A, 2, tuple(dim), keepdim)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: with ``ord=None``, the 2-norm of the flattened
    tensor (``dim=None``) or along ``dim``; a vector ``ord`` over one ``dim``;
    ``'fro'`` over two."""
    if ord is None or (isinstance(dim, int) or (dim is None and A.ndim == 1)):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
