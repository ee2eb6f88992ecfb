"""The learning-rate schedulers beyond the first five: closed-form sequences,
momentum cycling, combinations, state dicts and errors, and PyTorch parity
step by step (rates, momenta, ``last_epoch``, state dicts) for every one."""

import math

import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.optim import lr_scheduler as S


def _sgd(lr=0.1, momentum=0.9):
    return optim.SGD(
        [
            {"params": [tg.zeros(2, requires_grad=True)]},
            {"params": [tg.zeros(3, requires_grad=True)], "lr": lr / 4},
        ],
        lr=lr,
        momentum=momentum,
    )


def _lrs(sched, steps, group=0):
    """The rate of ``group`` at epochs 0..steps."""
    out = [sched.get_last_lr()[group]]
    for _ in range(steps):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[group])
    return out


# ------------------------------------------------------ closed-form values
def test_multistep_lr_multiplies_by_gamma_at_each_milestone():
    lrs = _lrs(S.MultiStepLR(_sgd(), milestones=[2, 5, 5], gamma=0.5), 7)
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.0125, 0.0125, 0.0125], rel=1e-12)


def test_multistep_lr_jumps_to_an_epoch_by_its_closed_form():
    sched = S.MultiStepLR(_sgd(), milestones=[2, 5], gamma=0.1)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(6)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 0.1**2, rel=1e-12)


def test_constant_lr_scales_until_total_iters():
    lrs = _lrs(S.ConstantLR(_sgd(), factor=0.5, total_iters=3), 5)
    assert lrs == pytest.approx([0.05, 0.05, 0.05, 0.1, 0.1, 0.1], rel=1e-12)


def test_polynomial_lr_decays_to_zero():
    lrs = _lrs(S.PolynomialLR(_sgd(), total_iters=4, power=2.0), 6)
    expected = [0.1 * (1 - min(e, 4) / 4) ** 2 for e in range(7)]
    assert lrs == pytest.approx(expected, rel=1e-12, abs=1e-18)


def test_lambda_lr_is_base_times_the_function():
    opt = _sgd()
    sched = S.LambdaLR(opt, lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5**e])
    assert _lrs(sched, 4, group=0) == pytest.approx([0.1 / (e + 1) for e in range(5)])
    assert sched.get_last_lr()[1] == pytest.approx(0.025 * 0.5**4)


def test_multiplicative_lr_multiplies_from_the_first_step():
    lrs = _lrs(S.MultiplicativeLR(_sgd(), lr_lambda=lambda e: 0.9), 4)
    assert lrs == pytest.approx([0.1 * 0.9**e for e in range(5)], rel=1e-12)


def test_cosine_warm_restarts_restart_after_growing_periods():
    sched = S.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=2, eta_min=0.01)
    lrs = _lrs(sched, 8)
    # cycles of 2, 4, 8 epochs starting at epochs 0, 2, 6
    t_cur = [0, 1, 0, 1, 2, 3, 0, 1, 2]
    t_i = [2, 2, 4, 4, 4, 4, 8, 8, 8]
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * c / i)) / 2 for c, i in zip(t_cur, t_i)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_cosine_warm_restarts_take_fractional_epochs():
    sched = S.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=2)
    sched.step(4.5)  # in the second cycle (epochs 2 to 6): T_cur = 2.5 of T_i = 4
    assert (sched.T_i, sched.T_cur, sched.last_epoch) == (4, 2.5, 4)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi * 2.5 / 4)) / 2)


def test_cyclic_lr_triangular_goes_up_and_down_linearly():
    opt = _sgd()
    sched = S.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=4)
    lrs = _lrs(sched, 7)
    assert lrs == pytest.approx([0.1, 0.3, 0.5, 0.4, 0.3, 0.2, 0.1, 0.3], rel=1e-12)
    # momentum moves against the rate, from max_momentum 0.9 to base_momentum 0.8
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85)


