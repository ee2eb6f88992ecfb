"""SELU, CELU and the triplet margin losses vs PyTorch: values and gradients
(float64, and float32 dtypes), in-place forms, module reprs and behaviour,
reductions (and the legacy size_average / reduce), swap, p, 1-D inputs and
errors."""

import warnings

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(23)
# both sides of 0, the kink itself (either sign) and a deep negative tail
X = np.concatenate([[-40.0, -3.0, -0.5, -0.0, 0.0, 1e-3, 2.5, 30.0], rng.standard_normal(12)])


# PyTorch's celu backward rounds 1/alpha to float32, which moves its gradient
# by about |x/alpha| 2^-24 relatively (tapegrad keeps float64's 1/alpha).
CELU_RTOL = 1e-5


def _F(L):
    return L.nn.functional


# ------------------------------------------------------------ selu, celu
@pytest.mark.parametrize("shape", [(20,), (4, 5), (2, 2, 5)], ids=str)
def test_selu_matches_torch(shape):
    x = X.reshape(shape)
    check(lambda L, x: _F(L).selu(x), x, rtol=1e-12, atol=1e-14)
    check(lambda L, x: L.selu(x), x, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("alpha", [1.0, 0.3, 2.0, -0.7])
def test_celu_matches_torch(alpha):
    check(lambda L, x: _F(L).celu(x, alpha), X, rtol=CELU_RTOL, atol=1e-14)
    check(lambda L, x: L.celu(x, alpha=alpha), X, rtol=CELU_RTOL, atol=1e-14)


def test_float32_and_defaults_match_torch():
    x = X.astype(np.float32)
    check(lambda L, x: (_F(L).selu(x), _F(L).celu(x), L.celu(x)), x)


def test_second_derivatives_match_torch():
    def second(L, x):
        y = _F(L).celu(x, 0.6) + _F(L).selu(x * 0.5)
        (g,) = L.autograd.grad(y.sum(), x, create_graph=True)
        return g

    check(second, X[8:], rtol=CELU_RTOL, atol=1e-12)


@pytest.mark.parametrize(
    "act", [lambda F, y, **k: F.selu(y, **k), lambda F, y, **k: F.celu(y, 0.8, **k)]
)
def test_inplace_matches_torch(act):
    def run(L, x):
        y = x * 1.5
        out = act(_F(L), y, inplace=True)
        assert out is y
        return y * 2.0

    check(run, X, rtol=CELU_RTOL, atol=1e-14)


def test_inplace_through_a_view_changes_its_base_as_torch():
    def run(L, x):
        base = x * 2.0
        _F(L).celu(base[2:9], 0.5, inplace=True)
        return base

    check(run, X, rtol=CELU_RTOL, atol=1e-14)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.SELU(),
        lambda nn: nn.SELU(inplace=True),
        lambda nn: nn.CELU(),
        lambda nn: nn.CELU(0.5),
        lambda nn: nn.CELU(2, True),
        lambda nn: nn.CELU(alpha=-1.5, inplace=False),
    ],
)
def test_modules_match_torch(make):
    assert repr(make(tg.nn)) == repr(make(torch.nn))
    check(lambda L, x: make(L.nn)(x * 1.0), X, rtol=CELU_RTOL, atol=1e-14)


def test_inplace_module_changes_its_input_as_torch():
    def run(L, x):
        y = L.tensor(x)
        L.nn.CELU(0.5, inplace=True)(y)
        z = L.tensor(x)
        L.nn.SELU()(z)
        return y, z

    check(run, X, grad=False)


def test_activation_errors_as_torch():
    e = check_raises(lambda L, x: _F(L).celu(x, 0.0), X)
    assert "alpha cannot be 0 for CELU" in str(e)
    check_raises(lambda L, x: L.celu(x, 0), X)
    check_raises(lambda L, x: L.nn.CELU(0.0)(x), X)
    for fn in (lambda L, x: L.selu(x), lambda L, x: _F(L).celu(x)):
        assert isinstance(check_raises(fn, np.array([1, -2])), NotImplementedError)
    check_raises(lambda L, x: _F(L).selu(x, inplace=True), X, grad=True)


# -------------------------------------------------------- triplet losses
def _triplet(shape):
    return [rng.standard_normal(shape) for _ in range(3)]


CONFIGS = [
    {},
    {"p": 1},
    {"p": 3.0, "eps": 1e-3},
    {"p": 0.5},
    {"swap": True},
    {"swap": True, "p": 1, "margin": 0.5},
    {"margin": 2.0, "reduction": "sum"},
    {"margin": 0.7, "reduction": "none"},
    {"swap": True, "reduction": "none", "eps": 0.0},
]


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
@pytest.mark.parametrize("shape", [(7, 4), (5,), (3, 2, 4)], ids=str)
def test_triplet_margin_loss_matches_torch(kw, shape):
    check(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n, **kw), *_triplet(shape), rtol=1e-10)


