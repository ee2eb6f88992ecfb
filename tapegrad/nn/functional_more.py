"""More of ``torch.nn.functional``: the shrinking and thresholding
activations, randomised ReLU and alpha dropout, the in-place activation forms
(``relu_``, ``elu_``, ...), RMS and local response normalisation,
``gumbel_softmax`` and ``bilinear``.  Each is composed from tapegrad's
differentiable ops, so its gradient is the chain rule through them; random
draws come from tapegrad's generator (``tg.manual_seed``).
"""

from __future__ import annotations

import math
import warnings

from tapegrad import backend as B
from tapegrad.nn.functional import _in_place, _shape_tuple
from tapegrad.ops import activations as A
from tapegrad.ops import elementwise as E
from tapegrad.ops import index as I
from tapegrad.ops import linalg as L
from tapegrad.ops import reduce as R
from tapegrad.ops import shape as S
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.tensor import Tensor, from_numpy
from tapegrad.type_info import finfo

# SELU's saturation value -scale * alpha: alpha dropout sets dropped units near it
SELU_SATURATION = 1.7580993408473766


# ------------------------------------------------------------ activations
def softsign(input) -> Tensor:
    """``x / (1 + |x|)``."""
    x = as_tensor_arg(input)
    return x / (E.abs(x) + 1.0)


def tanhshrink(input) -> Tensor:
    """``x - tanh(x)``."""
    x = as_tensor_arg(input)
    return x - E.tanh(x)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    return E.where(x > threshold, x, value)


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (gradient 0 there);
    ``inplace`` writes the result into ``input``."""
    x = as_tensor_arg(input)
    if inplace:
        return _in_place(x, _threshold, "threshold", threshold, value)
    return _threshold(x, threshold, value)


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    x = as_tensor_arg(input)
    return E.where(E.abs(x) > lambd, x, 0.0)


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0
    (``lambd >= 0``)."""
    x = as_tensor_arg(input)
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found {lambd}")
    return E.where(E.abs(x) > lambd, x - E.sign(x) * lambd, 0.0)


def _rrelu(x: Tensor, lower: float, upper: float, training: bool) -> Tensor:
    if not training:
        return A.leaky_relu(x, (lower + upper) / 2)
    slopes = B.rng().uniform(lower, upper, size=tuple(x.shape))
    noise = B.xp.where(x.detach().numpy() <= 0, slopes, 1.0).astype(x.dtype)
    return x * from_numpy(noise)


