"""Torch-free tests of the shrinking/threshold activations, RReLU, alpha
dropout, the in-place activation forms, ParameterList/ParameterDict,
RMSNorm, the margin, embedding and likelihood losses, gumbel_softmax, local
response norm and bilinear: NumPy references, finite-difference gradients
in float64, reprs, state_dict keys and errors."""

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

rng = np.random.default_rng(11)
# away from every kink (0, +-0.5, 0.1), where finite differences do not apply
X = np.array([-2.5, -0.8, -0.3, -0.05, 0.04, 0.3, 0.7, 1.9])


def _t(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


ELEMENTWISE = {
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "threshold": (lambda x: F.threshold(x, 0.1, 20.0), lambda x: np.where(x > 0.1, x, 20.0)),
    "hardshrink": (F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0.0)),
    "softshrink": (
        lambda x: F.softshrink(x, 0.25),
        lambda x: np.where(x > 0.25, x - 0.25, np.where(x < -0.25, x + 0.25, 0.0)),
    ),
    "rrelu_eval": (
        lambda x: F.rrelu(x, 0.1, 0.3),
        lambda x: np.where(x > 0, x, 0.2 * x),
    ),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_values_and_gradients(name):
    fn, ref = ELEMENTWISE[name]
    np.testing.assert_allclose(fn(_t(X)).numpy(), ref(X), rtol=1e-14, atol=1e-15)
    assert tg.gradcheck(fn, (_t(X, grad=True),))


def test_activation_modules_apply_their_function():
    x = _t(X)
    for module, fn in [
        (nn.Softsign(), F.softsign),
        (nn.Tanhshrink(), F.tanhshrink),
        (nn.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0)),
        (nn.Hardshrink(0.25), lambda x: F.hardshrink(x, 0.25)),
        (nn.Softshrink(), F.softshrink),
        (nn.RReLU().eval(), F.rrelu),
    ]:
        assert module(x).tolist() == fn(x).tolist()


def test_softmax2d_is_a_softmax_over_channels():
    x = rng.standard_normal((2, 3, 2, 2))
    out = nn.Softmax2d()(_t(x)).numpy()
    np.testing.assert_allclose(out, np.exp(x) / np.exp(x).sum(1, keepdims=True), rtol=1e-13)
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.Softmax2d()(_t(X))


