"""More losses of ``torch.nn.functional``: the margin and embedding losses,
the soft-margin losses, and the Gaussian and Poisson negative log-likelihoods.

Each takes ``reduction='mean'|'sum'|'none'`` and PyTorch's deprecated
``size_average``/``reduce`` where PyTorch does; 'mean' averages over the
loss's elements (per sample for the losses that sum over classes first).
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.autograd.graph import no_grad
from tapegrad.factories import full_like
from tapegrad.nn._reduction import reduction_of
from tapegrad.nn.functional import _check_reduction, _constant_arg, _reduce
from tapegrad.ops import activations as A
from tapegrad.ops import elementwise as E
from tapegrad.ops import index as I
from tapegrad.ops import reduce as R
from tapegrad.ops import shape as S
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, from_numpy


def _finish(loss: Tensor, reduction: str, op: str) -> Tensor:
    _check_reduction(reduction, op)
    return _reduce(loss, reduction, op)


def margin_ranking_loss(
    input1, input2, target, margin: float = 0, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: ``x1`` should rank above ``x2`` where
    ``y = 1`` and below where ``y = -1``; the three inputs have one shape."""
    reduction = reduction_of(size_average, reduce, reduction)
    x1, x2, y = as_tensor_arg(input1), as_tensor_arg(input2), as_tensor_arg(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {tuple(x1.shape)}, input2: {tuple(x2.shape)}, target: {tuple(y.shape)} "
        )
    loss = E.clamp(E.neg(y) * (x1 - x2) + margin, min=0.0)
    return _finish(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(
    input, target, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1`` (as
    PyTorch: the first term wherever ``y != -1``, the second wherever ``y != 1``)."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, y = as_tensor_arg(input), as_tensor_arg(target)
    margin_term = E.where(y != 1, E.clamp(E.neg(x) + margin, min=0.0), 0.0)
    loss = margin_term + E.where(y != -1, x, 0.0)
    return _finish(loss, reduction, "hinge_embedding_loss")


_COSINE_EPS = 1e-12  # added to each squared norm, as PyTorch


def cosine_embedding_loss(
    input1, input2, target, margin: float = 0, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)``
    where ``y = -1``: ``input1``, ``input2 (N, D)`` with ``target (N,)``, or
    ``(D,)`` with a 0-d target; ``cos = x1.x2 / sqrt((|x1|^2 + e)(|x2|^2 + e))``."""
    reduction = reduction_of(size_average, reduce, reduction)
    x1, x2, y = as_tensor_arg(input1), as_tensor_arg(input2), as_tensor_arg(target)
    if y.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if not x1.ndim == x2.ndim == y.ndim + 1:
        raise RuntimeError(
            f"{y.ndim}D target tensor expects {y.ndim + 1}D input tensors, but found inputs "
            f"with sizes {list(x1.shape)} and {list(x2.shape)}."
        )
    d = y.ndim
    norms = (R.sum(x1 * x1, d) + _COSINE_EPS) * (R.sum(x2 * x2, d) + _COSINE_EPS)
    cos = R.sum(x1 * x2, d) / E.sqrt(norms)
    loss = E.where(y == 1, 1.0 - cos, 0.0) + E.where(y == -1, E.clamp(cos - margin, min=0.0), 0.0)
    return _finish(loss, reduction, "cosine_embedding_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:
    """``log(1 + exp(-y x))`` (computed as a softplus, finite for large ``-y x``)."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, y = as_tensor_arg(input), _constant_arg(target, "target", "soft_margin_loss")
    loss = A.softplus(E.neg(y) * x, 1.0, math.inf)
    return _finish(loss, reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """``-1/C sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))``
    per sample: ``input``, ``target (N, C)`` (multi-hot ``y``); the loss is ``(N,)``."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, y = as_tensor_arg(input), as_tensor_arg(target)
    loss = E.neg(y * A.logsigmoid(x) + (1 - y) * A.logsigmoid(E.neg(x)))
    if weight is not None:
        loss = loss * as_tensor_arg(weight)
    class_dim = x.ndim - 1
    loss = R.sum(loss, class_dim) / x.shape[class_dim]
    return _finish(loss, reduction, "multilabel_soft_margin_loss")


def multi_margin_loss(
    input,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
) -> Tensor:
    """The multi-class hinge loss of sample ``i`` with class ``y``:
    ``1/C sum_{j != y} w_y max(0, margin - x_y + x_j)^p`` (``p`` 1 or 2);
    ``input (N, C)`` or ``(C,)``, ``target (N,)`` or 0-d class indices."""
    reduction = reduction_of(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    if x.ndim not in (1, 2) or x.numel() == 0:
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(x.shape)}"
        )
    unbatched = x.ndim == 1
    rows = S.unsqueeze(x, 0) if unbatched else x
    n, n_classes = rows.shape
    index = t.numpy().reshape(-1)
    if t.dtype.kind not in "iu" or index.shape != (n,) or t.ndim > 1:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(t.shape)}")
    if index.size and (index.min() < 0 or index.max() >= n_classes):
        raise IndexError(f"multi_margin_loss: target out of range for {n_classes} classes")
    picked = I.gather(rows, 1, from_numpy(index[:, None]))
    hinge = E.clamp(rows - picked + margin, min=0.0)
    if p == 2:
        hinge = hinge * hinge
    w = _constant_arg(weight, "weight", "multi_margin_loss")
    if w is not None:
        hinge = hinge * from_numpy(w.numpy()[index][:, None].astype(x.dtype))
    others = B.xp.arange(n_classes)[None, :] != index[:, None]  # j != y
    loss = R.sum(E.where(from_numpy(others), hinge, 0.0), 1) / n_classes
    return _finish(S.squeeze(loss, 0) if unbatched else loss, reduction, "multi_margin_loss")


def gaussian_nll_loss(
    input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    """``1/2 (log(max(var, eps)) + (x - target)^2 / max(var, eps))`` (plus
    ``1/2 log(2 pi)`` with ``full``).  ``var`` has ``input``'s shape, or lacks
    its last dim, or has size 1 in one dim (one variance shared), or is a
    float; the clamp at ``eps`` does not change the gradient (as PyTorch)."""
    x, y = as_tensor_arg(input), as_tensor_arg(target)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = full_like(x.detach(), float(var))
    v = as_tensor_arg(var)
    if (v.detach().numpy() < 0).any():
        raise ValueError("var has negative entry/entries")
    if tuple(v.shape) != tuple(x.shape):
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = S.unsqueeze(v, -1)
        elif not (x.ndim == v.ndim and sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction, "gaussian_nll_loss")
    with no_grad():  # the clamped value with the unclamped variance's gradient
        clamp_shift = E.clamp(v, min=eps) - v
    v = v + clamp_shift
    loss = (E.log(v) + (x - y) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """The Poisson negative log-likelihood of ``target`` with rate ``lambda``:
    ``exp(x) - t x`` (``log_input``, ``x = log lambda``) or
    ``x - t log(x + eps)`` (``x = lambda``); ``full`` adds Stirling's term
    ``t log t - t + 1/2 log(2 pi t)`` where ``t > 1``."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    if log_input:
        loss = E.exp(x) - t * x
    else:
        loss = x - t * E.log(x + eps)
    if full:
        big = t > 1
        safe = E.where(big, t, 1.0)  # log t only where it counts (finite gradients)
        stirling = safe * E.log(safe) - safe + 0.5 * E.log(safe * (2 * math.pi))
        loss = loss + E.where(big, stirling, 0.0)
    return _finish(loss, reduction, "poisson_nll_loss")


__all__ = [
    "cosine_embedding_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "soft_margin_loss",
]