def rrelu(
    input,
    lower: float = 1.0 / 8.0,
    upper: float = 1.0 / 3.0,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky ReLU: ``x`` for ``x > 0``, else ``a x``.  Training: one
    slope ``a ~ U(lower, upper)`` per element (tapegrad's generator; the
    gradient is ``g a``).  Otherwise the mean slope ``a = (lower + upper) / 2``."""
    x = as_tensor_arg(input)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if inplace:
        return _in_place(x, _rrelu, "rrelu", lower, upper, training)
    return _rrelu(x, lower, upper, training)


def _alpha_dropout(x: Tensor, p: float) -> Tensor:
    if p == 1.0:
        return x * 0.0
    keep = (B.rng().random(tuple(x.shape)) >= p).astype(x.dtype)
    a = 1.0 / math.sqrt((SELU_SATURATION**2 * p + 1) * (1 - p))
    # dropped units are set to SELU's saturation, then a x + b restores zero
    # mean and unit variance
    shift = (keep - 1.0) * (SELU_SATURATION * a) + SELU_SATURATION * a * p
    return x * from_numpy(keep * x.dtype.type(a)) + from_numpy(shift.astype(x.dtype))


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks (PyTorch's formula): each element is kept with
    probability ``1 - p`` (tapegrad's generator) and
    ``out = a (x keep + alpha' (1 - keep)) + b`` with ``alpha' = -1.7581``,
    ``a = ((alpha'^2 p + 1)(1 - p))^(-1/2)`` and ``b = -a alpha' p``, which
    keeps zero mean and unit variance; the identity when not training."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = as_tensor_arg(input)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    return _in_place(x, _alpha_dropout, "alpha_dropout", p) if inplace else _alpha_dropout(x, p)


# ------------------------------------------------------ in-place forms
def relu_(input) -> Tensor:
    """``relu`` written into ``input``."""
    return _in_place(as_tensor_arg(input), E.relu, "relu_")


def elu_(input, alpha: float = 1.0) -> Tensor:
    """``elu`` written into ``input``."""
    return _in_place(as_tensor_arg(input), A.elu, "elu_", alpha)


def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` written into ``input``."""
    return _in_place(as_tensor_arg(input), A.leaky_relu, "leaky_relu_", negative_slope)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh`` written into ``input``."""
    return _in_place(as_tensor_arg(input), A.hardtanh, "hardtanh_", min_val, max_val)


def threshold_(input, threshold: float, value: float) -> Tensor:
    """``threshold`` written into ``input``."""
    return _in_place(as_tensor_arg(input), _threshold, "threshold_", threshold, value)


def selu_(input) -> Tensor:
    """``selu`` written into ``input``."""
    return _in_place(as_tensor_arg(input), A.selu, "selu_")


def celu_(input, alpha: float = 1.0) -> Tensor:
    """``celu`` written into ``input``."""
    return _in_place(as_tensor_arg(input), A.celu, "celu_", alpha)


def rrelu_(
    input, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False
) -> Tensor:
    """``rrelu`` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


# ------------------------------------------------------------ normalisation
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` with the mean over the last
    ``len(normalized_shape)`` dims; ``eps=None`` is ``finfo(x.dtype).eps``."""
    x = as_tensor_arg(input)
    shape = _shape_tuple(normalized_shape)
    k = len(shape)
    if k > x.ndim or tuple(x.shape[x.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(x.shape)}"
        )
    if eps is None:
        eps = finfo(x.dtype).eps
    dims = tuple(range(x.ndim - k, x.ndim))
    out = x * E.rsqrt(R.mean(x * x, dims, keepdim=True) + eps)
    return out if weight is None else out * weight


def local_response_norm(
    input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """``x_c / (k + alpha/size sum_{c'} x_{c'}^2)^beta`` over the ``size``
    channels ``c - size//2 .. c + (size-1)//2`` (missing channels count as
    zeros); ``input (N, C, ...)`` with at least 3 dims."""
    x = as_tensor_arg(input)
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.numel() == 0:
        return x
    channels = x.shape[1]
    squares = x * x
    padded = S.cat(
        [_zero_channels(squares, size // 2), squares, _zero_channels(squares, (size - 1) // 2)], 1
    )
    window_sum = sum(S.narrow(padded, 1, s, channels) for s in range(size))
    return x / (window_sum * (alpha / size) + k) ** beta


def _zero_channels(x: Tensor, n: int) -> Tensor:
    shape = (x.shape[0], n) + tuple(x.shape[2:])
    return from_numpy(B.xp.zeros(shape, dtype=x.dtype))


# ------------------------------------------------------------------ others
def gumbel_softmax(
    logits, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + g) / tau, dim)`` with Gumbel noise ``g = -log(e)``,
    ``e ~ Exp(1)`` (tapegrad's generator).  ``hard``: the one-hot of the
    argmax, with the soft sample's gradient (straight-through:
    ``y_hard - y_soft.detach() + y_soft``).  ``eps`` is deprecated and unused."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = as_tensor_arg(logits)
    noise = -B.xp.log(B.rng().exponential(size=tuple(x.shape)))
    y_soft = R.softmax((x + from_numpy(noise.astype(x.dtype))) / tau, dim)
    if not hard:
        return y_soft
    index = R.argmax(y_soft, dim, keepdim=True)
    y_hard = I.scatter(from_numpy(B.xp.zeros(tuple(x.shape), dtype=x.dtype)), dim, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """``y_o = sum_ij x1_i W_oij x2_j + b_o``: ``input1 (*, in1)``,
    ``input2 (*, in2)`` with the same leading dims, ``weight (out, in1, in2)``,
    ``bias (out,)`` -> ``(*, out)``."""
    x1, x2, w = as_tensor_arg(input1), as_tensor_arg(input2), as_tensor_arg(weight)
    if x1.ndim != x2.ndim or tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]):
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {tuple(x1.shape)} and "
            f"{tuple(x2.shape)}"
        )
    if w.ndim != 3 or (w.shape[1], w.shape[2]) != (x1.shape[-1], x2.shape[-1]):
        raise RuntimeError(
            f"bilinear(): weight of shape {tuple(w.shape)} does not fit inputs "
            f"{tuple(x1.shape)} and {tuple(x2.shape)} (expected (out, {x1.shape[-1]}, "
            f"{x2.shape[-1]}))"
        )
    out = L.einsum("...i,oij,...j->...o", x1, w, x2)
    return out if bias is None else out + bias


__all__ = [
    "alpha_dropout",
    "bilinear",
    "celu_",
    "elu_",
    "gumbel_softmax",
    "hardshrink",
    "hardtanh_",
    "leaky_relu_",
    "local_response_norm",
    "relu_",
    "rms_norm",
    "rrelu",
    "rrelu_",
    "selu_",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
]