def test_rrelu_training_draws_slopes_from_tapegrads_generator():
    x = _t(-np.ones(5000))
    tg.manual_seed(4)
    a = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    tg.manual_seed(4)
    b = nn.RReLU(0.1, 0.3)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert -0.3 <= a.min() and a.max() <= -0.1 and abs(a.mean() + 0.2) < 0.005
    assert F.rrelu(_t([2.0, 3.0]), training=True).tolist() == [2.0, 3.0]
    # the gradient is each element's slope
    xg = _t(-np.ones(4), grad=True)
    out = F.rrelu(xg, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), -out.detach().numpy())


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    x = rng.standard_normal(100000)
    tg.manual_seed(5)
    out = F.alpha_dropout(_t(x), 0.3, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    plain = _t(x)
    assert F.alpha_dropout(plain, 0.3) is plain  # training=False: the identity
    np.testing.assert_array_equal(nn.AlphaDropout(0.3).eval()(_t(x)).numpy(), x)
    assert F.alpha_dropout(_t(x[:3]), 1.0, training=True).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.AlphaDropout(1.5)


def test_in_place_forms_overwrite_their_input():
    cases = [
        (F.relu_, (), lambda x: np.maximum(x, 0)),
        (F.elu_, (0.5,), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
        (F.leaky_relu_, (0.2,), lambda x: np.where(x > 0, x, 0.2 * x)),
        (F.hardtanh_, (-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
        (F.threshold_, (0.1, 2.0), lambda x: np.where(x > 0.1, x, 2.0)),
        (F.celu_, (2.0,), lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2))),
        (F.rrelu_, (), lambda x: np.where(x > 0, x, (1 / 8 + 1 / 3) / 2 * x)),
        (tg.relu_, (), lambda x: np.maximum(x, 0)),
        (tg.threshold_, (0.1, 2.0), lambda x: np.where(x > 0.1, x, 2.0)),
    ]
    for fn, args, ref in cases:
        x = _t(X)
        assert fn(x, *args) is x
        np.testing.assert_allclose(x.numpy(), ref(X), rtol=1e-14, err_msg=fn.__name__)


def test_in_place_forms_are_recorded_for_backward():
    leaf = _t(X, grad=True)
    h = leaf * 1.0
    F.leaky_relu_(h, 0.2)
    h.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.where(X > 0, 1.0, 0.2))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.selu_(_t(X, grad=True))


# ------------------------------------------------------------ containers
def test_parameter_list_registers_and_wraps():
    params = nn.ParameterList([tg.zeros(2, 3), nn.Parameter(tg.ones(4))])
    params.append(tg.zeros(1))
    params += [tg.zeros(5)]
    assert len(params) == 4 and all(isinstance(p, nn.Parameter) for p in params)
    assert [n for n, _ in params.named_parameters()] == ["0", "1", "2", "3"]
    assert params[-1].shape == (5,) and params[1].tolist() == [1.0] * 4
    params[0] = tg.full((2,), 7.0)
    assert isinstance(params[0], nn.Parameter) and params[0].tolist() == [7.0, 7.0]
    assert len(params[1:3]) == 2 and params[1:3][0] is params[1]
    owner = nn.Module()
    owner.ps = params
    assert list(owner.state_dict()) == ["ps.0", "ps.1", "ps.2", "ps.3"]
    with pytest.raises(IndexError):
        params[4]
    with pytest.raises(TypeError, match="iterable"):
        params.extend(tg.zeros(2))
    with pytest.raises(RuntimeError, match="should not be called"):
        params()


def test_parameter_list_repr():
    params = nn.ParameterList([tg.zeros(2, 3), tg.zeros(2, dtype=tg.float64)])
    assert repr(params) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [tapegrad.float32 of size 2x3]\n"
        "    (1): Parameter containing: [tapegrad.float64 of size 2]\n)"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_dict_registers_and_wraps():
    params = nn.ParameterDict({"w": tg.zeros(2), "b": tg.zeros(1)})
    assert list(params) == ["b", "w"]  # a plain dict goes in sorted order, as in PyTorch
    params.update([("z", tg.ones(3)), ("a", tg.ones(1))])
    assert list(params.keys()) == ["b", "w", "z", "a"]
    assert all(isinstance(p, nn.Parameter) for p in params.values())
    params["w"] = tg.full((2,), 3.0)
    assert params["w"].tolist() == [3.0, 3.0] and "w" in params and len(params) == 4
    assert params.pop("z").shape == (3,) and "z" not in params
    assert params.popitem()[0] == "a"
    assert params.get("missing") is None and params.setdefault("c", tg.zeros(1)).shape == (1,)
    owner = nn.Module()
    owner.pd = params
    assert list(owner.state_dict()) == ["pd.b", "pd.w", "pd.c"]
    assert "(w): Parameter containing: [torch.FloatTensor of size 2]" in repr(params)
    params.clear()
    assert len(params) == 0 and list(params.parameters()) == []
    with pytest.raises(TypeError, match="not a string"):
        params[0]
    with pytest.raises(ValueError, match="length 3"):
        params.update([("a", tg.zeros(1), 1)])


# ------------------------------------------------------------ normalisation
def _rms_ref(x, k, eps, w=None):
    dims = tuple(range(x.ndim - k, x.ndim))
    out = x / np.sqrt((x * x).mean(dims, keepdims=True) + eps)
    return out if w is None else out * w


def test_rms_norm_values_gradients_and_default_eps():
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))
    out = F.rms_norm(_t(x), (3, 4), _t(w), eps=1e-3).numpy()
    np.testing.assert_allclose(out, _rms_ref(x, 2, 1e-3, w), rtol=1e-13)
    tiny = np.array([[1e-9, -2e-9]])
    np.testing.assert_allclose(
        F.rms_norm(_t(tiny), [2]).numpy(), _rms_ref(tiny, 1, np.finfo(np.float64).eps), rtol=1e-13
    )
    assert tg.gradcheck(lambda x, w: F.rms_norm(x, [4], w), (_t(x, grad=True), _t(w[0], grad=True)))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.rms_norm(_t(x), [5])


