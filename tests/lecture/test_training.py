"""Optimisers, early stopping and regularisation: qualitative properties."""

import pytest

from tapegrad.lecture import early_stopping_demo, optimizers_comparison, regularisation_demo


@pytest.fixture(scope="module")
def optimizers():
    return optimizers_comparison(seed=0, epochs=15, n=200)


def test_optimizers_comparison_records_one_loss_per_epoch(optimizers):
    assert optimizers.names == ["SGD", "EMAMomentum", "RMSprop", "Adam"]
    assert all(len(optimizers.loss[n]) == 15 for n in optimizers.names)


def test_adam_reaches_a_lower_loss_than_sgd_at_the_same_lr(optimizers):
    assert optimizers.final_loss["Adam"] < 0.8 * optimizers.final_loss["SGD"]


def test_ema_momentum_moves_like_sgd_at_the_same_lr(optimizers):
    assert optimizers.final_loss["EMAMomentum"] == pytest.approx(
        optimizers.final_loss["SGD"], rel=0.05
    )


def test_optimizers_comparison_is_deterministic():
    a = optimizers_comparison(seed=3, epochs=2, n=100, names=("Adam",))
    b = optimizers_comparison(seed=3, epochs=2, n=100, names=("Adam",))
    assert a == b


def test_optimizers_comparison_rejects_an_unknown_optimizer():
    with pytest.raises(ValueError, match="unknown optimizer 'Nope'"):
        optimizers_comparison(epochs=1, n=50, names=("Nope",))


@pytest.fixture(scope="module")
def stopping():
    return early_stopping_demo(seed=0)


def test_early_stopping_goes_patience_epochs_past_the_minimum(stopping):
    assert stopping.stopped_epoch == stopping.best_epoch + stopping.patience
    assert stopping.stopped_epoch < stopping.max_epochs
    assert len(stopping.val_loss) == stopping.stopped_epoch


def test_early_stopping_backtracks_to_the_best_epoch(stopping):
    assert stopping.restored_epoch == stopping.best_epoch
    assert stopping.best_val_loss == min(stopping.val_loss)
    assert stopping.restored_val_loss == pytest.approx(stopping.best_val_loss, rel=1e-6)


def test_validation_loss_rises_without_stopping(stopping):
    full = stopping.full_val_loss
    assert len(full) == stopping.max_epochs
    assert full[: stopping.stopped_epoch] == stopping.val_loss
    assert full[-1] > 1.3 * stopping.best_val_loss


@pytest.fixture(scope="module")
def regularised():
    return regularisation_demo(seed=0, epochs=50)


def test_regularisation_raises_training_loss_and_lowers_validation_loss(regularised):
    r = regularised
    assert r.names == ["none", "L2", "dropout"]
    for name in ("L2", "dropout"):
        assert r.final_train[name] > r.final_train["none"]
        assert r.final_val[name] < r.final_val["none"]


def test_l2_penalty_shrinks_the_weights(regularised):
    assert regularised.omega["L2"] < 0.5 * regularised.omega["none"]


def test_regularisation_curves_have_one_value_per_epoch(regularised):
    assert all(len(v) == 50 for v in regularised.val_loss.values())
    assert regularised.best_val["none"] == min(regularised.val_loss["none"])
