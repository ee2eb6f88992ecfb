"""The primitive ops: each a forward beside its vjp, all in one table
(``tapegrad.ops.registry.PRIMITIVES``), grouped by kind."""

from tapegrad.ops import activations, conv, elementwise, index, linalg, reduce, shape  # noqa: F401 (fills the table)
from tapegrad.ops import interpolate, pool, resample, spatial  # noqa: F401 (pooling, resampling)
from tapegrad.ops import rnn  # noqa: F401 (the recurrent cells)
from tapegrad.ops import attention  # noqa: F401 (scaled dot-product attention)
from tapegrad.ops import cumulative, pairwise, sets  # noqa: F401 (cumprod, cdist, unique, ...)
from tapegrad.ops import finite  # noqa: F401 (nan_to_num)
from tapegrad.ops import order_stats  # noqa: F401 (median)
from tapegrad.ops import linalg_decomp  # noqa: F401 (inv, solve, det, qr, eigh, svd, ...)
from tapegrad.ops.registry import PRIMITIVES, Primitive, ShapeError, apply, defprim, sum_to_shape

__all__ = ["PRIMITIVES", "Primitive", "ShapeError", "apply", "defprim", "sum_to_shape"]
