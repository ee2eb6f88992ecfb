"""Stateless normalisation and channel dropout for ``(N, C, ...)`` inputs
(``torch.nn.functional``'s ``batch_norm``, ``instance_norm``, ``group_norm``,
``dropout1d``, ``dropout2d``, ``dropout3d``); re-exported by
``tapegrad.nn.functional``.

With batch statistics, each is the fused primitive ``batch_norm``
(``tapegrad.ops.norm_ops``) over its own axes; with running statistics, an
affine map per channel, ``x * scale + shift``.
"""

from __future__ import annotations

import math
import warnings

from tapegrad import backend as B
from tapegrad.autograd.graph import no_grad
from tapegrad.ops import shape as S
from tapegrad.ops.norm_ops import batch_norm_fused, batch_stats
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, from_numpy

xp = B.xp

__all__ = [
    "batch_norm",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "group_norm",
    "instance_norm",
]


# ------------------------------------------------------------ helpers
def _shape(x: Tensor) -> tuple:
    return tuple(x.shape)


def _check_vectors(op: str, x: Tensor, n: int, **vectors) -> None:
    """Each given vector (weight, bias, running statistics) holds ``n``
    values, one per channel of ``x``."""
    for name, v in vectors.items():
        if v is not None and tuple(v.shape) != (n,):
            raise ValueError(
                f"{op}: {name} of shape {tuple(v.shape)} does not fit input of shape "
                f"{_shape(x)}: it should contain {n} elements, one per channel"
            )


def _per_channel(v, ndim: int):
    """A ``(C,)`` vector shaped ``(1, C, 1, ...)`` to broadcast against ``(N, C, ...)``."""
    return None if v is None else S.reshape(v, (1, v.shape[0]) + (1,) * (ndim - 2))


def _update_running(running_mean, running_var, mean, var, n: int, momentum: float) -> None:
    """``running = (1 - momentum) running + momentum batch``, in place and
    without graph; the variance enters unbiased (``var * n / (n - 1)``).
    ``mean`` and ``var`` are arrays of one value per channel."""
    with no_grad():
        if running_mean is not None:
            batch = from_numpy(mean).to(running_mean.dtype)
            running_mean.mul_(1 - momentum).add_(batch, alpha=momentum)
        if running_var is not None:
            batch = from_numpy(var * (n / (n - 1))).to(running_var.dtype)
            running_var.mul_(1 - momentum).add_(batch, alpha=momentum)


def _with_running_stats(x: Tensor, running_mean, running_var, weight, bias, eps: float):
    """``(x - running_mean) / sqrt(running_var + eps) * weight + bias`` per
    channel, as ``x * scale + shift`` (two passes over ``x``); the running
    statistics take no gradient."""
    with no_grad():
        rstd = (running_var.detach().to(x.dtype) + eps).rsqrt()
        mean = running_mean.detach().to(x.dtype)
    scale = rstd if weight is None else weight * rstd
    shift = -(mean * scale) if bias is None else bias - mean * scale
    return x * _per_channel(scale, x.ndim) + _per_channel(shift, x.ndim)


def _check_eps(op: str, eps: float, training: bool) -> None:
    if training and eps <= 0.0:
        raise ValueError(f"{op} eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"{op} eps must be non-negative, but got {eps}")


# ------------------------------------------------------------ batch norm
def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of ``input (N, C, *)`` (``(N, C)``, ``(N, C, L)``,
    ``(N, C, H, W)``, ...): ``(x - mean) / sqrt(var + eps) * weight + bias``.

    Training: the statistics of the batch, over N and every position (biased
    variance), one fused node; the running statistics, when given, are
    updated in place, ``running = (1 - momentum) running + momentum batch``
    with the unbiased variance.  Otherwise: the running statistics."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got shape {_shape(x)}")
    c = x.shape[1]
    _check_vectors(
        "batch_norm", x, c, running_mean=running_mean, running_var=running_var,
        weight=weight, bias=bias,
    )  # fmt: skip
    _check_eps("batch_norm", eps, training)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: running_mean and running_var must be defined in evaluation mode"
            )
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    n = x.numel() // c if c else 0
    if n == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {_shape(x)}"
        )
    axes = (0,) + tuple(range(2, x.ndim))
    stats = batch_stats(x._array, axes=axes)
    if running_mean is not None or running_var is not None:
        mean, var = (s.reshape(c) for s in stats)
        _update_running(running_mean, running_var, mean, var, n, momentum)
    w, b = _per_channel(weight, x.ndim), _per_channel(bias, x.ndim)
    return batch_norm_fused(x, w, b, axes, eps, stats)


