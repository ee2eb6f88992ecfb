"""Elementwise ops, broadcasting and operators: values and gradients vs PyTorch."""

import numpy as np
import pytest

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)


def R(*shape, lo=-2.0, hi=2.0, dtype="float64"):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


POS = R(3, 4, lo=0.2, hi=3.0)
ANY = R(3, 4)

UNARY = {
    "exp": (lambda L, x: L.exp(x), ANY),
    "log": (lambda L, x: L.log(x), POS),
    "log1p": (lambda L, x: L.log1p(x), POS),
    "expm1": (lambda L, x: L.expm1(x), ANY),
    "sqrt": (lambda L, x: L.sqrt(x), POS),
    "rsqrt": (lambda L, x: L.rsqrt(x), POS),
    "abs": (lambda L, x: L.abs(x), ANY),
    "sign": (lambda L, x: L.sign(x), ANY),
    "sin": (lambda L, x: L.sin(x), ANY),
    "cos": (lambda L, x: L.cos(x), ANY),
    "tan": (lambda L, x: L.tan(x), R(3, 4, lo=-1.2, hi=1.2)),
    "tanh": (lambda L, x: L.tanh(x), ANY),
    "sigmoid": (lambda L, x: L.sigmoid(x), R(3, 4, lo=-30, hi=30)),
    "relu": (lambda L, x: L.relu(x), ANY),
    "reciprocal": (lambda L, x: L.reciprocal(x), POS),
    "neg": (lambda L, x: -x, ANY),
    "square": (lambda L, x: L.square(x), ANY),
    "method_exp": (lambda L, x: x.exp(), ANY),
    "method_log": (lambda L, x: x.log(), POS),
    "method_sigmoid": (lambda L, x: x.sigmoid(), ANY),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_matches_torch(name, dtype):
    fn, x = UNARY[name]
    check(fn, x.astype(dtype), rtol=1e-5 if dtype == "float32" else 1e-10)


def test_abs_and_relu_at_zero_match_torch():
    x = np.array([-1.0, 0.0, 2.0])
    check(lambda L, x: L.abs(x) + L.relu(x) + L.sign(x), x)


BROADCAST_SHAPES = [((3,), ()), ((2, 1, 3), (2, 5, 3)), ((2, 1), (5, 2, 3)), ((4, 1), (1, 3))]
BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
    "pow": lambda L, a, b: L.abs(a) ** b,
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "fn_add": lambda L, a, b: L.add(a, b, alpha=2),
    "fn_sub": lambda L, a, b: L.sub(a, b, alpha=0.5),
    "where": lambda L, a, b: L.where(a > b, a, b),
    "logaddexp": lambda L, a, b: L.logaddexp(a, b),
    "xlogy": lambda L, a, b: L.xlogy(a, b),
    "method_logaddexp": lambda L, a, b: a.logaddexp(b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_broadcast_matches_torch(name, shapes):
    a = R(*shapes[0], lo=0.5, hi=2.0)
    b = R(*shapes[1], lo=0.5, hi=2.0)
    check(BINARY[name], a, b, rtol=1e-9)
    check(BINARY[name], b, a, rtol=1e-9)


@pytest.mark.parametrize("scalar", [2, 2.5, -1])
def test_reflected_operators_with_python_numbers_match_torch(scalar):
    x = R(3, lo=0.5, hi=2, dtype="float32")
    check(
        lambda L, x: (
            (scalar + x) * (scalar - x) / (scalar / x) + x**scalar + scalar**x - x * scalar
        ),
        x,
    )


def test_maximum_minimum_ties_share_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 1.0, 3.0])
    check(lambda L, a, b: L.maximum(a, b) * 3 + L.minimum(a, b), a, b)


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.0), (0.0, None), (1.0, 1.0)])
def test_clamp_gradient_at_boundary_matches_torch(bounds):
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    lo, hi = bounds
    check(lambda L, x: L.clamp(x, lo, hi), x)
    check(lambda L, x: x.clamp(min=lo, max=hi), x)


def test_clamp_with_tensor_bounds_matches_torch():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    lo = np.array([0.0, 0.0, 0.5, 0.0])
    hi = np.array([1.0, 1.0, 1.0, 2.0])
    check(lambda L, x, lo, hi: L.clamp(x, lo, hi), x, lo, hi)


def test_pow_zero_to_zero_and_negative_bases_match_torch():
    a = np.array([0.0, 0.0, -2.0, -1.5, 3.0])
    check(lambda L, a: a**2, a)
    check(lambda L, a: a**0, a)
    check(lambda L, a: a**3.0, a)
    check(lambda L, a: a**-1, a[2:])
    b = np.array([0.0, 2.0, 2.0, 3.0, 0.5])
    check(lambda L, a, b: a**b, np.array([0.0, 0.0, -2.0, -1.0, 3.0]), b)


def test_pow_with_tensor_exponent_matches_torch():
    a = R(3, 4, lo=0.5, hi=2)
    b = R(4, lo=-2, hi=2)
    check(lambda L, a, b: L.pow(a, b), a, b, rtol=1e-9)
    check(lambda L, b: 2.0**b, b, rtol=1e-9)


def test_pow_zero_base_gradients_match_torch():
    a = np.array([0.0, 0.0, 0.0])
    check(lambda L, a: a**0.5, a)
    check(lambda L, a: a**1.0, a)
    check(lambda L, a: a**2.5, a)


def test_where_with_scalars_matches_torch():
    x = R(5)
    check(lambda L, x: L.where(x > 0, x, 0.0), x)
    check(lambda L, x: L.where(x > 0, 1.0, x), x)


def test_comparisons_match_torch():
    a = np.array([1.0, 2.0, 3.0], dtype="float32")
    b = np.array([2.0, 2.0, 2.0], dtype="float32")
    check(lambda L, a, b: (a < b, a <= b, a > b, a >= b, a == b, a != b, a > 1.5), a, b, grad=False)


def test_integer_and_bool_elementwise_results_match_torch():
    i = np.array([1, -2, 3])
    check(lambda L, i: (L.abs(i), -i, L.sign(i), L.relu(i), i * 2, i + i, i - 1), i, grad=False)
    check(lambda L, i: (L.exp(i), L.sqrt(L.abs(i)), L.sigmoid(i)), i, grad=False)


def test_logaddexp_of_huge_and_minus_infinite_arguments_matches_torch():
    a = np.array([1000.0, -np.inf, 0.0, 30.0])
    b = np.array([1000.0, 1.0, -1000.0, -30.0])
    check(lambda L, a, b: L.logaddexp(a, b), a, b)


def test_xlogy_is_zero_where_x_is_zero_like_torch():
    x = np.array([0.0, 0.0, 2.0, 1.5])
    y = np.array([0.0, 3.0, 0.5, np.nan])
    check(lambda L, x, y: L.xlogy(x, y), x, y, grad=False)
    check(lambda L, x, y: L.xlogy(x, y), x[:3], np.array([1.0, 3.0, 0.5]))
    check(lambda L, y: L.xlogy(2, y) + L.xlogy(y, 3.0), np.array([0.5, 2.0]))
