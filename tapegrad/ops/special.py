"""Special functions and GELU as primitives of the table.

``erfc`` and ``erfinv`` beside ``erf`` (in ``elementwise``); the arrays are
computed by ``tapegrad.special_math`` through the backend.  GELU is one
primitive per form, exact (``x Phi(x)``) and ``'tanh'``, each with its
backward as a primitive of its own (PyTorch's ``gelu_backward``): one node
in a first-order backward, and differentiable again for the second order.
"""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad import special_math as SM
from tapegrad.ops.elementwise import EXP, TANH
from tapegrad.ops.registry import as_tensor_arg, defprim
from tapegrad.tensor import Tensor

xp = B.xp
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # d erf(a)/da = e^(-a^2) 2/sqrt(pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0  # d erfinv(a)/da = e^(erfinv(a)^2) sqrt(pi)/2
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # phi(0)
_TANH_C = math.sqrt(2.0 / math.pi)  # GELU's tanh form: k(x) = c (x + 0.044715 x^3)
_TANH_A = 0.044715

ERFC = defprim(
    "erfc",
    B.erfc,
    "g * EXP.apply(-(a * a)) * -_TWO_OVER_SQRT_PI",
    partials="-2/sqrt(pi)*exp(-a**2)",
    saves=(0,),
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = erfc(a) = 1 - erf(a), accurate in the right tail",
)
ERFINV = defprim(
    "erfinv",
    B.erfinv,
    "g * EXP.apply(out * out) * _SQRT_PI_OVER_TWO",
    partials="sqrt(pi)/2*exp(erfinv(a)**2)",
    saves_output=True,
    elementwise=True,
    arrays=True,
    public="float",
    doc="out = erfinv(a): erf(out) = a on [-1, 1]; +-inf at +-1, NaN outside",
)
erfc, erfinv = ERFC.function, ERFINV.function


# --------------------------------------------------------------------- GELU
def _on_1d(f):
    """``f`` of an array, given a 0-d array or a NumPy scalar too (the
    kernels below compute in place)."""

    def wrapped(x, *more):
        if x.__class__ is B.ndarray and x.ndim:
            return f(x, *more)
        return f(*(xp.asarray(v).reshape(1) for v in (x, *more))).reshape(())

    wrapped.__name__ = f.__name__
    return wrapped


@_on_1d
def _normal_cdf(a):
    return SM.normal_cdf(a)


def _gelu_cdf(a):
    """``Phi(a)``, which GELU's forward and its first-order vjp share (saved
    with the node: the backward does not compute it again).  On a tensor
    ``None``: the recorded vjp, ``GELU_BACKWARD``, computes what it needs."""
    return None if isinstance(a, Tensor) else _normal_cdf(a)


def _gelu_fwd(a, *, aux):
    """``a Phi(a)``, ``Phi(a)`` given (``aux``)."""
    return aux * a


@_on_1d
def _gelu_slope(x, cdf=None):
    """``d gelu(x)/dx = Phi(x) + x phi(x)`` on an array (``Phi(x)`` given or computed)."""
    d = SM.normal_pdf(x)
    d *= x
    d += SM.normal_cdf(x) if cdf is None else cdf
    return d


def _gelu_vjp(g, out, a, *, aux, needs):
    """``g (Phi(a) + a phi(a))``: on arrays with the saved ``Phi(a)``; on
    tensors through ``GELU_BACKWARD`` (differentiable)."""
    if aux is None:
        return (GELU_BACKWARD.apply(g, a),)
    return (g * _gelu_slope(a, aux),)


def _gelu_curvature(x):
    """``d^2 gelu(x)/dx^2 = phi(x) (2 - x^2)``, in tapegrad ops."""
    return EXP.apply(x * x * -0.5) * (2.0 - x * x) * _INV_SQRT_2PI


