"""Results that PyTorch records without a derivative.

A few PyTorch ops have no backward formula, yet on inputs that require grad
their result requires grad too, with the ``grad_fn`` ``NotImplemented``,
and a backward pass that reaches it raises ``derivative for floor_divide is
not implemented``: ``floor_divide`` (``//``), ``remainder`` of a number by
a tensor, ``bincount`` with weights.  tapegrad records such a result the
same way, outside the table of differentiable primitives (there is nothing
to gradcheck), so that a program that backpropagates through one fails
where PyTorch's fails instead of silently losing part of its gradient.
"""

from __future__ import annotations

from tapegrad.autograd.graph import GradMode
from tapegrad.tensor import Tensor, new_tensor


class NoDerivative:
    """The ``prim`` of a node recorded without a derivative: what the engine,
    the error messages and the diagrams read of a table entry, and a vjp that
    raises."""

    saves = ()
    saves_masks = None
    saves_output = False
    view = False
    arrays = False
    backward_name = "NotImplemented"  # (PyTorch's grad_fn name for these)

    def __init__(self, name: str):
        self.name = name
        self.partials = ("not implemented",)
        self.doc = f"out = {name}(...), recorded without a derivative (as in PyTorch)"

    def vjp(self, node, g, needs, arrays):
        raise RuntimeError(f"derivative for {self.name} is not implemented (as in PyTorch)")

    def __repr__(self) -> str:
        return f"<no derivative: {self.name}>"


_BY_NAME: dict[str, NoDerivative] = {}


def without_derivative(name: str, array, inputs) -> Tensor:
    """``array``, which the op ``name`` computed from ``inputs``, as its
    result: when grad mode is on and a tensor among ``inputs`` requires grad,
    a tensor that requires grad whose backward raises; else a plain tensor."""
    tensors = tuple(x for x in inputs if isinstance(x, Tensor))
    if not (GradMode.enabled and any(t.requires_grad for t in tensors)):
        return new_tensor(array)
    prim = _BY_NAME.setdefault(name, NoDerivative(name))
    parents = tuple((t.grad_fn or t) if t.requires_grad else None for t in tensors)
    return new_tensor(array, prim, tensors, parents)
