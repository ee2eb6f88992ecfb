"""The inverse trigonometric and hyperbolic functions, log2/log10/exp2,
logaddexp2, deg2rad/rad2deg, sgn, signbit, sinc, logit, lgamma, digamma,
polygamma, heaviside, float_power, isneginf/isposinf/isreal, nextafter, gcd
and lcm against PyTorch: values, dtypes, gradients (first and second order),
edge values and errors."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(7)
inf, nan = np.inf, np.nan
EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.5, 3.0, inf, -inf, nan, 1e-300, 40.0])


def R(*shape, lo=-2.0, hi=2.0, dtype="float64"):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


# name: (domain of the random samples, relative tolerance of the gradient in float64)
UNARY = {
    "acos": ((-0.95, 0.95), 1e-12),
    "asin": ((-0.95, 0.95), 1e-12),
    "atan": ((-3.0, 3.0), 1e-12),
    "sinh": ((-3.0, 3.0), 1e-12),
    "cosh": ((-3.0, 3.0), 1e-12),
    "acosh": ((1.05, 5.0), 1e-12),
    "asinh": ((-3.0, 3.0), 1e-12),
    "atanh": ((-0.95, 0.95), 1e-12),
    "log2": ((0.1, 5.0), 1e-12),
    "log10": ((0.1, 5.0), 1e-12),
    "exp2": ((-3.0, 3.0), 1e-12),
    "deg2rad": ((-360.0, 360.0), 1e-12),
    "rad2deg": ((-4.0, 4.0), 1e-12),
    "sinc": ((-3.0, 3.0), 1e-10),
    "logit": ((0.02, 0.98), 1e-12),
    "lgamma": ((-4.0, 8.0), 1e-12),
    # PyTorch's trigamma (digamma's derivative) is accurate to about 1e-9
    "digamma": ((-4.0, 8.0), 1e-8),
}
ALIASES = {
    "arccos": "acos",
    "arcsin": "asin",
    "arctan": "atan",
    "arccosh": "acosh",
    "arcsinh": "asinh",
    "arctanh": "atanh",
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_functions_match_torch_in_values_and_gradients(name, dtype):
    (lo, hi), rtol = UNARY[name]
    x = R(3, 4, lo=lo, hi=hi, dtype=dtype)
    tol = dict(rtol=2e-5, atol=1e-5) if dtype == "float32" else dict(rtol=rtol, atol=1e-12)
    check(lambda L, a: getattr(L, name)(a), x, **tol)
    check(lambda L, a: getattr(a, name)(), x, **tol)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_and_their_methods_match_torch(alias):
    lo, hi = UNARY[ALIASES[alias]][0]
    x = R(5, lo=lo, hi=hi)
    check(lambda L, a: getattr(L, alias)(a), x, rtol=1e-12)
    check(lambda L, a: getattr(a, alias)(), x, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"digamma"}))
def test_edge_values_and_their_gradients_match_torch(name):
    check(lambda L, a: getattr(L, name)(a), EDGES, rtol=1e-12, atol=1e-300)


def test_digamma_edge_values_match_torch_and_its_gradient_away_from_the_poles():
    check(lambda L, a: L.digamma(a), EDGES, backward=False, rtol=1e-12)
    away = EDGES[~((EDGES < 0) & (EDGES == np.floor(EDGES)))]
    check(lambda L, a: L.digamma(a), away, rtol=1e-8, atol=1e-300)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_inputs_give_the_default_float_dtype(name, dtype):
    x = np.array([0, 1, 2, 3]).astype(dtype)
    check(lambda L, a: getattr(L, name)(a), x, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_second_derivatives_match_torch(name):
    (lo, hi), rtol = UNARY[name]
    if name in ("lgamma", "digamma"):
        lo, hi, rtol = 0.3, 8.0, 1e-7  # (torch's trigamma and polygamma(2) are less accurate)

    def twice(L, a):
        (g,) = L.autograd.grad(getattr(L, name)(a).sum(), (a,), create_graph=True)
        return g

    check(twice, R(6, lo=lo, hi=hi), rtol=rtol, atol=1e-12)


# PyTorch has no derivative of these in place (tapegrad has it: the function's)
NO_INPLACE_DERIVATIVE = {"acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh"}


@pytest.mark.parametrize("name", sorted(set(UNARY) | set(ALIASES)))
def test_in_place_forms_match_torch(name):
    lo, hi = UNARY[ALIASES.get(name, name)][0]
    x = R(5, lo=lo, hi=hi)

    def in_place(L, a):
        b = a * 1.0
        assert getattr(b, name + "_")() is b
        return b

    check(in_place, x, grad=name not in NO_INPLACE_DERIVATIVE, rtol=1e-8, atol=1e-12)


def test_sinc_at_zero_is_one_with_gradient_zero():
    check(lambda L, a: L.sinc(a), np.array([0.0, -0.0, 1e-200, 1e-150]), rtol=1e-12, atol=0)


# -------------------------------------------------------------------- logit
@pytest.mark.parametrize("eps", [None, 0.0, 0.1, 0.2, 0.7, -0.1])
def test_logit_clamps_with_eps_and_its_gradient_vanishes_outside(eps):
    x = np.array([0.0, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 1.0, -1.0, 2.0, nan])
    check(lambda L, a: L.logit(a, eps), x, rtol=1e-12)
    check(lambda L, a: a.logit(eps=eps), x.astype("float32"), rtol=1e-6)


def test_logit_of_torch_special_is_the_same_function():
    x = R(6, lo=0.01, hi=0.99)
    check(lambda L, a: L.special.logit(a, 0.1), x, rtol=1e-12)


# ---------------------------------------------------------------- polygamma
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_polygamma_matches_torch_in_values_and_gradients(n):
    x = np.concatenate([R(8, lo=0.2, hi=12.0), R(4, lo=-3.9, hi=-0.1)])
    check(lambda L, a: L.polygamma(n, a), x, rtol=1e-8, atol=1e-12)
    check(lambda L, a: a.polygamma(n), x.astype("float32"), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_edge_values_match_torch(n):
    x = EDGES if n != 1 else EDGES[~((EDGES < 0) & (EDGES == np.floor(EDGES)) & (EDGES > -inf))]
    check(lambda L, a: L.polygamma(n, a), x, backward=False, rtol=1e-9)


def test_polygamma_of_integers_and_in_place_and_errors_match_torch():
    check(lambda L, a: L.polygamma(2, a), np.array([1, 2, 3]), rtol=1e-6)

    def in_place(L, a):
        b = a * 1.0
        b.polygamma_(1)
        return b

    check(in_place, R(4, lo=0.5, hi=3.0), rtol=1e-8)
    err = check_raises(lambda L, a: L.polygamma(-1, a), R(3))
    assert "negative n" in str(err)


# ----------------------------------------------------------- two arguments
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((), (4,)), ((2, 1, 3), (2, 5, 3))])
def test_logaddexp2_matches_torch_with_broadcasting(sa, sb):
    check(lambda L, a, b: L.logaddexp2(a, b), R(*sa), R(*sb), rtol=1e-12)
    check(lambda L, a, b: a.logaddexp2(b), R(*sb, dtype="float32"), R(*sa), rtol=1e-6)


def test_logaddexp2_at_infinities_and_second_order_match_torch():
    a = np.array([0.0, 1.0, -inf, inf, -inf, 1000.0, -1000.0])
    b = np.array([0.0, 3.0, -inf, inf, 2.0, 1000.0, 5.0])
    check(lambda L, x, y: L.logaddexp2(x, y), a, b, rtol=1e-12)

    def twice(L, x, y):
        return L.autograd.grad(L.logaddexp2(x, y).sum(), (x, y), create_graph=True)

    check(twice, R(4), R(4), rtol=1e-12)
    check_raises(lambda L, x, y: L.logaddexp2(x, y), np.array([1, 2]), np.array([3, 4]))


@pytest.mark.parametrize(
    "base,exponent",
    [
        (np.array([2.0, 3.0, 0.5, 0.0], dtype="float32"), np.array([2.0, -1.0, 0.5, 0.0])),
        (np.array([1.5, 2.5], dtype="float32"), 2),
        (np.array([1, 2, 3]), 0.5),
        (2, np.array([1.0, -2.0], dtype="float32")),
        (np.array([-2.0, 4.0]), np.array([3, 2])),
    ],
)
def test_float_power_computes_in_float64_with_gradients_in_the_inputs_dtype(base, exponent):
    check(lambda L, a, b: L.float_power(a, b), base, exponent, rtol=1e-6)


def test_float_power_method_and_in_place_form_match_torch():
    check(lambda L, a: a.float_power(3), R(4, dtype="float32"), rtol=1e-6)

    def in_place(L, a):
        b = a * 1.0
        return b.float_power_(2)

    check(in_place, R(4), rtol=1e-12)
    err = check_raises(lambda L, a: a.float_power_(2), R(3, dtype="float32"))
    assert str(err) == (
        "the base given to float_power_ has dtype Float but the operation's result "
        "requires dtype Double"
    )


# ------------------------------------------------------- without gradients
def test_heaviside_matches_torch_and_has_no_derivative():
    x = np.array([-1.0, 0.0, 2.0, nan, -0.0, inf])
    v = np.array([0.5, 0.5, 0.5, 0.5, 0.7, 0.1])
    check(lambda L, a, b: L.heaviside(a, b), x, v, backward=False)
    check(lambda L, a, b: a.heaviside(b), np.array([1, 0, -2]), np.array([3]), backward=False)
    check_raises(lambda L, a, b: L.heaviside(a, b), np.array([1, 0]), np.array([0.5, 0.5]))
    with pytest.raises(RuntimeError, match="derivative for heaviside"):
        tg.heaviside(tg.tensor([1.0, 0.0], requires_grad=True), tg.tensor([0.5])).sum().backward()
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.heaviside(tg.tensor([1.0]), 0.5)


def test_nextafter_matches_torch():
    a = np.array([1.0, 0.0, nan, 1.0, inf])
    b = np.array([2.0, -1.0, 0.0, 1.0, 0.0])
    check(lambda L, x, y: L.nextafter(x, y), a, b, backward=False, rtol=0, atol=0)
    check(lambda L, x, y: x.nextafter(y), a.astype("float32"), b.astype("float32"), grad=False)
    check(lambda L, x, y: L.nextafter(x, y), a.astype("float32"), b, grad=False, rtol=0)
    check_raises(lambda L, x, y: L.nextafter(x, y), np.array([1]), np.array([2]))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_and_lcm_match_torch(name):
    a = np.array([12, -18, 0, 0, 7, 2**62, -(2**63)])
    b = np.array([18, 12, 5, 0, -3, 3, 0])
    check(lambda L, x, y: getattr(L, name)(x, y), a, b)
    check(lambda L, x, y: getattr(x, name)(y), a.astype("int32") % 1000, np.array([6]))
    check(lambda L, x, y: getattr(L, name)(x, y), a.astype("uint8"), b.astype("int32"))
    check_raises(lambda L, x, y: getattr(L, name)(x, y), np.array([2.0]), np.array([3]))
    check_raises(lambda L, x, y: getattr(L, name)(x, y), np.array([True]), np.array([True]))


@pytest.mark.parametrize("name", ["gcd_", "lcm_"])
def test_gcd_and_lcm_in_place_match_torch(name):
    def in_place(L, x, y):
        out = x.clone()
        getattr(out, name)(y)
        return out

    check(in_place, np.array([4, 9, 0]), np.array([6, 6, 5]))


@pytest.mark.parametrize("name", ["signbit", "isposinf", "isneginf", "isreal"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
def test_tests_of_sign_and_infinity_match_torch(name, dtype):
    x = EDGES.astype(dtype) if dtype.startswith("float") else np.array([0, 1, 5]).astype(dtype)
    check(lambda L, a: getattr(L, name)(a), x, grad=False)
    check(lambda L, a: getattr(a, name)(), x, grad=False)
    check(lambda L, a: getattr(L, name)(a), -np.array([1, 0, 3]).astype("int32"), grad=False)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
def test_sgn_is_sign_on_real_tensors(dtype):
    x = EDGES.astype(dtype) if dtype.startswith("float") else np.array([0, 1, 5]).astype(dtype)
    check(lambda L, a: L.sgn(a), x, backward=False)
    if dtype.startswith("float"):  # gradient 0 (PyTorch's is a ZeroTensor: added to one)
        check(lambda L, a: L.sgn(a) + a * 0.0, R(5, dtype=dtype))
    check(lambda L, a: a.sgn(), x, grad=False)

    def in_place(L, a):
        b = a.clone()
        b.sgn_()
        return b

    check(in_place, x, grad=False)
