"""The parts of the CLI on their own: config coercion and TOML, images, report."""

from __future__ import annotations

import pytest

import tapegrad as tg
from tapegrad.backend import host as np
from tapegrad.run import config as C
from tapegrad.run.images import ImageError, read_image
from tapegrad.run.report import confusion_matrix, format_confusion


def test_hidden_parses_commas_lists_and_empty():
    assert C.coerce("hidden", "128, 64") == (128, 64)
    assert C.coerce("hidden", [32]) == (32,)
    assert C.coerce("hidden", "") == ()


def test_toml_round_trip_keeps_every_option(tmp_path):
    config = C.resolve({"hidden": (3, 4), "dataset": "spirals", "l2": 1e-5}, {"residual": True})
    path = tmp_path / "c.toml"
    path.write_text(C.dumps(config, header="a header"))
    again = C.resolve(C.load_toml(path), {})
    assert again == config


def test_toml_keys_accept_dashes_and_no_progress(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("batch-size = 7\nno_progress = true\n")
    assert C.load_toml(path) == {"batch_size": 7, "progress": False}


def test_activation_names_are_tapegrad_nn_classes():
    import tapegrad.nn as nn

    for cls in C.ACTIVATIONS.values():
        assert issubclass(getattr(nn, cls), nn.Module)


def test_optimizer_default_learning_rates_fill_in():
    assert C.resolve({}, {"optimizer": "sgd"}).lr == 0.1
    assert C.resolve({}, {"optimizer": "adamw"}).weight_decay == 0.01
    assert C.resolve({}, {"optimizer": "adamw", "weight_decay": 0.0}).weight_decay == 0.0


def test_pgm_p2_and_p5_read_the_same(tmp_path):
    pixels = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    p2 = tmp_path / "a.pgm"
    p2.write_text("P2\n# comment\n8 8\n255\n" + " ".join(map(str, pixels.ravel())) + "\n")
    p5 = tmp_path / "b.pgm"
    p5.write_bytes(b"P5 8 8 255\n" + pixels.tobytes())
    a, b = read_image(p2, (8, 8)), read_image(p5, (8, 8))
    assert a.shape == (64,) and a.dtype == np.float32
    assert np.allclose(a, b) and np.allclose(a, pixels.ravel() / 255)


def test_npy_on_the_digits_scale_is_divided_by_16(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, np.full((8, 8), 16, dtype=np.int64))
    assert np.allclose(read_image(path, (8, 8)), 1.0)
    assert np.allclose(read_image(path, (8, 8), invert=True), 0.0)


def test_png_is_read_through_matplotlib(tmp_path):
    plt_image = pytest.importorskip("matplotlib.image")
    grey = np.linspace(0, 1, 28 * 28).reshape(28, 28)
    path = tmp_path / "x.png"
    plt_image.imsave(path, grey, cmap="gray", vmin=0, vmax=1)
    values = read_image(path, (28, 28))
    assert values.shape == (784,) and abs(values[0]) < 0.01 and abs(values[-1] - 1) < 0.01


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("x.npy", None, "shape"),
        ("x.jpg", b"", "unsupported"),
        ("x.pgm", b"P6 1 1 255\n\0\0\0", "not a PGM"),
        ("missing.npy", "skip", "no such file"),
    ],
)
def test_bad_images_raise_one_line_errors(tmp_path, name, content, words):
    path = tmp_path / name
    if content is None:
        np.save(path, np.zeros((5, 5)))
    elif content != "skip":
        path.write_bytes(content)
    with pytest.raises(ImageError, match=words):
        read_image(path, (8, 8))


def test_confusion_matrix_counts_pairs():
    m = confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert "50.0%" in format_confusion(m, ["0", "1", "2"])


def test_the_run_model_standardises_its_inputs_with_training_statistics():
    from tapegrad.run.job import prepare

    prep = prepare(C.resolve({}, {"dataset": "xor", "hidden": (4,)}))
    std = prep.model.standardize
    x = prep.split.x_train
    np.testing.assert_allclose(std.mean.numpy(), x.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std.scale.numpy(), x.std(axis=0) + 0.01, rtol=1e-5)
    assert "standardize.mean" in prep.model.state_dict()
    z = std(tg.tensor(x)).numpy()
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-4)
