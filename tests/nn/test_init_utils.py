"""nn.init, gradient clipping and parameter vectors."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.nn import init


def test_calculate_gain_values():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(1 / 3)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans_of_a_weight():
    assert init._calculate_fan_in_and_fan_out(tg.empty(3, 4, 5)) == (20, 15)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.empty(3))


def test_initialisers_fill_in_place_bump_version_and_return_tensor():
    w = nn.Parameter(tg.empty(64, 32))
    v = w._version
    assert init.kaiming_uniform_(w, nonlinearity="relu") is w
    assert w._version == v + 1 and w.requires_grad and w.dtype == tg.float32
    assert np.abs(w.detach().numpy()).max() <= math.sqrt(6 / 32)


@pytest.mark.parametrize(
    "fn,std",
    [
        (
            lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
            math.sqrt(2 / 200),
        ),
        (lambda w: init.xavier_normal_(w), math.sqrt(2 / 600)),
        (lambda w: init.xavier_uniform_(w), math.sqrt(2 / 600)),
        (lambda w: init.normal_(w, 1.0, 0.5), 0.5),
    ],
)
def test_initialiser_spread(fn, std):
    tg.manual_seed(0)
    w = fn(tg.empty(200, 400))
    assert abs(w.numpy().std() - std) < 0.03 * std


def test_constant_ones_zeros_eye():
    w = tg.empty(2, 3)
    assert np.all(init.constant_(w, 2.5).numpy() == 2.5)
    assert np.all(init.ones_(w).numpy() == 1) and np.all(init.zeros_(w).numpy() == 0)
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(2, 3))


def test_generator_argument_gives_its_own_stream():
    a = init.uniform_(tg.empty(5), generator=tg.Generator().manual_seed(1)).numpy().copy()
    b = init.uniform_(tg.empty(5), generator=tg.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(a, b)


def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(tg.zeros(len(g)))
        p.grad = tg.tensor(g)
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_as_pytorch():
    ps = _params_with_grads([[3.0, 0.0], [0.0, 4.0]])
    total = nn.utils.clip_grad_norm_(ps, 1.0)
    assert isinstance(total, tg.Tensor) and total.dtype == tg.float32
    assert np.isclose(total.item(), 5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(ps[0].grad.numpy(), [3 * coef, 0], rtol=1e-6)
    assert ps[0].grad.dtype == tg.float32


def test_clip_grad_norm_leaves_small_gradients_and_supports_inf_norm():
    ps = _params_with_grads([[0.3, -0.4]])
    assert np.isclose(nn.utils.clip_grad_norm_(ps, 10.0).item(), 0.5)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.3, -0.4], rtol=1e-6)
    assert np.isclose(nn.utils.clip_grad_norm_(ps, 10.0, norm_type="inf" and math.inf).item(), 0.4)


def test_clip_grad_norm_nonfinite_error():
    ps = _params_with_grads([[float("nan"), 1.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_in_place():
    ps = _params_with_grads([[3.0, -0.1, -7.0]])
    nn.utils.clip_grad_value_(ps, 0.5)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.5, -0.1, -0.5], rtol=1e-6)


def test_parameters_to_vector_and_back():
    lin = nn.Linear(2, 3)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (9,)
    nn.utils.vector_to_parameters(tg.arange(9.0), lin.parameters())
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6.0, 7.0, 8.0])


@pytest.mark.torch
def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=5).astype(np.float32)]
    for norm_type in (2.0, 1.0, 3.0, math.inf):
        tps = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(tps, grads):
            p.grad = torch.tensor(g)
        gps = [nn.Parameter(tg.zeros(*g.shape)) for g in grads]
        for p, g in zip(gps, grads):
            p.grad = tg.tensor(g)
        tt = torch.nn.utils.clip_grad_norm_(tps, 0.7, norm_type)
        gt = nn.utils.clip_grad_norm_(gps, 0.7, norm_type)
        np.testing.assert_allclose(gt.item(), tt.item(), rtol=1e-6)
        for a, b in zip(gps, tps):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)
