"""Read one grey image for ``tapegrad predict --image``.

Formats: ``.npy`` (NumPy, read with ``allow_pickle=False``), ``.pgm``
(Netpbm P2 text or P5 binary, 8 or 16 bit) and ``.png`` (through
matplotlib's image reader, when matplotlib is installed).  Colour images are
turned grey by averaging the red, green and blue channels; an alpha channel
is dropped.

Values end up in [0, 1] with ink high, as in the training data: integer
values are divided by the image's maximum grey value (the PGM header's
``maxval``; 255 for other integer images, except an 8x8 image whose values
all lie in 0..16, the UCI digits' own scale, which is divided by 16); float
values are used as given and must lie in [0, 1].  ``invert=True`` maps
``v`` to ``1 - v`` for dark ink on light paper.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tapegrad.backend import host as np

__all__ = ["ImageError", "read_image"]

SUFFIXES = (".npy", ".pgm", ".png")


class ImageError(ValueError):
    """The image file cannot be used; the message is one line naming the file."""


def _read_npy(path: Path):
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ImageError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "uif":
        raise ImageError(f"{path}: expected a numeric array of grey values")
    return array, None


_PGM_TOKEN = re.compile(rb"(?:\s*(?:#[^\n]*\n)?)*\s*(\S+)")


def _read_pgm(path: Path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    tokens, pos = [], 0
    for _ in range(4):  # magic, width, height, maxval
        match = _PGM_TOKEN.match(raw, pos)
        if not match:
            raise ImageError(f"{path}: truncated PGM header")
        tokens.append(match.group(1))
        pos = match.end()
    magic = tokens[0]
    if magic not in (b"P2", b"P5"):
        raise ImageError(f"{path}: not a PGM file (magic {magic[:2]!r}, expected P2 or P5)")
    try:
        width, height, maxval = (int(t) for t in tokens[1:])
    except ValueError:
        raise ImageError(f"{path}: bad PGM header {b' '.join(tokens)!r}") from None
    if not (width > 0 and height > 0 and 0 < maxval < 65536):
        raise ImageError(f"{path}: bad PGM size {width}x{height} or maxval {maxval}")
    count = width * height
    if magic == b"P5":
        dtype = np.dtype(">u2" if maxval > 255 else "u1")
        data = raw[pos + 1 :]  # exactly one whitespace byte after maxval
        if len(data) < count * dtype.itemsize:
            raise ImageError(f"{path}: truncated: {width}x{height} pixels need more data")
        values = np.frombuffer(data, dtype=dtype, count=count).astype(np.int64)
    else:
        try:
            values = np.array([int(t) for t in raw[pos:].split()[:count]], dtype=np.int64)
        except ValueError:
            raise ImageError(f"{path}: P2 pixel values must be integers") from None
        if values.size < count:
            raise ImageError(f"{path}: truncated: {values.size} of {count} pixel values")
    return values.reshape(height, width), maxval


def _read_png(path: Path):
    try:
        import matplotlib.image as mpimg
    except ImportError:
        raise ImageError(
            f"{path}: reading PNG needs matplotlib (pip install 'tapegrad[plot]'); "
            "or give the image as .npy or .pgm"
        ) from None
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    try:
        array = mpimg.imread(path, format="png")
    except Exception as exc:  # matplotlib/Pillow raise many kinds
        raise ImageError(f"{path}: not a readable PNG ({exc})") from None
    return array, None


def _grey(array, path: Path):
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3].astype(np.float64).mean(axis=2)
    elif array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    return array


def _scale(array, maxval: int | None, path: Path):
    if array.dtype.kind in "ui" or maxval is not None:
        if maxval is None:
            small_digit = (
                array.shape == (8, 8) and array.size and 0 <= array.min() <= array.max() <= 16
            )
            maxval = 16 if small_digit else 255
        return array.astype(np.float64) / maxval
    array = array.astype(np.float64)
    if array.size and not (array.min() >= -1e-6 and array.max() <= 1 + 1e-6):
        raise ImageError(
            f"{path}: float grey values must lie in [0, 1], found {array.min():g}..{array.max():g}"
        )
    return array


def read_image(path: str | os.PathLike, shape: tuple[int, int], invert: bool = False):
    """The image at ``path`` as float32 grey values of shape (h * w,), row by row.

    ``shape``: the (height, width) the model was trained on; an image of
    another size (or a flat ``.npy`` of another length) raises
    :class:`ImageError`, as does an unknown suffix or an unreadable file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        array, maxval = _read_npy(path)
    elif suffix in (".pgm", ".pnm"):
        array, maxval = _read_pgm(path)
    elif suffix == ".png":
        array, maxval = _read_png(path)
    else:
        raise ImageError(
            f"{path}: unsupported image type {suffix or '(none)'!r}; use .png, .pgm or .npy"
        )
    array = _grey(np.asarray(array), path)
    h, w = shape
    if array.ndim == 1 and array.size == h * w:
        array = array.reshape(h, w)
    if array.shape != (h, w):
        raise ImageError(
            f"{path}: image of shape {array.shape}, but the model expects {h}x{w} grey values"
        )
    values = _scale(array, maxval, path)
    if invert:
        values = 1.0 - values
    return values.reshape(h * w).astype(np.float32)