def test_cyclic_lr_triangular2_halves_each_cycle():
    sched = S.CyclicLR(_sgd(), base_lr=0.0, max_lr=0.8, step_size_up=1, mode="triangular2")
    assert _lrs(sched, 6) == pytest.approx([0.0, 0.8, 0.0, 0.4, 0.0, 0.2, 0.0], abs=1e-15)


def test_cyclic_lr_exp_range_scales_by_gamma_to_the_step():
    sched = S.CyclicLR(_sgd(), base_lr=0.0, max_lr=1.0, step_size_up=1, mode="exp_range", gamma=0.5)
    assert _lrs(sched, 3) == pytest.approx([0.0, 0.5, 0.0, 0.125], abs=1e-15)


def test_cyclic_lr_cycles_adams_beta1():
    opt = optim.Adam([tg.zeros(2, requires_grad=True)], betas=(0.9, 0.99))
    S.CyclicLR(opt, base_lr=0.1, max_lr=0.2, step_size_up=2).step()
    assert opt.param_groups[0]["betas"] == pytest.approx((0.85, 0.99))


def test_one_cycle_rises_to_max_lr_then_anneals_to_min_lr():
    opt = _sgd()
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs = _lrs(sched, 9)
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert lrs[2] == pytest.approx(1.0)  # the peak at step pct_start * total - 1
    assert lrs[9] == pytest.approx(1.0 / 25 / 1e4)
    assert all(a < b for a, b in zip(lrs[:2], lrs[1:3]))
    assert all(a > b for a, b in zip(lrs[2:9], lrs[3:]))
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_one_cycle_linear_three_phase_is_piecewise_linear():
    sched = S.OneCycleLR(
        _sgd(),
        max_lr=1.0,
        epochs=2,
        steps_per_epoch=5,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
        final_div_factor=10.0,
        cycle_momentum=False,
    )
    # phases end at steps 1.5, 3 and 9: 0.1 -> 1.0 -> 0.1 -> 0.01
    expected = [0.1, 0.7, 0.7, 0.1, 0.085, 0.07, 0.055, 0.04, 0.025, 0.01]
    assert _lrs(sched, 9) == pytest.approx(expected, rel=1e-12)


def test_one_cycle_refuses_to_step_past_total_steps():
    sched = S.OneCycleLR(_sgd(), max_lr=1.0, total_steps=3)
    _lrs(sched, 3)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


def test_sequential_lr_hands_over_at_the_milestone():
    opt = _sgd()
    warmup = S.LinearLR(opt, start_factor=0.25, total_iters=2)
    decay = S.ExponentialLR(opt, gamma=0.5)
    lrs = _lrs(S.SequentialLR(opt, [warmup, decay], milestones=[3]), 5)
    assert lrs == pytest.approx([0.025, 0.0625, 0.1, 0.1, 0.05, 0.025], rel=1e-12)


def test_chained_scheduler_multiplies_the_factors():
    opt = _sgd()
    sched = S.ChainedScheduler(
        [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, 0.9)]
    )
    expected = [0.1 * (0.5 if e < 2 else 1) * 0.9**e for e in range(6)]
    assert _lrs(sched, 5) == pytest.approx(expected, rel=1e-12)


def test_resuming_a_step_schedule_continues_its_rates():
    opt = _sgd()
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    sched = S.MultiStepLR(opt, milestones=[3], gamma=0.1, last_epoch=2)
    assert sched.last_epoch == 3 and sched.get_last_lr()[0] == pytest.approx(0.01)


def test_a_user_scheduler_only_writes_get_lr():
    class Halving(S.LRScheduler):
        def get_lr(self):
            return [b * 0.5**self.last_epoch for b in self.base_lrs]

    assert _lrs(Halving(_sgd()), 3) == [0.1, 0.05, 0.025, 0.0125]
    assert issubclass(S._LRScheduler, S.LRScheduler)  # the old name still works


