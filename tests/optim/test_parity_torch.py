"""Optional: every optimiser configuration against PyTorch, step by step.

The same parameters and the same sequence of 20 gradients go to ``torch.optim``
and ``tapegrad.optim``; parameters must agree after every step.
"""

import pytest

from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.tensor import from_numpy

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

SHAPES = [(3, 4), (4,), (2, 2, 3)]
STEPS = 20

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.999))),  # lerp's other branch
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True, eps=1e-6)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
]


def _data(seed, dtype="float32"):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _run_both(name, kwargs, groups=None, dtype="float32", steps=STEPS):
    params, grads = _data(0, dtype)
    tg_params = [from_numpy(p.copy()).requires_grad_() for p in params]
    th_params = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    if groups:
        tg_opt = getattr(optim, name)(
            [{"params": [tg_params[i] for i in g["idx"]], **g["opts"]} for g in groups], **kwargs
        )
        th_opt = getattr(torch.optim, name)(
            [{"params": [th_params[i] for i in g["idx"]], **g["opts"]} for g in groups], **kwargs
        )
    else:
        tg_opt = getattr(optim, name)(tg_params, **kwargs)
        th_opt = getattr(torch.optim, name)(th_params, **kwargs)
    for step in range(steps):
        for a, b, g in zip(tg_params, th_params, grads[step]):
            a.grad = from_numpy(g.copy())
            b.grad = torch.tensor(g.copy())
        tg_opt.step()
        th_opt.step()
        for a, b in zip(tg_params, th_params):
            assert a.dtype == np.dtype(dtype)
            tol = 1e-5 if dtype == "float32" else 1e-12
            np.testing.assert_allclose(
                a.data, b.detach().numpy(), rtol=tol, atol=tol, err_msg=f"step {step + 1}"
            )
    return tg_opt, th_opt


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_optimizer_matches_torch_over_20_steps(name, kwargs):
    _run_both(name, kwargs)


@pytest.mark.parametrize("name,kwargs", CONFIGS[1::3], ids=[f"{n}-{k}" for n, k in CONFIGS[1::3]])
def test_optimizer_matches_torch_in_float64(name, kwargs):
    _run_both(name, kwargs, dtype="float64")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(lr=0.01)),
        ("RMSprop", dict()),
        ("Adagrad", dict(lr=0.1)),
        ("AdamW", dict(lr=0.01)),
    ],
)
def test_parameter_groups_with_their_own_lr_match_torch(name, kwargs):
    groups = [{"idx": [0, 2], "opts": {}}, {"idx": [1], "opts": {"lr": 0.003}}]
    _run_both(name, kwargs, groups=groups)


@pytest.mark.parametrize("name,kwargs", CONFIGS[::4], ids=[f"{n}-{k}" for n, k in CONFIGS[::4]])
def test_state_dict_layout_matches_torch(name, kwargs):
    tg_opt, th_opt = _run_both(name, kwargs, steps=3)
    a, b = tg_opt.state_dict(), th_opt.state_dict()
    assert list(a["state"]) == list(b["state"])
    for i in b["state"]:
        assert list(a["state"][i]) == list(b["state"][i])
        for key, value in b["state"][i].items():
            np.testing.assert_allclose(a["state"][i][key].data, value.numpy(), rtol=1e-5, atol=1e-6)
    for ga, gb in zip(a["param_groups"], b["param_groups"]):
        assert ga["params"] == gb["params"]
        for key, value in ga.items():
            assert gb[key] == value, key
