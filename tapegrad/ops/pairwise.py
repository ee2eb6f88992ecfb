"""Products with a bias and pairwise distances: ``addmm``, ``baddbmm`` and
``kron`` as compositions of differentiable ops (exact), ``cdist`` as an entry
of the table (its gradient is 0 at a zero distance, as PyTorch's)."""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.ops.elementwise import abs as _abs
from tapegrad.ops.elementwise import sign, where
from tapegrad.ops.linalg import matmul
from tapegrad.ops.reduce import sum as _sum
from tapegrad.ops.registry import as_tensor_arg, cast_common, defprim, sum_to_shape
from tapegrad.ops.shape import ShapeMismatch, reshape, transpose, unsqueeze
from tapegrad.tensor import Tensor

xp = B.xp


# ------------------------------------------------------------ addmm family
def _biased(input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product``; with ``beta = 0`` the input is
    ignored (NaN and inf in it too), its gradient 0, as in PyTorch."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + where(False, input, 0.0)
    return product + (input if beta == 1 else input * beta)


def _bias_fits(input: Tensor, shape: tuple, op: str) -> None:
    try:
        xp.broadcast_shapes(tuple(input.shape), shape)
    except ValueError:
        raise ShapeMismatch(
            f"{op}: input of shape {tuple(input.shape)} does not broadcast to the product's "
            f"shape {shape}"
        ) from None


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: ``mat1`` (n, m), ``mat2``
    (m, p), ``input`` broadcast to (n, p)."""
    x, a, b = cast_common(as_tensor_arg(input), as_tensor_arg(mat1), as_tensor_arg(mat2))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ShapeMismatch(
            f"addmm: mat1 and mat2 shapes cannot be multiplied ({tuple(a.shape)} and "
            f"{tuple(b.shape)})"
        )
    _bias_fits(x, (a.shape[0], b.shape[1]), "addmm")
    return _biased(x, matmul(a, b), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)``: ``batch1`` (b, n, m),
    ``batch2`` (b, m, p), ``input`` broadcast to (b, n, p)."""
    x, a, b = cast_common(as_tensor_arg(input), as_tensor_arg(batch1), as_tensor_arg(batch2))
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ShapeMismatch(
            f"baddbmm: batch1 and batch2 shapes cannot be multiplied ({tuple(a.shape)} and "
            f"{tuple(b.shape)})"
        )
    _bias_fits(x, (a.shape[0], a.shape[1], b.shape[2]), "baddbmm")
    return _biased(x, matmul(a, b), beta, alpha)


def kron(input, other) -> Tensor:
    """The Kronecker product: ``out[i*q + k, j*r + l] = a[i, j] b[k, l]`` (any
    number of dims; the one with fewer gets leading 1s)."""
    a, b = cast_common(as_tensor_arg(input), as_tensor_arg(other))
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + tuple(a.shape)
    sb = (1,) * (n - b.ndim) + tuple(b.shape)
    spread_a = tuple(s for d in sa for s in (d, 1))  # (a0, 1, a1, 1, ...)
    spread_b = tuple(s for d in sb for s in (1, d))  # (1, b0, 1, b1, ...)
    product = reshape(a, spread_a) * reshape(b, spread_b)
    return reshape(product, tuple(x * y for x, y in zip(sa, sb)))


# --------------------------------------------------------------------- cdist
_MM_FORM = 1 << 22  # beyond this many P*R*M elements, p = 2 runs as matrix products


def _cdist_fwd(x1, x2, p):
    if p == 2 and x1.shape[-2] * x2.shape[-2] * x1.shape[-1] > _MM_FORM:
        sq1 = (x1 * x1).sum(-1)[..., :, None]
        sq2 = (x2 * x2).sum(-1)[..., None, :]
        d2 = sq1 + sq2 - 2 * (x1 @ xp.swapaxes(x2, -1, -2))
        return xp.sqrt(xp.maximum(d2, 0))
    d = xp.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(x1.dtype)
    if p == 1:
        return d.sum(-1)
    if p == 2:
        return xp.sqrt((d * d).sum(-1))
    if math.isinf(p):
        return d.max(-1, initial=0)
    return ((d**p).sum(-1)) ** (1.0 / p)


def _cdist_vjp(g, out, x1, x2, p, needs):
    if p == 0:
        return (x1 * 0.0 if needs[0] else None), (x2 * 0.0 if needs[1] else None)
    if p == 2:
        q = where(out == 0, 0.0, g / where(out == 0, 1.0, out))  # (..., P, R)
        g1 = x1 * _sum(q, -1, keepdim=True) - matmul(q, x2) if needs[0] else None
        qt = transpose(q, -1, -2)
        g2 = x2 * _sum(qt, -1, keepdim=True) - matmul(qt, x1) if needs[1] else None
    else:
        w = _cdist_weights(g, out, unsqueeze(x1, -2) - unsqueeze(x2, -3), p)  # (..., P, R, M)
        g1 = _sum(w, -2) if needs[0] else None
        g2 = -_sum(w, -3) if needs[1] else None
    return (
        None if g1 is None else sum_to_shape(g1, tuple(x1.shape)),
        None if g2 is None else sum_to_shape(g2, tuple(x2.shape)),
    )


def _cdist_weights(g, out, d, p):
    """``d(dist)/d(diff) * g`` per coordinate, 0 where the distance is 0 (and,
    for p < 1, where the coordinates agree), as PyTorch."""
    gg, o = unsqueeze(g, -1), unsqueeze(out, -1)
    if p == 1:
        return gg * sign(d)
    m = _abs(d)
    if math.isinf(p):
        return where(m == o, gg * sign(d), 0.0)
    keep = o != 0
    if p < 1:
        keep = keep & (d != 0)
    m_safe = where(keep, m, 1.0)
    o_safe = where(keep, o, 1.0)
    return where(keep, gg * sign(d) * (m_safe / o_safe) ** (p - 1), 0.0)


CDIST = defprim(
    "cdist",
    _cdist_fwd,
    vjp_all=_cdist_vjp,
    partials=("sign(d) |d|^(p-1) / out^(p-1)", "-sign(d) |d|^(p-1) / out^(p-1)"),
    saves=(0, 1),
    saves_output=True,
    doc="out[..., i, j] = || x1[..., i, :] - x2[..., j, :] ||_p (p >= 0, inf too)",
)


@CDIST.public(methods=())
def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row
    of ``x2`` (..., R, M): (..., P, R), batch dims broadcast.  ``p = 0``
    counts the differing coordinates; ``p = inf`` takes the largest."""
    a, b = cast_common(as_tensor_arg(x1), as_tensor_arg(x2))
    if a._array.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {a.dtype}")
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, got shapes {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"cdist: X1 and X2 must have the same number of columns, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    p = float(p)
    if not p >= 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p}")
    return CDIST.apply(a, b, p=p)
