"""The operands of binary ops that PyTorch overloads for tensors and Python
numbers (``fmod``, ``remainder``, ``floor_divide``, the bit shifts,
``isin``): checked as PyTorch's overloads check them, then promoted to one
dtype."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.ops.registry import binary_args
from tapegrad.tensor import Tensor

_NUMBER_TYPES = (int, float, bool, B.xp.generic)


def binary_operands(input, other, op: str, *, tensor: str = "either") -> tuple[Tensor, Tensor]:
    """``input`` and ``other`` of the binary op ``op`` as tensors of their
    common dtype (PyTorch's promotion).  Each is a tensor or a Python
    number; ``tensor`` says which must be a tensor, as PyTorch's overloads
    of ``op`` require: ``"input"``, ``"either"`` or ``"neither"``."""
    for x in (input, other):
        if not isinstance(x, (Tensor, *_NUMBER_TYPES)):
            raise TypeError(f"{op}(): expected a Tensor or a number, got {type(x).__name__}")
    given = isinstance(input, Tensor), isinstance(other, Tensor)
    if (tensor == "input" and not given[0]) or (tensor == "either" and not any(given)):
        wanted = "'input' to be a Tensor" if tensor == "input" else "a Tensor among them"
        raise TypeError(
            f"{op}() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected {wanted}"
        )
    return binary_args(input, other)