def test_triplet_float32_zero_d_and_broadcast_match_torch():
    a, p, n = _triplet((6, 3))
    f32 = [v.astype(np.float32) for v in (a, p, n)]
    check(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n, swap=True), *f32)
    zero_d = [np.array(v) for v in (0.3, -1.2, 0.9)]
    check(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n, reduction="none"), *zero_d)
    check(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n), a, p[:1], n, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_empty_batch_matches_torch(reduction):
    check(
        lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n, reduction=reduction),
        *[np.zeros((0, 3))] * 3,
        backward=reduction != "mean",  # (a NaN mean: nothing to compare in its gradient)
    )


@pytest.mark.parametrize(
    "size_average,reduce", [(None, False), (False, None), (True, True), (False, True), (True, None)]
)
def test_triplet_legacy_reduction_arguments_match_torch(size_average, reduce):
    def run(L, a, p, n):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = _F(L).triplet_margin_loss(a, p, n, size_average=size_average, reduce=reduce)
        messages = [str(w.message) for w in caught if "deprecated" in str(w.message)]
        assert len(messages) == 1
        return out, messages[0]

    (_, msg_t), (_, msg_g) = check(run, *_triplet((5, 3)), rtol=1e-10)
    assert msg_g == msg_t


@pytest.mark.parametrize("kw", [{}, {"swap": True}, {"margin": 0.3, "reduction": "none"}], ids=str)
def test_triplet_with_distance_default_matches_torch(kw):
    check(
        lambda L, a, p, n: _F(L).triplet_margin_with_distance_loss(a, p, n, **kw),
        *_triplet((6, 4)),
        rtol=1e-10,
    )


def _cosine_distance(L):
    return lambda x1, x2: 1.0 - _F(L).cosine_similarity(x1, x2)


def _l1_module(L):
    return L.nn.PairwiseDistance(p=1)


@pytest.mark.parametrize("distance", [_cosine_distance, _l1_module], ids=["cosine", "l1"])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_custom_distances_matches_torch(distance, swap):
    def run(L, a, p, n):
        return _F(L).triplet_margin_with_distance_loss(
            a, p, n, distance_function=distance(L), margin=0.4, swap=swap, reduction="sum"
        )

    check(run, *_triplet((5, 3)), rtol=1e-9)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.TripletMarginLoss(),
        lambda nn: nn.TripletMarginLoss(margin=0.5, p=1, eps=1e-3, swap=True, reduction="sum"),
        lambda nn: nn.TripletMarginLoss(p=3, reduction="none"),
        lambda nn: nn.TripletMarginWithDistanceLoss(),
        lambda nn: nn.TripletMarginWithDistanceLoss(
            distance_function=nn.PairwiseDistance(p=1), margin=2.0, swap=True, reduction="none"
        ),
    ],
)
def test_triplet_modules_match_torch(make):
    m_t, m_g = make(torch.nn), make(tg.nn)
    assert repr(m_g) == repr(m_t)
    for attr in ("margin", "p", "eps", "swap", "reduction"):
        assert getattr(m_g, attr, None) == getattr(m_t, attr, None), attr
    check(lambda L, a, p, n: make(L.nn)(a, p, n), *_triplet((4, 3)), rtol=1e-10)


def test_triplet_module_legacy_reduction_matches_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = [nn.TripletMarginLoss(size_average=False).reduction for nn in (torch.nn, tg.nn)]
    assert legacy[0] == legacy[1] == "sum"


@pytest.mark.parametrize("kw", [{"margin": 0.0}, {"margin": -1.0}, {"reduction": "avg"}], ids=str)
def test_triplet_bad_arguments_as_torch(kw):
    a, p, n = _triplet((4, 3))
    check_raises(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n, **kw), a, p, n)
    check_raises(lambda L, a, p, n: _F(L).triplet_margin_with_distance_loss(a, p, n, **kw), a, p, n)


def test_triplet_errors_as_torch():
    a, p, n = _triplet((4, 3))
    e = check_raises(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n), a, p[0], n)
    assert "anchor 2D, positive 1D, and negative 2D inputs" in str(e)
    check_raises(lambda L, a, p, n: _F(L).triplet_margin_with_distance_loss(a, p, n), a, p, n[0])
    check_raises(lambda L, a, p, n: _F(L).triplet_margin_loss(a, p, n), a, p[:2], n)
    for make in (
        lambda nn: nn.TripletMarginLoss(margin=0),
        lambda nn: nn.TripletMarginWithDistanceLoss(margin=-0.5),
    ):
        with pytest.raises(ValueError) as t_err:
            make(torch.nn)
        with pytest.raises(ValueError) as g_err:
            make(tg.nn)
        assert str(g_err.value) == str(t_err.value)