GELU_BACKWARD = defprim(
    "gelu_backward",
    lambda g, x: g * _gelu_slope(x),
    ("GELU_BACKWARD.apply(g, b)", "g * a * _gelu_curvature(b)"),
    partials=("Phi(b) + b*phi(b)", "a*phi(b)*(2 - b**2)"),
    saves=(0, 1),
    elementwise=True,
    arrays=True,
    doc="out = a (Phi(b) + b phi(b)): the exact GELU's vjp at b",
)
GELU = defprim(
    "gelu",
    _gelu_fwd,
    vjp_all=_gelu_vjp,
    partials="Phi(a) + a*phi(a)",
    saves=(0,),
    saves_aux=_gelu_cdf,
    arrays=True,
    doc="out = a Phi(a) = a (1 + erf(a / sqrt 2)) / 2, Phi the standard normal CDF",
)


def _tanh_k(x):
    """``k(x) = c (x + 0.044715 x^3)`` on an array, with ``k'(x)``'s factor
    ``x^2`` returned too."""
    t = x * x
    k = t * (_TANH_C * _TANH_A)
    k += _TANH_C
    k *= x
    return k, t


@_on_1d
def _gelu_tanh_fwd(a):
    k, _ = _tanh_k(a)
    xp.tanh(k, out=k)  # T
    h = a * 0.5
    k *= h
    k += h  # a (1 + T) / 2
    return k


@_on_1d
def _gelu_tanh_slope(x):
    """``(1 + T)/2 + x (1 - T^2) k'(x) / 2``, ``T = tanh(k(x))``, on an array."""
    k, t = _tanh_k(x)
    xp.tanh(k, out=k)
    t *= 3 * _TANH_C * _TANH_A
    t += _TANH_C  # k'(x)
    t *= x * 0.5
    one_minus = 1.0 - k * k
    t *= one_minus
    k += 1.0
    k *= 0.5
    k += t
    return k


def _gelu_tanh_curvature(x):
    """``(1 - T^2) (k' - x T k'^2 + x k''/2)``, in tapegrad ops."""
    x2 = x * x
    t = TANH.apply((x2 * _TANH_A + 1.0) * x * _TANH_C)
    dk = (x2 * (3 * _TANH_A) + 1.0) * _TANH_C
    return (1.0 - t * t) * (dk - x * t * dk * dk + x2 * (3 * _TANH_C * _TANH_A))


GELU_TANH_BACKWARD = defprim(
    "gelu_tanh_backward",
    lambda g, x: g * _gelu_tanh_slope(x),
    ("GELU_TANH_BACKWARD.apply(g, b)", "g * a * _gelu_tanh_curvature(b)"),
    partials=("(1+T)/2 + b(1-T^2)k'/2", "a*(1-T^2)(k' - b T k'^2 + b k''/2)"),
    saves=(0, 1),
    elementwise=True,
    arrays=True,
    doc="out = a d/db gelu_tanh(b): the tanh GELU's vjp, T = tanh(k(b))",
)
GELU_TANH = defprim(
    "gelu_tanh",
    _gelu_tanh_fwd,
    "GELU_TANH_BACKWARD.apply(g, a)",
    partials="(1+T)/2 + a(1-T^2)k'/2",
    saves=(0,),
    elementwise=True,
    arrays=True,
    doc="out = a (1 + tanh(k(a))) / 2, k(a) = sqrt(2/pi) (a + 0.044715 a^3)",
)


@GELU.public(methods=())
def gelu(input, approximate: str = "none") -> Tensor:
    """``x Phi(x)``, ``Phi`` the standard normal CDF (``approximate='tanh'``:
    ``x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2``); any shape."""
    if approximate == "none":
        prim = GELU
    elif approximate == "tanh":
        prim = GELU_TANH
    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = as_tensor_arg(input)
    if x._array.dtype.kind != "f":
        raise TypeError(f"gelu: expected a floating point tensor, got {x._array.dtype}")
    return prim.apply(x)
