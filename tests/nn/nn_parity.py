"""One parity helper: run the same lambda through torch and tapegrad and
compare the values and the gradients of every floating input."""

import numpy as np


def run_both(fn, arrays, grad=None, rtol=1e-6, atol=1e-8):
    """``fn(lib, F, *tensors)`` with ``lib`` torch or tapegrad and ``F`` the
    matching functional module.  Floating arrays become float64 tensors that
    require grad (unless listed in ``grad=[...]`` of flags); the output is
    reduced against a fixed random cotangent and differentiated."""
    import torch
    import torch.nn.functional as TF

    import tapegrad as tg
    import tapegrad.nn.functional as F

    arrays = [np.asarray(a) for a in arrays]
    flags = grad or [a.dtype.kind == "f" for a in arrays]
    results = []
    for lib, fmod in ((torch, TF), (tg, F)):
        ts = []
        for a, g in zip(arrays, flags):
            if a.dtype.kind == "f":
                t = lib.tensor(a.astype(np.float64), dtype=lib.float64, requires_grad=bool(g))
            else:
                t = lib.tensor(a)
            ts.append(t)
        out = fn(lib, fmod, *ts)
        value = out.detach().numpy().copy()
        grads = [None] * len(ts)
        if out.requires_grad:
            cot = np.random.default_rng(1).uniform(0.5, 1.5, size=value.shape)
            (out * lib.tensor(cot, dtype=lib.float64)).sum().backward()
            grads = [t.grad.numpy().copy() if t.grad is not None else None for t in ts]
        results.append((value, grads))
    (tv, tgrads), (gv, ggrads) = results
    np.testing.assert_allclose(gv, tv, rtol=rtol, atol=atol, err_msg="values differ")
    for i, (a, b) in enumerate(zip(tgrads, ggrads)):
        if a is None:
            continue
        assert b is not None, f"tapegrad gave no gradient for input {i}"
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
