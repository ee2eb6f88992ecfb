"""Activation checkpointing (``tapegrad.utils.checkpoint``): the same values
and gradients as the plain run, dropout masks included, while the
intermediate tensors of the checkpointed part are not kept."""

import gc
import weakref

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.utils.checkpoint import checkpoint, checkpoint_sequential


def _model(seed=0, p=0.3):
    tg.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(4, 8), nn.Tanh(), nn.Dropout(p), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)
    )


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


def _run(model, x, forward, seed=1):
    """Loss and gradients of ``forward(model, x)``, from random state ``seed``."""
    model.zero_grad()
    x.grad = None
    tg.manual_seed(seed)
    loss = (forward(model, x) ** 2).sum()
    loss.backward()
    return loss.item(), _grads(model, x)


def _plain(model, x):
    return model(x)


def _assert_same(a, b):
    assert a[0] == b[0]
    for ga, gb in zip(a[1], b[1]):
        np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("use_reentrant", [True, False, None])
def test_checkpoint_gives_the_plain_runs_values_and_gradients(use_reentrant):
    model = _model()
    x = tg.randn(5, 4, requires_grad=True)

    def checkpointed(m, x):
        h = checkpoint(lambda t: m[2](m[1](m[0](t))), x, use_reentrant=use_reentrant)
        return m[5](m[4](m[3](h)))

    _assert_same(_run(model, x, checkpointed), _run(model, x, _plain))


@pytest.mark.parametrize("segments", [1, 2, 3, 6])
def test_checkpoint_sequential_gives_the_plain_runs_gradients(segments):
    model = _model()
    x = tg.randn(5, 4, requires_grad=True)

    def checkpointed(m, x):
        return checkpoint_sequential(m, segments, x, use_reentrant=False)

    _assert_same(_run(model, x, checkpointed), _run(model, x, _plain))


def test_checkpoint_sequential_takes_a_list_of_functions():
    model = _model(p=0.0)
    x = tg.randn(3, 4)
    out = checkpoint_sequential(list(model), 2, x, use_reentrant=False)
    np.testing.assert_array_equal(out.detach().numpy(), model(x).detach().numpy())


def test_dropout_masks_come_back_only_with_the_random_state():
    model = _model(p=0.5)
    x = tg.randn(6, 4, requires_grad=True)

    def unpreserved(m, x):
        return checkpoint_sequential(m, 2, x, use_reentrant=False, preserve_rng_state=False)

    plain = _run(model, x, _plain)
    loss, grads = _run(model, x, unpreserved)
    assert loss == plain[0]  # (the forward itself is the same)
    assert any(not np.array_equal(a, b) for a, b in zip(grads, plain[1]))


def test_recomputation_does_not_disturb_the_programs_random_numbers():
    model = _model(p=0.5)
    x = tg.randn(6, 4, requires_grad=True)
    _run(model, x, _plain)
    after_plain = tg.rand(3).numpy()
    _run(model, x, lambda m, x: checkpoint_sequential(m, 3, x, use_reentrant=False))
    np.testing.assert_array_equal(tg.rand(3).numpy(), after_plain)


def _intermediate_kept(wrap) -> bool:
    """Whether the tensor made inside the function outlives the forward pass."""
    made = []

    def f(x):
        h = x.exp()
        made.append(weakref.ref(h))
        return (h * x).sum()

    x = tg.randn(50, requires_grad=True)
    out = wrap(f, x)
    gc.collect()
    kept = made[0]() is not None
    out.backward()
    return kept


def test_intermediate_tensors_are_not_kept():
    assert _intermediate_kept(lambda f, x: f(x))  # (the plain graph keeps it)
    assert not _intermediate_kept(lambda f, x: checkpoint(f, x, use_reentrant=False))
    assert not _intermediate_kept(lambda f, x: checkpoint(f, x, use_reentrant=True))


def test_the_function_runs_again_in_backward():
    calls = []

    def f(x):
        calls.append(tg.is_grad_enabled())
        return x.sin()

    x = tg.randn(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False)
    assert calls == [False] and y.requires_grad
    y.sum().backward()
    assert calls == [False, True]
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()), rtol=1e-6)


def test_parameters_get_gradients_when_no_input_requires_grad():
    model = _model(p=0.0)
    x = tg.randn(5, 4)  # (data: no gradient)
    out = checkpoint(model, x, use_reentrant=False)
    out.sum().backward()
    checkpointed = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for a, p in zip(checkpointed, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)


