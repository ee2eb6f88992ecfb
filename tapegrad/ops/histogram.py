"""``histc``: the histogram of a tensor in equal-width bins, and ``bincount``,
the counts of each value of a tensor of non-negative integers, with no
gradient (PyTorch's signatures and rules).

An element ``x`` of ``[min, max]`` falls in bin
``floor((x - min) / (max - min) * bins)``, computed in the input's dtype as
PyTorch computes it (so an element within rounding of an inner edge may
land on either side, as in PyTorch); ``x = max`` is in the last bin.
Elements outside the range and NaNs are not counted.  With ``min == max``
the data's own minimum and maximum are the range, and if those are equal
too (or the input is empty) the range widens to ``[min - 1, max + 1]``.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.factory_args import int_arg, number, write_out
from tapegrad.ops.no_derivative import without_derivative
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def histc(input, bins: int = 100, min=0, max=0, *, out=None) -> Tensor:
    """Counts of the elements of ``input`` in ``bins`` equal bins between
    ``min`` and ``max``: a 1-D tensor of shape ``(bins,)`` and ``input``'s
    (floating) dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"histc(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    bins = int_arg(bins, "bins", "histc")
    lo, hi = _range(input, number(min, "min", "histc"), number(max, "max", "histc"))
    if input.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    counts = _counts(input._array.reshape(-1), bins, lo, hi)
    result = counts.astype(input.dtype)
    return new_tensor(result) if out is None else write_out(out, result, "histc")


def _range(x: Tensor, lo: float, hi: float) -> tuple[float, float]:
    """The outer edges PyTorch uses (see the module docstring)."""
    lo, hi = float(lo), float(hi)
    if lo == hi and x.numel() > 0:
        data = x._array
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (xp.isfinite(lo) and xp.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    return lo, hi


def _counts(values, bins: int, lo: float, hi: float):
    """How many of ``values`` fall in each bin (float64 counts)."""
    real = values.dtype.type  # (the arithmetic in the input's dtype, as PyTorch's)
    lo, hi = real(lo), real(hi)
    values = values[(values >= lo) & (values <= hi)]  # (also drops NaN)
    index = ((values - lo) / (hi - lo) * real(bins)).astype(xp.int64)
    index = xp.minimum(index, bins - 1)  # x = max belongs to the last bin
    return xp.bincount(index, minlength=bins).astype(xp.float64)


_ONLY = "bincount only supports 1-d non-negative integral inputs"  # (PyTorch's words)


def bincount(input, weights=None, minlength=0) -> Tensor:
    """How often each value ``0, 1, ..., max(input)`` occurs in the 1-D
    tensor of non-negative integers ``input``, or with ``weights`` (1-D, of
    ``input``'s length) the sum of the weights of its occurrences:
    ``out[v] = sum of weights[i] over i with input[i] = v``.  Shape
    ``(max(max(input) + 1, minlength),)``; dtype int64 without weights, with
    them float32 or float64 as the weights (float64 for other weights), and
    int64 zeros for an empty ``input``, as in PyTorch.  No derivative, as
    in PyTorch: with weights that require grad, the result does too, and a
    backward pass through it raises."""
    _tensor_arg(input, "input")
    minlength = int_arg(minlength, "minlength", "bincount")
    if weights is not None:
        _tensor_arg(weights, "weights")
    if input.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype}'")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    values = input._array
    if values.ndim == 1 and values.size == 0:
        return new_tensor(xp.zeros(minlength, dtype=xp.int64))
    if values.ndim != 1:
        raise RuntimeError(f"{_ONLY}, got an input of shape {tuple(input.shape)}")
    if values.min() < 0:
        raise RuntimeError(f"{_ONLY}, got the value {values.min()}")
    if weights is None:
        return new_tensor(xp.bincount(values, minlength=minlength).astype(xp.int64))
    if weights.shape != input.shape:
        raise RuntimeError(
            "bincount: weights should be 1-d and have the same length as input, got shapes "
            f"{tuple(weights.shape)} and {tuple(input.shape)}"
        )
    w = weights._array
    sums = xp.bincount(values, weights=w.astype(xp.float64), minlength=minlength)
    dtype = w.dtype if w.dtype in (xp.float32, xp.float64) else xp.float64
    return without_derivative("bincount", sums.astype(dtype, copy=False), (weights,))


def _tensor_arg(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"bincount(): argument '{name}' must be Tensor, not {type(x).__name__}")
