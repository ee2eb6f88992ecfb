"""Adadelta, Adamax, NAdam and RAdam: step-by-step parity with PyTorch (skipped
without torch) and, on tapegrad alone, their behaviour on a quadratic."""

import math

import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.optim.radam import rho_t
from tapegrad.tensor import from_numpy

try:
    import torch
except ImportError:  # the parity tests skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SHAPES = [(3, 4), (4,), (2, 2, 3)]
STEPS = 20

CONFIGS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("Adadelta", dict(lr=0.3, weight_decay=0.05, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9), maximize=True)),  # lerp's other branch
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, eps=1e-6, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.9))),  # rectified from step 3
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, eps=1e-6, maximize=True)),
]
IDS = [f"{n}-{k}" for n, k in CONFIGS]


def _data(seed, dtype):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _run_both(name, kwargs, dtype="float32", steps=STEPS, groups=None):
    """The same parameters and gradients through both libraries; the
    parameters must agree after every step."""
    params, grads = _data(0, dtype)
    ours = [from_numpy(p.copy()).requires_grad_() for p in params]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    if groups:
        ours_opt = getattr(optim, name)(
            [{"params": [ours[i] for i in g["idx"]], **g["opts"]} for g in groups], **kwargs
        )
        theirs_opt = getattr(torch.optim, name)(
            [{"params": [theirs[i] for i in g["idx"]], **g["opts"]} for g in groups], **kwargs
        )
    else:
        ours_opt = getattr(optim, name)(ours, **kwargs)
        theirs_opt = getattr(torch.optim, name)(theirs, **kwargs)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for step in range(steps):
        for a, b, g in zip(ours, theirs, grads[step]):
            a.grad = from_numpy(g.copy())
            b.grad = torch.tensor(g.copy())
        ours_opt.step()
        theirs_opt.step()
        for a, b in zip(ours, theirs):
            assert a.dtype == np.dtype(dtype)
            np.testing.assert_allclose(
                a.data, b.detach().numpy(), rtol=tol, atol=tol, err_msg=f"step {step + 1}"
            )
    return ours_opt, theirs_opt, ours, theirs


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch_step_by_step(name, kwargs, dtype):
    _run_both(name, kwargs, dtype)


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam"])
def test_parameter_groups_with_their_own_options_match_torch(name):
    groups = [
        {"idx": [0, 2], "opts": {}},
        {"idx": [1], "opts": {"lr": 0.003, "weight_decay": 0.2}},
    ]
    _run_both(name, dict(lr=0.02), groups=groups)


@pytest.mark.torch
@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS[::2], ids=IDS[::2])
def test_state_dict_layout_values_and_versions_match_torch(name, kwargs):
    ours_opt, theirs_opt, ours, theirs = _run_both(name, kwargs, steps=4)
    a, b = ours_opt.state_dict(), theirs_opt.state_dict()
    assert list(a["state"]) == list(b["state"])
    for i, buffers in b["state"].items():
        assert list(a["state"][i]) == list(buffers)  # the names, in PyTorch's order
        for key, value in buffers.items():
            assert a["state"][i][key].dtype == tg.float32, key
            np.testing.assert_allclose(a["state"][i][key].data, value.numpy(), rtol=1e-5)
    for ga, gb in zip(a["param_groups"], b["param_groups"]):
        assert ga["params"] == gb["params"]
        for key, value in ga.items():
            assert gb[key] == value, key
    # as many in-place writes per step as PyTorch makes
    assert [p._version for p in ours] == [p._version for p in theirs]


# ------------------------------------------------------------ tapegrad alone
ALL = [
    (optim.Adadelta, dict(eps=1e-4)),
    (optim.Adamax, dict(lr=0.05, weight_decay=0.01)),
    (optim.NAdam, dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True)),
    (optim.RAdam, dict(lr=0.05, weight_decay=0.01)),
]
ALL_IDS = [c.__name__ for c, _ in ALL]
CURVATURE = np.array([1.0, 4.0, 0.25])


def _quadratic(p):
    """``f = 1/2 sum a_i p_i^2``, minimum 0 at the origin."""
    return 0.5 * (tg.tensor(CURVATURE, dtype=p.dtype) * p * p).sum()


