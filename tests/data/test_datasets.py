"""The bundled digits, the toy sets, the splits and the registry."""

import pytest

from tapegrad.backend import host as np
from tapegrad.data.datasets import (
    DATASETS,
    DatasetInfo,
    Split,
    dataset_info,
    digits_split,
    load_dataset,
    load_digits,
    make_moons,
    make_spirals,
    make_xor,
    split,
)
from tapegrad.data.errors import DataError
from tapegrad.data.idx import save_idx


def test_data_error_is_value_error():
    assert issubclass(DataError, ValueError)


# ------------------------------------------------------------------ digits
def test_digits_shapes_dtypes_ranges():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(x * 16, np.round(x * 16))  # multiples of 1/16
    assert sorted(np.unique(y).tolist()) == list(range(10))
    assert np.bincount(y).min() >= 170


def test_digits_file_arrays():
    from tapegrad.data.datasets import DIGITS_FILE

    with np.load(DIGITS_FILE, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8 and archive["images"].shape == (1797, 8, 8)
        assert archive["labels"].dtype == np.uint8 and archive["labels"].shape == (1797,)
        assert archive["images"].max() == 16
    assert DIGITS_FILE.stat().st_size <= 46_000


def test_digits_split_sizes_and_determinism():
    a = digits_split()
    b = digits_split(seed=0)
    assert isinstance(a, Split)
    assert (len(a.x_train), len(a.x_val), len(a.x_test)) == (1258, 180, 359)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    for part in (a.y_train, a.y_val, a.y_test):
        assert len(np.unique(part)) == 10
    # the parts are a partition of the data set
    x, _ = load_digits()
    together = np.concatenate([a.x_train, a.x_val, a.x_test])
    assert sorted(map(bytes, together)) == sorted(map(bytes, x))
    assert not np.array_equal(digits_split(seed=1).y_test, a.y_test)
    assert "1258" in repr(a)


def test_digits_split_is_pinned():
    # pinned so that a change of NumPy's random stream or of the split is noticed
    s = digits_split(seed=0)
    assert s.y_test[:8].tolist() == [6, 6, 6, 2, 5, 6, 6, 2]
    assert int(s.y_test.sum()) == 1662


# ------------------------------------------------------------------- split
def test_split_fractions_and_dtypes():
    x = np.arange(200, dtype=np.float64).reshape(100, 2)
    y = np.arange(100) % 3
    s = split(x, y, val_fraction=0.15, test_fraction=0.25, seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (60, 15, 25)
    assert s.x_train.dtype == np.float64 and s.x_train.shape == (60, 2)
    # rows stay paired with their labels
    assert np.array_equal(s.x_test[:, 0] // 2 % 3, s.y_test)
    assert np.array_equal(split(x, y, 0.15, 0.25, seed=3).y_val, s.y_val)


def test_split_rejects_bad_input():
    x = np.zeros((10, 2))
    with pytest.raises(DataError, match="10 rows but y has 9"):
        split(x, np.zeros(9), 0.1, 0.1)
    with pytest.raises(DataError, match="test_fraction"):
        split(x, np.zeros(10), 0.1, 1.5)
    with pytest.raises(DataError, match="leave no training rows"):
        split(x, np.zeros(10), 0.5, 0.5 - 1e-9)


# ---------------------------------------------------------------- toy sets
@pytest.mark.parametrize("make", [make_spirals, make_xor, make_moons])
def test_toy_sets_shapes_and_determinism(make):
    x, y = make(n=301, noise=0.1, seed=7)
    assert x.shape == (301, 2) and x.dtype == np.float32
    assert y.shape == (301,) and y.dtype == np.int64
    assert sorted(np.unique(y).tolist()) == [0, 1]
    assert abs(int(np.bincount(y)[0]) - int(np.bincount(y)[1])) <= 1
    x2, y2 = make(n=301, noise=0.1, seed=7)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, _ = make(n=301, noise=0.1, seed=8)
    assert not np.array_equal(x, x3)
    assert np.all(np.isfinite(x))


def test_toy_sets_do_not_touch_global_random_state():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    make_spirals(seed=0)
    make_xor(seed=0)
    make_moons(seed=0)
    assert np.random.random() == before


def test_spirals_classes():
    x, y = make_spirals(n=300, classes=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.all(np.hypot(x[:, 0], x[:, 1]) <= 1.0 + 1e-6)


def test_xor_labels_match_quadrants_without_noise():
    x, y = make_xor(n=400, noise=0.0)
    assert np.array_equal(y, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64))


def test_toy_sets_reject_bad_arguments():
    with pytest.raises(DataError, match="n must be"):
        make_moons(n=0)
    with pytest.raises(DataError, match="noise"):
        make_xor(noise=-1.0)
    with pytest.raises(DataError, match="classes"):
        make_spirals(classes=1)


# ---------------------------------------------------------------- registry
def test_registry_names_and_info():
    assert DATASETS == ("digits", "spirals", "xor", "moons", "mnist", "fashion-mnist")
    for name in DATASETS:
        info = dataset_info(name)
        assert isinstance(info, DatasetInfo) and info.name == name
    assert dataset_info("digits").image_shape == (8, 8)
    assert dataset_info("digits").features == 64 and dataset_info("digits").classes == 10
    assert dataset_info("mnist").image_shape == (28, 28)
    assert dataset_info("fashion_mnist").features == 784
    assert dataset_info("moons").image_shape is None


def test_unknown_name_lists_known():
    with pytest.raises(DataError, match="unknown data set 'cifar'.*digits.*fashion-mnist"):
        load_dataset("cifar")
    with pytest.raises(DataError, match="known"):
        dataset_info("cifar")


@pytest.mark.parametrize("name", ["spirals", "xor", "moons"])
def test_load_toy_dataset(name):
    s = load_dataset(name, seed=2)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (1400, 300, 300)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int64
    assert s.x_train.shape[1] == dataset_info(name).features
    assert np.array_equal(load_dataset(name, seed=2).x_test, s.x_test)


def test_load_digits_dataset():
    s = load_dataset("digits")
    assert np.array_equal(s.x_test, digits_split(0).x_test)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_load_mnist_dataset(tmp_path, name):
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    train[0, 0, 0] = 255
    arrays = [
        train,
        rng.integers(0, 10, 20, dtype=np.uint8),
        rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 4, dtype=np.uint8),
    ]
    names = ["train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte.gz"]
    names += ["t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"]
    for fname, array in zip(names, arrays):
        save_idx(tmp_path / fname, array)
    s = load_dataset(name, data_dir=str(tmp_path))
    assert s.x_train.shape == (18, 784) and s.x_train.dtype == np.float32
    assert s.x_val.shape == (2, 784) and s.x_test.shape == (4, 784)
    assert s.y_train.dtype == np.int64 and np.array_equal(s.y_val, arrays[1][18:])
    assert s.x_train.min() >= 0.0 and s.x_train.max() == 1.0
    assert np.array_equal(s.x_test, arrays[2].reshape(4, 784) / np.float32(255))


def test_mnist_needs_data_dir(tmp_path):
    with pytest.raises(DataError, match="needs data_dir"):
        load_dataset("mnist")
    with pytest.raises(DataError, match="LeCun"):
        load_dataset("mnist", data_dir=tmp_path)
