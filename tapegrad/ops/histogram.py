"""``histc``: the histogram of a tensor in equal-width bins, with no gradient
(PyTorch's signature and rules).

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
