"""``tapegrad.special``: PyTorch's ``torch.special`` names.

The error functions and ``logit`` are primitives of the table (``erf``,
``erfc``, ``erfinv``, ``logit``); the rest are the library's own functions
under their ``torch.special`` names, or short composites of them (``ndtr``),
whose gradients follow from the table.
"""

from __future__ import annotations

import math

from tapegrad.ops.elementwise import erf, expm1, log1p, xlogy
from tapegrad.ops.elementwise import sigmoid as expit
from tapegrad.ops.reduce import log_softmax, logsumexp, softmax
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.special import erfc, erfinv
from tapegrad.ops.transcendental import logit
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


def ndtr(input) -> Tensor:
    """``Phi(x) = erfc(-x / sqrt 2) / 2``, the standard normal CDF.  Any shape."""
    return erfc(as_tensor_arg(input) * (-1.0 / math.sqrt(2.0))) * 0.5
