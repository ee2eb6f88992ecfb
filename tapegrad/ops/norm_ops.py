"""Normalisation with statistics of the input itself: one fused primitive.

``batch_norm`` standardises ``x`` over some of its axes with the mean and the
biased variance of those axes, then scales and shifts by a ``weight`` and a
``bias`` that broadcast against ``x`` and are constant along those axes.
Batch norm (the axes: all but the channels), instance norm (the spatial
axes) and group norm (each group's channels and positions, after a reshape;
its per-channel affine map comes after) are this one entry with other axes,
as PyTorch once computed all three with its batch norm.

Fused, the backward pass is one formula instead of the chain rule through
the mean, the variance and the square root: with ``xhat = (x - mean) / sigma``
(``weight`` is constant along the axes, so it moves out of the means)::

    dx = (g - mean(g) - xhat * mean(g * xhat)) * weight / sigma

(means over the axes), and ``dweight``, ``dbias`` are the sums of ``g xhat``
and ``g`` that the means need anyway.  The statistics are computed once
(``saves_aux``) and shared by the forward and the first-order vjps; on
tensors they are computed again, recorded, so a second derivative flows
through them.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.elementwise import RSQRT
from tapegrad.ops.reduce import MEAN, SUM
from tapegrad.ops.registry import defprim, sum_to_shape

xp = B.xp


def batch_stats(x, *wb, axes, aux=None, **_):
    """``(mean, var)`` of ``x`` over ``axes``, kept as size-1 axes (the biased
    variance).  On arrays or recorded on tensors; a caller that needs the
    statistics itself (for running averages) computes them first and passes
    them as ``aux``, so they are computed once."""
    if aux is not None:
        return aux
    mean = MEAN.apply(x, axes=axes, keepdim=True)
    xc = x - mean
    return mean, MEAN.apply(xc * xc, axes=axes, keepdim=True)


def _count(shape, axes) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _bn_fwd(x, *wb, aux, axes, eps, has_weight, has_bias):
    """``x * scale + shift`` with ``scale = weight / sigma`` and ``shift =
    bias - mean * scale`` of the statistics' (small) shape: two passes over
    ``x``, as PyTorch's kernel."""
    mean, var = aux
    scale = 1 / xp.sqrt(var + xp.asarray(eps, dtype=x.dtype))
    if has_weight:
        scale = scale * wb[0]
        if any(scale.shape[a] != 1 for a in axes):
            raise ValueError(
                f"batch_norm: weight of shape {wb[0].shape} varies along the normalised "
                f"axes {axes} of input of shape {x.shape}"
            )
    shift = -mean * scale
    if has_bias:
        shift = shift + wb[-1]
    out = x * scale.astype(x.dtype, copy=False)
    out += shift
    return out


def _bn_vjp(g, out, x, *wb, aux, needs, axes, eps, has_weight, has_bias):
    """With ``xc = x - mean``, the sums over the axes ``sg = sum g`` and
    ``sgx = sum g xc``, and ``n`` values per statistic:
    ``dx = (g - sg/n - xc sgx/(n sigma^2)) weight / sigma`` (the module
    docstring's formula, the means written as sums: four passes over ``x``
    besides the sums), ``dweight = sgx / sigma`` and ``dbias = sg``, each
    summed on to its own shape."""
    mean, var = aux
    rstd = RSQRT.apply(var + eps)
    xc = x - mean
    sg = SUM.apply(g, axes=axes, keepdim=True)
    sgx = SUM.apply(g * xc, axes=axes, keepdim=True)
    grads = [None] * len(needs)
    if needs[0]:
        n = _count(x.shape, axes)
        k = rstd * wb[0] if has_weight else rstd
        grads[0] = (g - xc * (rstd * rstd * sgx / n) - sg / n) * k
    if has_weight and needs[1]:
        grads[1] = sum_to_shape(sgx * rstd, wb[0].shape)
    if has_bias and needs[-1]:
        grads[-1] = sum_to_shape(sg, wb[-1].shape)
    return tuple(grads)


BATCH_NORM = defprim(
    "batch_norm",
    _bn_fwd,
    vjp_all=_bn_vjp,
    partials=("(I - 1/n - xhat xhat^T/n) weight / sigma", "xhat", "1"),
    saves_for=((0, 1), (0,), ()),
    saves_aux=batch_stats,
    arrays=True,
    doc="out = (a - mean(a)) / sqrt(var(a) + eps) * weight + bias, the mean and the "
    "(biased) variance over `axes`; weight and bias broadcast against a, constant along `axes`",
)


def batch_norm_fused(x, weight, bias, axes: tuple, eps: float, stats=None):
    """Apply the fused primitive: ``x`` standardised over ``axes``, times
    ``weight``, plus ``bias`` (each ``None`` or broadcasting against ``x``).
    ``stats``: ``batch_stats`` of ``x``'s array, when the caller has them."""
    args = [x] + [a for a in (weight, bias) if a is not None]
    return BATCH_NORM.apply(
        *args,
        axes=tuple(axes),
        eps=float(eps),
        has_weight=weight is not None,
        has_bias=bias is not None,
        aux=stats,
    )
