"""IDX reading and writing, and finding the MNIST files in a folder."""

import gzip

import pytest

from tapegrad.backend import host as np
from tapegrad.data.errors import DataError
from tapegrad.data.idx import load_idx, load_mnist, save_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(24) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = save_idx(tmp_path / f"a.idx{suffix}", array)
    back = load_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.shape == (2, 3, 4)
    assert np.array_equal(back, array)
    assert back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_header_layout_is_big_endian(tmp_path):
    path = save_idx(tmp_path / "x", np.array([1, 258], dtype=np.int16))
    assert path.read_bytes() == bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0, 1, 1, 2])


def test_gzip_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    gz = save_idx(tmp_path / "plain-name", array, compress=True)
    raw = save_idx(tmp_path / "looks.gz", array, compress=False)
    assert np.array_equal(load_idx(gz), array)
    assert np.array_equal(load_idx(raw), array)


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    a = save_idx(tmp_path / "a.gz", array).read_bytes()
    b = save_idx(tmp_path / "b.gz", array).read_bytes()
    assert a == b


def test_save_replaces_existing_file(tmp_path):
    path = tmp_path / "x"
    save_idx(path, np.zeros(3, dtype=np.uint8))
    save_idx(path, np.ones(5, dtype=np.uint8))
    assert load_idx(path).tolist() == [1] * 5


def test_save_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(DataError, match="int64"):
        save_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(DataError, match="dimensions"):
        save_idx(tmp_path / "x", np.uint8(3))


def _good(tmp_path):
    return save_idx(tmp_path / "good", np.arange(12, dtype=np.uint8).reshape(3, 4)).read_bytes()


def test_truncated_data(tmp_path):
    bad = tmp_path / "bad-idx3-ubyte"
    bad.write_bytes(_good(tmp_path)[:-1])
    with pytest.raises(DataError, match=r"bad-idx3-ubyte: truncated.*12 bytes.*found 11"):
        load_idx(bad)


def test_truncated_header(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(_good(tmp_path)[:6])
    with pytest.raises(DataError, match="bad: truncated header"):
        load_idx(bad)
    bad.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="bad: truncated"):
        load_idx(bad)
    bad.write_bytes(b"")
    with pytest.raises(DataError, match="bad: truncated"):
        load_idx(bad)


def test_extra_bytes(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(_good(tmp_path) + b"\x00")
    with pytest.raises(DataError, match="does not match the header"):
        load_idx(bad)


def test_wrong_magic(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02" + _good(tmp_path)[2:])
    with pytest.raises(DataError, match="bad: not an IDX file"):
        load_idx(bad)
    bad.write_bytes(b"\x00\x00\x07\x01" + _good(tmp_path)[4:])
    with pytest.raises(DataError, match="unknown IDX dtype code 0x07"):
        load_idx(bad)


def test_truncated_and_corrupt_gzip(tmp_path):
    packed = gzip.compress(_good(tmp_path), mtime=0)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="bad.gz: truncated gzip"):
        load_idx(bad)
    bad.write_bytes(packed[:10] + b"\xff" * (len(packed) - 10))
    with pytest.raises(DataError, match="bad.gz"):
        load_idx(bad)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope: no such file"):
        load_idx(tmp_path / "nope")


# ------------------------------------------------------------------ MNIST
STEMS = [
    ("train-images", "idx3-ubyte"),
    ("train-labels", "idx1-ubyte"),
    ("t10k-images", "idx3-ubyte"),
    ("t10k-labels", "idx1-ubyte"),
]


def _arrays(n_train=5, n_test=3):
    rng = np.random.default_rng(0)
    return [
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    ]


def write_mnist(folder, style="-", gz=False, arrays=None):
    """Write four tiny MNIST-format files; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = arrays or _arrays()
    for (stem, tag), array in zip(STEMS, arrays):
        save_idx(folder / f"{stem}{style}{tag}{'.gz' if gz else ''}", array)
    return arrays


@pytest.mark.parametrize("style", ["-", "."])
@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_both_styles(tmp_path, style, gz):
    written = write_mnist(tmp_path, style, gz)
    loaded = load_mnist(tmp_path)
    assert len(loaded) == 4
    for a, b in zip(loaded, written):
        assert a.dtype == np.uint8
        assert np.array_equal(a, b)
    assert loaded[0].shape == (5, 28, 28) and loaded[1].shape == (5,)
    assert loaded[2].shape == (3, 28, 28) and loaded[3].shape == (3,)


def test_load_mnist_mixed_styles(tmp_path):
    arrays = _arrays()
    for i, ((stem, tag), array) in enumerate(zip(STEMS, arrays)):
        style = "-."[i % 2]
        save_idx(tmp_path / f"{stem}{style}{tag}{'.gz' if i < 2 else ''}", array)
    for a, b in zip(load_mnist(tmp_path), arrays):
        assert np.array_equal(a, b)


def test_load_mnist_prefers_kind_subfolder(tmp_path):
    write_mnist(tmp_path, arrays=_arrays(4, 2))
    fashion = write_mnist(tmp_path / "fashion-mnist", arrays=_arrays(6, 2))
    assert len(load_mnist(tmp_path)[0]) == 4
    loaded = load_mnist(tmp_path, kind="fashion-mnist")
    assert np.array_equal(loaded[0], fashion[0])


def test_missing_mnist_file_mnist(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message
    assert str(tmp_path) in message
    assert "LeCun" in message
    assert "\n" not in message


def test_missing_mnist_file_fashion(tmp_path):
    with pytest.raises(DataError, match="train-images-idx3-ubyte.*Zalando"):
        load_mnist(tmp_path, kind="fashion-mnist")


def test_missing_folder_and_bad_kind(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_mnist(tmp_path / "absent")
    with pytest.raises(DataError, match="unknown kind"):
        load_mnist(tmp_path, kind="cifar")


def test_mnist_count_mismatch(tmp_path):
    arrays = _arrays()
    arrays[1] = arrays[1][:4]
    write_mnist(tmp_path, arrays=arrays)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: 4 labels for 5 images"):
        load_mnist(tmp_path)


def test_mnist_wrong_image_shape(tmp_path):
    arrays = _arrays()
    arrays[0] = np.zeros((5, 8, 8), dtype=np.uint8)
    write_mnist(tmp_path, arrays=arrays)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: expected uint8 images"):
        load_mnist(tmp_path)


def test_mnist_corrupt_file(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match="train-images-idx3-ubyte: truncated"):
        load_mnist(tmp_path)
