"""The shrinking/threshold activations, RReLU, alpha dropout, the in-place
activation forms, ParameterList/ParameterDict, RMSNorm, the margin, embedding
and likelihood losses, gumbel_softmax, local response norm and bilinear vs
PyTorch: values and gradients in float64, reprs, state_dict keys, and the
statistics of the random ones."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(7)
# away from the kinks at +-0.5, 0.1 and 0 (the gradient there is a convention)
X = np.array([-3.0, -0.7, -0.3, -0.05, 0.2, 0.45, 0.6, 2.5] + list(rng.uniform(1, 2, 4)))
REDUCTIONS = ["mean", "sum", "none"]


def _F(L):
    return L.nn.functional


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: _F(L).softsign(x),
        lambda L, x: _F(L).tanhshrink(x),
        lambda L, x: _F(L).threshold(x, 0.1, 20.0),
        lambda L, x: _F(L).hardshrink(x),
        lambda L, x: _F(L).hardshrink(x, 0.25),
        lambda L, x: _F(L).softshrink(x),
        lambda L, x: _F(L).softshrink(x, 1.0),
        lambda L, x: _F(L).rrelu(x),
        lambda L, x: _F(L).rrelu(x, 0.1, 0.3, training=False),
        lambda L, x: _F(L).alpha_dropout(x, 0.3, training=False),
        lambda L, x: L.nn.Softmax2d()(x.reshape(3, 2, 2)),
        lambda L, x: L.nn.Softmax2d()(x.reshape(1, 3, 2, 2)),
        lambda L, x: L.nn.RReLU(0.2, 0.4).eval()(x),
        lambda L, x: L.nn.Threshold(-0.1, -2.0)(x),
        lambda L, x: L.threshold(x, 0.1, 3.0),
        lambda L, x: L.hardshrink(x),
        lambda L, x: L.rrelu(x),
    ],
)
def test_activations_match_torch(fn):
    check(fn, X.reshape(3, 4), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x: _F(L).relu_(x * 1),
        lambda L, x: _F(L).elu_(x * 1, 0.5),
        lambda L, x: _F(L).leaky_relu_(x * 1, 0.2),
        lambda L, x: _F(L).hardtanh_(x * 1, -0.5, 0.5),
        lambda L, x: _F(L).threshold_(x * 1, 0.1, 2.0),
        lambda L, x: _F(L).selu_(x * 1),
        lambda L, x: _F(L).celu_(x * 1, 2.0),
        lambda L, x: _F(L).rrelu_(x * 1),
        lambda L, x: _F(L).threshold(x * 1, 0.1, 2.0, inplace=True),
        lambda L, x: L.relu_(x * 1),
        lambda L, x: L.selu_(x * 1),
        lambda L, x: L.celu_(x * 1),
        lambda L, x: L.rrelu_(x * 1),
        lambda L, x: L.threshold_(x * 1, 0.1, 2.0),
        lambda L, x: L.nn.Threshold(0.1, 2.0, inplace=True)(x * 1),
    ],
)
def test_in_place_forms_match_torch(fn):
    check(fn, X, rtol=1e-12, atol=1e-14)


def test_in_place_forms_write_into_their_input():
    for lib in (torch, tg):
        x = lib.tensor([-1.0, 2.0])
        assert lib.nn.functional.relu_(x) is x
        assert x.tolist() == [0.0, 2.0]


def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    check_raises(lambda L, x: _F(L).relu_(x), X, grad=True)
    check_raises(lambda L, x: _F(L).threshold_(x, 0.0, 1.0), X, grad=True)


def test_errors_match_torch():
    check_raises(lambda L, x: _F(L).softshrink(x, -1.0), X)
    check_raises(lambda L, x: _F(L).rrelu(x, 0.5, 0.1, training=True), X)
    check_raises(lambda L, x: _F(L).alpha_dropout(x, 1.5), X)
    check_raises(lambda L, x: L.nn.Softmax2d()(x), X)
    check_raises(lambda L, x: _F(L).rms_norm(x, [5]), X.reshape(3, 4))
    check_raises(lambda L, x: _F(L).local_response_norm(x, 2), X.reshape(3, 4))
    check_raises(lambda L, x: L.nn.MultiMarginLoss(p=3), X)


def test_rrelu_training_slopes_are_uniform_in_bounds():
    tg.manual_seed(0)
    x = -tg.ones(20000, dtype=tg.float64)
    slope = -tg.nn.functional.rrelu(x, 0.1, 0.3, training=True).numpy()
    torch.manual_seed(0)
    ref = -torch.nn.functional.rrelu(-torch.ones(20000, dtype=torch.float64), 0.1, 0.3, True)
    for s in (slope, ref.numpy()):
        assert 0.1 <= s.min() and s.max() <= 0.3
        assert s.mean() == pytest.approx(0.2, abs=3e-3)
        assert s.var() == pytest.approx(0.2**2 / 12, rel=0.05)
    positive = tg.nn.functional.rrelu(tg.ones(5), training=True)
    assert positive.tolist() == [1.0] * 5


def test_alpha_dropout_statistics_match_torch():
    p, alpha = 0.2, 1.7580993408473766
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    x = np.random.default_rng(2).standard_normal(100000)
    tg.manual_seed(1)
    ours = tg.nn.functional.alpha_dropout(tg.tensor(x), p, training=True).numpy()
    torch.manual_seed(1)
    ref = torch.nn.functional.alpha_dropout(torch.tensor(x), p, training=True).numpy()
    for out in (ours, ref):
        assert out.mean() == pytest.approx(0.0, abs=0.02)
        assert out.std() == pytest.approx(1.0, abs=0.02)
        dropped = np.isclose(out, -alpha * a * (1 - p), rtol=1e-12)
        assert dropped.mean() == pytest.approx(p, abs=0.01)
        kept = ~dropped
        np.testing.assert_allclose(out[kept], a * x[kept] + alpha * a * p, rtol=1e-12)


def test_gumbel_softmax_statistics_match_torch():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    tg.manual_seed(3)
    torch.manual_seed(3)
    n = 20000
    ours = tg.nn.functional.gumbel_softmax(tg.tensor(np.tile(logits, (n, 1))), hard=True)
    ref = torch.nn.functional.gumbel_softmax(torch.tensor(np.tile(logits, (n, 1))), hard=True)
    for out in (ours.numpy(), ref.numpy()):
        assert set(np.unique(out)) == {0.0, 1.0} and (out.sum(1) == 1).all()
        np.testing.assert_allclose(out.mean(0), [0.1, 0.2, 0.7], atol=0.015)
    soft = tg.nn.functional.gumbel_softmax(tg.tensor(logits), tau=0.5)
    assert soft.shape == (3,) and soft.numpy().sum() == pytest.approx(1.0)


# ------------------------------------------------------------ normalisation
@pytest.mark.parametrize("shape,norm", [((3, 4), [4]), ((2, 3, 4), (3, 4)), ((2, 5), (5,))])
def test_rms_norm_matches_torch(shape, norm):
    x = rng.standard_normal(shape)
    w = rng.standard_normal(norm)
    check(lambda L, x: _F(L).rms_norm(x, norm), x, rtol=1e-10, atol=1e-12)
    check(lambda L, x, w: _F(L).rms_norm(x, norm, w, eps=1e-3), x, w, rtol=1e-10, atol=1e-12)


def test_rms_norm_default_eps_is_the_dtypes_epsilon():
    x = np.array([[1e-5, -2e-5, 3e-6]], dtype=np.float32)
    check(lambda L, x: _F(L).rms_norm(x, [3]), x, rtol=1e-5, atol=1e-6)
    check(lambda L, x: L.rms_norm(x, [3]), x.astype(np.float64), rtol=1e-10, atol=1e-12)


def test_rms_norm_module_matches_torch():
    for args in [(4,), ([3, 4], 1e-3), ((4,), None, False)]:
        t, g = torch.nn.RMSNorm(*args), tg.nn.RMSNorm(*args)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
    x = rng.standard_normal((2, 3, 4))
    check(lambda L, x: L.nn.RMSNorm([3, 4], eps=1e-4).double()(x), x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 4, 3, 2), (1, 6, 2, 2, 2)], ids=str)
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_matches_torch(shape, size):
    x = rng.standard_normal(shape) * 3
    check(lambda L, x: _F(L).local_response_norm(x, size), x, rtol=1e-10, atol=1e-12)
    check(
        lambda L, x: L.nn.LocalResponseNorm(size, alpha=0.5, beta=0.6, k=2.0)(x),
        x,
        rtol=1e-10,
        atol=1e-12,
    )


def test_bilinear_matches_torch():
    x1, x2 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    w, b = rng.standard_normal((6, 4, 5)), rng.standard_normal(6)
    check(lambda L, *a: _F(L).bilinear(*a), x1, x2, w, b, rtol=1e-10, atol=1e-12)
    check(lambda L, *a: L.bilinear(*a), x1[0], x2[0], w, b, rtol=1e-10, atol=1e-12)
    check(lambda L, *a: _F(L).bilinear(*a), x1[0, 0], x2[0, 0], w, rtol=1e-10, atol=1e-12)
    check_raises(lambda L, *a: _F(L).bilinear(*a), x1, x2[:1], w)


def test_bilinear_module_init_repr_and_keys_match_torch():
    for kwargs in ({}, {"bias": False}):
        t, g = torch.nn.Bilinear(4, 5, 6, **kwargs), tg.nn.Bilinear(4, 5, 6, **kwargs)
        assert repr(g) == repr(t) and list(g.state_dict()) == list(t.state_dict())
    tg.manual_seed(0)
    w = tg.nn.Bilinear(16, 3, 200).weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 and w.std() == pytest.approx(0.25 / np.sqrt(3), rel=0.05)


def test_reprs_match_torch():
    for build in [
        lambda nn: nn.Softsign(),
        lambda nn: nn.Tanhshrink(),
        lambda nn: nn.Threshold(0.1, 20),
        lambda nn: nn.Threshold(0.1, 20.0, True),
        lambda nn: nn.Hardshrink(),
        lambda nn: nn.Softshrink(0.3),
        lambda nn: nn.Softmax2d(),
        lambda nn: nn.RReLU(),
        lambda nn: nn.RReLU(0.1, 0.3, inplace=True),
        lambda nn: nn.AlphaDropout(0.2),
        lambda nn: nn.LocalResponseNorm(3, k=2.0),
        lambda nn: nn.MarginRankingLoss(),
        lambda nn: nn.MultiMarginLoss(p=2),
        lambda nn: nn.GaussianNLLLoss(full=True),
        lambda nn: nn.PoissonNLLLoss(),
    ]:
        assert repr(build(tg.nn)) == repr(build(torch.nn))


# ------------------------------------------------------------ containers
def _same_container(t, g):
    assert repr(g).replace("tapegrad.", "torch.") == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert len(g) == len(t)


def test_parameter_list_matches_torch():
    shapes = [(2, 3), (4,), (1,)]
    t = torch.nn.ParameterList([torch.zeros(s) for s in shapes[:2]])
    g = tg.nn.ParameterList([tg.zeros(s) for s in shapes[:2]])
    _same_container(t, g)
    t.append(torch.zeros(1, dtype=torch.float64))
    g.append(tg.zeros(1, dtype=tg.float64))
    _same_container(t, g)
    t.extend([torch.zeros(3)])
    g.extend([tg.zeros(3)])
    t[-1], g[-1] = torch.nn.Parameter(torch.ones(2)), tg.nn.Parameter(tg.ones(2))
    _same_container(t, g)
    _same_container(t[1:3], g[1:3])
    assert isinstance(g[0], tg.nn.Parameter) and g[-1].tolist() == [1.0, 1.0]


def test_parameter_dict_matches_torch():
    t = torch.nn.ParameterDict({"b": torch.zeros(2), "a": torch.zeros(3, dtype=torch.float64)})
    g = tg.nn.ParameterDict({"b": tg.zeros(2), "a": tg.zeros(3, dtype=tg.float64)})
    _same_container(t, g)
    assert list(g) == list(t) == ["a", "b"]
    t.update([("z", torch.ones(1)), ("c", torch.ones(1))])
    g.update([("z", tg.ones(1)), ("c", tg.ones(1))])
    _same_container(t, g)
    assert t.pop("b").shape == g.pop("b").shape
    assert t.popitem()[0] == g.popitem()[0] == "c"
    _same_container(t, g)
    owner_t, owner_g = torch.nn.Module(), tg.nn.Module()
    owner_t.params, owner_g.params = t, g
    assert list(owner_g.state_dict()) == list(owner_t.state_dict()) == ["params.a", "params.z"]


# ------------------------------------------------------------ losses
def _loss_cases():
    x1, x2 = rng.standard_normal((5,)), rng.standard_normal((5,))
    e1, e2 = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    logits = rng.standard_normal((5, 4))
    multi_hot = (rng.random((5, 4)) > 0.5).astype(float)
    classes = np.array([0, 3, 1, 1, 2])
    w = rng.uniform(0.5, 2.0, 4)
    var = rng.uniform(0.1, 2.0, (5, 4))
    rate = rng.uniform(0.5, 3.0, (5, 4))
    counts = rng.integers(0, 6, (5, 4)).astype(float)
    return [
        (
            "margin_ranking",
            lambda L, a, b, r: _F(L).margin_ranking_loss(a, b, y_(L), 0.3, **r),
            x1,
            x2,
        ),
        ("hinge", lambda L, a, r: _F(L).hinge_embedding_loss(a, y_(L), 0.7, **r), x1),
        ("cosine", lambda L, a, b, r: _F(L).cosine_embedding_loss(a, b, y_(L), 0.2, **r), e1, e2),
        ("soft_margin", lambda L, a, r: _F(L).soft_margin_loss(a, y_(L), **r), x1),
        (
            "multilabel",
            lambda L, a, r: _F(L).multilabel_soft_margin_loss(a, c_(L, multi_hot), c_(L, w), **r),
            logits,
        ),
        (
            "multi_margin_p1",
            lambda L, a, r: _F(L).multi_margin_loss(a, i_(L, classes), 1, 0.8, **r),
            logits,
        ),
        (
            "multi_margin_p2_w",
            lambda L, a, r: _F(L).multi_margin_loss(a, i_(L, classes), 2, 1.0, c_(L, w), **r),
            logits,
        ),
        (
            "gaussian",
            lambda L, a, b, v, r: _F(L).gaussian_nll_loss(a, b, v, full=True, **rd(r)),
            logits,
            e1,
            var,
        ),
        (
            "gaussian_shared_var",
            lambda L, a, b, v, r: _F(L).gaussian_nll_loss(a, b, v[:, :1], eps=0.5, **rd(r)),
            logits,
            e1,
            var,
        ),
        (
            "gaussian_var_lacks_last_dim",
            lambda L, a, b, v, r: _F(L).gaussian_nll_loss(a, b, v[:, 0], **rd(r)),
            logits,
            e1,
            var,
        ),
        (
            "poisson_log",
            lambda L, a, r: _F(L).poisson_nll_loss(a, c_(L, counts), full=True, **r),
            logits,
        ),
        (
            "poisson_rate",
            lambda L, a, r: _F(L).poisson_nll_loss(a, c_(L, counts), log_input=False, **r),
            rate,
        ),
    ]


def y_(L):
    return L.tensor([1.0, -1.0, 1.0, -1.0, 1.0], dtype=L.float64)


def c_(L, a):
    return L.tensor(a)


def i_(L, a):
    return L.tensor(a, dtype=L.int64)


def rd(r):
    return {"reduction": r["reduction"]} if "reduction" in r else {}


LOSSES = _loss_cases()


@pytest.mark.parametrize("case", LOSSES, ids=[c[0] for c in LOSSES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_match_torch(case, reduction):
    _, fn, *inputs = case
    check(lambda L, *a: fn(L, *a, {"reduction": reduction}), *inputs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("legacy", [{"size_average": False}, {"reduce": False}])
def test_legacy_reduction_arguments_match_torch(legacy):
    for name in ("margin_ranking", "hinge", "soft_margin", "multi_margin_p1", "poisson_log"):
        _, fn, *inputs = next(c for c in LOSSES if c[0] == name)
        with pytest.warns(UserWarning):
            check(lambda L, *a, fn=fn: fn(L, *a, legacy), *inputs, rtol=1e-10, atol=1e-12)


def test_unbatched_losses_match_torch():
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    check(
        lambda L, a, b: _F(L).cosine_embedding_loss(a, b, L.tensor(-1.0, dtype=L.float64)),
        a,
        b,
        rtol=1e-10,
    )
    check(lambda L, a: _F(L).multi_margin_loss(a, L.tensor(2)), a, rtol=1e-10)
    check(lambda L, a: L.nn.MultiMarginLoss(reduction="none")(a, L.tensor(1)), a, rtol=1e-10)


def test_loss_modules_match_torch():
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    classes = np.array([1, 0, 3])
    y = np.array([1.0, -1.0, 1.0])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    for build, args in [
        (
            lambda nn: nn.MarginRankingLoss(margin=0.5),
            lambda L, x, t: (x[:, 0], t[:, 0], L.tensor(y)),
        ),
        (lambda nn: nn.HingeEmbeddingLoss(2.0), lambda L, x, t: (x[:, 0], L.tensor(y))),
        (
            lambda nn: nn.CosineEmbeddingLoss(0.1, reduction="sum"),
            lambda L, x, t: (x, t, L.tensor(y)),
        ),
        (lambda nn: nn.SoftMarginLoss(), lambda L, x, t: (x, L.sign(t).detach())),
        (
            lambda nn: nn.MultiLabelSoftMarginLoss(),
            lambda L, x, t: (x, (t > 0).double()),
        ),
        (lambda nn: nn.MultiMarginLoss(2, 0.5), lambda L, x, t: (x, L.tensor(classes))),
        (lambda nn: nn.GaussianNLLLoss(eps=0.1), lambda L, x, t: (x, t, t * t)),
        (lambda nn: nn.PoissonNLLLoss(full=True), lambda L, x, t: (x, L.abs(t) * 3)),
    ]:

        def run(L, x, t, build=build, args=args):
            return build(L.nn)(*args(L, x, t))

        check(run, x, t, rtol=1e-10, atol=1e-12)
    t_mod = torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    g_mod = tg.nn.MultiMarginLoss(weight=tg.tensor(w))
    assert list(g_mod.state_dict()) == list(t_mod.state_dict()) == ["weight"]
