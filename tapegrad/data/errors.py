"""The one error type of ``tapegrad.data``."""

from __future__ import annotations


class DataError(ValueError):
    """A data file or data-set argument is not what tapegrad expects.

    The message is one line that names the file (or argument) and says what
    was expected, e.g. ``"train-images-idx3-ubyte: truncated: ..."``.
    """