# ------------------------------------------------------------ instance norm
def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of ``input (N, C, *)`` over its
    positions: ``(x - mean) / sqrt(var + eps) * weight + bias``.

    ``use_input_stats``: the statistics of each ``(n, c)`` slice (biased
    variance), one fused node; the running statistics, when given, move
    towards their averages over the batch (unbiased variance).  Otherwise:
    the running statistics, as batch norm in eval mode."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise ValueError(
            f"instance_norm: expected input of shape (N, C, ...), got shape {_shape(x)}"
        )
    c = x.shape[1]
    _check_vectors(
        "instance_norm", x, c, running_mean=running_mean, running_var=running_var,
        weight=weight, bias=bias,
    )  # fmt: skip
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var are needed when use_input_stats=False"
            )
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    n = math.prod(x.shape[2:])
    if n == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {_shape(x)}"
        )
    axes = tuple(range(2, x.ndim))
    stats = batch_stats(x._array, axes=axes)
    if running_mean is not None or running_var is not None:
        mean, var = (s.reshape(x.shape[:2]).mean(axis=0) for s in stats)
        _update_running(running_mean, running_var, mean, var, n, momentum)
    w, b = _per_channel(weight, x.ndim), _per_channel(bias, x.ndim)
    return batch_norm_fused(x, w, b, axes, eps, stats)


# ------------------------------------------------------------ group norm
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Split the channels of ``input (N, C, *)`` into ``num_groups`` groups of
    ``C / num_groups`` and normalise each group of each sample over its
    channels and positions (biased variance), then ``* weight + bias`` per
    channel.  One fused node between two reshapes, then the affine map."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise ValueError(
            f"group_norm: expected input of shape (N, C, ...) with at least 2 dimensions, "
            f"got shape {_shape(x)}"
        )
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(
            f"group_norm: expected the number of channels of input of shape {_shape(x)} ({c}) "
            f"to be divisible by num_groups={num_groups}"
        )
    _check_vectors("group_norm", x, c, weight=weight, bias=bias)
    per_group = c // num_groups
    positions = math.prod(x.shape[2:])
    if n * per_group * positions == 1:  # (PyTorch's test, as it states it)
        raise ValueError(
            "Expected more than 1 value per channel when training, got input size "
            f"{[n * per_group, num_groups] + list(x.shape[2:])}"
        )
    grouped = S.reshape(x, (n, num_groups, per_group * positions))
    out = S.reshape(batch_norm_fused(grouped, None, None, (2,), eps), _shape(x))
    if weight is not None:  # (per channel: it varies within a group, so outside the entry)
        out = out * _per_channel(weight, x.ndim)
    if bias is not None:
        out = out + _per_channel(bias, x.ndim)
    return out


# ------------------------------------------------------------ channel dropout
def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _deprecated_dims_warning(op: str, ndim: int, d: int) -> None:
    warnings.warn(
        f"{op}: Received a {ndim}-D input to {op}, which is deprecated and will result in an "
        "error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {op} exists to provide channel-wise dropout on inputs "
        f"with {d} spatial dimensions, a channel dimension, and an optional batch dimension "
        f"(i.e. {d + 1}D or {d + 2}D inputs).",
        stacklevel=3,
    )


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool, lead: int) -> Tensor:
    """Zero whole channels: one draw per entry of the first ``lead`` dims
    (``(N, C)`` batched, ``(C,)`` unbatched), kept channels scaled by
    ``1/(1-p)``.  The gradient is ``g`` times the same mask."""
    if x.ndim < 2 and lead == 2:
        raise RuntimeError(
            f"Feature dropout requires at least 2 dimensions in the input, got shape {_shape(x)}"
        )
    if not training or p == 0.0 or x.numel() == 0:
        return x
    shape = tuple(x.shape[:lead]) + (1,) * (x.ndim - lead)
    dtype = x.dtype
    if p == 1.0:
        mask = xp.zeros(shape, dtype=dtype)
    else:
        mask = (B.rng().random(shape, dtype=B.float32) >= p).astype(dtype)
        mask *= dtype.type(1.0 / (1.0 - p))
    if inplace:
        return x.mul_(from_numpy(mask))
    return x * from_numpy(mask)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each channel of ``input (N, C, L)`` or ``(C, L)`` with probability
    ``p`` (all ``L`` values together) and scale the kept ones by ``1/(1-p)``;
    the identity when not training."""
    _check_p(p)
    x = as_tensor_arg(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input of shape "
            f"{_shape(x)}. Note that dropout1d exists to provide channel-wise dropout on "
            "inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(x, p, training, inplace, 2 if x.ndim == 3 else 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each channel of ``input (N, C, H, W)`` with probability ``p`` (a
    whole ``H x W`` map at once) and scale the kept ones by ``1/(1-p)``; the
    identity when not training.  As in PyTorch, a 3-D input is read as
    ``(N, C, L)`` (one draw per row of a ``(C, H, W)`` image, with a warning),
    and inputs that are neither 3-D nor 4-D are accepted with a warning."""
    _check_p(p)
    x = as_tensor_arg(input)
    if x.ndim not in (3, 4):
        _deprecated_dims_warning("dropout2d", x.ndim, 2)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(x, p, training, inplace, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each channel of ``input (N, C, D, H, W)`` or ``(C, D, H, W)`` with
    probability ``p`` (a whole volume at once) and scale the kept ones by
    ``1/(1-p)``; other dimensions are accepted with PyTorch's warning."""
    _check_p(p)
    x = as_tensor_arg(input)
    if x.ndim not in (4, 5):
        _deprecated_dims_warning("dropout3d", x.ndim, 3)
    return _feature_dropout(x, p, training, inplace, 2 if x.ndim == 5 else 1)
