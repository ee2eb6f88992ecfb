"""fit and evaluate: the loop, the history it returns, metrics, Ctrl-C."""

import math
import os
import signal
import sys

import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.data.loader import DataLoader, TensorDataset
from tapegrad.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    accuracy,
    evaluate,
    fit,
)


def test_mlp_with_adam_learns_the_spiral_to_99_percent(loaders):
    tg.manual_seed(0)
    train_loader, _ = loaders(n=600, noise=0.0, seed=0)
    model = nn.MLP([2, 64, 64, 2])
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=80)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        train_loader,
        epochs=80,
        progress=False,
        callbacks=[LearningRateScheduler(sched)],
    )
    full = DataLoader(train_loader.dataset, batch_size=600)
    assert evaluate(model, nn.CrossEntropyLoss(), full)["accuracy"] >= 0.99
    assert history["accuracy"][-1] >= 0.99
    assert history["loss"][-1] < history["loss"][0]


def test_early_stopping_returns_the_model_with_the_best_validation_loss(loaders):
    tg.manual_seed(0)
    train_loader, val_loader = loaders(n=300, noise=0.25, seed=1, batch_size=16, val_fraction=0.5)
    model = nn.MLP([2, 128, 128, 2])
    opt = optim.Adam(model.parameters(), lr=0.01)
    stopper = EarlyStopping(patience=5, restore_best=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        train_loader,
        val_loader,
        epochs=200,
        callbacks=[stopper],
        progress=False,
        grad_stats=False,
    )
    val = history["val_loss"]
    best = min(val)
    assert history.stop_reason.startswith("early stopping")
    assert len(val) < 200 and val[-1] > best  # it went past the minimum ...
    assert history.best_epoch == val.index(best) + 1
    assert history.restored_epoch == history.best_epoch  # ... and backtracked
    now = evaluate(model, nn.CrossEntropyLoss(), val_loader)["loss"]
    assert now == pytest.approx(best, rel=1e-6)


def test_history_records_losses_metrics_lr_and_times(tiny):
    model, train_loader, val_loader = tiny
    opt = optim.SGD(
        [
            {"params": [model[0].weight]},
            {"params": [model[0].bias, model[2].weight, model[2].bias], "lr": 0.05},
        ],
        lr=0.1,
    )
    history = fit(
        model, nn.CrossEntropyLoss(), opt, train_loader, val_loader, epochs=3, progress=False
    )
    assert history.epochs == [1, 2, 3] and len(history) == 3
    assert set(history.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(0 <= a <= 1 for a in history["val_accuracy"])
    assert history.lr == [[0.1, 0.05]] * 3
    assert len(history.epoch_time) == 3 and all(t > 0 for t in history.epoch_time)
    assert history.best_epoch == int(np.argmin(history["val_loss"])) + 1
    assert history.stop_reason is None and not history.interrupted


def test_train_loss_is_the_batch_size_weighted_mean(tiny):
    model, train_loader, _ = tiny
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing changes: losses are comparable
    history = fit(model, nn.CrossEntropyLoss(), opt, train_loader, epochs=1, progress=False)
    full = DataLoader(train_loader.dataset, batch_size=len(train_loader.dataset))
    assert history["loss"][0] == pytest.approx(
        evaluate(model, nn.CrossEntropyLoss(), full)["loss"], rel=1e-5
    )


def test_regression_targets_get_no_accuracy_by_default():
    x = tg.randn(32, 3)
    y = x.sum(1, keepdim=True)
    model = nn.Linear(3, 1)
    history = fit(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(TensorDataset(x, y), 8),
        epochs=5,
        progress=False,
    )
    assert set(history.metrics) == {"loss"}
    assert history["loss"][-1] < history["loss"][0]


def test_custom_metric_functions_are_recorded_by_name(tiny):
    model, train_loader, val_loader = tiny

    def max_logit(output, target):
        return float(output.data.max())

    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        train_loader,
        val_loader,
        epochs=1,
        progress=False,
        metrics=["accuracy", max_logit],
    )
    assert {"max_logit", "val_max_logit", "accuracy"} <= set(history.metrics)


def test_unknown_metric_name_is_an_error(tiny):
    model, train_loader, _ = tiny
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters()),
            train_loader,
            epochs=1,
            progress=False,
            metrics=["f1"],
        )