# --------------------------------------------------------------- state dicts
def _state_cases():
    return {
        "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[2, 4], gamma=0.5),
        "ConstantLR": lambda o: S.ConstantLR(o, factor=0.5, total_iters=3),
        "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=8, power=0.5),
        "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 0.9**e),
        "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda e: 0.95),
        "CyclicLR": lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
        "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=12),
        "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2),
        "SequentialLR": lambda o: S.SequentialLR(
            o, [S.ConstantLR(o, 0.5, 2), S.CosineAnnealingLR(o, 5)], milestones=[3]
        ),
        "ChainedScheduler": lambda o: S.ChainedScheduler(
            [S.LinearLR(o, 0.5, total_iters=4), S.StepLR(o, 2, 0.5)]
        ),
    }


@pytest.mark.parametrize("name", list(_state_cases()))
def test_state_dict_round_trip_resumes_the_schedule(name):
    build = _state_cases()[name]
    opt = _sgd()
    sched = build(opt)
    expected = _lrs(sched, 10)
    opt2 = _sgd()
    sched2 = build(opt2)
    _lrs(sched2, 4)
    saved_opt, saved = opt2.state_dict(), sched2.state_dict()
    assert "optimizer" not in saved

    opt3 = _sgd()
    sched3 = build(opt3)
    opt3.load_state_dict(saved_opt)
    sched3.load_state_dict(saved)
    assert sched3.get_last_lr() == pytest.approx(sched2.get_last_lr())
    assert _lrs(sched3, 6) == pytest.approx(expected[4:], rel=1e-12)


class _Halving:
    """A callable object: its state goes into the scheduler's state dict."""

    def __init__(self):
        self.rate = 0.5

    def __call__(self, epoch):
        return self.rate**epoch


def test_lambda_state_is_saved_for_callable_objects_only():
    opt = _sgd()
    fn = _Halving()
    sched = S.LambdaLR(opt, [fn, lambda e: 1.0])
    fn.rate = 0.25
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.25}, None]
    other_fn = _Halving()
    S.LambdaLR(_sgd(), [other_fn, lambda e: 1.0]).load_state_dict(saved)
    assert other_fn.rate == 0.25


