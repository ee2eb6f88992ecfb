"""The inverse trigonometric and hyperbolic functions, log2/log10/exp2,
logaddexp2, deg2rad/rad2deg, sgn, signbit, sinc, logit, lgamma, digamma,
polygamma, heaviside, float_power, isneginf/isposinf/isreal, nextafter, gcd
and lcm without PyTorch: values against NumPy and ``math``, dtypes,
gradients by finite differences in float64, special values and errors."""

import math

import numpy as np
import pytest

import tapegrad as tg

rng = np.random.default_rng(3)
inf, nan = np.inf, np.nan


def T(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def close(t, want, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=atol, equal_nan=True)


# name: (NumPy's function, domain of the samples)
NUMPY = {
    "acos": (np.arccos, (-0.95, 0.95)),
    "asin": (np.arcsin, (-0.95, 0.95)),
    "atan": (np.arctan, (-3.0, 3.0)),
    "sinh": (np.sinh, (-3.0, 3.0)),
    "cosh": (np.cosh, (-3.0, 3.0)),
    "acosh": (np.arccosh, (1.05, 5.0)),
    "asinh": (np.arcsinh, (-3.0, 3.0)),
    "atanh": (np.arctanh, (-0.95, 0.95)),
    "log2": (np.log2, (0.1, 5.0)),
    "log10": (np.log10, (0.1, 5.0)),
    "exp2": (np.exp2, (-3.0, 3.0)),
    "deg2rad": (np.deg2rad, (-360.0, 360.0)),
    "rad2deg": (np.rad2deg, (-4.0, 4.0)),
    "sinc": (np.sinc, (-3.0, 3.0)),
    "logit": (lambda p: np.log(p / (1 - p)), (0.02, 0.98)),
}
ALIASES = {"arccos": "acos", "arcsin": "asin", "arctan": "atan"}
ALIASES.update({"arccosh": "acosh", "arcsinh": "asinh", "arctanh": "atanh"})


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_values_are_numpys_and_gradients_match_finite_differences(name):
    f, (lo, hi) = NUMPY[name]
    x = rng.uniform(lo, hi, (3, 4))
    close(getattr(tg, name)(T(x)), f(x))
    close(getattr(T(x), name)(), f(x))
    assert tg.gradcheck(getattr(tg, name), (T(x, True),))


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_same_functions_and_methods(alias):
    name = ALIASES[alias]
    x = T(rng.uniform(*NUMPY[name][1], 4))
    close(getattr(tg, alias)(x), getattr(tg, name)(x).numpy())
    close(getattr(x, alias)(), getattr(tg, name)(x).numpy())


@pytest.mark.parametrize("name", sorted(NUMPY) + ["lgamma", "digamma"])
def test_integers_give_the_default_float_dtype_and_float32_stays(name):
    assert getattr(tg, name)(tg.tensor([1, 2, 3])).dtype == tg.float32
    assert getattr(tg, name)(tg.tensor([True, False])).dtype == tg.float32
    assert getattr(tg, name)(tg.tensor([0.5, 0.25])).dtype == tg.float32
    with_default = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert getattr(tg, name)(tg.tensor([1, 2])).dtype == tg.float64
    finally:
        tg.set_default_dtype(with_default)


@pytest.mark.parametrize("name", sorted(NUMPY) + sorted(ALIASES) + ["lgamma", "digamma"])
def test_in_place_forms_write_the_function_into_the_tensor(name):
    lo, hi = NUMPY[ALIASES.get(name, name)][1] if name not in ("lgamma", "digamma") else (0.5, 4)
    x = rng.uniform(lo, hi, 5)
    t = T(x)
    assert getattr(t, name + "_")() is t
    close(t, getattr(tg, name)(T(x)).numpy())


def test_in_place_forms_are_differentiable_on_non_leaves():
    x = T([0.2, 0.4], True)
    y = x * 1.0
    y.asin_()
    y.sum().backward()
    close(x.grad, 1 / np.sqrt(1 - np.array([0.2, 0.4]) ** 2))


def test_edge_values_of_the_inverse_functions():
    close(tg.acos(T([1.0, -1.0, 2.0])), [0.0, np.pi, nan])
    close(tg.atanh(T([1.0, -1.0])), [inf, -inf])
    close(tg.log2(T([0.0, 8.0, -1.0])), [-inf, 3.0, nan])
    close(tg.exp2(T([-inf, 10.0])), [0.0, 1024.0])
    x = T([1.0, -1.0], True)
    tg.asin(x).sum().backward()
    close(x.grad, [inf, inf])


def _first_derivative(f):
    def first(a):
        (g,) = tg.autograd.grad(f(a).sum(), (a,), create_graph=True)
        return g

    return first


@pytest.mark.parametrize("name", ["acos", "atanh", "asinh", "log10", "sinc", "lgamma", "digamma"])
def test_second_derivatives_match_finite_differences_of_the_first(name):
    x = T(rng.uniform(0.2, 0.8, 4), True)
    assert tg.gradcheck(_first_derivative(getattr(tg, name)), (x,))


# ----------------------------------------------------------------- sinc
def test_sinc_is_one_at_zero_with_gradient_zero():
    x = T([0.0, -0.0, 1e-200, 1.0, 0.5], True)
    close(tg.sinc(x), [1.0, 1.0, 1.0, np.sinc(1.0), 2 / np.pi])
    tg.sinc(x).sum().backward()
    close(x.grad[:3], [0.0, 0.0, 0.0])
    close(x.grad[3:], [-1.0, -4 / np.pi])  # (pi a cos(pi a) - sin(pi a)) / (pi a^2)


# ---------------------------------------------------------------- logit
def test_logit_clamps_to_eps_and_the_gradient_vanishes_outside():
    p = T([0.05, 0.1, 0.5, 0.95, 1.0], True)
    out = tg.logit(p, eps=0.1)
    close(
        out, np.log(np.array([0.1, 0.1, 0.5, 0.9, 0.9]) / (1 - np.array([0.1, 0.1, 0.5, 0.9, 0.9])))
    )
    out.sum().backward()
    close(p.grad, [0.0, 1 / 0.09, 4.0, 0.0, 0.0])


def test_logit_without_eps_is_infinite_at_0_and_1_and_nan_outside():
    p = T([0.0, 1.0, -0.5, 1.5], True)
    close(tg.logit(p), [-inf, inf, nan, nan])
    tg.logit(p).sum().backward()
    close(p.grad, [inf, inf, nan, nan])
    close(tg.logit(T([-0.5, 0.5]), eps=-0.1), [nan, 0.0])  # negative eps: no clamp


def test_special_logit_is_the_table_entry():
    p = T([0.3, 0.6])
    close(tg.special.logit(p, 0.4), tg.logit(p, 0.4).numpy())
    assert tg.special.logit(T([0.3], True)).grad_fn.name().startswith("Logit")


# --------------------------------------------------- lgamma and polygamma
def test_lgamma_matches_math_lgamma_across_the_real_line():
    x = np.concatenate([rng.uniform(-30, 30, 2000), rng.uniform(0, 3, 500), [1e-8, 1e5, 171.5]])
    x = x[np.abs(x - np.round(x)) > 1e-6]
    want = np.array([math.lgamma(v) for v in x])
    np.testing.assert_allclose(tg.lgamma(T(x)).numpy(), want, rtol=1e-12, atol=1e-13)


def test_lgamma_poles_zeros_and_infinities():
    close(tg.lgamma(T([0.0, -0.0, -1.0, -7.0, inf, -inf, nan])), [inf] * 6 + [nan])
    close(tg.lgamma(T([1.0, 2.0, 0.5])), [0.0, 0.0, math.log(math.sqrt(math.pi))])
    close(tg.lgamma(T([1e-300])), [-math.log(1e-300)])


def _digamma_by_series(x, terms=200000):
    """``psi(x) = -gamma + sum_k (1/(k+1) - 1/(k+x))``, summed far, with its tail
    ``~ (x - 1) / K`` added: a slow, independent reference."""
    k = np.arange(terms, dtype=np.float64)
    return -np.euler_gamma + np.sum(1 / (k + 1) - 1 / (k + x)) + (x - 1) / terms


def test_digamma_matches_known_values_and_an_independent_series():
    close(
        tg.digamma(T([1.0, 0.5, 2.0])),
        [-np.euler_gamma, -np.euler_gamma - 2 * math.log(2), 1 - np.euler_gamma],
    )
    for x in (0.3, 1.7, 4.2, -1.5, -3.3):
        np.testing.assert_allclose(tg.digamma(T([x])).item(), _digamma_by_series(x), rtol=1e-9)


def test_digamma_and_trigamma_special_values():
    close(tg.digamma(T([0.0, -0.0, -1.0, -inf, inf, nan])), [-inf, inf, nan, nan, inf, nan])
    close(tg.polygamma(1, T([1.0, 0.5])), [math.pi**2 / 6, math.pi**2 / 2])
    close(tg.polygamma(1, T([0.0, -2.0, inf])), [inf, inf, 0.0])
    close(tg.polygamma(2, T([0.0, -1.0, inf])), [-inf, -inf, nan])
    close(tg.polygamma(3, T([-3.0])), [inf])


def test_polygamma_is_the_derivative_of_the_order_below():
    x = rng.uniform(0.3, 6.0, 6)
    for n in range(4):
        step = 1e-6
        diff = (tg.polygamma(n, T(x + step)).numpy() - tg.polygamma(n, T(x - step)).numpy()) / (
            2 * step
        )
        np.testing.assert_allclose(tg.polygamma(n + 1, T(x)).numpy(), diff, rtol=1e-6)


def test_polygamma_reflection_on_negative_non_integers():
    # psi^(n)(x) = (-1)^(n+1) n! sum_k 1/(x+k)^(n+1): summed directly for n >= 1,
    # with the tail beyond K, about 1 / (n (x+K)^n)
    x, terms = -2.3, 200000
    k = np.arange(terms, dtype=np.float64)
    for n in (1, 2, 3):
        total = np.sum(1 / (x + k) ** (n + 1)) + 1 / (n * (x + terms) ** n)
        want = (-1) ** (n + 1) * math.factorial(n) * total
        np.testing.assert_allclose(tg.polygamma(n, T([x])).item(), want, rtol=1e-9)


def test_polygamma_gradients_method_and_errors():
    x = T(rng.uniform(0.5, 3.0, 4), True)
    for n in range(3):
        assert tg.gradcheck(lambda a, n=n: tg.polygamma(n, a), (x,))
    close(x.polygamma(2), tg.polygamma(2, x).detach().numpy())
    close(tg.polygamma(0, x), tg.digamma(x).detach().numpy())
    assert tg.polygamma(1, tg.tensor([1, 2])).dtype == tg.float32
    with pytest.raises(RuntimeError, match="negative n"):
        tg.polygamma(-1, x)
    with pytest.raises(TypeError, match="must be int"):
        tg.polygamma(1.5, x)


def test_lgamma_gradient_is_digamma():
    x = T([0.5, 1.0, 3.5, -1.5], True)
    tg.lgamma(x).sum().backward()
    close(x.grad, tg.digamma(x).detach().numpy())


# ----------------------------------------------------------- two arguments
def test_logaddexp2_is_numpys_with_broadcasting_and_gradients():
    a, b = rng.uniform(-3, 3, (2, 1, 3)), rng.uniform(-3, 3, (5, 3))
    close(tg.logaddexp2(T(a), T(b)), np.logaddexp2(a, b))
    close(T(a).logaddexp2(T(b)), np.logaddexp2(a, b))
    assert tg.gradcheck(tg.logaddexp2, (T(a, True), T(b, True)))
    close(tg.logaddexp2(T([1000.0, -inf]), T([1000.0, 2.0])), [1001.0, 2.0])
    with pytest.raises(NotImplementedError, match="logaddexp2"):
        tg.logaddexp2(tg.tensor([1]), tg.tensor([2]))


def test_float_power_is_float64_and_its_gradient_keeps_the_input_dtype():
    x = tg.tensor([2.0, 3.0], requires_grad=True)
    y = tg.float_power(x, 2)
    assert y.dtype == tg.float64
    close(y, [4.0, 9.0])
    y.sum().backward()
    assert x.grad.dtype == tg.float32
    close(x.grad, [4.0, 6.0])
    assert tg.float_power(tg.tensor([1, 2]), 0.5).dtype == tg.float64
    close(tg.float_power(2, tg.tensor([1, 3])), [2.0, 8.0])
    close(tg.tensor([1.5]).float_power(2), [2.25])
    e = T([0.5, -1.0], True)
    assert tg.gradcheck(tg.float_power, (T([1.5, 2.0], True), e))


def test_float_power_in_place_only_on_float64():
    t = T([2.0, 3.0])
    assert t.float_power_(2) is t
    close(t, [4.0, 9.0])
    with pytest.raises(RuntimeError, match="has dtype Float but"):
        tg.tensor([1.0]).float_power_(2)
    with pytest.raises(RuntimeError, match="has dtype Long but"):
        tg.tensor([1]).float_power_(2)


# ------------------------------------------------------- without gradients
def test_heaviside_steps_and_takes_values_at_zero():
    x = tg.tensor([-1.0, 0.0, 2.0, nan, -0.0])
    out = tg.heaviside(x, tg.tensor([0.5, 0.5, 0.5, 0.5, 0.7]))
    close(out, np.array([0.0, 0.5, 1.0, 0.0, 0.7], dtype=np.float32))
    assert out.dtype == tg.float32
    assert x.heaviside(tg.tensor([0.25])).tolist() == [0.0, 0.25, 1.0, 0.0, 0.25]
    assert tg.heaviside(tg.tensor([3, 0, -2]), tg.tensor([7])).tolist() == [1, 7, 0]
    with pytest.raises(RuntimeError, match="different dtypes"):
        tg.heaviside(tg.tensor([1, 0]), tg.tensor([0.5]))
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.heaviside(x, 0.5)
    with pytest.raises(ValueError, match=r"heaviside: shapes \(5,\) and \(2,\)"):
        tg.heaviside(x, tg.tensor([1.0, 2.0]))


def test_heaviside_and_nextafter_have_no_derivative():
    x = T([1.0, 0.0], True)
    for out in (tg.heaviside(x, T([0.5])), tg.nextafter(x, T([2.0]))):
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
            out.sum().backward()


def test_nextafter_is_numpys_with_promotion():
    a, b = np.array([1.0, 0.0, nan, 1.0]), np.array([2.0, -1.0, 0.0, 1.0])
    close(tg.nextafter(T(a), T(b)), np.nextafter(a, b), rtol=0, atol=0)
    out = tg.nextafter(tg.tensor([1.0]), tg.tensor([2.0]))
    assert out.dtype == tg.float32 and out.item() == float(
        np.nextafter(np.float32(1), np.float32(2))
    )
    assert tg.nextafter(tg.tensor([1.0]), T([2.0])).dtype == tg.float64
    t = T([1.0])
    t.nextafter_(T([0.0]))
    assert t.item() == np.nextafter(1.0, 0.0)
    with pytest.raises(NotImplementedError, match="nextafter"):
        tg.nextafter(tg.tensor([1]), tg.tensor([2]))


def test_gcd_and_lcm_of_integers():
    a, b = tg.tensor([12, -18, 0, 0, 7]), tg.tensor([18, 12, 5, 0, -3])
    assert tg.gcd(a, b).tolist() == [6, 6, 5, 0, 1]
    assert tg.lcm(a, b).tolist() == [36, 36, 0, 0, 21]
    assert a.gcd(tg.tensor([4])).tolist() == [4, 2, 4, 4, 1]
    assert tg.lcm(tg.tensor([2**62]), tg.tensor([3])).tolist() == [2**62]  # wraps as PyTorch's
    assert (
        tg.gcd(tg.tensor([12], dtype=tg.uint8), tg.tensor([18], dtype=tg.int32)).dtype == tg.int32
    )
    t = tg.tensor([4, 9])
    t.lcm_(tg.tensor([6, 6]))
    assert t.tolist() == [12, 18]
    with pytest.raises(NotImplementedError, match="gcd"):
        tg.gcd(tg.tensor([2.0]), tg.tensor([3.0]))
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.lcm(tg.tensor([4]), 6)


def test_tests_of_sign_and_infinity():
    x = tg.tensor([-0.0, 0.0, -1.0, inf, -inf, nan])
    assert tg.signbit(x).tolist() == [True, False, True, False, True, False]
    assert tg.isposinf(x).tolist() == [False, False, False, True, False, False]
    assert x.isneginf().tolist() == [False, False, False, False, True, False]
    assert tg.isreal(x).tolist() == [True] * 6
    assert tg.signbit(tg.tensor([-2, 3])).tolist() == [True, False]
    for f in (tg.signbit, tg.isposinf, tg.isneginf, tg.isreal):
        assert f(tg.tensor([1, 0], dtype=tg.uint8)).dtype == tg.bool
        assert f(tg.tensor([True])).dtype == tg.bool


def test_sgn_is_sign_with_zero_at_nan_and_booleans_kept():
    close(tg.sgn(T([-2.0, 0.0, 3.0, nan, -inf])), [-1.0, 0.0, 1.0, 0.0, -1.0])
    assert tg.sgn(tg.tensor([True, False])).tolist() == [True, False]
    assert tg.tensor([-3, 0, 5]).sgn().tolist() == [-1, 0, 1]
    x = T([-2.0, 3.0], True)
    tg.sgn(x).sum().backward()
    close(x.grad, [0.0, 0.0])
    t = T([-2.0, 5.0])
    t.sgn_()
    close(t, [-1.0, 1.0])