def _descend(opt, p, steps, f=_quadratic):
    values = []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        opt.step()
        values.append(loss.item())
    return values


@pytest.mark.parametrize("cls,kw", ALL, ids=ALL_IDS)
def test_descends_a_quadratic(cls, kw):
    p = tg.tensor([1.0, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    values = _descend(cls([p], **kw), p, 300)
    assert values[-1] < 0.05 * values[0]
    assert abs(_quadratic(p).item()) < 0.05 * values[0]


@pytest.mark.parametrize("cls,kw", ALL, ids=ALL_IDS)
def test_maximize_climbs_the_negated_quadratic_along_the_same_path(cls, kw):
    p = tg.tensor([1.0, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    q = tg.tensor([1.0, -2.0, 3.0], dtype=tg.float64, requires_grad=True)
    _descend(cls([p], **kw), p, 10)
    _descend(cls([q], **kw, maximize=True), q, 10, f=lambda x: -_quadratic(x))
    np.testing.assert_allclose(q.data, p.data, rtol=1e-12)


@pytest.mark.parametrize("cls,kw", ALL, ids=ALL_IDS)
def test_float32_stays_float32_and_no_graph_is_recorded(cls, kw):
    p = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    array = p.detach().numpy()
    opt = cls([p], **kw)
    _descend(opt, p, 3)
    assert p.detach().numpy() is array and p.dtype == tg.float32
    assert p.grad_fn is None and p.is_leaf
    for key, value in opt.state[p].items():
        assert value.dtype == tg.float32 and value.grad_fn is None, key


@pytest.mark.parametrize("cls,kw", ALL, ids=ALL_IDS)
def test_state_dict_round_trip_continues_the_same_run(cls, kw):
    p = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = cls([p], **kw)
    _descend(opt, p, 4)
    twin = from_numpy(p.detach().numpy().copy()).requires_grad_()
    opt2 = cls([twin], **{**kw, "lr": 123.0})
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert list(opt2.state[twin]) == list(opt.state[p])
    _descend(opt, p, 4)
    _descend(opt2, twin, 4)
    np.testing.assert_array_equal(p.data, twin.data)


@pytest.mark.parametrize(
    "cls,keys",
    [
        (optim.Adadelta, ["step", "square_avg", "acc_delta"]),
        (optim.Adamax, ["step", "exp_avg", "exp_inf"]),
        (optim.NAdam, ["step", "mu_product", "exp_avg", "exp_avg_sq"]),
        (optim.RAdam, ["step", "exp_avg", "exp_avg_sq"]),
    ],
)
def test_state_keys_are_pytorchs(cls, keys):
    p = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    opt = cls([p])
    _descend(opt, p, 2)
    assert list(opt.state[p]) == keys
    assert opt.state[p]["step"].item() == 2.0


def test_adadelta_first_step_has_the_size_of_sqrt_eps_over_one_minus_rho_whatever_the_gradient():
    for scale in (1e-1, 1.0, 1e3):
        p = tg.tensor([0.0, 0.0], dtype=tg.float64, requires_grad=True)
        opt = optim.Adadelta([p], rho=0.9, eps=1e-6)
        p.grad = tg.tensor([scale, -scale], dtype=tg.float64)
        opt.step()
        g2 = 0.1 * scale**2
        expected = math.sqrt(1e-6) / math.sqrt(g2 + 1e-6) * scale
        np.testing.assert_allclose(p.data, [-expected, expected], rtol=1e-12)
        np.testing.assert_allclose(expected, math.sqrt(1e-6 / 0.1), rtol=1e-3)


def test_adamax_first_step_moves_each_coordinate_by_lr():
    p = tg.tensor([0.0, 0.0, 0.0], dtype=tg.float64, requires_grad=True)
    opt = optim.Adamax([p], lr=0.1, eps=0.0)
    p.grad = tg.tensor([1e-3, -5.0, 200.0], dtype=tg.float64)
    opt.step()
    np.testing.assert_allclose(p.data, [-0.1, 0.1, -0.1], rtol=1e-12)


def test_adamax_exp_inf_is_a_decaying_maximum_of_the_gradient_size():
    p = tg.tensor([0.0], dtype=tg.float64, requires_grad=True)
    opt = optim.Adamax([p], betas=(0.9, 0.5), eps=0.0)
    for g, expected in [(4.0, 4.0), (1.0, 2.0), (-3.0, 3.0), (0.5, 1.5)]:
        p.grad = tg.tensor([g], dtype=tg.float64)
        opt.step()
        assert opt.state[p]["exp_inf"].item() == expected


def test_nadam_mu_product_is_the_product_of_the_momentum_schedule():
    p = tg.tensor([1.0], requires_grad=True)
    opt = optim.NAdam([p], betas=(0.9, 0.999), momentum_decay=0.004)
    _descend(opt, p, 5)
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in range(1, 6)]
    np.testing.assert_allclose(opt.state[p]["mu_product"].item(), math.prod(mus), rtol=1e-6)
    assert opt.state[p]["mu_product"].dtype == tg.float32


@pytest.mark.parametrize("cls", [optim.NAdam, optim.RAdam])
def test_decoupled_weight_decay_shrinks_a_parameter_without_gradient_geometrically(cls):
    p = tg.tensor([2.0, -1.0], dtype=tg.float64, requires_grad=True)
    opt = cls([p], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    for _ in range(3):
        p.grad = tg.zeros(2, dtype=tg.float64)
        opt.step()
    np.testing.assert_allclose(p.data, np.array([2.0, -1.0]) * 0.95**3, rtol=1e-12)


def test_radam_is_momentum_sgd_until_rho_t_exceeds_five_then_rectified():
    beta2 = 0.999
    plain = [t for t in range(1, 12) if rho_t(beta2, t) <= 5.0]
    assert plain == [1, 2, 3, 4, 5]  # PyTorch's threshold 5 (the paper's 4 would stop at 4)
    p = tg.tensor([0.0], dtype=tg.float64, requires_grad=True)
    opt = optim.RAdam([p], lr=0.01, betas=(0.9, beta2))
    positions = []
    for _ in range(8):
        p.grad = tg.tensor([2.0], dtype=tg.float64)  # constant: m^ = g exactly
        opt.step()
        positions.append(p.item())
    steps = -np.diff([0.0] + positions)
    np.testing.assert_allclose(steps[:5], 0.01 * 2.0, rtol=1e-12)
    # then gamma r_t m^ sqrt(1 - beta2^t) / (sqrt(v_t) + eps), with v_t = (1 - beta2^t) g^2
    rho_inf = 2 / (1 - beta2) - 1
    for t in (6, 7, 8):
        rho = rho_t(beta2, t)
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        v = (1 - beta2**t) * 4.0
        expected = 0.01 * 2.0 * rect * math.sqrt(1 - beta2**t) / (math.sqrt(v) + 1e-8)
        np.testing.assert_allclose(steps[t - 1], expected, rtol=1e-10)
    assert steps[5] < 0.05 * steps[4]  # the first rectified step is small: r_6 is about 0.026


@pytest.mark.parametrize(
    "cls,kw,msg",
    [
        (optim.Adadelta, dict(rho=1.5), "rho"),
        (optim.Adadelta, dict(lr=-1.0), "learning rate"),
        (optim.Adamax, dict(betas=(0.9, 1.0)), "beta parameter at index 1"),
        (optim.Adamax, dict(eps=-1.0), "epsilon"),
        (optim.NAdam, dict(momentum_decay=-0.1), "momentum_decay"),
        (optim.NAdam, dict(weight_decay=-0.1), "weight_decay"),
        (optim.RAdam, dict(betas=(1.0, 0.9)), "beta parameter at index 0"),
    ],
)
def test_invalid_hyperparameters_are_rejected(cls, kw, msg):
    with pytest.raises(ValueError, match=msg):
        cls([tg.zeros(2, requires_grad=True)], **kw)


def test_defaults_are_pytorchs():
    p = [tg.zeros(2, requires_grad=True)]
    assert optim.Adadelta(p).defaults["lr"] == 1.0
    assert optim.Adadelta(p).defaults["rho"] == 0.9
    assert optim.Adamax(p).defaults["lr"] == 2e-3
    nadam = optim.NAdam(p).defaults
    assert nadam["momentum_decay"] == 4e-3 and not nadam["decoupled_weight_decay"]
    assert optim.RAdam(p).defaults["lr"] == 1e-3