def test_rms_norm_module():
    norm = nn.RMSNorm([3, 4], eps=1e-4)
    assert repr(norm) == "RMSNorm((3, 4), eps=0.0001, elementwise_affine=True)"
    assert list(norm.state_dict()) == ["weight"] and norm.weight.tolist() == [[1.0] * 4] * 3
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(norm.double()(_t(x)).detach().numpy(), _rms_ref(x, 2, 1e-4))
    bare = nn.RMSNorm(4, elementwise_affine=False)
    assert bare.weight is None and list(bare.state_dict()) == []


def _lrn_ref(x, size, alpha, beta, k):
    sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    c = x.shape[1]
    window = sum(sq[:, s : s + c] for s in range(size))
    return x / (k + alpha / size * window) ** beta


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_values_and_gradients(size):
    x = rng.standard_normal((2, 4, 3)) * 2
    out = F.local_response_norm(_t(x), size, 0.3, 0.7, 1.5).numpy()
    np.testing.assert_allclose(out, _lrn_ref(x, size, 0.3, 0.7, 1.5), rtol=1e-13)
    layer = nn.LocalResponseNorm(size, 0.3, 0.7, 1.5)
    assert tg.gradcheck(layer, (_t(x[:1, :, :2], grad=True),))
    x4 = rng.standard_normal((1, 5, 2, 2))
    np.testing.assert_allclose(
        F.local_response_norm(_t(x4), size).numpy(), _lrn_ref(x4, size, 1e-4, 0.75, 1.0)
    )
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(_t(X), 2)


