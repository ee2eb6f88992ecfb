"""Optional parity with PyTorch (skipped without torch): values and gradients
of every layer, activation and loss, through the one helper in ``parity.py``."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from nn_parity import run_both  # noqa: E402

pytestmark = pytest.mark.torch

RNG = np.random.default_rng(0)
X = RNG.normal(size=(5, 4)) * 2
X3 = RNG.normal(size=(3, 4, 2))
T_IDX = np.array([0, 3, 1, 2, 3])
T_IDX_IGN = np.array([0, -100, 1, 2, 3])
T3 = np.array([[0, 3], [1, 1], [2, 0]])
W = np.array([0.5, 1.0, 2.0, 0.25])
PROBS = RNG.dirichlet(np.ones(4), size=5)
P01 = RNG.uniform(0.05, 0.95, size=(5, 4))
T01 = RNG.uniform(0, 1, size=(5, 4))
REDUCTIONS = ["mean", "sum", "none"]

ACTIVATIONS = {
    "relu": lambda L, F, x: F.relu(x),
    "leaky_relu": lambda L, F, x: F.leaky_relu(x, 0.2),
    "elu": lambda L, F, x: F.elu(x, 0.7),
    "gelu": lambda L, F, x: F.gelu(x),
    "gelu_tanh": lambda L, F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda L, F, x: F.silu(x),
    "sigmoid": lambda L, F, x: F.sigmoid(x),
    "tanh": lambda L, F, x: F.tanh(x),
    "softplus": lambda L, F, x: F.softplus(x, 2.0, 3.0),
    "hardtanh": lambda L, F, x: F.hardtanh(x, -0.5, 0.7),
    "softmax": lambda L, F, x: F.softmax(x, 1),
    "log_softmax": lambda L, F, x: F.log_softmax(x, 0),
    "logsigmoid": lambda L, F, x: F.logsigmoid(x),
    "normalize": lambda L, F, x: F.normalize(x),
    "relu6": lambda L, F, x: F.relu6(x * 4.0),
    "hardsigmoid": lambda L, F, x: F.hardsigmoid(x * 2.0),
    "hardswish": lambda L, F, x: F.hardswish(x * 2.0),
    "mish": lambda L, F, x: F.mish(x),
    "softmin": lambda L, F, x: F.softmin(x, 1),
    "glu": lambda L, F, x: F.glu(x, 1),
    "prelu": lambda L, F, x: F.prelu(x, L.tensor([0.25], dtype=x.dtype)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name):
    run_both(ACTIVATIONS[name], [X])


@pytest.mark.parametrize(
    "cls,args",
    [
        ("ReLU", ()),
        ("LeakyReLU", (0.1,)),
        ("ELU", ()),
        ("GELU", ()),
        ("SiLU", ()),
        ("Sigmoid", ()),
        ("Tanh", ()),
        ("Softplus", ()),
        ("Softmax", (1,)),
        ("LogSoftmax", (1,)),
        ("Hardtanh", ()),
        ("ReLU6", ()),
        ("Hardsigmoid", ()),
        ("Hardswish", ()),
        ("Mish", ()),
        ("LogSigmoid", ()),
        ("Softmin", (1,)),
        ("GLU", (1,)),
    ],
)
def test_activation_module_matches_torch_and_repr(cls, args):
    import tapegrad.nn as nn

    run_both(lambda L, F, x: getattr(L.nn, cls)(*args)(x), [X])
    assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_simple_losses_match_torch(reduction):
    t = RNG.normal(size=X.shape) * 2
    for loss in ("mse_loss", "l1_loss"):
        run_both(lambda L, F, x, y, loss=loss: getattr(F, loss)(x, y, reduction=reduction), [X, t])
    run_both(lambda L, F, x, y: F.huber_loss(x, y, reduction=reduction, delta=0.7), [X, t])
    run_both(lambda L, F, x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=0.7), [X, t])


CE_CASES = {
    "plain": (X, T_IDX, {}),
    "weight": (X, T_IDX, {"weight": W}),
    "ignore": (X, T_IDX_IGN, {"weight": W}),
    "ignore_index=2": (X, T_IDX, {"ignore_index": 2}),
    "smooth": (X, T_IDX, {"label_smoothing": 0.3}),
    "smooth+weight+ignore": (X, T_IDX_IGN, {"weight": W, "label_smoothing": 0.2}),
    "nd": (X3, T3, {"weight": W, "ignore_index": 1, "label_smoothing": 0.1}),
    "probs": (X, PROBS, {}),
    "probs+weight+smooth": (X, PROBS, {"weight": W, "label_smoothing": 0.2}),
    "single": (X[0], np.array(2), {}),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy_matches_torch(case, reduction):
    x, t, kw = CE_CASES[case]
    kwargs = dict(kw)
    w = kwargs.pop("weight", None)

    def fn(L, F, x, t):
        weight = None if w is None else L.tensor(w, dtype=L.float64)
        return F.cross_entropy(x, t, weight=weight, reduction=reduction, **kwargs)

    run_both(fn, [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "ignore", "nd"])
def test_nll_loss_matches_torch(case, reduction):
    x, t, kw = CE_CASES[case]
    kwargs = {k: v for k, v in kw.items() if k != "label_smoothing"}
    w = kwargs.pop("weight", None)

    def fn(L, F, x, t):
        weight = None if w is None else L.tensor(w, dtype=L.float64)
        return F.nll_loss(F.log_softmax(x, 1), t, weight=weight, reduction=reduction, **kwargs)

    run_both(fn, [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction):
    run_both(lambda L, F, p, t: F.binary_cross_entropy(p, t, reduction=reduction), [P01, T01])
    run_both(
        lambda L, F, p, t, w: F.binary_cross_entropy(p, t, weight=w, reduction=reduction),
        [P01, T01, W],
        grad=[True, True, False],
    )


def test_binary_cross_entropy_clamps_log_at_minus_100():
    run_both(
        lambda L, F, p, t: F.binary_cross_entropy(p, t, reduction="none"),
        [np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5])],
        grad=[False, True],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    x = np.concatenate([X, [[50.0, -50.0, 800.0, -800.0]]])
    t = np.concatenate([T01, [[0.0, 1.0, 0.3, 0.7]]])
    run_both(
        lambda L, F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), [x, t]
    )

    def weighted(L, F, x, t):
        w = L.tensor(W, dtype=L.float64)
        pw = L.tensor(W[::-1].copy(), dtype=L.float64)
        return F.binary_cross_entropy_with_logits(
            x, t, weight=w, pos_weight=pw, reduction=reduction
        )

    run_both(weighted, [x, t])


def test_cross_entropy_extreme_logits_match_torch():
    x = np.array([[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [-1e4, 1e4, -np.inf]])
    run_both(lambda L, F, x, t: F.cross_entropy(x, t), [x, np.array([1, 2, 1])])


def _copy_module(tmod, gmod):
    import tapegrad as tg

    sd = {k: tg.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()}
    gmod.load_state_dict(sd)


LAYERS = {
    "linear": (lambda L: L.nn.Linear(4, 3), X),
    "layer_norm": (lambda L: L.nn.LayerNorm(4), X),
    "layer_norm_2d": (lambda L: L.nn.LayerNorm((4, 2)), X3),
    "batch_norm": (lambda L: L.nn.BatchNorm1d(4), X),
    "batch_norm_3d": (lambda L: L.nn.BatchNorm1d(4), X3),
    "batch_norm_eval": (lambda L: L.nn.BatchNorm1d(4).eval(), X),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch_values_and_gradients(name):
    import tapegrad as tg

    make, x = LAYERS[name]
    tmod = make(torch).double()
    with torch.no_grad():
        for p in tmod.parameters():
            p.add_(torch.randn(p.shape, dtype=torch.float64) * 0.1)
    gmod = make(tg).double()
    _copy_module(tmod, gmod)
    mods = {torch: tmod, tg: gmod}
    run_both(lambda L, F, x: mods[L](x), [x])
    for (n, _tp), (gn, _gp) in zip(tmod.named_parameters(), gmod.named_parameters()):
        assert n == gn
    for (n, tb), (_, gb) in zip(tmod.named_buffers(), gmod.named_buffers()):
        np.testing.assert_allclose(gb.numpy(), tb.numpy(), rtol=1e-7, err_msg=n)
    assert repr(gmod) == repr(tmod)


def test_parameter_gradients_of_layers_match_torch():
    import tapegrad as tg

    tmod = torch.nn.Sequential(
        torch.nn.Linear(4, 5),
        torch.nn.LayerNorm(5),
        torch.nn.GELU(),
        torch.nn.BatchNorm1d(5),
        torch.nn.Linear(5, 3),
    ).double()
    import tapegrad.nn as nn

    gmod = nn.Sequential(
        nn.Linear(4, 5), nn.LayerNorm(5), nn.GELU(), nn.BatchNorm1d(5), nn.Linear(5, 3)
    ).double()
    _copy_module(tmod, gmod)
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    t = np.array([0, 2, 1, 1, 0])
    torch.nn.functional.cross_entropy(tmod(torch.tensor(X)), torch.tensor(t)).backward()
    nn.functional.cross_entropy(gmod(tg.tensor(X, dtype=tg.float64)), tg.tensor(t)).backward()
    for (n, tp), (_, gp) in zip(tmod.named_parameters(), gmod.named_parameters()):
        np.testing.assert_allclose(
            gp.grad.numpy(), tp.grad.numpy(), rtol=1e-6, atol=1e-10, err_msg=n
        )


def test_embedding_matches_torch():
    import tapegrad as tg

    temb = torch.nn.Embedding(6, 3, padding_idx=2).double()
    import tapegrad.nn as nn

    gemb = nn.Embedding(6, 3, padding_idx=2).double()
    _copy_module(temb, gemb)
    idx = np.array([[0, 2, 5], [5, 5, 1]])
    temb(torch.tensor(idx)).pow(2).sum().backward()
    (gemb(tg.tensor(idx)) ** 2).sum().backward()
    np.testing.assert_allclose(gemb.weight.grad.numpy(), temb.weight.grad.numpy())
    assert repr(gemb) == repr(temb)


@pytest.mark.parametrize(
    "kw",
    [
        dict(max_norm=1.0),
        dict(max_norm=1.5, norm_type=1.0),
        dict(scale_grad_by_freq=True),
        dict(scale_grad_by_freq=True, padding_idx=2),
        dict(max_norm=1.0, scale_grad_by_freq=True, padding_idx=0),
    ],
)
def test_embedding_max_norm_and_scale_grad_by_freq_match_torch(kw):
    import tapegrad as tg
    import tapegrad.nn as nn

    w0 = np.random.default_rng(0).normal(size=(6, 3)) * 2
    idx = np.array([[0, 2, 2], [5, 0, 2]])
    g = np.random.default_rng(1).normal(size=(2, 3, 3))
    temb = torch.nn.Embedding(6, 3, _weight=torch.tensor(w0), **kw)
    gemb = nn.Embedding(6, 3, _weight=tg.tensor(w0), **kw)
    tout = temb(torch.tensor(idx))
    gout = gemb(tg.tensor(idx))
    (tout * torch.tensor(g)).sum().backward()
    (gout * tg.tensor(g)).sum().backward()
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        gemb.weight.detach().numpy(), temb.weight.detach().numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(gemb.weight.grad.numpy(), temb.weight.grad.numpy(), rtol=1e-12)
    assert repr(gemb) == repr(temb)


def test_prelu_module_learns_its_slopes_like_torch():
    import tapegrad as tg
    import tapegrad.nn as nn

    x = np.random.default_rng(2).standard_normal((4, 3, 2))
    t_mod, g_mod = torch.nn.PReLU(3).double(), nn.PReLU(3).double()
    assert repr(g_mod) == repr(t_mod)
    tx, gx = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    (t_mod(tx) ** 2).sum().backward()
    (g_mod(gx) ** 2).sum().backward()
    np.testing.assert_allclose(g_mod.weight.grad.numpy(), t_mod.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "batchmean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    import warnings

    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 1.0, (4, 5))
    p /= p.sum(1, keepdims=True)
    target = np.log(p) if log_target else p
    logq = np.log(np.full((4, 5), 0.2)) + rng.standard_normal((4, 5)) * 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on reduction='mean'
        run_both(
            lambda L, F, x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
            [logq, target],
        )
    import tapegrad.nn as nn

    assert repr(nn.KLDivLoss(reduction=reduction)) == repr(torch.nn.KLDivLoss(reduction=reduction))


def test_linear_default_init_distribution_matches_torch_bounds():
    import tapegrad.nn as nn

    g = nn.Linear(50, 40).weight.detach().numpy()
    t = torch.nn.Linear(50, 40).weight.detach().numpy()
    assert abs(np.abs(g).max() - np.abs(t).max()) < 0.02
    assert abs(g.std() - t.std()) < 0.01


@pytest.mark.parametrize("dim", [0, 1])
def test_cosine_similarity_and_pairwise_distance_match_torch(dim):
    import tapegrad.nn as nn

    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    run_both(lambda L, F, x, y: F.cosine_similarity(x, y, dim=dim), [a, b])
    run_both(lambda L, F, x, y: F.pairwise_distance(x, y, p=1.0 + dim, keepdim=bool(dim)), [a, b])
    tiny = a.copy()
    tiny[0] = 1e-9  # a norm below eps: the same value (each norm clamped on its own)
    np.testing.assert_allclose(
        nn.functional.cosine_similarity(nn.Parameter(tiny), nn.Parameter(b)).detach().numpy(),
        torch.nn.functional.cosine_similarity(torch.tensor(tiny), torch.tensor(b)).numpy(),
        rtol=1e-12,
    )
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
    assert repr(nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())
