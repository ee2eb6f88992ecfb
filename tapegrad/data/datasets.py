"""Small data sets for lectures and tests: digits, toy 2-D sets, MNIST.

Everything here returns host NumPy arrays (``tapegrad.backend.host``):
inputs ``x`` as float32, labels ``y`` as int64, ready to wrap in tensors.

* :func:`load_digits`: the UCI 8x8 handwritten digits bundled with tapegrad
  (1,797 images; see ``files/README.md`` for provenance and licence).
* :func:`make_spirals`, :func:`make_xor`, :func:`make_moons`: 2-D toy sets,
  generated from their own ``numpy.random.default_rng(seed)``.
* :func:`split` / :func:`digits_split`: fixed, seeded train/validation/test
  splits.
* :func:`load_dataset`: one name -> one :class:`Split`, for the names in
  :data:`DATASETS`; :func:`dataset_info` tells features, classes and image
  shape.

Randomness: a given ``seed`` gives the same arrays on every machine for a
given NumPy version (NumPy keeps ``default_rng`` streams stable in practice;
the tests pin a few values so a change would be noticed).
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tapegrad.backend import host as np
from tapegrad.data.errors import DataError
from tapegrad.data.idx import load_mnist

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "Split",
    "dataset_info",
    "digits_split",
    "load_dataset",
    "load_digits",
    "make_moons",
    "make_spirals",
    "make_xor",
    "split",
]

FILES_DIR = Path(__file__).resolve().parent / "files"
DIGITS_FILE = FILES_DIR / "digits.npz"

TOY_POINTS = 2000  # points per toy set in load_dataset
TOY_VAL_FRACTION = 0.15
TOY_TEST_FRACTION = 0.15
MNIST_VAL_FRACTION = 0.1  # the last 10% of the official training set


# ---------------------------------------------------------------- the splits
@dataclass(frozen=True, repr=False)
class Split:
    """A train/validation/test split: six host NumPy arrays.

    ``x_*`` have shape (n_part, features), float32; ``y_*`` have shape
    (n_part,), int64 class indices.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{name}={getattr(self, 'x_' + name).shape}" for name in ("train", "val", "test")
        )
        return f"Split({parts})"


def _check_xy(x, y, where: str):
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim < 1 or y.ndim != 1:
        raise DataError(
            f"{where}: expected x of shape (n, ...) and y of shape (n,), "
            f"got {x.shape} and {y.shape}"
        )
    if len(x) != len(y):
        raise DataError(f"{where}: x has {len(x)} rows but y has {len(y)} labels")
    return x, y


