"""``x.apply_(callable)`` and ``x.map_(y, callable)``: a Python function run
on every element, in place, as PyTorch's CPU-only methods of those names.

The function takes and returns Python numbers (``float``, ``int`` or
``bool``, as the tensor's dtype gives them); what it returns is converted
to the tensor's dtype (a float truncates towards zero in an integer
tensor) and written through the one in-place door (``tapegrad.tensor.
assign``), which counts a version.  Nothing can be recorded through Python
code, so tensors that require grad are refused, in grad mode or not.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.legacy import type_name
from tapegrad.tensor import Tensor, assign

xp = B.xp


def _python_values(results: list, t: Tensor, op: str):
    """What Python callables returned for the elements of ``t``, as an array
    of ``t``'s dtype: numbers, or anything ``float()`` takes (a one-element
    tensor); floats truncate towards zero in an integer tensor."""
    for r in results:
        if not hasattr(type(r), "__float__"):
            raise TypeError(f"{op}: the function must return real numbers, not {type(r).__name__}")
    kind = t.dtype.kind
    convert = float if kind == "f" else bool if kind == "b" else int
    try:
        return xp.asarray([convert(r) for r in results], dtype=t.dtype).reshape(t.shape)
    except OverflowError as err:
        raise RuntimeError(f"{op}: a value cannot be converted to {t.dtype} ({err})") from None


def _refuse_grad(op: str, *tensors) -> None:
    """``apply_`` and ``map_`` run Python on the values: nothing can be
    recorded, so tensors that require grad are refused (as PyTorch does)."""
    if any(t.requires_grad for t in tensors):
        raise RuntimeError(
            f"Can't call {op}() on a tensor that requires grad. Use tensor.detach().{op}() instead."
        )


def apply_(self: Tensor, callable) -> Tensor:
    """``x_i <- callable(x_i)`` for every element, in place: ``callable``
    takes and returns a Python number (PyTorch's CPU-only ``apply_``)."""
    _refuse_grad("apply_", self)
    results = [callable(v) for v in self.numpy().ravel().tolist()]
    return assign(self, _python_values(results, self, "apply_"), "apply_")


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """``x_i <- callable(x_i, y_i)`` for every element, in place, with
    ``tensor`` (``y``, of ``x``'s dtype) broadcast to ``x``'s shape; Python
    numbers in and out (PyTorch's CPU-only ``map_``)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"map_(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    _refuse_grad("map_", self, tensor)
    if tensor.dtype != self.dtype:
        raise TypeError(
            f"map_: expected {type_name(self.dtype)} for 'tensor' (got {type_name(tensor.dtype)})"
        )
    try:
        others = xp.broadcast_to(tensor.numpy(), self.shape)
    except ValueError:
        raise RuntimeError(
            f"map_: 'tensor' of shape {tuple(tensor.shape)} does not broadcast to the "
            f"shape {tuple(self.shape)} of the tensor changed in place"
        ) from None
    pairs = zip(self.numpy().ravel().tolist(), others.ravel().tolist())
    results = [callable(a, b) for a, b in pairs]
    return assign(self, _python_values(results, self, "map_"), "map_")


__all__ = ["apply_", "map_"]
