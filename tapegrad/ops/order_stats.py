"""Order statistics: ``median``, ``nanmedian``, ``kthvalue``, ``mode``.

Along a dimension each returns ``(values, indices)``: the indices are found
on the arrays (no gradient) and the values are ``gather(input, dim,
indices)``, so the gradient goes to the one element each index names, as in
PyTorch.  Where the selected value occurs more than once, the index is the
one PyTorch's CPU kernel returns:

* ``median``/``nanmedian``: the kernel orders by (value, position), so it is
  the middle entry of a stable sort; a row with a NaN gives its first NaN
  (``median``); ``nanmedian`` skips the NaNs, and of an all-NaN row returns
  the position ``std::nth_element`` leaves first (``cpu_selection``);
* ``kthvalue`` and ``mode``: the position the kernel's quickselect or
  ``std::sort`` leaves the element at (``cpu_selection``); NumPy decides
  every row whose answer is unambiguous, the port of the kernel the rest.

``median(input)`` over all elements has no index; its gradient is shared
equally by the elements equal to the median (by the NaNs when it is NaN),
PyTorch's ``evenly_distribute_backward``: one entry of the primitive table.
"""

from __future__ import annotations

import builtins
import collections

from tapegrad import backend as B
from tapegrad.factory_args import int_arg
from tapegrad.ops.compare import isnan
from tapegrad.ops.cpu_selection import INSERTION_SORTED, introselect, introsort, quickselect
from tapegrad.ops.elementwise import where
from tapegrad.ops.index import gather
from tapegrad.ops.registry import as_tensor_arg, defprim
from tapegrad.ops.shape import reshape
from tapegrad.tensor import Tensor, _wrap_dim, new_tensor

xp = B.xp

return_types_median = collections.namedtuple("median", ["values", "indices"])
return_types_nanmedian = collections.namedtuple("nanmedian", ["values", "indices"])
return_types_kthvalue = collections.namedtuple("kthvalue", ["values", "indices"])
return_types_mode = collections.namedtuple("mode", ["values", "indices"])


# ------------------------------------------------------- median of all elements
def _median_fwd(a, ignore_nan):
    flat = a.reshape(-1)
    nans = _nan_mask(flat)
    count = flat.size - int(nans.sum())
    if count == 0 or (count < flat.size and not ignore_nan):
        with xp.errstate(invalid="ignore"):  # (an integer NaN: what PyTorch's cast gives)
            return xp.asarray(xp.nan).astype(a.dtype)
    middle = (count - 1) // 2
    return xp.partition(flat, middle)[middle]  # (NumPy's partition puts NaN last)


def _median_vjp(g, out, a, ignore_nan):
    chosen = isnan(a) if bool(isnan(out)) else a == out
    count = builtins.max(int(chosen._array.sum()), 1)
    return where(chosen, g / count, 0.0)


MEDIAN = defprim(
    "median",
    _median_fwd,
    _median_vjp,
    partials="[a == median]/count",
    saves=(0,),
    saves_output=True,
    doc="out = the lower middle value of all elements of a (NaN if one is NaN, unless "
    "`ignore_nan`); elements equal to it share the gradient equally",
)


# ------------------------------------------------------------- the arguments
def _orderable(input, op: str) -> Tensor:
    x = as_tensor_arg(input)
    if x._array.dtype == B.bool_:
        raise NotImplementedError(f"{op}(): not implemented for 'Bool' tensors")
    return x


def _nan_mask(a):
    return xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, dtype=B.bool_)


def _rows(x: Tensor, dim, op: str):
    """``(d, rows)``: ``dim`` wrapped, and the input as a 2-D array with one
    row per output element and the reduced dimension last."""
    d = _wrap_dim(int_arg(dim, "dim", op), x.ndim, op)
    a = x._array if x.ndim else x._array.reshape(1)
    if a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return d, xp.moveaxis(a, d, -1).reshape(-1, a.shape[d])


def _selected(x: Tensor, d: int, positions, keepdim: bool, result):
    """``result(values, indices)`` for the ``positions`` chosen in each row
    of ``_rows``: the values gathered from ``x``, so they carry its gradient."""
    whole = x if x.ndim else reshape(x, (1,))
    kept = whole.shape[:d] + (1,) + whole.shape[d + 1 :]
    index = new_tensor(positions.astype(B.int64).reshape(kept))
    shape = kept if keepdim and x.ndim else x.shape[:d] + x.shape[d + 1 :]
    return result(reshape(gather(whole, d, index), shape), reshape(index, shape))


