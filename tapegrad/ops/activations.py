"""Activations with parameters: ``leaky_relu``, ``elu`` (and ``selu``,
``celu`` on its formula), ``hardtanh``, ``softplus`` (primitives of the
table) and the composites ``silu`` and ``logsigmoid``.  ``relu``, ``tanh``
and ``sigmoid`` are in ``elementwise``."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.elementwise import neg, sigmoid, tanh, where
from tapegrad.ops.registry import as_tensor_arg, defprim
from tapegrad.ops.special import gelu  # noqa: F401  (GELU: in special, beside erf)
from tapegrad.tensor import Tensor

xp = B.xp


def _leaky_fwd(a, negative_slope):
    return xp.where(a > 0, a, a * xp.asarray(negative_slope, dtype=a.dtype))


def _leaky_vjp(g, out, a, negative_slope):
    return where(a > 0, g, g * negative_slope)


LEAKY_RELU = defprim(
    "leaky_relu",
    _leaky_fwd,
    _leaky_vjp,
    partials="[a>0] + slope*[a<=0]",
    saves=(0,),
    doc="out = a if a > 0 else slope * a",
)


@LEAKY_RELU.public(methods=())
def leaky_relu(input, negative_slope: float = 0.01) -> Tensor:
    return LEAKY_RELU.apply(as_tensor_arg(input), negative_slope=negative_slope)


# PyTorch's one ELU kernel, behind the entries elu, selu and celu (each with
# its own partials): ``scale * a`` above 0, else ``scale * alpha * (e^(input_scale
# a) - 1)``; elu has ``scale = input_scale = 1``.
def _elu_fwd(a, alpha, scale=1.0, input_scale=1.0):
    # (min(a, 0): the exponential of the positive side, unused, cannot overflow)
    negative = xp.expm1(xp.minimum(a, 0) * xp.asarray(input_scale, dtype=a.dtype))
    negative *= xp.asarray(alpha * scale, dtype=a.dtype)
    return xp.where(a > 0, a * xp.asarray(scale, dtype=a.dtype), negative)


def _elu_vjp(g, out, a, alpha, scale=1.0, input_scale=1.0):
    # below 0: d/da scale alpha (e^(s a) - 1) = s (out + scale alpha)
    return where(a > 0, g * scale, g * (input_scale * (out + alpha * scale)))


ELU = defprim(
    "elu",
    _elu_fwd,
    _elu_vjp,
    partials="[a>0] + alpha*exp(a)*[a<=0]",
    saves=(0,),
    saves_output=True,
    doc="out = a if a > 0 else alpha * (e^a - 1)",
)


@ELU.public(methods=())
def elu(input, alpha: float = 1.0) -> Tensor:
    return ELU.apply(as_tensor_arg(input), alpha=alpha)


# Klambauer et al.'s constants, as PyTorch writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _selu_fwd(a):
    return _elu_fwd(a, SELU_ALPHA, SELU_SCALE)


def _selu_vjp(g, out, a):
    return _elu_vjp(g, out, a, SELU_ALPHA, SELU_SCALE)


SELU = defprim(
    "selu",
    _selu_fwd,
    _selu_vjp,
    partials="scale*[a>0] + (out + scale*alpha)*[a<=0]",
    saves=(0,),
    saves_output=True,
    doc="out = scale * (a if a > 0 else alpha * (e^a - 1)), alpha = 1.6733, scale = 1.0507",
)


def _celu_fwd(a, alpha):
    return _elu_fwd(a, alpha, 1.0, 1.0 / alpha)


def _celu_vjp(g, out, a, alpha):
    return _elu_vjp(g, out, a, alpha, 1.0, 1.0 / alpha)


CELU = defprim(
    "celu",
    _celu_fwd,
    _celu_vjp,
    partials="[a>0] + (out/alpha + 1)*[a<=0]",
    saves=(0,),
    saves_output=True,
    doc="out = a if a > 0 else alpha * (e^(a/alpha) - 1)",
)


def _floats(input, op: str) -> Tensor:
    x = as_tensor_arg(input)
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {x.dtype} tensors (needs floats)")
    return x


@SELU.public(methods=())
def selu(input) -> Tensor:
    """``scale * elu(x, alpha)`` with ``alpha = 1.6732632...`` and ``scale =
    1.0507009...`` (self-normalising units): ``scale * x`` for ``x > 0``, else
    ``scale * alpha * (e^x - 1)``."""
    return SELU.apply(_floats(input, "selu"))


@CELU.public(methods=())
def celu(input, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (e^(x/alpha) - 1)``: for ``alpha > 0``
    ``max(0, x) + min(0, alpha (e^(x/alpha) - 1))``; gradient 1 at ``x = 0``."""
    x = _floats(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return CELU.apply(x, alpha=alpha)


def _hardtanh_fwd(a, min_val, max_val):
    return xp.clip(a, xp.asarray(min_val, dtype=a.dtype), xp.asarray(max_val, dtype=a.dtype))


def _hardtanh_vjp(g, out, a, min_val, max_val):
    return where((a > min_val) & (a < max_val), g, 0.0)


HARDTANH = defprim(
    "hardtanh",
    _hardtanh_fwd,
    _hardtanh_vjp,
    partials="[min<a<max]",
    saves=(0,),
    doc="out = clamp(a, min_val, max_val); gradient 0 at and beyond the limits",
)


@HARDTANH.public(methods=())
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return HARDTANH.apply(as_tensor_arg(input), min_val=min_val, max_val=max_val)


def _softplus_fwd(a, beta, threshold):
    z = a * xp.asarray(beta, dtype=a.dtype)
    soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / xp.asarray(beta, dtype=a.dtype)
    return xp.where(z > threshold, a, soft)


def _softplus_vjp(g, out, a, beta, threshold):
    z = a * beta
    return where(z > threshold, g, g * sigmoid(z))


SOFTPLUS = defprim(
    "softplus",
    _softplus_fwd,
    _softplus_vjp,
    partials="sigmoid(beta*a)",
    saves=(0,),
    doc="out = ln(1 + e^(beta a)) / beta; linear above `threshold`",
)


@SOFTPLUS.public
def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return SOFTPLUS.apply(as_tensor_arg(input), beta=beta, threshold=threshold)


def silu(input) -> Tensor:
    """``x * sigmoid(x)`` (composite: its gradient follows from the table)."""
    x = as_tensor_arg(input)
    return x * sigmoid(x)


def logsigmoid(input) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large |x|."""
    return neg(softplus(neg(as_tensor_arg(input))))


# ------------------------------------------------- more of PyTorch's family
# Composites of the table's entries: their gradients follow from it.
def hardsigmoid(input) -> Tensor:
    """0 below -3, 1 above 3, ``x/6 + 1/2`` between (gradient 1/6 there)."""
    return hardtanh(as_tensor_arg(input) / 6.0 + 0.5, 0.0, 1.0)


def hardswish(input) -> Tensor:
    """``x * hardsigmoid(x)``: 0 below -3, ``x`` above 3."""
    x = as_tensor_arg(input)
    return x * hardsigmoid(x)


def mish(input) -> Tensor:
    """``x * tanh(softplus(x))``."""
    x = as_tensor_arg(input)
    return x * tanh(softplus(x))


def prelu(input, weight) -> Tensor:
    """``x`` where ``x > 0``, else ``weight * x``; a ``weight`` of several
    elements is one slope per channel (dimension 1 of ``input``)."""
    x, w = as_tensor_arg(input), as_tensor_arg(weight)
    if w.numel() > 1:
        if x.ndim < 2 or x.shape[1] != w.numel():
            raise ValueError(
                f"prelu: {w.numel()} weights for an input of shape {tuple(x.shape)} (one per "
                "channel, dimension 1)"
            )
        w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return where(x > 0, x, w * x)
