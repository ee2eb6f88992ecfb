"""tapegrad.distributions: Categorical and Normal (shapes, sampling,
reparameterised gradients, argument checks), with PyTorch parity of
log_prob, entropy, cdf and icdf where torch is installed."""

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.distributions import Categorical, Distribution, Normal


def _torch():
    return pytest.importorskip("torch")


# -------------------------------------------------------------- categorical
def test_categorical_shapes_and_parameters():
    c = Categorical(probs=tg.tensor([[1.0, 1.0, 2.0], [0.0, 1.0, 3.0]]))
    assert c.batch_shape == (2,) and c.event_shape == ()
    np.testing.assert_allclose(c.probs.numpy(), [[0.25, 0.25, 0.5], [0.0, 0.25, 0.75]])
    assert c.sample().shape == (2,) and c.sample((4, 5)).shape == (4, 5, 2)
    assert c.sample((3,)).dtype == tg.int64
    assert c.enumerate_support().shape == (3, 2)
    assert c.enumerate_support(expand=False).shape == (3, 1)
    assert c.mode.tolist() == [2, 2]
    assert np.isnan(c.mean.numpy()).all()
    lg = Categorical(logits=tg.zeros(4))
    np.testing.assert_allclose(lg.probs.numpy(), 0.25)
    assert lg.entropy().item() == pytest.approx(math.log(4))


def test_categorical_sampling_frequencies_and_seed():
    tg.manual_seed(1)
    c = Categorical(probs=tg.tensor([0.1, 0.2, 0.7], dtype=tg.float64))
    draws = c.sample((30000,)).numpy()
    counts = np.bincount(draws, minlength=3)
    expected = np.array([0.1, 0.2, 0.7]) * draws.size
    assert ((counts - expected) ** 2 / expected).sum() < 25.0
    tg.manual_seed(1)
    np.testing.assert_array_equal(c.sample((30000,)).numpy(), draws)


def test_categorical_log_prob_gradient_flows_to_logits():
    logits = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    Categorical(logits=logits).log_prob(tg.tensor([2, 0])).sum().backward()
    p = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
    np.testing.assert_allclose(logits.grad.numpy(), np.array([1.0, 0.0, 1.0]) - 2 * p, rtol=1e-6)


def test_categorical_errors():
    with pytest.raises(ValueError, match="not both"):
        Categorical()
    with pytest.raises(ValueError, match="not both"):
        Categorical(tg.ones(2), tg.ones(2))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        Categorical(tg.tensor(0.5))
    with pytest.raises(ValueError, match="Simplex"):
        Categorical(tg.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="support"):
        Categorical(tg.tensor([0.5, 0.5])).log_prob(tg.tensor(2))
    Categorical(tg.tensor([0.5, -0.1]), validate_args=False)  # unchecked on request


# ------------------------------------------------------------------- normal
def test_normal_moments_shapes_and_sampling():
    n = Normal(tg.zeros(3), 2.0)
    assert n.batch_shape == (3,) and n.mean.tolist() == [0.0] * 3
    assert n.stddev.tolist() == [2.0] * 3 and n.variance.tolist() == [4.0] * 3
    assert n.sample((5,)).shape == (5, 3) and not n.sample().requires_grad
    tg.manual_seed(2)
    z = Normal(1.0, 3.0).sample((40000,)).numpy()
    assert abs(z.mean() - 1.0) < 0.08 and abs(z.std() - 3.0) < 0.06
    assert Normal(0.0, 1.0).loc.dtype == tg.float32
    assert Normal(tg.zeros(2, dtype=tg.float64), 1.0).scale.dtype == tg.float64


