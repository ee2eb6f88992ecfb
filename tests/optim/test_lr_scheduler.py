"""Learning-rate schedules: closed forms, and PyTorch parity over 30 steps."""

import math

import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.optim import lr_scheduler as S


def _opt(lr=0.1, groups=False):
    a = tg.zeros(2, requires_grad=True)
    b = tg.zeros(3, requires_grad=True)
    if groups:
        return optim.SGD([{"params": [a]}, {"params": [b], "lr": lr / 4}], lr=lr)
    return optim.SGD([a, b], lr=lr)


def _lrs(sched, steps):
    out = [sched.get_last_lr()[0]]
    for _ in range(steps):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    lrs = _lrs(S.StepLR(_opt(), step_size=3, gamma=0.5), 9)
    expected = [0.1 * 0.5 ** (e // 3) for e in range(10)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_exponential_lr_is_base_times_gamma_to_the_epoch():
    lrs = _lrs(S.ExponentialLR(_opt(), gamma=0.9), 10)
    assert lrs == pytest.approx([0.1 * 0.9**e for e in range(11)], rel=1e-12)


def test_cosine_annealing_follows_the_cosine_to_t_max():
    lrs = _lrs(S.CosineAnnealingLR(_opt(), T_max=10, eta_min=0.01), 10)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    assert lrs == pytest.approx(expected, rel=1e-9)


def test_linear_lr_warms_up_from_start_factor():
    lrs = _lrs(S.LinearLR(_opt(), start_factor=0.25, total_iters=4), 6)
    expected = [0.1 * (0.25 + 0.75 * min(e, 4) / 4) for e in range(7)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_step_with_an_epoch_uses_the_closed_form():
    sched = S.StepLR(_opt(), step_size=2, gamma=0.1)
    sched.step(5)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 0.1**2)


def test_reduce_on_plateau_waits_patience_then_reduces_and_cools_down():
    opt = _opt(lr=1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    lrs = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    for _ in range(10):
        sched.step(1.0)
    assert opt.param_groups[0]["lr"] == 0.2


def test_reduce_on_plateau_resets_on_improvement():
    opt = _opt(lr=1.0)
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=1, threshold=0.1, threshold_mode="abs")
    for metric in [1.0, 1.05, 1.2, 1.25, 1.29]:
        sched.step(metric)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)  # 1.25 and 1.29 within threshold


def test_reduce_on_plateau_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(_opt(), mode="lowest")


def test_scheduler_state_dict_round_trip():
    sched = S.CosineAnnealingLR(_opt(), T_max=5)
    _lrs(sched, 3)
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    other = S.CosineAnnealingLR(_opt(), T_max=99)
    other.load_state_dict(sd)
    assert other.T_max == 5 and other.last_epoch == 3


def test_resuming_without_initial_lr_is_an_error():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), step_size=2, last_epoch=4)


# ------------------------------------------------------------------ parity
CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.6, total_iters=8)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_scheduler_matches_torch_over_30_steps(name, kw):
    torch = pytest.importorskip("torch")
    opt = _opt(groups=True)
    th_opt = torch.optim.SGD(
        [
            {"params": [torch.zeros(2, requires_grad=True)]},
            {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.025},
        ],
        lr=0.1,
    )
    ours = getattr(S, name)(opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(th_opt, **kw)
    for step in range(30):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15), step
        opt.step()
        th_opt.step()
        ours.step()
        theirs.step()


@pytest.mark.torch
@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(mode="max", factor=0.5, patience=2, cooldown=2),
        dict(threshold=0.05, threshold_mode="abs", patience=1, min_lr=[0.01, 0.02]),
    ],
)
def test_reduce_on_plateau_matches_torch(kw):
    torch = pytest.importorskip("torch")
    opt = _opt(groups=True)
    th_opt = torch.optim.SGD(
        [{"params": [torch.zeros(2)]}, {"params": [torch.zeros(3)], "lr": 0.025}], lr=0.1
    )
    ours = S.ReduceLROnPlateau(opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(th_opt, **kw)
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.99, 1.0, 1.0, 1.2, 1.3, 0.5, 0.6, 0.7]
    metrics += [0.8, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]
    for m in metrics:
        ours.step(m)
        theirs.step(m)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert ours.num_bad_epochs == theirs.num_bad_epochs
