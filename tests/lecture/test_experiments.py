"""Vanishing gradients and gradient statistics: qualitative properties."""

import math

import pytest

import tapegrad as tg
from tapegrad.lecture import gradient_statistics, vanishing_gradients

EFF = 1e-8


@pytest.fixture(scope="module")
def plain():
    return vanishing_gradients(seed=0)


@pytest.fixture(scope="module")
def residual():
    return vanishing_gradients(seed=0, residual=True)


def test_plain_network_gradients_vanish_towards_the_input(plain):
    assert plain.depth == len(plain.grad_norms) == 50 and plain.width == 1
    assert plain.grad_norms[-1] > 1e-3
    assert plain.effectively_zero >= 30 and plain.truly_zero >= 10
    assert plain.truly_zero < plain.effectively_zero
    assert plain.grad_norms[0] == 0.0
    assert all(g < EFF for g in plain.grad_norms[: plain.last_effectively_zero])


def test_plain_network_layer_30_output_does_not_depend_on_the_input(plain):
    assert plain.probe_layer == 30 and plain.probe_spread == 0.0
    assert plain.spread[0] > 1e-3


def test_plain_network_output_is_near_one_half(plain):
    assert 0.3 < plain.z < 0.7


def test_the_slide_seed_draws_the_slides_forward_value_and_its_vanishing():
    from tapegrad.lecture.experiments import SLIDE_SEED

    r = vanishing_gradients(seed=SLIDE_SEED)
    assert f"{r.z:.4f}" == "0.5167"
    assert r.effectively_zero >= 40 and r.grad_norms[-1] > 1e-3


def test_residual_gradients_do_not_vanish(plain, residual):
    assert residual.effectively_zero == 0 and residual.truly_zero == 0
    assert min(residual.grad_norms) > 1e-2
    assert residual.grad_norms[0] > 1e6 * max(plain.grad_norms[0], 1e-45)


def test_residual_layer_30_still_depends_on_the_input(residual):
    assert residual.probe_spread > 1.0


def test_vanishing_gradients_is_deterministic_and_restores_the_global_seed():
    tg.manual_seed(123)
    expected = tg.rand(3).tolist()
    tg.manual_seed(123)
    a = vanishing_gradients(depth=10, seed=4)
    assert tg.rand(3).tolist() == expected
    b = vanishing_gradients(depth=10, seed=4)
    assert a == b
    assert vanishing_gradients(depth=10, seed=5).grad_norms != a.grad_norms


def test_vanishing_gradients_wider_layers_also_vanish():
    r = vanishing_gradients(depth=30, width=4, seed=0)
    assert len(r.grad_norms) == 30 and r.grad_norms[0] < 1e-8 < r.grad_norms[-1]


def test_vanishing_gradients_rejects_zero_depth():
    with pytest.raises(ValueError, match="depth and width"):
        vanishing_gradients(depth=0)


@pytest.fixture(scope="module")
def stats():
    return gradient_statistics(seed=0)


def test_gradient_statistics_series_have_one_value_per_step(stats):
    assert stats.betas == [0.5, 0.8, 0.95, 0.99]
    assert len(stats.grads) == stats.steps == 400
    assert all(len(stats.ema[b]) == stats.steps for b in stats.betas)


def test_ema_starts_from_zero_and_corrected_ema_removes_the_transient(stats):
    g1 = stats.grads[0]
    assert stats.ema[0.95][0] == pytest.approx(0.05 * g1)
    assert stats.corrected[0.95][0] == pytest.approx(g1)


def test_beta_095_is_less_noisy_than_beta_05_after_the_transient(stats):
    assert stats.noise[0.95] < 0.5 * stats.noise[0.5]
    for b in (0.5, 0.8, 0.95):
        assert stats.noise[b] == pytest.approx(stats.noise_theory[b], rel=0.3)


def test_large_beta_has_a_long_transient(stats):
    assert stats.transient == {0.5: 5, 0.8: 14, 0.95: 59, 0.99: 299}
    assert abs(stats.ema[0.99][50] - stats.true_grad) > 0.3 * abs(stats.true_grad)


def test_beta_095_has_the_smallest_error_over_the_whole_run(stats):
    assert min(stats.rms_error, key=stats.rms_error.get) == 0.95


def test_gradient_statistics_true_gradient_is_near_minus_two(stats):
    assert stats.true_grad == pytest.approx(-2.0, abs=0.2)
    assert math.isfinite(stats.grad_std) and stats.grad_std > 0.5


def test_gradient_statistics_rejects_beta_one():
    with pytest.raises(ValueError, match="beta"):
        gradient_statistics(beta=1.0, steps=5)