def test_normal_rsample_is_reparameterised():
    loc = tg.tensor([1.0, 2.0], requires_grad=True)
    scale = tg.tensor([0.5, 3.0], requires_grad=True)
    tg.manual_seed(0)
    x = Normal(loc, scale).rsample((4,))
    assert x.shape == (4, 2) and x.requires_grad
    x.sum().backward()
    assert loc.grad.tolist() == [4.0, 4.0]
    eps = (x.detach().numpy() - np.array([1.0, 2.0])) / np.array([0.5, 3.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-5)


def test_normal_cdf_icdf_round_trip():
    n = Normal(tg.tensor([0.0, 1.0], dtype=tg.float64), tg.tensor([1.0, 2.0], dtype=tg.float64))
    q = tg.tensor([0.025, 0.8], dtype=tg.float64)
    np.testing.assert_allclose(n.cdf(n.icdf(q)).numpy(), q.numpy(), rtol=1e-12)
    assert n.icdf(tg.tensor([0.975, 0.5], dtype=tg.float64)).tolist() == pytest.approx(
        [1.959963984540054, 1.0], rel=1e-12
    )


def test_normal_icdf_gradient():
    q = tg.tensor([0.1, 0.6], dtype=tg.float64, requires_grad=True)
    x = Normal(0.0, 1.0).icdf(q)
    x.sum().backward()
    density = np.exp(-(x.detach().numpy() ** 2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(q.grad.numpy(), 1 / density, rtol=1e-8)


def test_normal_errors():
    with pytest.raises(ValueError, match="scale .* GreaterThan"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="support"):
        Normal(0.0, 1.0).log_prob(tg.tensor(float("nan")))
    with pytest.raises(ValueError, match="must be a Tensor"):
        Normal(0.0, 1.0).log_prob(3.0)
    Normal(0.0, -1.0, validate_args=False)
    Distribution.set_default_validate_args(False)
    try:
        Normal(0.0, -1.0)
    finally:
        Distribution.set_default_validate_args(True)


def test_import_path_and_repr():
    import tapegrad.distributions as D

    assert tg.distributions.Normal is D.Normal
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"


# ------------------------------------------------------ parity with PyTorch
def test_normal_parity_with_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    loc, scale = rng.standard_normal((3, 1)), rng.uniform(0.5, 2.0, (4,))
    value, q = rng.standard_normal((2, 3, 4)), rng.uniform(0.01, 0.99, (3, 4))
    nt = torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale))
    ng = Normal(tg.tensor(loc), tg.tensor(scale))
    for name, arg in [("log_prob", value), ("cdf", value), ("icdf", q)]:
        want = getattr(nt, name)(torch.tensor(arg)).numpy()
        got = getattr(ng, name)(tg.tensor(arg)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ng.entropy().numpy(), nt.entropy().numpy(), rtol=1e-12)
    assert tuple(ng.batch_shape) == tuple(nt.batch_shape)


def test_normal_log_prob_gradients_match_torch():
    torch = _torch()
    loc, scale, x = np.array([0.3, -1.0]), np.array([0.7, 2.0]), np.array([1.0, 0.5])
    lt, st = (torch.tensor(v, requires_grad=True) for v in (loc, scale))
    lg, sg = (tg.tensor(v, requires_grad=True) for v in (loc, scale))
    torch.distributions.Normal(lt, st).log_prob(torch.tensor(x)).sum().backward()
    Normal(lg, sg).log_prob(tg.tensor(x)).sum().backward()
    np.testing.assert_allclose(lg.grad.numpy(), lt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sg.grad.numpy(), st.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_categorical_parity_with_torch(kind):
    torch = _torch()
    rng = np.random.default_rng(1)
    param = rng.uniform(0.0, 2.0, (2, 3, 5))
    param[0, 0, 1] = 0.0  # a zero probability: entropy adds 0 for it
    if kind == "logits":
        param = np.log(param + 0.1)
    ct = torch.distributions.Categorical(**{kind: torch.tensor(param)})
    cg = Categorical(**{kind: tg.tensor(param)})
    value = rng.integers(0, 5, (4, 2, 3))
    np.testing.assert_allclose(
        cg.log_prob(tg.tensor(value)).numpy(), ct.log_prob(torch.tensor(value)).numpy(), rtol=1e-10
    )
    np.testing.assert_allclose(cg.entropy().numpy(), ct.entropy().numpy(), rtol=1e-10)
    np.testing.assert_allclose(cg.probs.numpy(), ct.probs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(cg.logits.numpy(), ct.logits.numpy(), rtol=1e-12)
    assert cg.enumerate_support().tolist() == ct.enumerate_support().tolist()
    assert tuple(cg.sample((7,)).shape) == tuple(ct.sample((7,)).shape)
