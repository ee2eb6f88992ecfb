"""SELU, CELU and the triplet margin losses without PyTorch: values against
NumPy formulas, float64 gradchecks, in-place forms, modules and errors."""

import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946

rng = np.random.default_rng(5)
# away from the kink at 0, so central differences see one side only
X = np.array([-4.0, -1.5, -0.3, -0.01, 0.02, 0.7, 3.0])


def _t(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _selu(x):
    return SCALE * np.where(x > 0, x, ALPHA * np.expm1(x))


def _celu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(x / alpha))


# ------------------------------------------------------------------ selu
def test_selu_is_scaled_elu_with_the_self_normalising_constants():
    np.testing.assert_allclose(F.selu(_t(X)).numpy(), _selu(X), rtol=1e-15)
    np.testing.assert_allclose(tg.selu(_t(X)).numpy(), _selu(X), rtol=1e-15)
    np.testing.assert_allclose(F.selu(_t(X)).numpy(), SCALE * F.elu(_t(X), ALPHA).numpy())


def test_selu_gradient_is_scale_above_zero_and_scale_alpha_exp_below():
    x = _t(X, grad=True)
    F.selu(x).sum().backward()
    want = np.where(X > 0, SCALE, SCALE * ALPHA * np.exp(X))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    assert tg.gradcheck(F.selu, (_t(X.reshape(1, 7), grad=True),))


def test_selu_keeps_float32_and_refuses_integers():
    assert F.selu(tg.tensor([1.0, -1.0])).dtype == tg.float32
    with pytest.raises(NotImplementedError, match="selu"):
        tg.selu(tg.tensor([1, -1]))


# ------------------------------------------------------------------ celu
@pytest.mark.parametrize("alpha", [1.0, 0.4, 2.5, -0.8])
def test_celu_values_and_gradcheck(alpha):
    np.testing.assert_allclose(F.celu(_t(X), alpha).numpy(), _celu(X, alpha), rtol=1e-14)
    np.testing.assert_allclose(tg.celu(_t(X), alpha).numpy(), _celu(X, alpha), rtol=1e-14)
    assert tg.gradcheck(lambda x: F.celu(x, alpha), (_t(X, grad=True),))


def test_celu_is_the_max_min_formula_for_positive_alpha():
    alpha = 0.6
    want = np.maximum(0, X) + np.minimum(0, alpha * (np.exp(X / alpha) - 1))
    np.testing.assert_allclose(F.celu(_t(X), alpha).numpy(), want, rtol=1e-14)


