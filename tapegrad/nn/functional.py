"""The stateless form of every layer, activation and loss (``torch.nn.functional``).

Losses take ``reduction='mean'|'sum'|'none'`` with PyTorch's semantics: a
weighted mean divides by the sum of the weights of the kept targets.  Softmax
cross-entropy with class indices is one fused primitive (log-softmax + NLL,
``tapegrad.ops.nn_ops``), stable for huge and ``-inf`` logits.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad.autograd.graph import is_grad_enabled, no_grad
from tapegrad.nn._reduction import reduction_of
from tapegrad.nn.functional_norm import (  # noqa: F401  (normalisation, channel dropout)
    batch_norm,
    dropout1d,
    dropout2d,
    dropout3d,
    group_norm,
    instance_norm,
)
from tapegrad.ops import activations as A
from tapegrad.ops import elementwise as E
from tapegrad.ops import index as I
from tapegrad.ops import nn_ops
from tapegrad.ops import reduce as R
from tapegrad.ops import shape as S
from tapegrad.ops.activations import (  # noqa: F401  (re-exported activations)
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    silu,
    softplus,
)
from tapegrad.ops.attention import scaled_dot_product_attention  # noqa: F401
from tapegrad.ops.conv import (  # noqa: F401  (convolutions, im2col)
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    unfold,
)
from tapegrad.ops.elementwise import relu, sigmoid, tanh  # noqa: F401
from tapegrad.ops.interpolate import (  # noqa: F401  (resampling)
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from tapegrad.ops.linalg import linear  # noqa: F401  (the fused affine primitive)
from tapegrad.ops.reduce import log_softmax, softmax  # noqa: F401
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import pad  # noqa: F401
from tapegrad.ops.spatial import (  # noqa: F401  (pooling)
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_unpool1d,
    max_unpool2d,
)
from tapegrad.tensor import Tensor, from_numpy

xp = B.xp
_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return R.mean(loss)
    if reduction == "sum":
        return R.sum(loss)
    raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


# ------------------------------------------------------------ activations
def relu6(input) -> Tensor:
    return hardtanh(input, 0.0, 6.0)


def _in_place(x: Tensor, activation, op: str, *args) -> Tensor:
    """PyTorch's ``inplace=True``: ``x`` overwritten by ``activation(x, *args)``
    and returned, recorded like the out-of-place op.  The activation runs on
    a copy, since its node keeps its input for the backward pass."""
    if x.requires_grad and x.is_leaf and is_grad_enabled():
        raise RuntimeError(
            f"{op}(inplace=True): a leaf Variable that requires grad is being used in an "
            "in-place operation."
        )
    return x.copy_(activation(x.clone(), *args))


def selu(input, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with PyTorch's constants (``tapegrad.selu``);
    ``inplace`` writes the result into ``input``."""
    x = as_tensor_arg(input)
    return _in_place(x, A.selu, "selu") if inplace else A.selu(x)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (e^(x/alpha) - 1))`` (``tapegrad.celu``);
    ``inplace`` writes the result into ``input``."""
    x = as_tensor_arg(input)
    return _in_place(x, A.celu, "celu", alpha) if inplace else A.celu(x, alpha)


# ------------------------------------------------------------ layers
def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by
    ``1/(1-p)`` (inverted dropout); the identity when not training or ``p=0``.
    The mask is drawn from tapegrad's generator; the gradient is ``g * mask``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = as_tensor_arg(input)
    if not training or p == 0.0:
        return x
    dtype = x.dtype
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype=dtype)
    else:
        keep = B.rng().random(x.shape, dtype=B.float32) >= p
        mask = keep.astype(dtype)
        mask *= dtype.type(1.0 / (1.0 - p))
    return E.mul(x, from_numpy(mask))


def _shape_tuple(normalized_shape) -> tuple:
    """A normalisation's ``normalized_shape`` (an int or a sequence) as a tuple."""
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """The lecture's layer norm over the last ``len(normalized_shape)`` dims:
    ``a' = (a - mean a) / sqrt(var a + eps)`` (biased variance), then
    ``weight * a' + bias``.  One fused node."""
    x = as_tensor_arg(input)
    shape = _shape_tuple(normalized_shape)
    k = len(shape)
    if tuple(x.shape[x.ndim - k :]) != shape or k > x.ndim:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} does not match the last dims of input "
            f"shape {tuple(x.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {name} shape {tuple(p.shape)} is not {shape}")
    return nn_ops.layer_norm_fused(x, weight, bias, k, eps)


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
) -> Tensor:
    """Rows of ``weight (num_embeddings, dim)`` picked by the integer ``input``
    (any shape) -> ``input.shape + (dim,)``.  The gradient adds up over
    repeated indices; rows at ``padding_idx`` get no gradient.

    ``max_norm``: first, in place and without gradient, every row ``input``
    picks whose ``norm_type``-norm exceeds ``max_norm`` is scaled to
    ``max_norm / (norm + 1e-7)`` times itself (PyTorch's ``embedding_renorm_``;
    ``weight`` changes). ``scale_grad_by_freq``: the gradient reaching each
    position is divided by how often its index occurs in ``input``.
    ``sparse`` gradients do not exist in tapegrad (an error says so)."""
    idx = as_tensor_arg(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    if sparse:
        raise NotImplementedError(
            "embedding: sparse=True needs sparse gradients, which tapegrad does not have; "
            "use sparse=False (a dense gradient for the whole table)"
        )
    n = weight.shape[0]
    index = idx.numpy()
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings")
    rows = index % n if index.size and index.min() < 0 else index
    if max_norm is not None:
        _renorm_rows(weight, B.xp.unique(rows), max_norm, norm_type)
    out = I.getitem(weight, idx)
    if padding_idx is not None and weight.requires_grad:
        pad_i = padding_idx if padding_idx >= 0 else padding_idx + n
        keep = from_numpy((index != pad_i)[..., None])
        out = E.where(keep, out, out.detach())
    if scale_grad_by_freq and out.requires_grad and index.size:
        _, inverse, counts = B.xp.unique(rows, return_inverse=True, return_counts=True)
        share = (1.0 / counts[inverse.reshape(rows.shape)]).astype(out.dtype)
        # the same values (the added term is exactly zero), the gradient times share
        frozen = out.detach()
        out = frozen + (out - frozen) * from_numpy(share[..., None])
    return out


def _renorm_rows(weight: Tensor, rows, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` whose norm exceeds ``max_norm`` down to it,
    in place (no graph; the version counter is bumped)."""
    if not rows.size:
        return
    norms = B.xp.linalg.norm(weight.detach().numpy()[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        pick = from_numpy(rows[over])
        factor = from_numpy((max_norm / (norms[over] + 1e-7))[:, None])
        with no_grad():
            weight[pick] = weight[pick] * factor.to(weight.dtype)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """``(..., num_classes)`` int64 tensor with a 1 at each index."""
    idx = as_tensor_arg(tensor).numpy()
    if idx.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensor")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must lie in [0, {num_classes})")
    return from_numpy((idx[..., None] == xp.arange(num_classes)).astype(B.int64))


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    x = as_tensor_arg(input)
    return x / E.clamp(R.norm(x, p, dim, keepdim=True), min=eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1/max(||x1||, eps) . x2/max(||x2||, eps)`` along ``dim`` (each norm
    clamped on its own, as PyTorch; the inputs broadcast).  Below ``eps`` the
    gradient is that of the clamped norm (PyTorch's differs there)."""
    a, b = as_tensor_arg(x1), as_tensor_arg(x2)
    return R.sum(normalize(a, 2.0, dim, eps) * normalize(b, 2.0, dim, eps), dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension, as PyTorch."""
    return R.norm(as_tensor_arg(x1) - as_tensor_arg(x2) + eps, p, -1, keepdim=keepdim)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d = pairwise_distance(., ., p,
    eps)``, the distance over the last dimension: anchors ``(N, D)`` (or ``(D,)``)
    nearer their positives than their negatives by ``margin``; see
    ``triplet_margin_with_distance_loss`` for ``swap`` and the shapes."""
    reduction = reduction_of(size_average, reduce, reduction)
    return _triplet_loss(
        (anchor, positive, negative),
        lambda x1, x2: pairwise_distance(x1, x2, p, eps),
        margin,
        swap,
        reduction,
        "triplet_margin_loss",
    )


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``loss_i = max(d(a_i, p_i) - d(a_i, n_i) + margin, 0)`` for the distance
    ``d = distance_function(x1, x2)`` (default ``pairwise_distance``).  With
    ``swap`` the negative's distance is ``min(d(a, n), d(p, n))``: the positive
    stands in for the anchor where it is nearer the negative (Balntas et al.).
    The three inputs have one number of dimensions and broadcast; the loss has
    the shape of the distances."""
    return _triplet_loss(
        (anchor, positive, negative),
        pairwise_distance if distance_function is None else distance_function,
        margin,
        swap,
        reduction,
        "triplet_margin_with_distance_loss",
    )


def _triplet_loss(triplet, distance, margin: float, swap: bool, reduction: str, op: str):
    _check_reduction(reduction, op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a, p, n = (as_tensor_arg(t) for t in triplet)
    if not a.ndim == p.ndim == n.ndim:
        raise RuntimeError(
            f"{op}: The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {a.ndim}D, positive {p.ndim}D, and "
            f"negative {n.ndim}D inputs"
        )
    d_negative = distance(a, n)
    if swap:
        d_negative = E.minimum(d_negative, distance(p, n))
    return _reduce(E.clamp(distance(a, p) + margin - d_negative, min=0.0), reduction, op)


# ------------------------------------------------------------------ losses
def softmin(input, dim=None) -> Tensor:
    """``softmax(-input, dim)``."""
    return R.softmax(E.neg(as_tensor_arg(input)), dim)


def glu(input, dim: int = -1) -> Tensor:
    """The gated linear unit: the first half of ``input`` along ``dim`` times
    the sigmoid of the second half (``dim`` must have an even size)."""
    x = as_tensor_arg(input)
    d = dim % x.ndim if x.ndim else 0
    if x.ndim == 0 or x.shape[d] % 2:
        raise ValueError(
            f"glu: halving dimension {dim} needs an even size, got shape {tuple(x.shape)}"
        )
    a, b = S.chunk(x, 2, d)
    return a * E.sigmoid(b)


def kl_div(
    input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
) -> Tensor:
    """``target * (log(target) - input)`` pointwise (``input`` holds
    log-probabilities; 0 where ``target`` is 0), or with ``log_target``
    ``exp(target) * (target - input)``; ``reduction='batchmean'`` divides the
    sum by the batch size (PyTorch's recommended form of the KL divergence)."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(
            f"kl_div: reduction must be 'mean', 'sum', 'none' or 'batchmean', got {reduction!r}"
        )
    if log_target:
        loss = E.exp(t) * (t - x)
    else:
        safe = E.where(t > 0, t, 1.0)  # t log t -> 0 as t -> 0, as PyTorch's xlogy
        loss = E.where(t > 0, t * E.log(safe), 0.0) - t * x
    if reduction == "batchmean":
        return R.sum(loss) / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def mse_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """``weight * (input - target)^2`` reduced (``weight`` of ``input``'s
    shape, or none); the lecture's ``1/2 (y - t)^2`` is ``0.5 * mse_loss(y,
    t, reduction='sum')``."""
    reduction = reduction_of(size_average, reduce, reduction)
    d = as_tensor_arg(input) - as_tensor_arg(target)
    return _reduce_weighted(d * d, weight, input, reduction, "mse_loss", by_weights=True)


def l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """``weight * |input - target|`` reduced."""
    reduction = reduction_of(size_average, reduce, reduction)
    loss = E.abs(as_tensor_arg(input) - as_tensor_arg(target))
    return _reduce_weighted(loss, weight, input, reduction, "l1_loss", by_weights=True)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``,
    times ``weight``, reduced."""
    d = as_tensor_arg(input) - as_tensor_arg(target)
    a = E.abs(d)
    loss = E.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _reduce_weighted(loss, weight, input, reduction, "huber_loss", by_weights=False)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``."""
    reduction = reduction_of(size_average, reduce, reduction)
    d = as_tensor_arg(input) - as_tensor_arg(target)
    a = E.abs(d)
    if beta == 0:
        return _reduce(a, reduction, "smooth_l1_loss")
    loss = E.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def _reduce_weighted(loss: Tensor, weight, input, reduction: str, op: str, by_weights: bool):
    """``loss``, times the per-element ``weight`` (of ``input``'s size) when
    one is given, reduced.  As in PyTorch, the weighted 'mean' of
    ``mse_loss`` and ``l1_loss`` divides by the summed weights
    (``by_weights``), that of ``huber_loss`` by the number of elements."""
    if weight is None:
        return _reduce(loss, reduction, op)
    w = as_tensor_arg(weight)
    if w.shape != as_tensor_arg(input).shape:
        raise ValueError("Weights and input must have the same size.")
    if reduction == "mean" and by_weights:
        return R.sum(loss * w) / R.sum(w)
    return _reduce(loss * w, reduction, op)


def _class_first(input: Tensor, target: Tensor, op: str):
    """``input (C,)`` with a 0-d target becomes a batch of one; returns
    ``(input, target, squeeze_back)``."""
    if input.ndim == 1:
        if target.ndim == 0 and target.dtype.kind in "iu":
            return S.unsqueeze(input, 0), S.unsqueeze(target, 0), True
        if target.ndim == 1 and target.dtype.kind == "f":
            return S.unsqueeze(input, 0), S.unsqueeze(target, 0), True
        raise ValueError(f"{op}: target shape {tuple(target.shape)} does not fit input (C,)")
    if input.ndim == 0:
        raise ValueError(f"{op}: input needs a class dimension, got a 0-d tensor")
    return input, target, False


def _constant_arg(x, name: str, op: str):
    """``x`` as a tensor that takes no gradient: PyTorch's losses are not
    differentiable in their ``weight`` / ``pos_weight`` and refuse one that
    requires grad while grad mode is on (and so does tapegrad)."""
    if x is None:
        return None
    x = as_tensor_arg(x)
    if x.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}: not differentiable with respect to `{name}`; this input cannot have "
            f"requires_grad=True (pass {name}.detach())"
        )
    return x


def _weight_arg(weight, n_classes: int, op: str):
    w = _constant_arg(weight, "weight", op)
    if w is None:
        return None
    if tuple(w.shape) != (n_classes,):
        raise ValueError(f"{op}: weight must have shape ({n_classes},), got {tuple(w.shape)}")
    return w


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input (N, C, d...)`` (or ``(C,)``).

    With class indices ``target (N, d...)``: ``loss_i = -sum_c q_ic log_softmax(x_i)_c``
    with ``q_i = (1 - eps) w_{t_i} onehot(t_i) + eps/C w``; targets equal to
    ``ignore_index`` count nothing; 'mean' divides by the summed ``w_{t_i}``
    of the kept targets.  One fused node.  With class probabilities (target
    the shape of input): ``loss_i = -sum_c w_c p_ic log_softmax(x_i)_c`` with
    ``p`` smoothed to ``(1 - eps) p + eps/C``; 'mean' divides by N."""
    reduction = reduction_of(size_average, reduce, reduction)
    if (
        weight is None
        and not label_smoothing
        and type(input) is Tensor
        and type(target) is Tensor
        and input.ndim == 2
        and target.dtype.kind in "iu"
        and reduction in _REDUCTIONS
    ):  # the common case, straight to the fused primitive (it checks the rest)
        return nn_ops.cross_entropy_indices(input, target, None, ignore_index, reduction, 0.0)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    x, t, squeeze = _class_first(x, t, "cross_entropy")
    n_classes = x.shape[1]
    w = _weight_arg(weight, n_classes, "cross_entropy")
    if w is not None and w.dtype != x.dtype:
        w = w.detach().to(x.dtype)
    if t.dtype.kind in "iu":  # the primitive checks the class indices
        out = nn_ops.cross_entropy_indices(x, t, w, ignore_index, reduction, label_smoothing)
    elif tuple(t.shape) == tuple(x.shape):
        out = _cross_entropy_probs(x, t, w, reduction, label_smoothing)
    else:
        raise ValueError(
            f"cross_entropy: target of shape {tuple(t.shape)} and dtype {t.dtype} fits neither "
            f"class indices nor class probabilities for input {tuple(x.shape)}"
        )
    if squeeze and reduction == "none":
        out = S.squeeze(out, 0)
    return out


def _cross_entropy_probs(x, t, w, reduction, label_smoothing):
    n_classes = x.shape[1]
    logp = R.log_softmax(x, 1)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * t
    if w is not None:
        prod = prod * S.reshape(w, (1, n_classes) + (1,) * (x.ndim - 2))
    loss = E.neg(R.sum(prod, 1))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return R.sum(loss)
    return R.sum(loss) / (x.numel() // n_classes if n_classes else 0)


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``loss_i = -w_{t_i} input[i, t_i]`` for log-probabilities ``input (N, C, d...)``;
    'mean' divides by the summed weights of the targets not equal to ``ignore_index``."""
    reduction = reduction_of(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    x, t, squeeze = _class_first(x, t, "nll_loss")
    n_classes = x.shape[1]
    if tuple(t.shape) != (x.shape[0],) + tuple(x.shape[2:]):
        raise ValueError(
            f"nll_loss: target shape {tuple(t.shape)} does not fit input {tuple(x.shape)}"
        )
    w = _weight_arg(weight, n_classes, "nll_loss")
    target = t.numpy()
    nn_ops.check_class_indices(target, n_classes, ignore_index, "nll_loss")
    valid = target != ignore_index
    t_safe = xp.where(valid, target, 0)
    picked = S.squeeze(I.gather(x, 1, from_numpy(t_safe[:, None])), 1)
    picked = E.where(from_numpy(valid), picked, 0.0)
    dtype = x.dtype
    wt = xp.where(valid, w.detach().numpy()[t_safe] if w is not None else 1, 0).astype(dtype)
    loss = E.neg(picked) * from_numpy(wt) if w is not None else E.neg(picked)
    if reduction == "none":
        return S.squeeze(loss, 0) if squeeze else loss
    if reduction == "sum":
        return R.sum(loss)
    return R.sum(loss) / from_numpy(xp.asarray(wt.sum(), dtype=dtype))


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` with each log clamped at -100, as PyTorch;
    ``input`` probabilities in [0, 1] of the same shape as ``target``."""
    reduction = reduction_of(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(
            f"binary_cross_entropy: target size {tuple(t.shape)} is different from the input "
            f"size {tuple(x.shape)}"
        )
    probs = x.detach().numpy()
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    if t.dtype != x.dtype:
        t = t.to(x.dtype)

    w = _constant_arg(weight, "weight", "binary_cross_entropy")
    loss = nn_ops.BINARY_CROSS_ENTROPY.apply(x, t)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """``-w (p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))``, computed stably as
    ``(1 - t) x + (1 + (p - 1) t) softplus(-x)`` (``p`` = ``pos_weight``)."""
    reduction = reduction_of(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, t = as_tensor_arg(input), as_tensor_arg(target)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(
            f"binary_cross_entropy_with_logits: target size {tuple(t.shape)} is different from "
            f"the input size {tuple(x.shape)}"
        )
    sp = softplus(E.neg(x), 1.0, math.inf)
    if pos_weight is not None:
        pw = _constant_arg(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
        sp = sp * ((pw - 1) * t + 1)
    loss = (1 - t) * x + sp
    if weight is not None:
        loss = loss * _constant_arg(weight, "weight", "binary_cross_entropy_with_logits")
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


__all__ = [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "group_norm",
    "hardtanh",
    "huber_loss",
    "instance_norm",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "unfold",
]

# More activations, normalisations and losses, in their own modules (they
# build on the helpers above, so they are imported last).
from tapegrad.nn.functional_losses import *  # noqa: E402, F403
from tapegrad.nn.functional_losses import __all__ as _losses_all  # noqa: E402
from tapegrad.nn.functional_more import *  # noqa: E402, F403
from tapegrad.nn.functional_more import __all__ as _more_all  # noqa: E402

__all__ += _losses_all + _more_all