def test_accuracy_of_class_scores_and_of_binary_logits():
    scores = tg.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(scores, tg.tensor([0, 1, 1])) == pytest.approx(2 / 3)
    logits = tg.tensor([[0.5], [-1.0]])
    assert accuracy(logits, tg.tensor([[1.0], [1.0]])) == 0.5


def test_evaluate_restores_train_mode_and_records_no_graph(tiny):
    model, _, val_loader = tiny
    model.train()
    out = evaluate(model, nn.CrossEntropyLoss(), val_loader)
    assert model.training and set(out) == {"loss", "accuracy"}
    assert all(p.grad is None for p in model.parameters())


def test_a_callback_can_stop_training(tiny):
    model, train_loader, _ = tiny

    class StopAtTwo(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                state.stop("enough")

    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters()),
        train_loader,
        epochs=10,
        callbacks=[StopAtTwo()],
        progress=False,
    )
    assert history.epochs == [1, 2] and history.stop_reason == "enough"


def test_callback_hooks_run_in_order(tiny):
    model, train_loader, _ = tiny
    calls = []

    class Log(Callback):
        def on_train_begin(self, state):
            calls.append("train_begin")

        def on_epoch_begin(self, state):
            calls.append(f"epoch_begin {state.epoch}")

        def on_batch_end(self, state):
            calls.append("batch")

        def on_epoch_end(self, state):
            calls.append(f"epoch_end {state.epoch}")

        def on_train_end(self, state):
            calls.append("train_end")

    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters()),
        train_loader,
        epochs=2,
        callbacks=[Log()],
        progress=False,
    )
    per_epoch = ["batch"] * len(train_loader)
    assert calls == [
        "train_begin",
        "epoch_begin 1",
        *per_epoch,
        "epoch_end 1",
        "epoch_begin 2",
        *per_epoch,
        "epoch_end 2",
        "train_end",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_after_the_current_batch_and_returns_the_history(tiny):
    model, train_loader, val_loader = tiny
    batches = []

    class CtrlC(Callback):
        def on_batch_end(self, state):
            batches.append((state.epoch, state.batch))
            if state.epoch == 2 and state.batch == 1:
                os.kill(os.getpid(), signal.SIGINT)

    stopper = EarlyStopping(patience=100)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        train_loader,
        val_loader,
        epochs=5,
        callbacks=[CtrlC(), stopper],
        progress=False,
    )
    assert history.interrupted and history.stop_reason == "interrupted"
    assert batches[-1] == (2, 1)  # the batch that was running finished, no more
    assert history.epochs == [1]  # the half epoch is not recorded
    assert history.restored_epoch == 1  # best parameters were put back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_keyboard_interrupt_raised_inside_fit_is_handled_the_same_way(tiny):
    model, train_loader, _ = tiny

    class Raise(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                raise KeyboardInterrupt

    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters()),
        train_loader,
        epochs=5,
        callbacks=[Raise()],
        progress=False,
    )
    assert history.interrupted and history.epochs == [1, 2]


def test_progress_bar_is_off_when_stdout_is_not_a_terminal(tiny, capsys):
    model, train_loader, _ = tiny
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters()), train_loader, epochs=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_shows_loss_on_a_terminal(tiny, monkeypatch):
    pytest.importorskip("tqdm")
    import io

    class FakeTTY(io.StringIO):
        def isatty(self):
            return True

    out = FakeTTY()
    monkeypatch.setattr(sys, "stdout", out)
    model, train_loader, _ = tiny
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters()), train_loader, epochs=1)
    text = out.getvalue()
    assert "epoch 1/1" in text and "loss=" in text and "accuracy=" in text


def test_importing_tapegrad_train_does_not_import_tqdm_or_matplotlib():
    import subprocess

    code = (
        "import sys, tapegrad, tapegrad.train, tapegrad.optim, tapegrad.serialization; "
        "print('tqdm' in sys.modules, 'matplotlib' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_zero_epochs_returns_an_empty_history(tiny):
    model, train_loader, _ = tiny
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters()),
        train_loader,
        epochs=0,
        progress=False,
    )
    assert len(history) == 0 and history.best_epoch is None
    assert math.isnan(evaluate(model, nn.CrossEntropyLoss(), [])["loss"])
