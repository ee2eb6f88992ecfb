"""Read and write IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``00 00 <dtype code> <ndim>``, then
``ndim`` big-endian unsigned 32-bit sizes, then the array's values in C order,
big-endian.  The dtype codes are::

    0x08 unsigned byte   0x09 signed byte   0x0B int16
    0x0C int32           0x0D float32       0x0E float64

Files may be gzipped; :func:`load_idx` recognises gzip by its magic bytes
(``1f 8b``), not by the file name.  tapegrad never downloads anything:
:func:`load_mnist` reads the four files from a folder you fill yourself.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from tapegrad._io import write_bytes
from tapegrad.backend import host as np
from tapegrad.data.errors import DataError

__all__ = ["load_idx", "save_idx", "load_mnist", "MNIST_KINDS"]

GZIP_MAGIC = b"\x1f\x8b"

# dtype code -> big-endian NumPy dtype string
_CODE_TO_DTYPE = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
# native NumPy dtype name -> dtype code
_DTYPE_TO_CODE = {
    "uint8": 0x08,
    "int8": 0x09,
    "int16": 0x0B,
    "int32": 0x0C,
    "float32": 0x0D,
    "float64": 0x0E,
}

MNIST_KINDS = ("mnist", "fashion-mnist")

_WHERE_TO_GET = {
    "mnist": "the MNIST files are published on Yann LeCun's site and its mirrors",
    "fashion-mnist": "the Fashion-MNIST files are published by Zalando Research on GitHub "
    "(zalandoresearch/fashion-mnist)",
}


def _read_bytes(path: Path) -> bytes:
    """The file's contents, un-gzipped when it starts with the gzip magic bytes."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (expected an IDX file)") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected an IDX file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the download may be incomplete)") from None
    except (OSError, zlib.error) as exc:
        raise DataError(f"{path}: corrupt gzip data ({exc})") from None


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, raw or gzipped.

    Returns a host NumPy array of the shape written in the header, in native
    byte order, with the dtype of the header's code: uint8 (0x08), int8 (0x09),
    int16 (0x0B), int32 (0x0C), float32 (0x0D) or float64 (0x0E).  The array
    owns its memory and is writable.

    Raises :class:`DataError` naming the file when it is missing, truncated,
    has a wrong magic number or unknown dtype code, or holds more or fewer
    bytes than its header describes.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(
            f"{path}: truncated: {len(data)} bytes, expected at least the 4-byte IDX magic number"
        )
    if data[0] != 0 or data[1] != 0:
        raise DataError(
            f"{path}: not an IDX file: magic bytes {data[:4].hex(' ')}, "
            "expected 00 00 <dtype> <ndim>"
        )
    code, ndim = data[2], data[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"0x{c:02X}" for c in _CODE_TO_DTYPE)
        raise DataError(f"{path}: unknown IDX dtype code 0x{code:02X}, expected one of {known}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{path}: truncated header: {len(data)} bytes, "
            f"expected {header} for {ndim} dimension sizes"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_CODE_TO_DTYPE[code])
    count = 1
    for size in shape:
        count *= size
    expected = count * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise DataError(
            f"{path}: truncated: header says shape {shape} ({expected} bytes of data), "
            f"found {found} bytes"
        )
    if found > expected:
        raise DataError(
            f"{path}: size does not match the header: shape {shape} needs {expected} bytes "
            f"of data, found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def save_idx(path: str | os.PathLike, array, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically; returns the path written.

    ``array`` (anything ``numpy.asarray`` accepts, at least one dimension) must
    have dtype uint8, int8, int16, int32, float32 or float64.  ``compress``:
    gzip the file (``None``: gzip when the name ends with ``.gz``).  The file
    is first written to a temporary file in the same folder, then moved into
    place with ``os.replace``, so readers never see half a file.  Gzipped
    output is byte-for-byte deterministic (no timestamp).
    """
    path = Path(path)
    array = np.asarray(array)
    name = array.dtype.name
    if name not in _DTYPE_TO_CODE:
        raise DataError(
            f"{path}: cannot store dtype {name} in IDX, expected one of {', '.join(_DTYPE_TO_CODE)}"
        )
    if not 1 <= array.ndim <= 255:
        raise DataError(f"{path}: IDX needs an array of 1 to 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise DataError(f"{path}: dimension sizes {array.shape} do not fit IDX's 32-bit sizes")
    header = bytes([0, 0, _DTYPE_TO_CODE[name], array.ndim])
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).tobytes()
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    return write_bytes(path, payload)


def _candidates(stem: str, kind_tag: str) -> list[str]:
    """Both naming styles of one MNIST file, raw then gzipped.

    ``stem`` like ``"train-images"``, ``kind_tag`` like ``"idx3-ubyte"``.
    """
    names = [f"{stem}-{kind_tag}", f"{stem}.{kind_tag}"]
    return names + [name + ".gz" for name in names]


def _find(folders: list[Path], stem: str, kind_tag: str, kind: str) -> Path:
    names = _candidates(stem, kind_tag)
    for folder in folders:
        for name in names:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    searched = " and ".join(str(f) for f in folders)
    raise DataError(
        f"{kind} file {names[0]} not found in {searched} (also tried {', '.join(names[1:])}); "
        f"{_WHERE_TO_GET[kind]}; tapegrad never downloads anything"
    )


def load_mnist(data_dir: str | os.PathLike, kind: str = "mnist"):
    """Read the four MNIST-format IDX files of ``kind`` from ``data_dir``.

    ``kind`` is ``"mnist"`` or ``"fashion-mnist"`` (the files have the same
    names; ``kind`` picks the hint given when one is missing, and the
    sub-folder tried first).  Each of ``train-images``, ``train-labels``,
    ``t10k-images`` and ``t10k-labels`` is looked for in
    ``data_dir/<kind>`` first, then in ``data_dir`` itself, under both
    naming styles (``train-images-idx3-ubyte`` and
    ``train-images.idx3-ubyte``), each raw or with ``.gz``.

    Returns ``(x_train, y_train, x_test, y_test)``: images uint8 of shape
    (N, 28, 28) with pixels 0..255, labels uint8 of shape (N,) with values
    0..9 (N = 60,000 and 10,000 for the published files).

    Raises :class:`DataError` when a file is missing (naming it, the folders
    searched and where the files are published), malformed, or when images and
    labels disagree in count, shape or dtype.
    """
    if kind not in MNIST_KINDS:
        raise DataError(
            f"load_mnist: unknown kind {kind!r}, expected one of {', '.join(MNIST_KINDS)}"
        )
    base = Path(data_dir)
    if not base.is_dir():
        raise DataError(
            f"{base}: no such folder (expected the folder holding the {kind} IDX files; "
            f"{_WHERE_TO_GET[kind]})"
        )
    folders = [base / kind, base] if (base / kind).is_dir() else [base]
    out = []
    for part in ("train", "t10k"):
        images_path = _find(folders, f"{part}-images", "idx3-ubyte", kind)
        labels_path = _find(folders, f"{part}-labels", "idx1-ubyte", kind)
        images = load_idx(images_path)
        labels = load_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(
                f"{images_path}: expected uint8 images of shape (N, 28, 28), "
                f"got {images.dtype} {images.shape}"
            )
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise DataError(
                f"{labels_path}: expected uint8 labels of shape (N,), "
                f"got {labels.dtype} {labels.shape}"
            )
        if len(labels) != len(images):
            raise DataError(
                f"{labels_path}: {len(labels)} labels for {len(images)} images "
                f"in {images_path.name}"
            )
        if len(labels) and labels.max() > 9:
            raise DataError(f"{labels_path}: expected labels 0..9, found {int(labels.max())}")
        out += [images, labels]
    return tuple(out)