# ------------------------------------------------------------------ errors
# (build(M, optimizer, another_optimizer), error, our message); M is
# tapegrad's or torch's lr_scheduler module
ERRORS = [
    (lambda M, o, _: M.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (
        lambda M, o, _: M.LambdaLR(o, [lambda e: 1.0]),
        ValueError,
        "Expected 2 lr_lambdas, but got 1",
    ),
    (lambda M, o, _: M.MultiplicativeLR(o, 0.9), TypeError, "lr_lambda should be a function"),
    (lambda M, o, _: M.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode is invalid"),
    (lambda M, o, _: M.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length"),
    (lambda M, o, _: M.OneCycleLR(o, 1.0), ValueError, "total_steps OR"),
    (
        lambda M, o, _: M.OneCycleLR(o, 1.0, total_steps=0),
        ValueError,
        "positive integer total_steps",
    ),
    (
        lambda M, o, _: M.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0),
        ValueError,
        "steps_per_epoch",
    ),
    (lambda M, o, _: M.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError, "pct_start"),
    (
        lambda M, o, _: M.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
        ValueError,
        "anneal_strategy",
    ),
    (lambda M, o, _: M.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
    (lambda M, o, _: M.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), ValueError, "T_mult >= 1"),
    (lambda M, o, _: M.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), ValueError, "eta_min"),
    (lambda M, o, _: M.SequentialLR(o, [], milestones=[]), ValueError, "at least one scheduler"),
    (
        lambda M, o, _: M.SequentialLR(o, [M.StepLR(o, 2), M.StepLR(o, 3)], milestones=[]),
        ValueError,
        "one more than the number of milestone",
    ),
    (
        lambda M, o, _: M.ChainedScheduler([M.StepLR(o, 2), M.ReduceLROnPlateau(o)]),
        ValueError,
        "does not support `ReduceLROnPlateau`",
    ),
    (
        lambda M, o, other: M.ChainedScheduler([M.StepLR(o, 2), M.StepLR(other, 2)]),
        ValueError,
        "same optimizer",
    ),
    (
        lambda M, o, _: M.SequentialLR(o, [object()], milestones=[]),
        TypeError,
        "`optimizer` as its attribute",
    ),
    (lambda M, o, _: M.OneCycleLR("sgd", 1.0, total_steps=5), TypeError, "is not an Optimizer"),
]


@pytest.mark.parametrize("build,error,message", ERRORS)
def test_bad_arguments_are_rejected(build, error, message):
    with pytest.raises(error, match=message):
        build(S, _sgd(), _sgd())


@pytest.mark.torch
@pytest.mark.parametrize("build,error,message", ERRORS)
def test_torch_rejects_the_same_arguments_with_the_same_error(build, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        build(torch.optim.lr_scheduler, _optimizers(torch, "sgd"), _optimizers(torch, "sgd"))


def test_momentum_cycling_needs_an_optimizer_with_momentum():
    opt = optim.Adagrad([tg.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.CyclicLR(opt, 0.1, 1.0)
    S.CyclicLR(opt, 0.1, 1.0, cycle_momentum=False)  # fine without


def test_warm_restarts_reject_a_negative_epoch():
    with pytest.raises(ValueError, match="non-negative epoch"):
        S.CosineAnnealingWarmRestarts(_sgd(), 2).step(-1)


# ------------------------------------------------------------------ parity
def _optimizers(lib, kind):
    """Two groups (the second a quarter of the rate): SGD with momentum, or
    Adam (its ``betas[0]`` is the momentum)."""
    groups = [
        {"params": [lib.zeros(2, requires_grad=True)]},
        {"params": [lib.zeros(3, requires_grad=True)], "lr": 0.025},
    ]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


PARITY = {
    "MultiStepLR": ("sgd", lambda M, o: M.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.5)),
    "ConstantLR": ("sgd", lambda M, o: M.ConstantLR(o)),
    "ConstantLR-0.5-8": ("sgd", lambda M, o: M.ConstantLR(o, factor=0.5, total_iters=8)),
    "PolynomialLR": ("sgd", lambda M, o: M.PolynomialLR(o)),
    "PolynomialLR-2": ("sgd", lambda M, o: M.PolynomialLR(o, total_iters=15, power=2.0)),
    "LambdaLR": ("sgd", lambda M, o: M.LambdaLR(o, lambda e: 1 / (1 + 0.3 * e))),
    "LambdaLR-list": ("sgd", lambda M, o: M.LambdaLR(o, [lambda e: 0.9**e, lambda e: e % 3])),
    "MultiplicativeLR": ("sgd", lambda M, o: M.MultiplicativeLR(o, lambda e: 0.9 + 0.01 * e)),
    "StepLR": ("sgd", lambda M, o: M.StepLR(o, step_size=4, gamma=0.3)),
    "ExponentialLR": ("sgd", lambda M, o: M.ExponentialLR(o, gamma=0.85)),
    "LinearLR": (
        "sgd",
        lambda M, o: M.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=7),
    ),
    "CosineAnnealingLR": ("sgd", lambda M, o: M.CosineAnnealingLR(o, T_max=6, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": (
        "sgd",
        lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.002),
    ),
    "CosineAnnealingWarmRestarts-1": (
        "sgd",
        lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=4),
    ),
    "CyclicLR": ("sgd", lambda M, o: M.CyclicLR(o, 0.01, [0.1, 0.05], step_size_up=4)),
    "CyclicLR-triangular2": (
        "sgd",
        lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=2, mode="triangular2"),
    ),
    "CyclicLR-exp_range-adam": (
        "adam",
        lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.9),
    ),
    "CyclicLR-scale_fn-iterations": (
        "sgd",
        lambda M, o: M.CyclicLR(
            o,
            0.01,
            0.1,
            2,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
            base_momentum=[0.7, 0.75],
            max_momentum=0.95,
        ),
    ),
    "CyclicLR-no-momentum": (
        "sgd",
        lambda M, o: M.CyclicLR(o, 0.01, 0.1, 3, scale_fn=lambda c: 0.8**c, cycle_momentum=False),
    ),
    "OneCycleLR": ("sgd", lambda M, o: M.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=25)),
    "OneCycleLR-linear-adam": (
        "adam",
        lambda M, o: M.OneCycleLR(
            o, 0.4, epochs=5, steps_per_epoch=5, pct_start=0.4, anneal_strategy="linear"
        ),
    ),
    "OneCycleLR-three_phase": (
        "sgd",
        lambda M, o: M.OneCycleLR(
            o,
            1.0,
            total_steps=25,
            three_phase=True,
            div_factor=10.0,
            final_div_factor=100.0,
            base_momentum=0.8,
            max_momentum=[0.9, 0.99],
        ),
    ),
    "OneCycleLR-no-momentum": (
        "sgd",
        lambda M, o: M.OneCycleLR(o, 0.3, total_steps=30, cycle_momentum=False),
    ),
    "SequentialLR": (
        "sgd",
        lambda M, o: M.SequentialLR(
            o,
            [M.LinearLR(o, 0.1, total_iters=4), M.ExponentialLR(o, 0.9), M.CosineAnnealingLR(o, 5)],
            milestones=[5, 12],
        ),
    ),
    "ChainedScheduler": (
        "sgd",
        lambda M, o: M.ChainedScheduler(
            [
                M.ConstantLR(o, 0.2, total_iters=3),
                M.ExponentialLR(o, 0.9),
                M.CosineAnnealingLR(o, 7),
            ]
        ),
    ),
    "ChainedScheduler-nested": (
        "sgd",
        lambda M, o: M.ChainedScheduler(
            [
                M.SequentialLR(o, [M.ConstantLR(o, 0.5, 2), M.StepLR(o, 3, 0.5)], milestones=[4]),
                M.MultiplicativeLR(o, lambda e: 0.97),
            ],
            optimizer=o,
        ),
    ),
}
TORCH_ONLY_KEYS = {"_get_lr_called_within_step"}


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _assert_same(ours, theirs, opt, th_opt, where):
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-16), where
    assert [g["lr"] for g in opt.param_groups] == pytest.approx(
        [g["lr"] for g in th_opt.param_groups], rel=1e-12, abs=1e-16
    ), where
    assert _momenta(opt) == pytest.approx(_momenta(th_opt), rel=1e-12), where
    assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None), where


