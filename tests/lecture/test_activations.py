"""Every activation and its derivative from the backward pass, against the
closed forms written here with NumPy."""

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import nn
from tapegrad.lecture import Activations, activations, commands
from tapegrad.lecture.commands import main
from tapegrad.nn import activations as layers

C = math.sqrt(2.0 / math.pi)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
RRELU_SLOPE = (1 / 8 + 1 / 3) / 2  # nn.RReLU in eval mode


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sp(x):
    return np.log1p(np.exp(x))


def _gelu_tanh_d(x):
    t = np.tanh(C * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x)


_erf = np.vectorize(math.erf)
_PHI = lambda x: 0.5 * (1 + _erf(x / math.sqrt(2.0)))  # noqa: E731
_pdf = lambda x: np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731

# name -> (f, f', kinks)
CLOSED = {
    "sigmoid": (_sig, lambda x: _sig(x) * (1 - _sig(x)), ()),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2, ()),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0, (0,)),
    "leaky_relu": (
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: np.where(x > 0, 1.0, 0.01),
        (0,),
    ),
    "prelu": (
        lambda x: np.where(x > 0, x, 0.25 * x),
        lambda x: np.where(x > 0, 1.0, 0.25),
        (0,),
    ),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1, np.exp(x)), ()),
    "selu": (
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
        lambda x: SELU_SCALE * np.where(x > 0, 1, SELU_ALPHA * np.exp(x)),
        (0,),
    ),
    "celu": (
        lambda x: np.maximum(0, x) + np.minimum(0, np.expm1(x)),
        lambda x: np.exp(np.minimum(x, 0)),
        (),
    ),
    "rrelu": (
        lambda x: np.where(x > 0, x, RRELU_SLOPE * x),
        lambda x: np.where(x > 0, 1.0, RRELU_SLOPE),
        (0,),
    ),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2, ()),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2, ()),
    "threshold": (lambda x: np.where(x > 1, x, 0.0), lambda x: (x > 1) * 1.0, (1,)),
    "hardshrink": (
        lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
        lambda x: (np.abs(x) > 0.5) * 1.0,
        (-0.5, 0.5),
    ),
    "softshrink": (
        lambda x: np.where(np.abs(x) > 0.5, x - 0.5 * np.sign(x), 0.0),
        lambda x: (np.abs(x) > 0.5) * 1.0,
        (-0.5, 0.5),
    ),
    "gelu": (lambda x: x * _PHI(x), lambda x: _PHI(x) + x * _pdf(x), ()),
    "gelu_tanh": (
        lambda x: 0.5 * x * (1 + np.tanh(C * (x + 0.044715 * x**3))),
        _gelu_tanh_d,
        (),
    ),
    "silu": (lambda x: x * _sig(x), lambda x: _sig(x) + x * _sig(x) * (1 - _sig(x)), ()),
    "mish": (
        lambda x: x * np.tanh(_sp(x)),
        lambda x: np.tanh(_sp(x)) + x * (1 - np.tanh(_sp(x)) ** 2) * _sig(x),
        (),
    ),
    "softplus": (_sp, _sig, ()),
    "logsigmoid": (lambda x: -_sp(-x), lambda x: _sig(-x), ()),
    "hardtanh": (lambda x: np.clip(x, -1, 1), lambda x: (np.abs(x) < 1) * 1.0, (-1, 1)),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0, (0, 6)),
    "hardsigmoid": (
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        lambda x: (np.abs(x) < 3) / 6.0,
        (-3, 3),
    ),
    "hardswish": (
        lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
        lambda x: np.where(x < -3, 0.0, np.where(x > 3, 1.0, x / 3 + 0.5)),
        (-3, 3),
    ),
}

# Activations along a dimension, and the two distance modules: not functions of one number.
NOT_ELEMENTWISE = {
    "CosineSimilarity",
    "PairwiseDistance",
    "Softmax",
    "Softmax2d",
    "LogSoftmax",
    "Softmin",
    "GLU",
}


@pytest.fixture(scope="module")
def r() -> Activations:
    return activations()


def test_result_is_plain_data(r):
    assert r.dtype == "float64" and len(r.grid) == 401
    assert r.grid[0] == -5.0 and r.grid[-1] == 5.0 and r.grid[200] == 0.0
    assert r.points == [-3.0, -1.0, 0.0, 1.0, 3.0]
    for n in r.names:
        assert len(r.value[n]) == len(r.derivative[n]) == 401 and len(r.at_points[n]) == 5
        assert all(type(v) is float for v in r.derivative[n] + r.at_points[n])
        assert type(r.max_derivative[n]) is float


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_value_and_derivative_agree_with_the_closed_form(r, name):
    f, df, kinks = CLOSED[name]
    x = np.asarray(r.grid)
    smooth = np.all([np.abs(x - k) > 1e-9 for k in kinks], axis=0) if kinks else np.ones_like(x)
    smooth = smooth.astype(bool)
    assert smooth.sum() == 401 - sum(-5 <= k <= 5 for k in kinks)
    np.testing.assert_allclose(np.asarray(r.value[name]), f(x), rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.asarray(r.derivative[name])[smooth], df(x)[smooth], atol=1e-6)
    p = np.asarray(r.points)
    ok = np.all([np.abs(p - k) > 1e-9 for k in kinks], axis=0) if kinks else np.ones(len(p), bool)
    np.testing.assert_allclose(np.asarray(r.at_points[name])[ok], df(p)[ok], atol=1e-6)


