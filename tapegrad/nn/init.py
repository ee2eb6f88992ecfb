"""Initialisers (``torch.nn.init``): each fills a tensor in place under
``no_grad`` from tapegrad's generator (or ``generator=``), bumps its version
counter and returns it.

Fans of a weight ``(out, in, *k)``: ``fan_in = in * prod(k)``,
``fan_out = out * prod(k)``.  Xavier: ``std = gain sqrt(2 / (fan_in + fan_out))``;
Kaiming: ``std = gain / sqrt(fan)`` with ``gain = calculate_gain(nonlinearity, a)``;
a uniform law with that std has bound ``sqrt(3) std``.
"""

from __future__ import annotations

import math
import warnings

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.autograd.graph import no_grad
from tapegrad.tensor import Tensor

xp = B.xp


def _fill(tensor: Tensor, arr) -> Tensor:
    """Write the array ``arr`` into ``tensor`` in place (no graph; its version
    counter is bumped)."""
    with no_grad():
        return tensor.copy_(tg.as_tensor(xp.asarray(arr)))


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain PyTorch recommends for ``nonlinearity``: 1 for linear and
    sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
    leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b)."""
    return _fill(tensor, B.rng(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    return _fill(tensor, B.rng(generator).normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, xp.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, xp.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a convolution weight ``(out, in, *k)`` (3, 4 or 5 dimensions)
    with the Dirac delta: ``w[g * out/groups + d, d, centre] = 1`` for each of
    the ``groups`` and each ``d < min(out/groups, in)``, 0 elsewhere, so the
    convolution passes as many input channels through unchanged as it can
    (``centre = k // 2`` in each kernel dimension)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels, in_channels, *kernel = tensor.shape
    if out_channels % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = out_channels // groups
    d = xp.arange(min(per_group, in_channels))
    centre = tuple(k // 2 for k in kernel)
    delta = xp.zeros(tensor.shape)
    for g in range(groups):
        delta[(g * per_group + d, d, *centre)] = 1
    return _fill(tensor, delta)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor as a sparse matrix (Martens 2010): draws from
    N(0, std^2), then ``ceil(sparsity * rows)`` entries of each column, at
    random rows, set to 0."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    rng = B.rng(generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    # one random permutation of the rows per column: its first num_zeros rows
    zero_rows = rng.random((rows, cols)).argsort(axis=0)[:num_zeros]
    values[zero_rows, xp.arange(cols)] = 0.0
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with ``a = gain sqrt(6 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with ``std = gain sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """U(-bound, bound), ``bound = gain sqrt(3 / fan)`` (He)."""
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """N(0, std^2), ``std = gain / sqrt(fan)`` (He)."""
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """N(mean, std^2) truncated to ``[a, b]`` (absolute bounds, not in units
    of ``std``), drawn by inverting the normal CDF:
    ``x = mean + std sqrt(2) erfinv(2u - 1)`` with ``u`` uniform between
    ``Phi((a - mean) / std)`` and ``Phi((b - mean) / std)``."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )

    def cdf(x: float) -> float:  # Phi, the standard normal CDF
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    u = B.rng(generator).uniform(2 * low - 1, 2 * high - 1, size=tensor.shape)
    x = mean + std * math.sqrt(2.0) * B.erfinv(u)
    return _fill(tensor, xp.clip(x, a, b))


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the Q
    of the QR factorisation of a Gaussian matrix, its columns' signs set by
    R's diagonal so that Q is uniform over the orthogonal matrices.  A
    tensor of more than 2 dimensions is filled as ``(size(0), rest)``."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = B.rng(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