def _step_both(pairs):
    for sched, opt in pairs:
        opt.step()
        sched.step()


@pytest.mark.torch
@pytest.mark.parametrize("name", list(PARITY))
def test_scheduler_matches_torch_over_25_steps(name):
    torch = pytest.importorskip("torch")
    kind, build = PARITY[name]
    th_opt, opt = _optimizers(torch, kind), _optimizers(tg, kind)
    theirs, ours = build(torch.optim.lr_scheduler, th_opt), build(S, opt)
    assert set(ours.state_dict()) == set(theirs.state_dict()) - TORCH_ONLY_KEYS
    for step in range(25):
        _assert_same(ours, theirs, opt, th_opt, f"step {step}")
        _step_both([(ours, opt), (theirs, th_opt)])
    _assert_same(ours, theirs, opt, th_opt, "step 25")


@pytest.mark.torch
@pytest.mark.parametrize("name", list(PARITY))
def test_scheduler_resumed_from_torchs_state_dict_continues_like_torch(name):
    torch = pytest.importorskip("torch")
    kind, build = PARITY[name]
    th_opt = _optimizers(torch, kind)
    theirs = build(torch.optim.lr_scheduler, th_opt)
    for _ in range(10):
        _step_both([(theirs, th_opt)])
    opt = _optimizers(tg, kind)
    ours = build(S, opt)
    for group, saved in zip(opt.param_groups, th_opt.state_dict()["param_groups"]):
        group.update({k: v for k, v in saved.items() if k != "params"})
    ours.load_state_dict(theirs.state_dict())
    for step in range(10, 25):
        _assert_same(ours, theirs, opt, th_opt, f"step {step}")
        _step_both([(ours, opt), (theirs, th_opt)])


