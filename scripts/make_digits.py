"""Build ``tapegrad/data/files/digits.npz`` from scikit-learn's copy of the UCI digits.

The UCI ML Repository data set "Optical Recognition of Handwritten Digits"
(E. Alpaydin and C. Kaynak, 1998, CC BY 4.0) ships inside scikit-learn as
``sklearn.datasets.load_digits``: 1,797 images of 8x8 pixels, each pixel a
count from 0 to 16, labelled 0..9.  This script copies those arrays, in their
original order, into a small compressed NumPy archive with two arrays:

* ``images``: uint8, shape (1797, 8, 8), values 0..16;
* ``labels``: uint8, shape (1797,), values 0..9.

scikit-learn is not a dependency of tapegrad; it is only needed to run this
script once, from the repository root::

    pip install scikit-learn
    python scripts/make_digits.py            # writes tapegrad/data/files/digits.npz
    python scripts/make_digits.py OUT.npz    # or to another path

The output is deterministic: the arrays are always the same, and the zip
entries get a fixed timestamp, so two runs give byte-identical files.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO_ROOT))

from tapegrad.backend import host as np  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "tapegrad" / "data" / "files" / "digits.npz"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def build_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 (1797, 8, 8), labels uint8 (1797,)) from scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit(
            "make_digits.py: scikit-learn is needed to run this script: pip install scikit-learn"
        )
    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target)
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        sys.exit(f"make_digits.py: unexpected shapes {images.shape}, {labels.shape}")
    if images.min() < 0 or images.max() > 16 or not np.array_equal(images, np.round(images)):
        sys.exit("make_digits.py: expected whole pixel values in 0..16")
    if sorted(set(labels.tolist())) != list(range(10)):
        sys.exit("make_digits.py: expected labels 0..9")
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_npz(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write the arrays with ``numpy.savez_compressed``, then fix the zip timestamps."""
    raw = io.BytesIO()
    np.savez_compressed(raw, images=images, labels=labels)
    raw.seek(0)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w") as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(fixed.getvalue())
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    images, labels = build_arrays()
    write_npz(out, images, labels)
    with np.load(out, allow_pickle=False) as check:
        assert np.array_equal(check["images"], images)
        assert np.array_equal(check["labels"], labels)
    print(f"wrote {out.name}: {out.stat().st_size} bytes, {len(labels)} images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
