"""The primitive ops: each a forward beside its vjp, all in one table
(``tapegrad.ops.registry.PRIMITIVES``), grouped by kind."""

from tapegrad.ops import activations, conv, elementwise, index, linalg, reduce, shape  # noqa: F401 (fills the table)
from tapegrad.ops import interpolate, pool, resample, spatial  # noqa: F401 (pooling, resampling)
from tapegrad.ops.registry import PRIMITIVES, Primitive, ShapeError, apply, defprim, sum_to_shape

__all__ = ["PRIMITIVES", "Primitive", "ShapeError", "apply", "defprim", "sum_to_shape"]