CLOSED_FORMS = [
    "MultiStepLR",
    "ConstantLR-0.5-8",
    "PolynomialLR-2",
    "StepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
]


@pytest.mark.torch
@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_step_with_an_epoch_matches_torchs_closed_form(name):
    torch = pytest.importorskip("torch")
    kind, build = PARITY[name]
    th_opt, opt = _optimizers(torch, kind), _optimizers(tg, kind)
    theirs, ours = build(torch.optim.lr_scheduler, th_opt), build(S, opt)
    for epoch in [3, 7, 2, 12, 0, 20, 8]:
        with pytest.warns(UserWarning):
            theirs.step(epoch)
        with pytest.warns(UserWarning, match="epoch parameter"):
            ours.step(epoch)
        _assert_same(ours, theirs, opt, th_opt, f"epoch {epoch}")


@pytest.mark.torch
@pytest.mark.parametrize("name", CLOSED_FORMS + ["MultiplicativeLR", "LambdaLR"])
def test_resuming_with_last_epoch_matches_torch(name):
    torch = pytest.importorskip("torch")
    kind, build = PARITY[name]
    th_opt, opt = _optimizers(torch, kind), _optimizers(tg, kind)
    for o in (th_opt, opt):
        for group in o.param_groups:
            group["initial_lr"] = group["lr"] * 2
            group["lr"] = group["lr"] * 0.7

    def resumed(M, o):
        sched = build(M, o)  # (a fresh one, to take its arguments from PARITY)
        return type(sched)(o, **_arguments(sched), last_epoch=2)

    theirs, ours = resumed(torch.optim.lr_scheduler, th_opt), resumed(S, opt)
    for step in range(20):
        _assert_same(ours, theirs, opt, th_opt, f"step {step}")
        _step_both([(ours, opt), (theirs, th_opt)])


def _arguments(sched):
    """The constructor arguments of a closed-form or lambda scheduler."""
    names = {
        "MultiStepLR": ("milestones", "gamma"),
        "ConstantLR": ("factor", "total_iters"),
        "PolynomialLR": ("total_iters", "power"),
        "StepLR": ("step_size", "gamma"),
        "ExponentialLR": ("gamma",),
        "LinearLR": ("start_factor", "end_factor", "total_iters"),
        "CosineAnnealingLR": ("T_max", "eta_min"),
        "MultiplicativeLR": (),
        "LambdaLR": (),
    }[type(sched).__name__]
    args = {n: getattr(sched, n) for n in names}
    if hasattr(sched, "lr_lambdas"):
        args["lr_lambda"] = sched.lr_lambdas
    if "milestones" in args:
        args["milestones"] = list(args["milestones"].elements())
    return args


@pytest.mark.torch
def test_warm_restarts_with_fractional_epochs_match_torch():
    torch = pytest.importorskip("torch")
    th_opt, opt = _optimizers(torch, "sgd"), _optimizers(tg, "sgd")
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(th_opt, T_0=2, T_mult=3)
    ours = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
    iters = 4
    for epoch in range(12):
        for i in range(iters):
            th_opt.step()
            opt.step()
            theirs.step(epoch + i / iters)
            ours.step(epoch + i / iters)
            _assert_same(ours, theirs, opt, th_opt, f"epoch {epoch} + {i}/{iters}")
            assert ours.T_cur == pytest.approx(theirs.T_cur) and ours.T_i == theirs.T_i


@pytest.mark.torch
def test_one_cycle_past_total_steps_fails_like_torch():
    torch = pytest.importorskip("torch")
    th_opt, opt = _optimizers(torch, "sgd"), _optimizers(tg, "sgd")
    theirs = torch.optim.lr_scheduler.OneCycleLR(th_opt, 1.0, total_steps=4)
    ours = S.OneCycleLR(opt, 1.0, total_steps=4)
    for _ in range(4):
        _step_both([(ours, opt), (theirs, th_opt)])
    with pytest.raises(ValueError) as th_error:
        theirs.step()
    with pytest.raises(ValueError) as error:
        ours.step()
    assert str(error.value) == str(th_error.value)
