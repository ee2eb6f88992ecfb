"""Factories and dtype promotion: tapegrad gives PyTorch's result dtypes."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _name(d):
    return str(d).replace("torch.", "").replace("tapegrad.", "")


@pytest.mark.parametrize(
    "data",
    [
        1.5,
        2,
        True,
        [1.0, 2.0],
        [1, 2],
        [True, False],
        [[1, 2], [3, 4]],
        [1, 2.5],
        np.array([1, 2], dtype=np.int32),
        np.array([1.0], dtype=np.float64),
        np.array([1.0], dtype=np.float32),
        np.array([1, 0], dtype=np.uint8),
        np.float64(2.0),
    ],
    ids=repr,
)
def test_tensor_factory_dtype_matches_torch(data):
    assert _name(tg.tensor(data).dtype) == _name(torch.tensor(data).dtype)
    assert tg.tensor(data).shape == tuple(torch.tensor(data).shape)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.zeros(2, 3),
        lambda L: L.ones((2,)),
        lambda L: L.full((2,), 3),
        lambda L: L.full((2,), 3.0),
        lambda L: L.full((2,), True),
        lambda L: L.eye(3),
        lambda L: L.eye(2, 3),
        lambda L: L.arange(5),
        lambda L: L.arange(0, 1, 0.25),
        lambda L: L.arange(1.0, 4.0),
        lambda L: L.linspace(0, 1, 5),
        lambda L: L.rand(2, 2),
        lambda L: L.randn(3),
        lambda L: L.randint(0, 5, (3,)),
        lambda L: L.empty(2),
        lambda L: L.zeros_like(L.ones(2, dtype=L.float64)),
        lambda L: L.ones_like(L.arange(3)),
        lambda L: L.zeros(2, dtype=L.int32),
        lambda L: L.arange(3, dtype=L.float64),
    ],
)
def test_factory_dtype_and_shape_match_torch(make):
    a, b = make(torch), make(tg)
    assert _name(b.dtype) == _name(a.dtype)
    assert tuple(b.shape) == tuple(a.shape)


def test_factory_values_match_torch():
    for make in [
        lambda L: L.arange(0, 1, 0.25),
        lambda L: L.linspace(-1, 1, 7),
        lambda L: L.eye(2, 3),
        lambda L: L.full((2, 2), 7),
    ]:
        np.testing.assert_allclose(make(tg).numpy(), make(torch).numpy(), atol=1e-7)


def test_set_default_dtype_matches_torch():
    old_t, old_g = torch.get_default_dtype(), tg.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        tg.set_default_dtype(tg.float64)
        for make in [
            lambda L: L.tensor(1.0),
            lambda L: L.zeros(2),
            lambda L: L.arange(0.0, 1.0),
            lambda L: L.tensor([1, 2]) * 0.5,
            lambda L: L.tensor([1, 2]) / 2,
            lambda L: L.rand(2),
            lambda L: L.tensor(2, dtype=L.float32) + 1.5,
        ]:
            assert _name(make(tg).dtype) == _name(make(torch).dtype)
    finally:
        torch.set_default_dtype(old_t)
        tg.set_default_dtype(old_g)


DT = {
    "f32": np.array([1.0, 2.0, 3.0], np.float32),
    "f64": np.array([1.0, 2.0, 3.0], np.float64),
    "i64": np.array([1, 2, 3], np.int64),
    "i32": np.array([1, 2, 3], np.int32),
    "u8": np.array([1, 2, 3], np.uint8),
    "b": np.array([True, False, True]),
    "f32_0d": np.array(2.0, np.float32),
    "f64_0d": np.array(2.0, np.float64),
    "i64_0d": np.array(2, np.int64),
    "i32_0d": np.array(2, np.int32),
    "b_0d": np.array(True),
}
PAIRS = [(a, b) for a in DT for b in DT]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_binary_promotion_matches_torch(pair):
    a, b = DT[pair[0]], DT[pair[1]]
    check(
        lambda L, a, b: (a + b, a * b, a - b if L.bool not in (a.dtype, b.dtype) else a * b),
        a,
        b,
        grad=False,
    )


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_true_division_promotion_matches_torch(pair):
    a, b = DT[pair[0]], DT[pair[1]]
    check(lambda L, a, b: a / (b + 1), a, b, grad=False)


_REGISTRY_SCALAR_BUG = pytest.mark.torch
_REGISTRY_UINT8_BUG = pytest.mark.torch


def _scalar_cases():
    for name in sorted(DT):
        for scalar in (2, 2.5, True, -3):
            marks = ()
            if scalar == 2.5 and DT[name].dtype.kind in "iu":
                marks = (_REGISTRY_SCALAR_BUG,)
            if scalar == -3 and DT[name].dtype.kind == "u":
                marks = (_REGISTRY_UINT8_BUG,)
            yield pytest.param(name, scalar, id=f"{name}-{scalar!r}", marks=marks)


@pytest.mark.parametrize("name, scalar", list(_scalar_cases()))
def test_python_scalar_promotion_matches_torch(name, scalar):
    x = DT[name]
    check(lambda L, x: (x * scalar, scalar * x, x + scalar, x / scalar, x > scalar), x, grad=False)


def test_float32_op_float64_gradients_keep_input_dtypes():
    a = np.array([1.0, 2.0], np.float32)
    b = np.array([3.0, 4.0], np.float64)
    check(lambda L, a, b: a * b, a, b)
    check(lambda L, a, b: a * b[0], a, b)


def test_matmul_and_cat_promotion_match_torch():
    a = np.ones((2, 2), np.float32)
    b = np.ones((2, 2), np.float64)
    check(lambda L, a, b: (L.cat([a, b]), L.stack([a, b]), L.where(a > 0, a, b)), a, b)


def test_pow_promotion_matches_torch():
    i = np.array([1, 2, 3])
    f = np.array([1.0, 2.0], np.float32)
    check(lambda L, i: (i**2, 2**i), i, grad=False)
    check(lambda L, f: (f**2, f ** np.float64(2.0), 2**f), f)


def test_reduction_dtypes_match_torch():
    i = np.array([[1, 2], [3, 4]], np.int32)
    b = np.array([True, False, True])
    check(lambda L, i: (i.sum(), i.sum(0), i.prod(), i.max(), i.argmax(), i.amax(0)), i, grad=False)
    check(lambda L, b: (b.sum(), b.any(), b.all()), b, grad=False)


@_REGISTRY_SCALAR_BUG
def test_int_tensor_with_float_scalar_gives_default_float_like_torch():
    i = np.array([1, 2, 3])
    check(lambda L, i: (i * 0.5, i + 0.5, i - 0.5, i**0.5, 2.0**i), i, grad=False)


def test_repr_matches_torch():
    """Printing: 4 decimals, whole floats as '1.', scientific notation, NaN and
    inf, summarized long tensors, suffixes wrapped at 80 columns."""
    rng = np.random.default_rng(1)
    cases = [
        [1.5, 2.75],
        [1.0, 2.0],
        [1e-5, 1.0],
        [123456789.0, 1.0],
        [0.1234567, -22.5],
        [float("nan"), 1.5, float("inf")],
        [[1.25, -3.5], [100.0, 2.0]],
        3.25,
        [0.0, 0.0],
        [-0.0, 1.5],
        [float("nan"), 1.0, 2.0],
        rng.standard_normal(2000),
        rng.standard_normal((40, 50)),
        rng.standard_normal((3, 4, 5)),
        rng.standard_normal(9),
    ]
    for values in cases:
        for dtype in ("float32", "float64"):
            a = np.asarray(values, dtype=dtype)
            for rg in (False, True):
                got = repr(tg.tensor(a, requires_grad=rg)).replace("tapegrad.", "torch.")
                assert got == repr(torch.tensor(a, requires_grad=rg))
    for values in ([1, 2, 300], [True, False], list(range(2000))):
        assert repr(tg.tensor(values)) == repr(torch.tensor(values))
