"""Errors in the user's words, and the stable softmax family."""

import numpy as np
import pytest

import tapegrad as tg


def test_matmul_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError) as err:
        tg.ones(3, 4) @ tg.ones(5, 2)
    assert str(err.value).startswith("matmul: shapes (3, 4) and (5, 2) do not fit")


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) do not fit"):
        tg.ones(3) + tg.ones(4)


def test_item_on_many_elements_says_how_many():
    with pytest.raises(ValueError, match="6 elements"):
        tg.ones(2, 3).item()


@pytest.mark.parametrize(
    "fn", [tg.logsumexp, lambda x: tg.log_softmax(x, 0), lambda x: tg.softmax(x, 0)]
)
def test_huge_logits_stay_finite(fn):
    x = tg.tensor([1e4, -1e4, 0.0, 1e4 - 1], requires_grad=True)
    y = fn(x)
    w = tg.tensor([1.0, 2.0, 3.0, 4.0])
    (y * w).sum().backward() if y.ndim else y.backward()
    assert np.isfinite(y.detach().numpy()).all()
    assert np.isfinite(x.grad.numpy()).all()


def test_minus_infinity_entries_get_zero_gradient():
    x = tg.tensor([1.0, float("-inf"), 2.0], requires_grad=True)
    tg.logsumexp(x, 0).backward()
    assert x.grad.numpy()[1] == 0.0
    assert np.isfinite(x.grad.numpy()).all()
    x.grad = None
    s = tg.softmax(x, 0)
    (s * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.numpy()[1] == 0.0 and np.isfinite(x.grad.numpy()).all()
    x.grad = None
    tg.log_softmax(x, 0)[0].backward()
    assert x.grad.numpy()[1] == 0.0 and np.isfinite(x.grad.numpy()).all()


def test_logsumexp_value_is_exact_for_huge_logits():
    x = tg.tensor([1e4, 1e4], dtype=tg.float64)
    assert tg.logsumexp(x).item() == pytest.approx(1e4 + np.log(2))
