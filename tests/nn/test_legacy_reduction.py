"""PyTorch's deprecated ``size_average``/``reduce`` loss arguments decide the
reduction (with its warning), and the regression losses' per-element
``weight``: checked against NumPy, without PyTorch."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn.functional as F

rng = np.random.default_rng(7)
X, Y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
W = rng.uniform(0.1, 2.0, (3, 4))
SQUARES = (X - Y) ** 2


@pytest.mark.parametrize(
    "size_average, reduce, want",
    [
        (False, None, SQUARES.sum()),
        (None, False, SQUARES),
        (True, False, SQUARES),
        (True, True, SQUARES.mean()),
        (None, True, SQUARES.mean()),
    ],
)
def test_size_average_and_reduce_decide_the_reduction(size_average, reduce, want):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        got = F.mse_loss(tg.tensor(X), tg.tensor(Y), size_average=size_average, reduce=reduce)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    with pytest.warns(UserWarning):
        module = tg.nn.MSELoss(size_average, reduce)
    np.testing.assert_allclose(module(tg.tensor(X), tg.tensor(Y)).numpy(), want, rtol=1e-12)


def test_without_the_legacy_arguments_nothing_is_warned(recwarn):
    tg.nn.CrossEntropyLoss(reduction="sum")
    F.l1_loss(tg.tensor(X), tg.tensor(Y))
    assert not [w for w in recwarn if "size_average" in str(w.message)]


def test_weighted_mean_of_mse_and_l1_divides_by_the_summed_weights():
    x, y, w = tg.tensor(X), tg.tensor(Y), tg.tensor(W)
    np.testing.assert_allclose(F.mse_loss(x, y, weight=w).numpy(), (W * SQUARES).sum() / W.sum())
    l1 = np.abs(X - Y)
    np.testing.assert_allclose(F.l1_loss(x, y, weight=w).numpy(), (W * l1).sum() / W.sum())
    np.testing.assert_allclose(
        F.mse_loss(x, y, weight=w, reduction="sum").numpy(), (W * SQUARES).sum()
    )


def test_weighted_mean_of_huber_divides_by_the_number_of_elements():
    d = np.abs(X - Y)
    huber = np.where(d < 1.0, 0.5 * d * d, d - 0.5)
    got = F.huber_loss(tg.tensor(X), tg.tensor(Y), weight=tg.tensor(W))
    np.testing.assert_allclose(got.numpy(), (W * huber).mean(), rtol=1e-12)


def test_weighted_loss_gradient_passes_gradcheck():
    x = tg.tensor(X, requires_grad=True)
    y, w = tg.tensor(Y), tg.tensor(W)
    assert tg.gradcheck(lambda a: F.mse_loss(a, y, weight=w), (x,))
