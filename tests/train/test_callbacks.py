"""EarlyStopping, TerminationCriteria, GradientStats, LearningRateScheduler."""

import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.data.loader import DataLoader, TensorDataset
from tapegrad.train import (
    Callback,
    EarlyStopping,
    FitState,
    GradientStats,
    History,
    LearningRateScheduler,
    TerminationCriteria,
    fit,
)


def _drive(callback, values, monitor="val_loss", model=None):
    """Run ``callback`` over epochs whose ``monitor`` takes ``values``;
    return the state and the number of epochs run."""
    model = model or nn.Linear(1, 1)
    state = FitState(model, None, None, History(), epochs=len(values))
    callback.on_train_begin(state)
    for epoch, v in enumerate(values, start=1):
        state.epoch = epoch
        with tg.no_grad():
            model.weight.fill_(float(epoch))  # parameters tell which epoch they are from
        state.logs = {monitor: v}
        state.history.append(epoch, state.logs, [0.1], 0.0)
        callback.on_epoch_end(state)
        if state.stop_training:
            break
    callback.on_train_end(state)
    return state, epoch


def test_early_stopping_waits_patience_epochs_past_the_minimum():
    state, ran = _drive(EarlyStopping(patience=3), [5, 4, 3, 3.5, 3.2, 3.1, 0.1])
    assert ran == 6 and state.stop_reason.startswith("early stopping: val_loss")


def test_early_stopping_restores_the_best_epoch_parameters():
    model = nn.Linear(1, 1)
    state, _ = _drive(EarlyStopping(patience=2), [5, 2, 3, 4], model=model)
    assert model.weight.item() == 2.0
    assert state.history.restored_epoch == 2 and state.history.best_epoch == 2


def test_early_stopping_without_restore_keeps_the_last_parameters():
    model = nn.Linear(1, 1)
    _drive(EarlyStopping(patience=2, restore_best=False), [5, 2, 3, 4], model=model)
    assert model.weight.item() == 4.0


def test_early_stopping_min_delta_counts_small_gains_as_no_improvement():
    _, ran = _drive(EarlyStopping(patience=2, min_delta=0.5), [5, 4.8, 4.6, 4.4])
    assert ran == 3


def test_early_stopping_mode_max_for_accuracy():
    model = nn.Linear(1, 1)
    _drive(
        EarlyStopping("val_accuracy", patience=1, mode="max"),
        [0.5, 0.9, 0.8],
        monitor="val_accuracy",
        model=model,
    )
    assert model.weight.item() == 2.0


def test_early_stopping_on_a_missing_metric_names_what_exists():
    with pytest.raises(KeyError, match="no metric 'val_loss'.*pass a val_loader"):
        _drive(EarlyStopping(), [1.0], monitor="loss")


def test_termination_max_epochs():
    state, ran = _drive(TerminationCriteria(max_epochs=3), [1, 1, 1, 1, 1], monitor="loss")
    assert ran == 3 and "max_epochs=3" in state.stop_reason


def test_termination_small_improvement_over_a_window_stops():
    values = [10, 5, 3, 2.9, 2.85, 2.84, 2.83]
    state, ran = _drive(TerminationCriteria(min_improvement=0.2, window=2), values, "loss")
    assert ran == 5  # epoch 5: best 2.85 vs best 3 two epochs earlier -> 0.15 < 0.2
    assert "over the last 2 epochs" in state.stop_reason


def test_termination_needs_enough_epochs_before_judging_improvement():
    values = [10, 10, 10, 10, 10, 10]
    _, ran = _drive(
        TerminationCriteria(min_improvement=0.1, window=1, min_epochs=4), values, "loss"
    )
    assert ran == 4


def test_termination_time_budget(monkeypatch):
    import tapegrad.train.callbacks as C

    clock = iter([100.0, 150.0, 250.0])
    monkeypatch.setattr(C.time, "monotonic", lambda: next(clock))
    crit = TerminationCriteria(time_budget=120)
    state = FitState(nn.Linear(1, 1), None, None, History(), epochs=5)  # start = 100
    crit.on_train_begin(state)
    state.epoch = 1
    crit.on_epoch_end(state)  # 50 s
    assert not state.stop_training
    crit.on_epoch_end(state)  # 150 s
    assert state.stop_training and "time budget of 120 s" in state.stop_reason


