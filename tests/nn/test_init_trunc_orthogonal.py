"""``nn.init.trunc_normal_`` and ``nn.init.orthogonal_``: the laws they
draw from (moments of the truncated normal, orthogonality), in place and
reproducible with a generator, and PyTorch's errors."""

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.nn import init


def _truncated_normal_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std^2) truncated to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2
    )
    return m, math.sqrt(var)


@pytest.mark.parametrize(
    "mean,std,a,b",
    [(0.0, 0.02, -0.04, 0.04), (0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 1.5), (0.0, 1.0, 1.0, 3.0)],
    ids=["vit-style", "default", "narrow window", "one tail"],
)
def test_trunc_normal_draws_from_the_truncated_law(mean, std, a, b):
    tg.manual_seed(0)
    w = tg.empty(200_000)
    assert init.trunc_normal_(w, mean=mean, std=std, a=a, b=b) is w
    x = w.numpy().astype(np.float64)
    assert a <= x.min() and x.max() <= b
    want_mean, want_std = _truncated_normal_moments(mean, std, a, b)
    assert abs(x.mean() - want_mean) < 0.01 * std
    assert abs(x.std() - want_std) < 0.01 * std


def test_trunc_normal_keeps_the_dtype_bumps_the_version_and_follows_the_generator():
    w = tg.empty(4, 5, dtype=tg.float64)
    version = w._version
    init.trunc_normal_(w, std=0.5, generator=tg.Generator(3))
    assert w.dtype == tg.float64 and w._version > version
    again = init.trunc_normal_(tg.empty(4, 5, dtype=tg.float64), std=0.5, generator=tg.Generator(3))
    np.testing.assert_array_equal(again.numpy(), w.numpy())


def test_trunc_normal_warns_when_the_mean_is_far_outside_the_bounds():
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        init.trunc_normal_(tg.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_trunc_normal_leaves_parameters_without_a_graph():
    layer = tg.nn.Linear(8, 4)
    init.trunc_normal_(layer.weight, std=0.02)
    assert layer.weight.is_leaf and layer.weight.requires_grad and layer.weight.grad_fn is None
    assert np.abs(layer.weight.detach().numpy()).max() <= 2.0


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)], ids=["tall", "wide", "conv"])
def test_orthogonal_fills_a_semi_orthogonal_matrix_times_gain(shape):
    w = tg.empty(*shape)
    assert init.orthogonal_(w, gain=1.5) is w
    q = w.numpy().reshape(shape[0], -1).astype(np.float64)
    small = min(q.shape)
    gram = q @ q.T if q.shape[0] == small else q.T @ q
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(small), atol=1e-5)


def test_orthogonal_is_reproducible_and_refuses_vectors():
    first = init.orthogonal_(tg.empty(4, 4), generator=tg.Generator(1)).numpy()
    second = init.orthogonal_(tg.empty(4, 4), generator=tg.Generator(1)).numpy()
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tg.empty(4))


def test_the_laws_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tg.manual_seed(0)
    want = torch.nn.init.trunc_normal_(torch.empty(100_000), mean=1.0, std=2.0, a=0.0, b=1.5)
    got = init.trunc_normal_(tg.empty(100_000), mean=1.0, std=2.0, a=0.0, b=1.5)
    assert abs(got.numpy().mean() - want.numpy().mean()) < 0.01
    assert abs(got.numpy().std() - want.numpy().std()) < 0.01
    with pytest.raises(ValueError) as want_error:
        torch.nn.init.orthogonal_(torch.empty(3))
    with pytest.raises(ValueError) as got_error:
        init.orthogonal_(tg.empty(3))
    assert str(got_error.value) == str(want_error.value)