# ------------------------------------------------------------------ others
def test_gumbel_softmax_samples_and_straight_through_gradient():
    logits = np.log(np.array([0.2, 0.8]))
    tg.manual_seed(6)
    soft = F.gumbel_softmax(_t(np.tile(logits, (4000, 1))), tau=0.5).numpy()
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-12)
    assert abs((soft.argmax(1) == 1).mean() - 0.8) < 0.03
    x = _t(rng.standard_normal((3, 4)), grad=True)
    tg.manual_seed(7)
    hard = F.gumbel_softmax(x, hard=True, dim=0)
    tg.manual_seed(7)
    soft = F.gumbel_softmax(x, dim=0)
    assert (hard.detach().numpy().sum(0) == 1).all() and set(np.unique(hard.detach().numpy())) == {
        0.0,
        1.0,
    }
    np.testing.assert_array_equal(hard.detach().numpy().argmax(0), soft.detach().numpy().argmax(0))
    g = rng.standard_normal((3, 4))
    (hard * _t(g)).sum().backward()
    grad_hard = x.grad.numpy().copy()
    x.grad = None
    (soft * _t(g)).sum().backward()
    np.testing.assert_allclose(grad_hard, x.grad.numpy(), rtol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.gumbel_softmax(_t(logits), eps=1e-3)
    assert any("deprecated" in str(w.message) for w in caught)


def test_bilinear_values_gradients_and_module():
    x1, x2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    w, b = rng.standard_normal((5, 3, 4)), rng.standard_normal(5)
    out = F.bilinear(_t(x1), _t(x2), _t(w), _t(b)).numpy()
    np.testing.assert_allclose(out, np.einsum("ni,oij,nj->no", x1, w, x2) + b, rtol=1e-13)
    ins = tuple(_t(a, grad=True) for a in (x1, x2, w, b))
    assert tg.gradcheck(F.bilinear, ins)
    layer = nn.Bilinear(3, 4, 5)
    assert repr(layer) == "Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)"
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.shape == (5, 3, 4)
    bound = 1 / math.sqrt(3)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert layer(tg.zeros(7, 3), tg.zeros(7, 4)).shape == (7, 5)
    assert nn.Bilinear(3, 4, 5, bias=False).bias is None
    with pytest.raises(RuntimeError, match="batch dimensions"):
        F.bilinear(_t(x1), _t(x2[:1]), _t(w))


# ------------------------------------------------------------------ losses
Y = np.array([1.0, -1.0, 1.0, -1.0])


def _reduced(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _cos(a, b, eps=1e-12):
    return (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + eps) * ((b * b).sum(-1) + eps))


def _multi_margin_ref(x, t, p, margin, w):
    n, c = x.shape
    z = np.maximum(margin - x[np.arange(n), t][:, None] + x, 0) ** p * w[t][:, None]
    z[np.arange(n), t] = 0
    return z.sum(1) / c


A1, A2 = rng.standard_normal(4), rng.standard_normal(4)
E1, E2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
MULTI_HOT = (rng.random((4, 3)) > 0.5).astype(float)
CLASSES = np.array([2, 0, 1, 2])
W = np.array([0.5, 1.0, 2.0])
VAR = rng.uniform(0.2, 2.0, (4, 3))
COUNTS = rng.integers(0, 6, (4, 3)).astype(float)

LOSSES = {
    "margin_ranking": (
        lambda a, b, r: F.margin_ranking_loss(a, b, _t(Y), 0.3, reduction=r),
        lambda a, b: np.maximum(0, -Y * (a - b) + 0.3),
        (A1, A2),
    ),
    "hinge_embedding": (
        lambda a, r: F.hinge_embedding_loss(a, _t(Y), 0.7, reduction=r),
        lambda a: np.where(Y == 1, a, np.maximum(0, 0.7 - a)),
        (A1,),
    ),
    "cosine_embedding": (
        lambda a, b, r: F.cosine_embedding_loss(a, b, _t(Y), 0.1, reduction=r),
        lambda a, b: np.where(Y == 1, 1 - _cos(a, b), np.maximum(0, _cos(a, b) - 0.1)),
        (E1, E2),
    ),
    "soft_margin": (
        lambda a, r: F.soft_margin_loss(a, _t(Y), reduction=r),
        lambda a: np.log1p(np.exp(-Y * a)),
        (A1,),
    ),
    "multilabel_soft_margin": (
        lambda a, r: F.multilabel_soft_margin_loss(a, _t(MULTI_HOT), _t(W), reduction=r),
        lambda a: (
            -(W * (MULTI_HOT * np.log(_sigmoid(a)) + (1 - MULTI_HOT) * np.log(_sigmoid(-a)))).mean(
                1
            )
        ),
        (E1,),
    ),
    "multi_margin": (
        lambda a, r: F.multi_margin_loss(a, tg.tensor(CLASSES), 2, 0.9, _t(W), reduction=r),
        lambda a: _multi_margin_ref(a, CLASSES, 2, 0.9, W),
        (E1,),
    ),
    "gaussian_nll": (
        lambda a, v, r: F.gaussian_nll_loss(a, _t(E2), v, full=True, eps=0.1, reduction=r),
        lambda a, v: (
            0.5 * (np.log(np.maximum(v, 0.1)) + (a - E2) ** 2 / np.maximum(v, 0.1))
            + 0.5 * np.log(2 * np.pi)
        ),
        (E1, VAR),
    ),
    "poisson_nll_log": (
        lambda a, r: F.poisson_nll_loss(a, _t(COUNTS), full=True, reduction=r),
        lambda a: (
            np.exp(a)
            - COUNTS * a
            + np.where(
                COUNTS > 1,
                COUNTS * np.log(np.maximum(COUNTS, 1))
                - COUNTS
                + 0.5 * np.log(2 * np.pi * np.maximum(COUNTS, 1)),
                0,
            )
        ),
        (E1,),
    ),
    "poisson_nll_rate": (
        lambda a, r: F.poisson_nll_loss(a, _t(COUNTS), log_input=False, eps=1e-3, reduction=r),
        lambda a: a - COUNTS * np.log(a + 1e-3),
        (VAR,),
    ),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_loss_values_and_gradients(name, reduction):
    fn, ref, inputs = LOSSES[name]
    got = fn(*(_t(a) for a in inputs), reduction).numpy()
    np.testing.assert_allclose(got, _reduced(ref(*inputs), reduction), rtol=1e-12, atol=1e-14)
    assert tg.gradcheck(lambda *a: fn(*a, reduction), tuple(_t(a, grad=True) for a in inputs))


def test_legacy_reduction_arguments_decide_the_reduction():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        total = F.hinge_embedding_loss(_t(A1), _t(Y), size_average=False)
    assert total.item() == pytest.approx(
        F.hinge_embedding_loss(_t(A1), _t(Y), reduction="sum").item()
    )
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.SoftMarginLoss(reduce=False)(_t(A1), _t(Y)).shape == (4,)


def test_gaussian_nll_var_shapes_and_clamp_gradient():
    a, t = _t(E1), _t(E2)
    shared = F.gaussian_nll_loss(a, t, _t(VAR[:, 0]), reduction="none").numpy()
    ref = 0.5 * (np.log(VAR[:, :1]) + (E1 - E2) ** 2 / VAR[:, :1])
    np.testing.assert_allclose(shared, ref, rtol=1e-13)
    np.testing.assert_allclose(
        F.gaussian_nll_loss(a, t, 2.0).item(), (np.log(2) + ((E1 - E2) ** 2 / 2)).mean() / 2
    )
    v = _t([[1e-9]], grad=True)
    F.gaussian_nll_loss(_t([[1.0]]), _t([[0.0]]), v, eps=0.5).backward()
    # the clamp is invisible to the gradient: d/dv at the clamped value 0.5
    assert v.grad.item() == pytest.approx(0.5 * (1 / 0.5 - 1 / 0.25))
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(a, t, _t(VAR[:2]))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(a, t, _t(-VAR))


def test_loss_modules():
    a, b, y = _t(A1), _t(A2), _t(Y)
    cases = [
        (nn.MarginRankingLoss(0.3)(a, b, y), F.margin_ranking_loss(a, b, y, 0.3)),
        (
            nn.HingeEmbeddingLoss(reduction="sum")(a, y),
            F.hinge_embedding_loss(a, y, reduction="sum"),
        ),
        (nn.CosineEmbeddingLoss()(_t(E1), _t(E2), y), F.cosine_embedding_loss(_t(E1), _t(E2), y)),
        (nn.SoftMarginLoss()(a, y), F.soft_margin_loss(a, y)),
        (
            nn.MultiLabelSoftMarginLoss(_t(W))(_t(E1), _t(MULTI_HOT)),
            F.multilabel_soft_margin_loss(_t(E1), _t(MULTI_HOT), _t(W)),
        ),
        (
            nn.MultiMarginLoss(2, 0.5, _t(W))(_t(E1), tg.tensor(CLASSES)),
            F.multi_margin_loss(_t(E1), tg.tensor(CLASSES), 2, 0.5, _t(W)),
        ),
        (
            nn.GaussianNLLLoss(full=True)(_t(E1), _t(E2), _t(VAR)),
            F.gaussian_nll_loss(_t(E1), _t(E2), _t(VAR), True),
        ),
        (
            nn.PoissonNLLLoss(False)(_t(VAR), _t(COUNTS)),
            F.poisson_nll_loss(_t(VAR), _t(COUNTS), False),
        ),
    ]
    for module_out, fn_out in cases:
        assert module_out.item() == fn_out.item()
    assert list(nn.MultiMarginLoss(weight=_t(W)).state_dict()) == ["weight"]
    assert repr(nn.MultiMarginLoss()) == "MultiMarginLoss()"
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)


def test_loss_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(_t(A1), _t(E1), _t(Y))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        F.cosine_embedding_loss(_t(A1), _t(A2), _t(Y))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multi_margin_loss(_t(E1), tg.tensor(CLASSES[:2]))
    with pytest.raises(ValueError, match="reduction"):
        F.soft_margin_loss(_t(A1), _t(Y), reduction="avg")
