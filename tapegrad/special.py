"""``tapegrad.special``: PyTorch's ``torch.special`` names.

The error functions are primitives of the table (``erf``, ``erfc``,
``erfinv``); the rest are the library's own functions under their
``torch.special`` names, or short composites of them (``logit``, ``ndtr``),
whose gradients follow from the table.
"""

from __future__ import annotations

import math

from tapegrad.ops.elementwise import clamp, erf, expm1, log, log1p, xlogy
from tapegrad.ops.elementwise import sigmoid as expit
from tapegrad.ops.reduce import log_softmax, logsumexp, softmax
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.special import erfc, erfinv
from tapegrad.tensor import Tensor

__all__ = [
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "expm1",
    "log1p",
    "log_softmax",
    "logit",
    "logsumexp",
    "ndtr",
    "softmax",
    "xlogy",
]


def logit(input, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``; with ``eps``, ``p`` clamped to ``[eps, 1 - eps]``
    first (gradient 0 outside).  Any shape."""
    p = as_tensor_arg(input)
    if eps is not None:
        p = clamp(p, eps, 1.0 - eps)
    return log(p) - log1p(-p)


def ndtr(input) -> Tensor:
    """``Phi(x) = erfc(-x / sqrt 2) / 2``, the standard normal CDF.  Any shape."""
    return erfc(as_tensor_arg(input) * (-1.0 / math.sqrt(2.0))) * 0.5