def test_termination_criteria_combine_and_the_first_reason_is_kept():
    crit = TerminationCriteria(max_epochs=2, min_improvement=100.0, window=1)
    state, ran = _drive(crit, [3, 2, 1], monitor="loss")
    assert ran == 2 and state.stop_reason.startswith("reached max_epochs")


def test_gradient_stats_match_the_slide_moving_averages():
    tg.manual_seed(0)
    model = nn.Linear(3, 2)
    x = tg.randn(12, 3)
    y = tg.randn(12, 2)
    grads = {"weight": [], "bias": []}

    class Grab(Callback):
        def on_batch_end(self, state):
            for name, p in state.model.named_parameters():
                grads[name].append(p.grad.numpy().copy())

    beta = 0.9
    history = fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(TensorDataset(x, y), 4),
        epochs=2,
        progress=False,
        callbacks=[Grab(), GradientStats(beta=beta)],
    )
    for name, gs in grads.items():
        m = np.zeros_like(gs[0])
        s = np.zeros_like(gs[0])
        for g in gs:
            m = beta * m + (1 - beta) * g
            s = beta * s + (1 - beta) * g**2
        stats = history.grad_stats[name]
        assert stats["mean"][-1] == pytest.approx(float(m.mean()), rel=1e-5, abs=1e-9)
        assert stats["var"][-1] == pytest.approx(float(np.maximum(s - m**2, 0).mean()), rel=1e-4)
        norms = [float(np.linalg.norm(g)) for g in gs[3:]]
        assert stats["norm"][-1] == pytest.approx(sum(norms) / 3, rel=1e-5)
        assert len(stats["zero_frac"]) == 2


def test_gradient_stats_count_dead_relu_gradients_as_zero():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    with tg.no_grad():
        model[0].bias.fill_(-100.0)  # every hidden unit dead
    x, y = tg.randn(8, 2), tg.randn(8, 1)
    history = fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.01),
        DataLoader(TensorDataset(x, y), 8),
        epochs=1,
        progress=False,
    )
    assert history.grad_stats["0.weight"]["zero_frac"] == [1.0]
    assert history.grad_stats["2.bias"]["zero_frac"] == [0.0]


def test_fit_records_gradient_stats_by_default_and_not_when_off():
    x, y = tg.randn(8, 2), tg.randn(8, 1)
    loader = DataLoader(TensorDataset(x, y), 4)
    model = nn.Linear(2, 1)
    on = fit(model, nn.MSELoss(), optim.SGD(model.parameters()), loader, epochs=1, progress=False)
    off = fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters()),
        loader,
        epochs=1,
        progress=False,
        grad_stats=False,
    )
    assert set(on.grad_stats) == {"weight", "bias"} and off.grad_stats == {}


def test_lr_scheduler_callback_steps_once_per_epoch():
    x, y = tg.randn(8, 2), tg.randn(8, 1)
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(
        model,
        nn.MSELoss(),
        opt,
        DataLoader(TensorDataset(x, y), 2),
        epochs=3,
        progress=False,
        callbacks=[LearningRateScheduler(sched)],
    )
    assert history.lr == [[1.0], [0.5], [0.25]]


def test_lr_scheduler_callback_feeds_the_loss_to_reduce_on_plateau():
    x, y = tg.randn(8, 2), tg.randn(8, 1)
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=1e-7)  # too small for the loss to improve
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, eps=0.0)
    history = fit(
        model,
        nn.MSELoss(),
        opt,
        DataLoader(TensorDataset(x, y), 8),
        epochs=3,
        progress=False,
        callbacks=[LearningRateScheduler(sched)],
    )
    assert [lr for (lr,) in history.lr] == pytest.approx([1e-7, 1e-7, 5e-8])
    assert sched.best == pytest.approx(history["loss"][0])
