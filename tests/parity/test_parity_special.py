"""Special functions and GELU against PyTorch: values, gradients and second
derivatives, in float64 and float32."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)
WIDE = np.concatenate([rng.uniform(-6, 6, 40), rng.standard_normal(40), [0.0, -0.0, 0.5, -0.5]])
UNIT = np.concatenate([rng.uniform(-0.999, 0.999, 40), [0.0, 0.5, -0.5, 0.9999, -1e-9]])
TOL = {
    "float64": dict(rtol=1e-12, atol=1e-14),
    "float32": dict(rtol=1e-5, atol=2e-6),
}  # (tails cancel in float32)

FUNCTIONS = {
    "erf": (lambda L, x: L.erf(x), WIDE),
    "erfc": (lambda L, x: L.erfc(x), WIDE),
    "erfinv": (lambda L, x: L.erfinv(x), UNIT),
    "special.erf": (lambda L, x: L.special.erf(x), WIDE),
    "special.erfc": (lambda L, x: L.special.erfc(x), WIDE),
    "special.erfinv": (lambda L, x: L.special.erfinv(x), UNIT),
    "special.expit": (lambda L, x: L.special.expit(x), WIDE),
    "special.logit": (lambda L, x: L.special.logit(x), np.abs(UNIT) * 0.98 + 0.01),
    "special.logit eps": (lambda L, x: L.special.logit(x, eps=0.1), np.abs(UNIT)),
    "special.ndtr": (lambda L, x: L.special.ndtr(x), WIDE),
    "special.log1p": (lambda L, x: L.special.log1p(x), np.abs(WIDE)),
    "special.expm1": (lambda L, x: L.special.expm1(x), WIDE),
    "special.softmax": (lambda L, x: L.special.softmax(x.reshape(4, -1), 1), WIDE[:40]),
    "special.log_softmax": (lambda L, x: L.special.log_softmax(x.reshape(4, -1), 0), WIDE[:40]),
    "gelu": (lambda L, x: L.nn.functional.gelu(x), WIDE),
    "gelu tanh": (lambda L, x: L.nn.functional.gelu(x, approximate="tanh"), WIDE),
    "nn.GELU": (lambda L, x: L.nn.GELU()(x), WIDE),
    "Tensor.erfinv": (lambda L, x: x.erfinv() + x.erf() + x.erfc(), UNIT),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_and_gradients(name, dtype):
    fn, x = FUNCTIONS[name]
    check(fn, x.astype(dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "gelu", "gelu tanh"])
def test_second_derivatives(name, dtype):
    """d/dx of (d/dx sum f(x) w) against torch's double backward."""
    fn, x = FUNCTIONS[name]
    x = x.astype(dtype)
    w = rng.standard_normal(x.shape).astype(dtype)
    out = []
    for lib in (torch, tg):
        xt = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((fn(lib, xt) * lib.tensor(w)).sum(), xt, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), xt)
        out.append((g.detach().numpy(), h.detach().numpy()))
    (g_t, h_t), (g_g, h_g) = out
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (1e-4, 5e-5)
    np.testing.assert_allclose(g_g, g_t, rtol=rtol, atol=atol)
    np.testing.assert_allclose(h_g, h_t, rtol=rtol, atol=atol)


def test_edge_values_match_torch():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 30.0, -30.0, 1e-300])
    for name in ("erf", "erfc"):
        want = getattr(torch, name)(torch.tensor(x)).numpy()
        got = getattr(tg, name)(tg.tensor(x)).numpy()
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(got), np.signbit(want)), name
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, 1e-300])
    want = torch.erfinv(torch.tensor(y)).numpy()
    got = tg.erfinv(tg.tensor(y)).numpy()
    np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)  # (a few ulp)
    number = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[number]), np.signbit(want[number]))


def test_tails_match_torch_relatively():
    """erfc's right tail (down to 1e-300) and erfinv next to +-1, to ulp level."""
    x = np.linspace(5.0, 26.0, 200)
    np.testing.assert_allclose(
        tg.erfc(tg.tensor(x)).numpy(), torch.erfc(torch.tensor(x)).numpy(), rtol=1e-13
    )
    y = 1.0 - np.logspace(-16, -1, 100)
    np.testing.assert_allclose(
        tg.erfinv(tg.tensor(y)).numpy(), torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-13
    )


def test_gelu_float32_stays_float32_and_module_repr():
    x = tg.randn(3, 4)
    assert tg.nn.functional.gelu(x).dtype == tg.float32
    assert tg.nn.functional.gelu(x, approximate="tanh").dtype == tg.float32
    assert repr(tg.nn.GELU()) == repr(torch.nn.GELU())
    assert repr(tg.nn.GELU(approximate="tanh")) == repr(torch.nn.GELU(approximate="tanh"))
