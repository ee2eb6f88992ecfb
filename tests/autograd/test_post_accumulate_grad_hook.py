"""``Tensor.register_post_accumulate_grad_hook``: called with the leaf once
its ``.grad`` holds the pass's whole gradient, during the backward pass."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg


def _two_layers(lib):
    lib.manual_seed(0)
    w1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w2 = lib.tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True)
    b = lib.tensor([0.1, 0.2], requires_grad=True)  # used by both layers
    x = lib.tensor([[1.0, -1.0], [0.5, 2.0]])
    loss = ((x @ w1 + b).relu() @ w2 + b).sum()
    return loss, {"w1": w1, "w2": w2, "b": b}


def _record(params):
    log = []
    for name, p in params.items():
        p.register_post_accumulate_grad_hook(
            lambda t, name=name: log.append(
                (name, t.grad.tolist(), sorted(n for n, q in params.items() if q.grad is not None))
            )
        )
    return log


def test_each_leaf_is_finished_once_its_last_consumer_is_done():
    loss, params = _two_layers(tg)
    log = _record(params)
    loss.backward()
    assert [name for name, _, _ in log] == ["w2", "b", "w1"]
    # w2's hook ran while w1's gradient was still being computed
    assert log[0][2] == ["w2"]
    assert log[1][1] == [1.5, 5.0]  # b: the sum over both of its uses
    assert log[2][1] == params["w1"].grad.tolist()


def test_hooks_see_the_gradient_after_register_hook_and_accumulation():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    w.grad = tg.tensor([10.0, 10.0])
    w.register_hook(lambda g: g * 2)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 3).sum().backward()
    assert seen == [[16.0, 16.0]]


def test_a_removed_hook_is_not_called_and_grad_only_passes_do_not_call_hooks():
    w = tg.tensor([1.0], requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append("hook"))
    tg.autograd.grad((w * 2).sum(), w)  # no accumulation into .grad: no hook
    assert calls == []
    (w * 2).sum().backward(inputs=[w])
    assert calls == ["hook"]
    handle.remove()
    (w * 2).sum().backward()
    assert calls == ["hook"]


def test_registering_on_a_non_leaf_or_a_tensor_without_grad_fails_as_in_pytorch():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.zeros(2).register_post_accumulate_grad_hook(print)
    a = tg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf tensors"):
        (a * 2).register_post_accumulate_grad_hook(print)


def test_order_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    logs = []
    for lib in (tg, torch):
        loss, params = _two_layers(lib)
        log = _record(params)
        loss.backward()
        logs.append([(name, grad) for name, grad, _ in log])
    ours, theirs = logs
    assert [name for name, _ in ours] == [name for name, _ in theirs] == ["w2", "b", "w1"]
    for (_, g), (_, g_torch) in zip(ours, theirs):
        assert np.allclose(g, g_torch)