def test_the_kinks_follow_pytorch(r):
    at = {n: dict(zip(r.points, r.at_points[n])) for n in r.names}
    assert at["relu"][0.0] == 0.0 and at["relu6"][0.0] == 0.0
    assert at["leaky_relu"][0.0] == 0.01 and at["prelu"][0.0] == 0.25
    assert at["elu"][0.0] == at["celu"][0.0] == 1.0
    assert at["selu"][0.0] == pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-15)
    assert at["hardtanh"][-1.0] == at["hardtanh"][1.0] == 0.0
    assert at["hardsigmoid"][-3.0] == at["hardsigmoid"][3.0] == 0.0
    assert at["hardswish"][-3.0] == 0.0 and at["hardswish"][3.0] == 1.0
    assert at["rrelu"][0.0] == RRELU_SLOPE and at["threshold"][1.0] == 0.0
    on_grid = {n: dict(zip(r.grid, r.derivative[n])) for n in ("hardshrink", "softshrink")}
    assert on_grid["hardshrink"][-0.5] == on_grid["hardshrink"][0.5] == 0.0
    assert on_grid["softshrink"][-0.5] == on_grid["softshrink"][0.5] == 0.0


def test_sigmoid_derivative_is_at_most_a_quarter_at_zero(r):
    assert r.max_derivative["sigmoid"] == 0.25
    assert r.argmax_from["sigmoid"] == r.argmax_to["sigmoid"] == 0.0
    assert r.max_derivative["sigmoid"] ** 50 < 1e-30


def test_tanh_derivative_is_at_most_one_at_zero(r):
    assert r.max_derivative["tanh"] == 1.0
    assert r.argmax_from["tanh"] == r.argmax_to["tanh"] == 0.0


def test_flat_maxima_are_ranges(r):
    assert (r.argmax_from["relu"], r.argmax_to["relu"]) == (0.025, 5.0)
    assert (r.argmax_from["hardtanh"], r.argmax_to["hardtanh"]) == (-0.975, 0.975)
    assert r.max_derivative["hardsigmoid"] == pytest.approx(1 / 6)
    assert r.max_derivative["gelu"] == pytest.approx(1.1289, abs=1e-3)
    assert r.max_derivative["silu"] == pytest.approx(1.0998, abs=1e-3)


def test_every_elementwise_activation_is_covered(r):
    modules = {
        k: v
        for k, v in vars(layers).items()
        if isinstance(v, type)
        and issubclass(v, nn.Module)
        and not k.startswith("_")
        and v.__module__ == layers.__name__
        and k not in NOT_ELEMENTWISE
    }
    named = {
        "ReLU": "relu",
        "LeakyReLU": "leaky_relu",
        "PReLU": "prelu",
        "ELU": "elu",
        "SELU": "selu",
        "CELU": "celu",
        "GELU": "gelu",
        "SiLU": "silu",
        "Sigmoid": "sigmoid",
        "Tanh": "tanh",
        "Softplus": "softplus",
        "Hardtanh": "hardtanh",
        "ReLU6": "relu6",
        "Hardsigmoid": "hardsigmoid",
        "Hardswish": "hardswish",
        "Mish": "mish",
        "LogSigmoid": "logsigmoid",
        "RReLU": "rrelu",
        "Softsign": "softsign",
        "Tanhshrink": "tanhshrink",
        "Threshold": "threshold",
        "Hardshrink": "hardshrink",
        "Softshrink": "softshrink",
    }
    assert set(modules) == set(named), "a new activation layer: add it to the lecture"
    assert set(layers.ACTIVATIONS) <= set(r.names)
    assert set(r.names) == set(named.values()) | {"gelu_tanh"}
    x = tg.tensor(r.grid, dtype=tg.float64)
    for cls, name in named.items():
        layer = {
            "PReLU": lambda: layers.PReLU(dtype=tg.float64),
            "Threshold": lambda: layers.Threshold(1.0, 0.0),
            "RReLU": lambda: layers.RReLU().eval(),  # the mean slope; random in training
        }.get(cls, modules[cls])()
        assert layer(x).tolist() == r.value[name], name
    assert nn.GELU(approximate="tanh")(x).tolist() == r.value["gelu_tanh"]


def test_deterministic():
    a, b = activations(), activations()
    assert a == b
    assert activations(points=(0.5,), grid=(-1.0, 1.0, 5)).grid == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_bad_grid_is_an_error():
    with pytest.raises(ValueError, match="grid"):
        activations(grid=(1.0, -1.0, 10))


def test_float32_runs():
    r32 = activations(dtype=tg.float32)
    assert r32.dtype == "float32"
    assert r32.max_derivative["sigmoid"] == pytest.approx(0.25)


def test_runner_names_the_slides():
    assert commands.RUNNERS["activations"].slides == (
        "Lots of activation functions!; Derivative of ReLU"
    )


def test_command_prints_the_table(capsys, r):
    assert main(["activations"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "f'(-3)" in lines[2] and "max f' on grid" in lines[2] and "at x" in lines[2]
    for n in r.names:
        assert any(ln.split()[:1] == [n] for ln in lines), n
    sig = next(ln for ln in lines if ln.startswith("sigmoid "))
    assert sig.split() == ["sigmoid", "0.04518", "0.1966", "0.25", "0.1966", "0.04518", "0.25", "0"]
    relu = next(ln for ln in lines if ln.startswith("relu "))
    assert relu.split() == ["relu", "0", "0", "0", "1", "1", "1", "0.025", "..", "5"]
    assert "0.25^50 = 7.89e-31" in out


def test_out_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["activations", "--out", str(tmp_path)]) == 0
    png = tmp_path / "lecture-activations.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [png.name]