def test_reentrant_checkpoint_without_grad_inputs_warns_and_gives_none():
    model = _model(p=0.0)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(model, tg.randn(5, 4), use_reentrant=True)
    assert not out.requires_grad and all(p.grad is None for p in model.parameters())


def test_keyword_arguments_need_use_reentrant_false():
    x, scale = tg.randn(3, requires_grad=True), tg.tensor(2.0, requires_grad=True)

    def f(x, scale):
        return (x * scale).sum()

    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(f, x, scale=scale, use_reentrant=True)
    checkpoint(f, x, scale=scale, use_reentrant=False).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(scale.grad.item(), x.detach().numpy().sum(), rtol=1e-6)


def test_tuple_outputs_pass_other_values_through():
    def f(x):
        return x * 2, None, x.argmax(), (x**2).sum()

    x = tg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    doubled, nothing, index, squares = checkpoint(f, x, use_reentrant=False)
    assert nothing is None and index.item() == 1 and index.dtype == tg.int64
    (doubled.sum() + squares).backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 6.0])


def test_under_no_grad_it_is_a_plain_call():
    x = tg.randn(3, requires_grad=True)
    with tg.no_grad():
        y = checkpoint(lambda t: t * 2, x, use_reentrant=False)
    assert y.grad_fn is None and not y.requires_grad


def test_changing_an_input_in_place_before_backward_is_caught():
    x = tg.randn(3, requires_grad=True)
    h = x * 1
    y = checkpoint(lambda t: t.exp(), h, use_reentrant=False)
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        y.sum().backward()


def test_gradients_of_gradients_through_a_checkpoint_are_refused():
    x = tg.randn(3, requires_grad=True)
    y = checkpoint(lambda t: (t**3).sum(), x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="create_graph=True .* cannot go through a checkpoint"):
        tg.autograd.grad(y, x, create_graph=True)


def test_checkpoint_sequential_refuses_bad_arguments():
    model = _model()
    with pytest.raises(ValueError, match=r"segments must be from 1 to the number of functions"):
        checkpoint_sequential(model, 7, tg.randn(2, 4))
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 0, tg.randn(2, 4))
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential(model, 2, tg.randn(2, 4), foo=1)


def test_gradcheck_through_a_checkpoint():
    def f(x, w):
        return checkpoint(lambda a, b: (a @ b).tanh() * a.sum(), x, w, use_reentrant=False)

    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    w = tg.randn(4, 2, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(f, (x, w))


def test_reachable_from_tapegrad_utils():
    assert tg.utils.checkpoint.checkpoint is checkpoint


# ------------------------------------------------------------- against torch


@pytest.mark.torch
@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_matches_torch(use_reentrant):
    torch = pytest.importorskip("torch")
    torch_checkpoint = pytest.importorskip("torch.utils.checkpoint")
    rng = np.random.default_rng(0)
    sizes = [(6, 4), (6,), (5, 6), (5,), (2, 5), (2,)]
    arrays = [rng.standard_normal(s) for s in sizes]
    x = rng.standard_normal((7, 4))

    def build(lib):
        layers = [lib.nn.Linear(4, 6), lib.nn.GELU(), lib.nn.Linear(6, 5), lib.nn.Tanh()]
        m = lib.nn.Sequential(*layers, lib.nn.Linear(5, 2)).double()
        with lib.no_grad():
            for p, a in zip(m.parameters(), arrays):
                p.copy_(lib.tensor(a))
        return m

    results = []
    for lib, utils in ((torch, torch_checkpoint), (tg, tg.utils.checkpoint)):
        model, xin = build(lib), lib.tensor(x, requires_grad=True)
        out = utils.checkpoint_sequential(model, 2, xin, use_reentrant=use_reentrant)
        (out**2).sum().backward()
        results.append(
            [out.detach().numpy(), xin.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
        )
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_checkpoint_with_keywords_matches_torch():
    torch = pytest.importorskip("torch")
    torch_checkpoint = pytest.importorskip("torch.utils.checkpoint")
    a = np.random.default_rng(1).standard_normal((3, 3))

    def f(x, y=None):
        return (x @ y).sigmoid() * x

    grads = []
    for lib, utils in ((torch, torch_checkpoint), (tg, tg.utils.checkpoint)):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(a.T.copy(), requires_grad=True)
        utils.checkpoint(f, x, y=y, use_reentrant=False).sum().backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
    for want, got in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-10)