# -------------------------------------------------------------------- median
def median(input, dim=None, keepdim: bool = False):
    """``median(x)``: the lower of the two middle values of all elements for
    an even count (NaN if any element is NaN; NaN for an empty ``x``), a 0-d
    tensor whose gradient the elements equal to it share equally.
    ``median(x, dim, keepdim=False)``: ``(values, indices)`` of the median
    along ``dim`` (a row with a NaN gives its first NaN); the gradient goes to
    the element at the index."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim: bool = False):
    """``median`` of the values that are not NaN (NaN where all are NaN)."""
    return _median(input, dim, keepdim, ignore_nan=True)


def _median(input, dim, keepdim: bool, ignore_nan: bool):
    op = "nanmedian" if ignore_nan else "median"
    x = _orderable(input, op)
    if dim is None:
        if keepdim:
            raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
        return MEDIAN.apply(x, ignore_nan=ignore_nan)
    d, rows = _rows(x, dim, op)
    result = return_types_nanmedian if ignore_nan else return_types_median
    return _selected(x, d, _median_positions(rows, ignore_nan), keepdim, result)


def _median_positions(rows, ignore_nan: bool):
    """Per row, the position of the middle entry of its stable sort (NaN
    last): the lower middle of all (``median``) or of the numbers
    (``nanmedian``); ``median`` of a row with a NaN is its first NaN."""
    n = rows.shape[1]
    nans = _nan_mask(rows)
    order = xp.argsort(rows, axis=1, kind="stable")
    if not ignore_nan:
        return xp.where(nans.any(axis=1), nans.argmax(axis=1), order[:, (n - 1) // 2])
    numbers = n - nans.sum(axis=1)
    middle = xp.maximum(numbers - 1, 0) // 2
    positions = xp.take_along_axis(order, middle[:, None], axis=1)[:, 0]
    # An all-NaN row: every comparison is false, so where the kernel's
    # nth_element stops depends on the row's length alone.
    positions[numbers == 0] = introselect(n, 0, lambda i, j: False)[0]
    return positions


# ------------------------------------------------------------------ kthvalue
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest element along ``dim``
    (``k`` from 1; NaN counts as the largest value); the gradient goes to the
    element at the index."""
    x = _orderable(input, "kthvalue")
    k = int_arg(k, "k", "kthvalue")
    d, rows = _rows(x, dim, "kthvalue")
    if not 1 <= k <= rows.shape[1]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _selected(x, d, _kth_positions(rows, k - 1), keepdim, return_types_kthvalue)


def _kth_positions(rows, k: int):
    """Per row, the position of its ``k``-th smallest (from 0): the only one
    holding that value, or where the kernel's quickselect leaves it."""
    values = xp.partition(rows, k, axis=1)[:, k : k + 1]
    same = (rows == values) | (_nan_mask(rows) & _nan_mask(values))
    positions = same.argmax(axis=1)
    for r in xp.flatnonzero(same.sum(axis=1) > 1):
        positions[r] = quickselect(rows[r].tolist(), k)[k]
    return positions


# ---------------------------------------------------------------------- mode
def mode(input, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the
    smallest of equally frequent ones) and a position where it occurs, the
    one PyTorch's kernel returns: the last for rows of at most 16 elements
    without NaNs, else wherever its ``std::sort`` leaves it (a NaN equals
    nothing, not even a NaN).  The gradient goes to the element at the index."""
    x = as_tensor_arg(input)
    d, rows = _rows(x, dim, "mode")
    return _selected(x, d, _mode_positions(rows), keepdim, return_types_mode)


def _mode_positions(rows):
    """Per row, the position PyTorch's mode returns: the last element of the
    first longest run of equal values in the kernel's sorted order.  Without
    NaNs, that is the last occurrence of the value when the order is stable
    (short rows) or the value occurs once."""
    m, n = rows.shape
    ordered = xp.sort(rows, axis=1)
    runs = _run_lengths(ordered)
    value = ordered[xp.arange(m), runs.argmax(axis=1)]
    hits = rows == value[:, None]
    positions = (n - 1) - hits[:, ::-1].argmax(axis=1)
    stable = (n <= INSERTION_SORTED) | (runs.max(axis=1) == 1)
    for r in xp.flatnonzero(~stable | _nan_mask(rows).any(axis=1)):
        positions[r] = _mode_by_kernel(rows[r].tolist())
    return positions


def _run_lengths(ordered):
    """For each entry of each sorted row, the length of the run of equal
    values ending there."""
    m, n = ordered.shape
    starts = xp.ones((m, n), dtype=B.bool_)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    at = xp.broadcast_to(xp.arange(n), (m, n))
    return at - xp.maximum.accumulate(xp.where(starts, at, 0), axis=1) + 1


def _mode_by_kernel(values: list) -> int:
    """PyTorch's CPU mode on one row: ``std::sort`` by value, then the last
    element of the first longest run of neighbours that compare equal (a NaN
    equals nothing, so each NaN is a run of its own)."""
    order = introsort(len(values), lambda i, j: values[i] < values[j])
    best, longest, run = 0, 0, 0
    for p, i in enumerate(order):
        run += 1
        if p == len(order) - 1 or values[i] != values[order[p + 1]]:
            if run > longest:
                best, longest = i, run
            run = 0
    return best
