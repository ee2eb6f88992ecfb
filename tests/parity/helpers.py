"""One helper for the parity suite: run the same code on PyTorch and on
tapegrad tensors built from the same NumPy data, and compare values, dtypes,
shapes and the gradient of every input.

``fn(lib, *tensors)`` receives ``torch`` or ``tapegrad`` as ``lib`` (so
``lib.exp(x)`` and ``lib.float64`` read the same on both sides) and the input
tensors; it returns a tensor, a number, or a (nested) tuple of them.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg

torch = pytest.importorskip("torch")


def _dtype_name(d) -> str:
    return str(d).replace("torch.", "").replace("tapegrad.", "")


def _flatten(out) -> list:
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in _flatten(item)]
    return [out]


def _leaf(x, lib, requires_grad: bool):
    if not isinstance(x, np.ndarray):
        return x  # Python numbers and other arguments pass through unchanged
    wants = requires_grad and x.dtype.kind == "f"
    if lib is torch:
        return torch.tensor(x, requires_grad=wants)
    return tg.tensor(x, requires_grad=wants)


def _compare_value(a_t, a_g, rtol, atol, what):
    if isinstance(a_t, torch.Tensor):
        assert isinstance(a_g, tg.Tensor), f"{what}: tapegrad gave {type(a_g).__name__}"
        assert tuple(a_g.shape) == tuple(a_t.shape), f"{what}: shape {a_g.shape} != {a_t.shape}"
        assert _dtype_name(a_g.dtype) == _dtype_name(a_t.dtype), (
            f"{what}: dtype {a_g.dtype} != {a_t.dtype}"
        )
        want = a_t.detach().numpy()
        got = a_g.detach().numpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what, equal_nan=True)
    else:
        assert type(a_g) is type(a_t), f"{what}: {type(a_g).__name__} != {type(a_t).__name__}"
        if isinstance(a_t, float):
            np.testing.assert_allclose(a_g, a_t, rtol=rtol, atol=atol, err_msg=what)
        else:
            assert a_g == a_t, what


def check(
    fn,
    *inputs,
    grad: bool = True,
    backward: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    seed: int = 0,
):
    """Run ``fn`` on both libraries and compare outputs and input gradients.

    ``inputs`` are NumPy arrays (float arrays require grad when ``grad``) or
    plain Python values passed through.  Unless ``backward`` is false, a
    backward pass seeds every output that requires grad with the same random
    weights and the gradients of the inputs are compared.  Returns both outputs.
    """
    t_in = [_leaf(x, torch, grad) for x in inputs]
    g_in = [_leaf(x, tg, grad) for x in inputs]
    out_t = fn(torch, *t_in)
    out_g = fn(tg, *g_in)
    flat_t, flat_g = _flatten(out_t), _flatten(out_g)
    assert len(flat_t) == len(flat_g), f"{len(flat_g)} outputs, torch gives {len(flat_t)}"
    for i, (a_t, a_g) in enumerate(zip(flat_t, flat_g)):
        _compare_value(a_t, a_g, rtol, atol, f"output {i}")
    if not (grad and backward):
        return out_t, out_g
    rng = np.random.default_rng(seed)
    loss_t = loss_g = None
    for a_t, a_g in zip(flat_t, flat_g):
        if isinstance(a_t, torch.Tensor) and a_t.requires_grad:
            assert a_g.requires_grad, "tapegrad output does not require grad where torch's does"
            w = rng.standard_normal(tuple(a_t.shape)).astype(_dtype_name(a_t.dtype))
            term_t = (a_t * torch.tensor(w)).sum()
            term_g = (a_g * tg.tensor(w)).sum()
            loss_t = term_t if loss_t is None else loss_t + term_t
            loss_g = term_g if loss_g is None else loss_g + term_g
    if loss_t is None:
        return out_t, out_g
    loss_t.backward()
    loss_g.backward()
    for i, (x_t, x_g) in enumerate(zip(t_in, g_in)):
        if not isinstance(x_t, torch.Tensor) or not x_t.requires_grad:
            continue
        if x_t.grad is None:
            assert x_g.grad is None, f"input {i}: tapegrad has a grad where torch has None"
            continue
        assert x_g.grad is not None, f"input {i}: no gradient in tapegrad"
        _compare_value(x_t.grad, x_g.grad, rtol, atol, f"gradient of input {i}")
    return out_t, out_g


_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


def check_raises(fn, *inputs, grad: bool = False):
    """Both libraries raise on ``fn``; returns tapegrad's exception."""
    t_in = [_leaf(x, torch, grad) for x in inputs]
    g_in = [_leaf(x, tg, grad) for x in inputs]
    with pytest.raises(_ERRORS):
        fn(torch, *t_in)
    with pytest.raises(_ERRORS) as info:
        fn(tg, *g_in)
    return info.value