def test_celu_with_alpha_one_is_elu_and_has_gradient_one_at_zero():
    np.testing.assert_array_equal(F.celu(_t(X)).numpy(), F.elu(_t(X)).numpy())
    x = _t([0.0, -0.0], grad=True)
    F.celu(x, 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_celu_second_derivative():
    x = _t([-1.2, -0.2, 0.9], grad=True)
    (g,) = tg.autograd.grad(F.celu(x, 0.5).sum(), x, create_graph=True)
    g.sum().backward()
    want = np.where(x.detach().numpy() > 0, 0.0, np.exp(x.detach().numpy() / 0.5) / 0.5)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_celu_alpha_zero_is_an_error():
    for call in (
        lambda: F.celu(_t(X), 0.0),
        lambda: tg.celu(_t(X), 0),
        lambda: nn.CELU(0.0)(_t(X)),
    ):
        with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
            call()


# -------------------------------------------------------------- in place
@pytest.mark.parametrize(
    "fn", [lambda x, **k: F.selu(x, **k), lambda x, **k: F.celu(x, 0.7, **k)], ids=["selu", "celu"]
)
def test_inplace_writes_into_the_input_and_keeps_the_gradient(fn):
    w = np.linspace(-1, 1, 7)
    a = _t(X, grad=True)
    (fn(a * 2.0) * _t(w)).sum().backward()
    b = _t(X, grad=True)
    y = b * 2.0
    out = fn(y, inplace=True)
    assert out is y
    np.testing.assert_array_equal(y.detach().numpy(), fn(_t(X * 2.0)).numpy())
    (out * _t(w)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-14)


def test_inplace_on_a_leaf_that_requires_grad_is_refused_unless_no_grad():
    x = _t(X, grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.selu(x, inplace=True)
    np.testing.assert_array_equal(x.detach().numpy(), X)  # unchanged
    with tg.no_grad():
        F.celu(x, 2.0, inplace=True)
    np.testing.assert_allclose(x.detach().numpy(), _celu(X, 2.0))


def test_inplace_without_grad_changes_plain_data():
    x = _t(X)
    assert F.selu(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), _selu(X))


# --------------------------------------------------------------- modules
def test_selu_and_celu_modules():
    assert repr(nn.SELU()) == "SELU()"
    assert repr(nn.SELU(inplace=True)) == "SELU(inplace=True)"
    assert repr(nn.CELU()) == "CELU(alpha=1.0)"
    assert repr(nn.CELU(2, True)) == "CELU(alpha=2, inplace=True)"
    np.testing.assert_allclose(nn.SELU()(_t(X)).numpy(), _selu(X))
    np.testing.assert_allclose(nn.CELU(0.3)(_t(X)).numpy(), _celu(X, 0.3))
    x = _t(X)
    nn.CELU(0.3, inplace=True)(x)
    np.testing.assert_allclose(x.numpy(), _celu(X, 0.3))
    x = _t(X)
    nn.SELU()(x)
    np.testing.assert_array_equal(x.numpy(), X)


def test_names_are_exported():
    for name in ("selu", "celu", "triplet_margin_loss", "triplet_margin_with_distance_loss"):
        assert name in F.__all__
    for name in ("SELU", "CELU", "TripletMarginLoss", "TripletMarginWithDistanceLoss"):
        assert name in nn.__all__ and hasattr(nn, name)
    assert tg.selu is not F.selu and tg.celu is not F.celu  # F's take `inplace`


# -------------------------------------------------------- triplet losses
A, P, N = (rng.standard_normal((5, 3)) for _ in range(3))


def _dist(x1, x2, p=2.0, eps=1e-6):
    return (np.abs(x1 - x2 + eps) ** p).sum(-1) ** (1 / p)


def _triplet(a, p, n, margin=1.0, norm=2.0, eps=1e-6, swap=False):
    d_neg = _dist(a, n, norm, eps)
    if swap:
        d_neg = np.minimum(d_neg, _dist(p, n, norm, eps))
    return np.maximum(_dist(a, p, norm, eps) - d_neg + margin, 0)


def _apn(grad=False):
    return _t(A, grad), _t(P, grad), _t(N, grad)


@pytest.mark.parametrize(
    "kw",
    [{}, {"p": 1}, {"swap": True}, {"margin": 0.4, "p": 3.0, "eps": 1e-3}, {"p": 1, "swap": True}],
)
def test_triplet_margin_loss_values(kw):
    want = _triplet(
        A, P, N, kw.get("margin", 1.0), kw.get("p", 2.0), kw.get("eps", 1e-6), kw.get("swap", False)
    )
    assert 0 < (want > 0).sum() < len(want)  # both sides of the hinge
    got = F.triplet_margin_loss(*_apn(), reduction="none", **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(F.triplet_margin_loss(*_apn(), **kw).item(), want.mean())
    np.testing.assert_allclose(
        F.triplet_margin_loss(*_apn(), reduction="sum", **kw).item(), want.sum()
    )


def test_swap_uses_the_positive_where_it_is_nearer_the_negative():
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[1.5, 0.0]])
    plain = F.triplet_margin_loss(_t(a), _t(p), _t(n), margin=1.0).item()
    swapped = F.triplet_margin_loss(_t(a), _t(p), _t(n), margin=1.0, swap=True).item()
    np.testing.assert_allclose(plain, 1.0 - 0.5, atol=1e-5)  # d(a,p) - d(a,n) + 1
    np.testing.assert_allclose(swapped, 1.0 - 0.5 + 1.0, atol=1e-5)  # d(p,n) = 0.5 < 1.5


