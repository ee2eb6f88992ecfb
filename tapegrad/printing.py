"""How tensors print: PyTorch's layout and its print options.

``repr(tensor)`` is ``tensor(<body>, <suffixes>)``.  The body formats every
element alike, chosen from the nonzero finite elements that will be shown:

- integers and bools as Python prints them;
- floats that are all whole as ``1.`` (no decimals);
- otherwise ``precision`` decimals (``1.5000``), or scientific notation
  (``1.5000e-05``) when the largest magnitude is more than 1000 times the
  smallest, above 1e8, or the smallest below 1e-4 (``sci_mode`` forces it on
  or off);

right-aligned to the widest of them, as many per line as fit in
``linewidth``.  A tensor of more than ``threshold`` elements shows only
``edgeitems`` at each end of every dimension, with ``...`` between.  The
suffixes (dtype, ``grad_fn``, ``requires_grad``) go on a new line when they
would pass ``linewidth``.  ``set_printoptions`` changes the options for
every later print, as ``torch.set_printoptions``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

from tapegrad import backend as B
from tapegrad import dtypes

host = B.host


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions``: ``precision``
    decimals (4), summarize above ``threshold`` elements (1000) showing
    ``edgeitems`` at each end (3), lines of ``linewidth`` characters (80).
    ``profile`` ('default', 'short' or 'full') sets those four first; the
    others then override it.  ``sci_mode`` True or False forces scientific
    notation on or off; None (also when left out) lets the values decide."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {', '.join(_PROFILES)}, got {profile!r}"
            )
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    given = {"precision": precision, "threshold": threshold}
    given.update(edgeitems=edgeitems, linewidth=linewidth)
    for name, value in given.items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keywords for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**options):
    """Print with ``options`` (``set_printoptions``'s keywords) inside a
    ``with`` block; the options before it come back after it."""
    before = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**before)


# ------------------------------------------------------------------ elements
class _Formatter:
    """One format for all elements of an array (PyTorch's ``_Formatter``),
    decided from ``shown``, the elements a print shows."""

    def __init__(self, shown):
        self.floating = shown.dtype.kind == "f"
        self.whole, self.sci, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in shown.ravel().tolist()), default=1)
            return
        values = shown[host.isfinite(shown) & (shown != 0)]
        if not values.size:
            return
        magnitudes = host.abs(values.astype(host.float64))
        largest, smallest = magnitudes.max(), magnitudes.min()
        self.whole = bool(host.all(values == host.ceil(values)))
        self.sci = (
            largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
            if PRINT_OPTS.sci_mode is None
            else PRINT_OPTS.sci_mode
        )
        # (a whole float prints with a trailing '.', one character wider)
        extra = 1 if self.whole and not self.sci else 0
        self.width = max(len(self._digits(v)) + extra for v in values.tolist())

    def _digits(self, value: float) -> str:
        if self.sci:
            return f"{value:.{PRINT_OPTS.precision}e}"
        if self.whole:
            return f"{value:.0f}"
        return f"{value:.{PRINT_OPTS.precision}f}"

    def format(self, value) -> str:
        """``value`` (a Python number) formatted and right-aligned."""
        if not self.floating:
            text = str(value)
        else:
            text = self._digits(value)
            if self.whole and not self.sci and math.isfinite(value):
                text += "."
        return text.rjust(self.width)


# ---------------------------------------------------------------------- body
def _summarized(a):
    """The elements a summarized print shows: ``edgeitems`` at each end of
    every dimension longer than twice that (PyTorch's
    ``get_summarized_data``, whose quirks it keeps)."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return host.concatenate((a[:edge], a[-edge:])) if a.shape[0] > 2 * edge else a
    if not edge:
        return host.empty((0,) * a.ndim, dtype=a.dtype)
    if a.shape[0] > 2 * edge:
        rows = [*range(edge), *range(a.shape[0] - edge, a.shape[0])]
    else:
        rows = range(a.shape[0])
    return host.stack([_summarized(a[i]) for i in rows])


def _vector(a, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        head, tail = a[:edge].tolist(), a[-edge:].tolist()
        items = [fmt.format(v) for v in head] + [" ..."] + [fmt.format(v) for v in tail]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """The body of ``a`` at ``indent``: rows one below the other, a blank
    line more between blocks of each further dimension."""
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    edge, n = PRINT_OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * edge:
        head = [_nested(a[i], indent + 1, summarize, fmt) for i in range(edge)]
        tail = [_nested(a[i], indent + 1, summarize, fmt) for i in range(n - edge, n)]
        rows = head + ["..."] + tail
    else:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(a, indent: int) -> str:
    """The body of a tensor's print: the host array ``a`` laid out as PyTorch
    does, its first line following ``indent`` characters."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    return _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))


# ------------------------------------------------------------------ the repr
def _dtype_suffixes(a) -> list:
    """What a print says about the shape and dtype beside the body: the shape
    of an empty tensor that is not 1-D (or of any when ``edgeitems`` is 0),
    and the dtype unless the values imply it (the default float dtype,
    int64, bool; an empty tensor shows every dtype but the default)."""
    suffixes = []
    if (a.size == 0 and a.ndim != 1) or (a.size and not PRINT_OPTS.edgeitems):
        suffixes.append(f"size={tuple(a.shape)}")
    implied = (dtypes.get_default_dtype(),)
    if a.size:
        implied += (dtypes.int64, dtypes.bool)
    if a.dtype not in implied:
        suffixes.append(f"dtype=tapegrad.{a.dtype}")
    return suffixes


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """``text`` closed with the suffixes, each on a new line (indented by
    ``indent``) when it would pass ``linewidth`` (PyTorch's count)."""
    parts = [text]
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        width = _width(suffix)
        if line + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line = indent + width
        else:
            parts.append(", " + suffix)
            line += width + 2
    return "".join(parts) + ")"


def _width(suffix: str) -> int:
    """A suffix's width as PyTorch counts it: the dtype reads
    ``tapegrad.float64`` where PyTorch writes ``torch.float64``, and lines
    break where PyTorch's would."""
    if suffix.startswith("dtype=tapegrad."):
        return len(suffix) - len("tapegrad.") + len("torch.")
    return len(suffix)


def tensor_repr(a, suffixes: list) -> str:
    """``tensor(...)`` of the host array ``a``, followed by the shape and dtype
    where a print needs them and then ``suffixes`` (``grad_fn=...``)."""
    prefix = "tensor("
    body = array_str(a, len(prefix))
    return _add_suffixes(prefix + body, _dtype_suffixes(a) + suffixes, len(prefix))


__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]