def split(x, y, val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Split ``(x, y)`` into train, validation and test parts, reproducibly.

    Not stratified: one permutation of the n rows is drawn from
    ``numpy.random.default_rng(seed)``; its first ``round(n * test_fraction)``
    rows are the test set, the next ``round(n * val_fraction)`` the validation
    set, and the rest the training set (each part in permuted order).  With
    1,797 digits and the default fractions: 1,258 / 180 / 359 rows, and every
    class appears in every part.

    Returns a :class:`Split` whose arrays keep the dtypes of ``x`` and ``y``;
    the ``x_*`` parts have shape (n_part, *x.shape[1:]), the ``y_*`` (n_part,).
    """
    x, y = _check_xy(x, y, "split")
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not (isinstance(value, (int, float)) and 0 <= value < 1):
            raise DataError(f"split: {name} must be a number in [0, 1), got {value!r}")
    n = len(x)
    n_test = int(math.floor(n * test_fraction + 0.5))
    n_val = int(math.floor(n * val_fraction + 0.5))
    if n - n_test - n_val < 1:
        raise DataError(
            f"split: val_fraction={val_fraction} and test_fraction={test_fraction} "
            f"leave no training rows out of {n}"
        )
    order = np.random.default_rng(seed).permutation(n)
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return Split(x[train], y[train], x[val], y[val], x[test], y[test])


# ------------------------------------------------------------------- digits
def load_digits():
    """The 1,797 UCI handwritten digits bundled with tapegrad.

    Returns ``(x, y)``: ``x`` float32 of shape (1797, 64), the 8x8 images
    flattened row by row and scaled from 0..16 to [0, 1]; ``y`` int64 of shape
    (1797,), the digit 0..9.  Rows are in the original order of the data set.
    """
    try:
        with np.load(DIGITS_FILE, allow_pickle=False) as archive:
            images = archive["images"]
            labels = archive["labels"]
    except FileNotFoundError:
        raise DataError(
            f"{DIGITS_FILE.name}: missing from the installed package (expected it in "
            "tapegrad/data/files; rebuild it with scripts/make_digits.py)"
        ) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{DIGITS_FILE.name}: unreadable ({exc}); expected arrays 'images' and 'labels'"
        ) from None
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise DataError(
            f"{DIGITS_FILE.name}: expected images (1797, 8, 8) and labels (1797,), "
            f"got {images.shape} and {labels.shape}"
        )
    x = images.reshape(len(images), 64).astype(np.float32) / np.float32(16)
    return x, labels.astype(np.int64)


def digits_split(seed: int = 0) -> Split:
    """The default split of :func:`load_digits`: 70% train, 10% validation, 20% test.

    Returns a :class:`Split` with 1,258 / 180 / 359 rows (``x_*`` float32
    (n_part, 64) in [0, 1], ``y_*`` int64 (n_part,)); the same for a given
    ``seed`` on every machine (see :func:`split`).
    """
    x, y = load_digits()
    return split(x, y, val_fraction=0.1, test_fraction=0.2, seed=seed)


# ----------------------------------------------------------------- toy sets
def _check_toy(where: str, n, noise, classes: int = 2) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < classes:
        raise DataError(f"{where}: n must be an integer of at least {classes}, got {n!r}")
    if not isinstance(noise, (int, float)) or not noise >= 0:
        raise DataError(f"{where}: noise must be a number >= 0, got {noise!r}")


def _per_class(n: int, groups: int):
    """Sizes of ``groups`` groups adding up to ``n``, differing by at most one."""
    return [n // groups + (1 if g < n % groups else 0) for g in range(groups)]


def _finish(rng, points: list, labels: list):
    """Concatenate, shuffle with ``rng``, and cast to (float32 (n, 2), int64 (n,))."""
    x = np.concatenate(points).astype(np.float32)
    y = np.concatenate(labels).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order], y[order]


def make_spirals(n: int = 2000, classes: int = 2, noise: float = 0.05, seed: int = 0):
    """Interleaved spiral arms, one per class.

    Arm ``k`` starts at the origin and turns 1.5 times while its radius grows
    to 1; the arms are rotated by 2*pi/classes from each other.  Each point
    gets Gaussian noise of standard deviation ``noise`` on both coordinates.
    Classes get ``n // classes`` points (the first ``n % classes`` one more).

    Returns ``(x, y)``: ``x`` float32 of shape (n, 2), ``y`` int64 of shape (n,)
    with values 0..classes-1, rows in a random order; deterministic given
    ``seed``.
    """
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 2:
        raise DataError(f"make_spirals: classes must be an integer >= 2, got {classes!r}")
    _check_toy("make_spirals", n, noise, classes)
    rng = np.random.default_rng(seed)
    turns = 1.5
    points, labels = [], []
    for k, count in enumerate(_per_class(n, classes)):
        t = rng.uniform(0.0, 1.0, count)
        angle = 2 * math.pi * (turns * t + k / classes)
        arm = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        points.append(arm + rng.normal(0.0, noise, (count, 2)))
        labels.append(np.full(count, k))
    return _finish(rng, points, labels)


def make_xor(n: int = 2000, noise: float = 0.3, seed: int = 0):
    """Four Gaussian blobs centred on (+-1, +-1), labelled by the XOR of the signs.

    Blobs at (1, 1) and (-1, -1) are class 0, those at (1, -1) and (-1, 1)
    class 1; each has standard deviation ``noise`` (so with large noise some
    points cross into a neighbouring quadrant but keep their blob's label).
    The blobs share the ``n`` points as evenly as possible.

    Returns ``(x, y)``: ``x`` float32 of shape (n, 2), ``y`` int64 of shape (n,)
    with values 0 and 1, rows in a random order; deterministic given ``seed``.
    """
    _check_toy("make_xor", n, noise, 4)
    rng = np.random.default_rng(seed)
    centres = [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)]
    points, labels = [], []
    for (cx, cy), count in zip(centres, _per_class(n, 4)):
        points.append(np.array([cx, cy]) + rng.normal(0.0, noise, (count, 2)))
        labels.append(np.full(count, int((cx > 0) != (cy > 0))))
    return _finish(rng, points, labels)


def make_moons(n: int = 2000, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles of radius 1.

    Class 0 is the upper half circle around (0, 0), class 1 the lower half
    circle around (1, 0.5); the whole picture is shifted by (-0.5, -0.25) to
    centre it on the origin.  Angles are uniform; each point gets Gaussian
    noise of standard deviation ``noise`` on both coordinates.

    Returns ``(x, y)``: ``x`` float32 of shape (n, 2), ``y`` int64 of shape (n,)
    with values 0 and 1, rows in a random order; deterministic given ``seed``.
    """
    _check_toy("make_moons", n, noise, 2)
    rng = np.random.default_rng(seed)
    n0, n1 = _per_class(n, 2)
    a0 = rng.uniform(0.0, math.pi, n0)
    a1 = rng.uniform(0.0, math.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    shift = np.array([-0.5, -0.25])
    points = [
        upper + shift + rng.normal(0.0, noise, (n0, 2)),
        lower + shift + rng.normal(0.0, noise, (n1, 2)),
    ]
    labels = [np.zeros(n0), np.ones(n1)]
    return _finish(rng, points, labels)


# ----------------------------------------------------------------- registry
@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`load_dataset` returns for one name.

    ``features``: length of one input row; ``classes``: number of labels;
    ``image_shape``: (height, width) when the rows are flattened images
    (``(8, 8)``, ``(28, 28)``), else ``None``; ``needs_data_dir``: whether the
    files must be supplied by the user.
    """

    name: str
    features: int
    classes: int
    image_shape: tuple[int, int] | None
    needs_data_dir: bool
    description: str


_INFO = {
    info.name: info
    for info in (
        DatasetInfo("digits", 64, 10, (8, 8), False, "UCI 8x8 handwritten digits (bundled)"),
        DatasetInfo("spirals", 2, 2, None, False, "two interleaved spiral arms"),
        DatasetInfo("xor", 2, 2, None, False, "four Gaussian blobs labelled by XOR"),
        DatasetInfo("moons", 2, 2, None, False, "two interleaving half circles"),
        DatasetInfo("mnist", 784, 10, (28, 28), True, "MNIST handwritten digits (IDX files)"),
        DatasetInfo("fashion-mnist", 784, 10, (28, 28), True, "Fashion-MNIST clothing (IDX files)"),
    )
}

DATASETS: tuple[str, ...] = tuple(_INFO)

_TOY = {"spirals": make_spirals, "xor": make_xor, "moons": make_moons}


def _canonical(name) -> str:
    key = str(name).strip().lower().replace("_", "-")
    if key not in _INFO:
        raise DataError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    return key


def dataset_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of one of :data:`DATASETS` (``_`` may stand for ``-``)."""
    return _INFO[_canonical(name)]


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, seed: int = 0) -> Split:
    """Load one of :data:`DATASETS` as a :class:`Split`.

    * ``digits``: :func:`digits_split(seed) <digits_split>`.
    * ``spirals``, ``xor``, ``moons``: 2,000 points made with ``seed``, split
      70/15/15 by :func:`split` with the same ``seed``.
    * ``mnist``, ``fashion-mnist``: the IDX files found by
      :func:`~tapegrad.data.idx.load_mnist` under ``data_dir`` (required;
      tapegrad never downloads).  The official training set's first 90% is
      ``train``, its last 10% ``val`` (fixed, ``seed`` is not used), the
      official test set ``test``.

    Returns a :class:`Split`: ``x_*`` float32 of shape (n_part, features) with
    pixels scaled to [0, 1] (images flattened row by row), ``y_*`` int64 of
    shape (n_part,).  An unknown name raises :class:`DataError` listing the
    known ones.
    """
    key = _canonical(name)
    if key == "digits":
        return digits_split(seed)
    if key in _TOY:
        x, y = _TOY[key](n=TOY_POINTS, seed=seed)
        return split(x, y, TOY_VAL_FRACTION, TOY_TEST_FRACTION, seed=seed)
    if data_dir is None:
        raise DataError(
            f"load_dataset({key!r}) needs data_dir=, the folder holding the four {key} IDX files"
        )
    x_train, y_train, x_test, y_test = load_mnist(data_dir, kind=key)

    def flat(images):
        return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)

    n_val = int(math.floor(len(x_train) * MNIST_VAL_FRACTION + 0.5))
    n_train = len(x_train) - n_val
    x_all, y_all = flat(x_train), y_train.astype(np.int64)
    return Split(
        x_all[:n_train],
        y_all[:n_train],
        x_all[n_train:],
        y_all[n_train:],
        flat(x_test),
        y_test.astype(np.int64),
    )