@pytest.mark.parametrize("kw", [{}, {"p": 1, "swap": True}, {"p": 3.0, "margin": 0.5}])
def test_triplet_margin_loss_gradcheck(kw):
    assert tg.gradcheck(lambda a, p, n: F.triplet_margin_loss(a, p, n, **kw), _apn(True))


def test_triplet_one_d_inputs_give_a_zero_d_loss():
    loss = F.triplet_margin_loss(_t(A[0]), _t(P[0]), _t(N[0]), reduction="none")
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), _triplet(A[:1], P[:1], N[:1])[0])


def test_triplet_inputs_broadcast_like_pairwise_distance():
    loss = F.triplet_margin_loss(_t(A), _t(P[:1]), _t(N), reduction="none")
    np.testing.assert_allclose(loss.numpy(), _triplet(A, P[:1], N), rtol=1e-13)


def test_triplet_legacy_size_average_and_reduce():
    cases = [((None, False), "none"), ((False, None), "sum"), ((True, True), "mean")]
    for (size_average, reduce), meaning in cases:
        with pytest.warns(UserWarning, match=f"reduction='{meaning}'"):
            got = F.triplet_margin_loss(*_apn(), size_average=size_average, reduce=reduce)
        want = F.triplet_margin_loss(*_apn(), reduction=meaning)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.triplet_margin_loss(*_apn(), reduction="sum")  # no legacy arguments, no warning


def test_triplet_errors():
    a, p, n = _apn()
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(a, p, n, margin=0.0)
    with pytest.raises(ValueError, match="reduction"):
        F.triplet_margin_loss(a, p, n, reduction="avg")
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_loss(a, _t(P[0]), n)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(a, p, _t(N[None]))
    with pytest.raises(ValueError, match="margin must be greater than 0, got -1"):
        F.triplet_margin_with_distance_loss(a, p, n, margin=-1)


def test_triplet_with_distance_defaults_to_pairwise_distance():
    got = F.triplet_margin_with_distance_loss(*_apn(), reduction="none")
    np.testing.assert_allclose(got.numpy(), _triplet(A, P, N), rtol=1e-13)


def test_triplet_with_a_cosine_distance():
    def cosine_distance(x1, x2):
        return 1.0 - F.cosine_similarity(x1, x2)

    def cos_np(x1, x2):
        return 1 - (x1 * x2).sum(1) / np.linalg.norm(x1, axis=1) / np.linalg.norm(x2, axis=1)

    want = np.maximum(cos_np(A, P) - np.minimum(cos_np(A, N), cos_np(P, N)) + 0.3, 0)
    kw = dict(distance_function=cosine_distance, margin=0.3, swap=True)
    got = F.triplet_margin_with_distance_loss(*_apn(), reduction="sum", **kw)
    np.testing.assert_allclose(got.item(), want.sum(), rtol=1e-13)
    assert tg.gradcheck(
        lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, **kw), _apn(True)
    )


def test_triplet_modules():
    loss = nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction="sum")
    assert repr(loss) == "TripletMarginLoss()"
    assert (loss.margin, loss.p, loss.eps, loss.swap, loss.reduction) == (0.5, 1, 1e-6, True, "sum")
    np.testing.assert_allclose(loss(*_apn()).item(), _triplet(A, P, N, 0.5, 1, swap=True).sum())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.TripletMarginLoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)

    default = nn.TripletMarginWithDistanceLoss()
    assert isinstance(default.distance_function, nn.PairwiseDistance)
    assert repr(default) == (
        "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    )
    np.testing.assert_allclose(default(*_apn()).item(), _triplet(A, P, N).mean(), rtol=1e-13)
    l1 = nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(p=1), margin=2.0, reduction="none"
    )
    np.testing.assert_allclose(l1(*_apn()).numpy(), _triplet(A, P, N, 2.0, 1), rtol=1e-13)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
        nn.TripletMarginWithDistanceLoss(margin=-0.1)
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as PyTorch
