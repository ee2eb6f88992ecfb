"""Gradient clipping, flattening parameters to one vector and weight
normalisation (``torch.nn.utils``; its submodules ``rnn``, ``parametrize``
and ``parametrizations`` live beside this file, in ``tapegrad.nn``)."""

from __future__ import annotations

import math
import sys
import types
import warnings

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.autograd.graph import no_grad
from tapegrad.nn import parametrizations, parametrize  # torch.nn.utils.parametriz(e/ations)
from tapegrad.nn import rnn_utils as rnn  # torch.nn.utils.rnn
from tapegrad.nn.weight_norm import remove_weight_norm, weight_norm  # noqa: F401
from tapegrad.ops import shape as S
from tapegrad.tensor import Tensor

xp = B.xp
# (so that ``import tapegrad.nn.utils.rnn`` and its siblings work)
sys.modules[__name__ + ".rnn"] = rnn
sys.modules[__name__ + ".parametrize"] = parametrize
sys.modules[__name__ + ".parametrizations"] = parametrizations


def _params(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(a, p: float):
    """The p-norm of all elements of the array ``a``, in ``a``'s dtype."""
    a = a.reshape(-1)
    if p == math.inf:
        return xp.abs(a).max() if a.size else xp.zeros((), a.dtype)
    if p == -math.inf:
        return xp.abs(a).min()
    if p == 0:
        return xp.asarray(xp.count_nonzero(a), dtype=a.dtype)
    if p == 2:
        return xp.sqrt(xp.dot(a, a))
    if p == 1:
        return xp.abs(a).sum()
    return (xp.abs(a) ** a.dtype.type(p)).sum() ** a.dtype.type(1.0 / p)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The ``norm_type``-norm of all elements of ``tensors`` (one tensor or an
    iterable) taken together: the norm of the vector of their norms.  A 0-d
    tensor (the default dtype's 0 for no tensors).  ``error_if_nonfinite``:
    a NaN or infinite norm raises."""
    tensors = _params(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tg.tensor(0.0)
    norms = xp.stack([_vector_norm(t.numpy(force=True), norm_type) for t in tensors])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return tg.as_tensor(xp.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients in place, given their total norm:
    ``g <- g * min(1, max_norm / (total_norm + 1e-6))``."""
    if not isinstance(total_norm, Tensor):
        raise TypeError(
            f"clip_grads_with_norm_(): total_norm must be a Tensor, not {type(total_norm).__name__}"
        )
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale the gradients in place so that their joint ``norm_type``-norm is
    at most ``max_norm``: ``get_total_norm`` of the gradients, then
    ``clip_grads_with_norm_``.  Returns the total norm (before clipping)."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _params(parameters)
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2
        )
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _params(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor."""
    return S.cat([S.reshape(p, (-1,)) for p in _params(parameters)])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Give the parameters, in turn, consecutive slices of ``vec`` (each
    viewed as the parameter's shape): as PyTorch, each parameter's ``.data``
    becomes that slice, so it shares ``vec``'s memory and takes its dtype,
    and elements of ``vec`` past the last parameter are left unused."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in _params(parameters):
        n = p.numel()
        p.data = vec[pointer : pointer + n].view_as(p).data
        pointer += n
