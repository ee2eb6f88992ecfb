"""Replacing non-finite values: ``nan_to_num`` (PyTorch's signature).

``out = nan`` where ``a`` is NaN, ``posinf`` where it is ``+inf``, ``neginf``
where it is ``-inf`` (by default the largest and the lowest finite value of
the dtype), ``a`` elsewhere; integer and boolean tensors are copied as they
are.  The gradient is PyTorch's ``g * isfinite(a)``: it passes where ``a``
was finite and is 0 where a value was replaced.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.autograd.graph import is_grad_enabled, no_grad
from tapegrad.factory_args import write_out
from tapegrad.ops.compare import isfinite
from tapegrad.ops.registry import defprim
from tapegrad.tensor import Tensor

xp = B.xp


def _nan_to_num_fwd(a, nan, posinf, neginf):
    # A replacement beyond the dtype's range becomes +-inf silently, as in PyTorch.
    with xp.errstate(over="ignore"):
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


NAN_TO_NUM = defprim(
    "nan_to_num",
    _nan_to_num_fwd,
    lambda g, out, a, nan, posinf, neginf: g * isfinite(a),
    partials="[a finite]",
    saves=(0,),
    doc="out = a where a is finite; nan, posinf, neginf where a is NaN, +inf, -inf",
)


@NAN_TO_NUM.public
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None) -> Tensor:
    """Replace NaN by ``nan``, ``+inf`` by ``posinf`` and ``-inf`` by
    ``neginf`` (``None``: the dtype's largest / lowest finite value); same
    shape and dtype as ``input``.  Gradient ``g * isfinite(input)``."""
    if not isinstance(input, Tensor):
        raise TypeError(
            "nan_to_num(): argument 'input' (position 1) must be Tensor, "
            f"not {type(input).__name__}"
        )
    params = {
        "nan": _replacement(nan, "nan") if nan is not None else 0.0,
        "posinf": _replacement(posinf, "posinf"),
        "neginf": _replacement(neginf, "neginf"),
    }
    if out is None:
        return NAN_TO_NUM.apply(input, **params)
    if is_grad_enabled() and (input.requires_grad or out.requires_grad):
        raise RuntimeError(
            "nan_to_num(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    if out.dtype != input.dtype:
        raise RuntimeError(
            f"nan_to_num: dtype of out: {out.dtype} should be same as input: {input.dtype}"
        )
    with no_grad():
        result = NAN_TO_NUM.apply(input, **params)
    return write_out(out, result._array, "nan_to_num")


def _replacement(value, name: str) -> float | None:
    """A replacement value as a Python float (a number or a one-element
    tensor, as PyTorch takes it); ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (int, float, xp.integer, xp.floating)):
        raise TypeError(
            f"nan_to_num(): argument '{name}' must be float, not {type(value).__name__}"
        )
    return float(value)
