"""Loss values against hand-written NumPy formulas, loss classes and errors."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

X = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]])
T = np.array([1, 2, 0])
W = np.array([0.5, 2.0, 1.0])


def _logp(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


def test_cross_entropy_mean_is_mean_negative_log_likelihood():
    loss = F.cross_entropy(tg.tensor(X, dtype=tg.float64), tg.tensor(T))
    assert np.isclose(loss.item(), -_logp(X)[np.arange(3), T].mean())


def test_cross_entropy_weighted_mean_divides_by_weight_sum():
    loss = F.cross_entropy(
        tg.tensor(X, dtype=tg.float64), tg.tensor(T), weight=tg.tensor(W, dtype=tg.float64)
    )
    nll = -_logp(X)[np.arange(3), T] * W[T]
    assert np.isclose(loss.item(), nll.sum() / W[T].sum())


def test_cross_entropy_ignore_index_drops_targets():
    t = np.array([1, -100, 0])
    loss = F.cross_entropy(tg.tensor(X, dtype=tg.float64), tg.tensor(t), reduction="none")
    lp = _logp(X)
    np.testing.assert_allclose(loss.numpy(), [-lp[0, 1], 0.0, -lp[2, 0]])


def test_cross_entropy_label_smoothing_formula():
    eps = 0.1
    loss = F.cross_entropy(tg.tensor(X, dtype=tg.float64), tg.tensor(T), label_smoothing=eps)
    lp = _logp(X)
    q = np.full((3, 3), eps / 3) + (1 - eps) * np.eye(3)[T]
    assert np.isclose(loss.item(), -(q * lp).sum(1).mean())


def test_cross_entropy_probability_targets():
    p = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8]])
    loss = F.cross_entropy(tg.tensor(X, dtype=tg.float64), tg.tensor(p, dtype=tg.float64))
    assert np.isclose(loss.item(), -(p * _logp(X)).sum(1).mean())


def test_nll_loss_of_log_softmax_equals_cross_entropy():
    x = tg.tensor(X, dtype=tg.float64)
    a = F.nll_loss(F.log_softmax(x, 1), tg.tensor(T), weight=tg.tensor(W, dtype=tg.float64))
    b = F.cross_entropy(x, tg.tensor(T), weight=tg.tensor(W, dtype=tg.float64))
    assert np.isclose(a.item(), b.item())


def test_mse_and_the_lectures_half_squared_loss():
    y, t = tg.tensor([6.0]), tg.tensor([1.0])
    assert F.mse_loss(y, t).item() == 25.0
    assert (0.5 * F.mse_loss(y, t, reduction="sum")).item() == 12.5


def test_huber_and_smooth_l1_values():
    x, t = tg.tensor([0.5, 3.0]), tg.tensor([0.0, 0.0])
    np.testing.assert_allclose(
        F.huber_loss(x, t, reduction="none", delta=1.0).numpy(), [0.125, 2.5]
    )
    np.testing.assert_allclose(
        F.smooth_l1_loss(x, t, reduction="none", beta=2.0).numpy(), [0.0625, 2.0]
    )


def test_binary_cross_entropy_values_and_clamp():
    p, t = tg.tensor([0.25, 0.0]), tg.tensor([1.0, 1.0])
    np.testing.assert_allclose(
        F.binary_cross_entropy(p, t, reduction="none").numpy(), [np.log(4), 100.0], rtol=1e-6
    )


def test_bce_with_logits_is_stable_for_huge_logits():
    x, t = tg.tensor([1000.0, -1000.0], requires_grad=True), tg.tensor([0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0])


def test_loss_classes_match_functional():
    x, t = tg.tensor(X), tg.tensor(T)
    assert (
        nn.CrossEntropyLoss(label_smoothing=0.1)(x, t).item()
        == F.cross_entropy(x, t, label_smoothing=0.1).item()
    )
    assert nn.NLLLoss(reduction="sum")(x, t).item() == F.nll_loss(x, t, reduction="sum").item()
    y = tg.tensor(X[::-1].copy())
    assert nn.MSELoss()(x, y).item() == F.mse_loss(x, y).item()
    assert nn.L1Loss(reduction="sum")(x, y).item() == F.l1_loss(x, y, reduction="sum").item()
    assert nn.HuberLoss(delta=0.5)(x, y).item() == F.huber_loss(x, y, delta=0.5).item()
    p = tg.sigmoid(x)
    assert nn.BCELoss()(p, p.detach()).item() == F.binary_cross_entropy(p, p.detach()).item()
    assert nn.BCEWithLogitsLoss(pos_weight=tg.tensor([2.0, 1.0, 1.0]))(x, p).item() == (
        F.binary_cross_entropy_with_logits(x, p, pos_weight=tg.tensor([2.0, 1.0, 1.0])).item()
    )


def test_weighted_loss_registers_weight_buffer():
    loss = nn.CrossEntropyLoss(weight=tg.tensor(W))
    assert [n for n, _ in loss.named_buffers()] == ["weight"]


def test_bad_reduction_is_named():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(tg.ones(2), tg.ones(2), reduction="avg")


def test_cross_entropy_bad_target_shape_is_named():
    with pytest.raises(ValueError, match="target shape"):
        F.cross_entropy(tg.randn(3, 4), tg.tensor([0, 1]))


def test_cross_entropy_target_out_of_range_raises():
    with pytest.raises(IndexError, match="target 3 is out of bounds for 3 classes"):
        F.cross_entropy(tg.randn(2, 3), tg.tensor([0, 3]))


def test_bce_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))


def test_one_hot_and_normalize():
    np.testing.assert_array_equal(F.one_hot(tg.tensor([0, 2]), 3).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(tg.tensor([1])).dtype == tg.int64
    np.testing.assert_allclose(F.normalize(tg.tensor([[3.0, 4.0]])).numpy(), [[0.6, 0.8]])


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w: F.cross_entropy(x, tg.tensor([0, 2]), weight=w),
        lambda x, w: F.nll_loss(F.log_softmax(x, 1), tg.tensor([0, 2]), weight=w),
        lambda x, w: F.binary_cross_entropy(tg.sigmoid(x), tg.ones(2, 3), weight=w),
        lambda x, w: F.binary_cross_entropy_with_logits(x, tg.ones(2, 3), weight=w),
        lambda x, w: F.binary_cross_entropy_with_logits(x, tg.ones(2, 3), pos_weight=w),
    ],
)
def test_loss_weights_that_require_grad_are_refused_as_in_pytorch(call):
    """PyTorch's losses are not differentiable in weight / pos_weight: a weight
    that requires grad is an error while grad mode is on, fine under no_grad."""
    x = tg.randn(2, 3, requires_grad=True)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to `(pos_)?weight`"):
        call(x, w)
    with tg.no_grad():
        ref = call(x, w.detach())
        np.testing.assert_array_equal(call(x, w).numpy(), ref.numpy())
    call(x, w.detach()).backward()
    assert x.grad is not None and w.grad is None
