"""Generated from the primitive table: every registered primitive is
gradchecked in float64 on its samples, and a primitive without samples fails.
Samples live in ``samples.py`` (core) and ``samples_*.py`` (other areas)."""

import importlib
import pathlib

import numpy as np
import pytest

import tapegrad as tg

try:
    import tapegrad.nn  # noqa: F401  (registers the fused nn primitives)
except ImportError:  # nn not written yet
    pass
from tapegrad.ops.registry import PRIMITIVES, apply

HERE = pathlib.Path(__file__).parent


def _all_samples() -> dict:
    merged = {}
    for path in sorted(HERE.glob("samples*.py")):
        module = importlib.import_module(path.stem)
        for name, cases in module.SAMPLES.items():
            assert name not in merged, f"samples for {name} defined twice"
            merged[name] = cases
    return merged


SAMPLES = _all_samples()


def test_every_primitive_has_samples():
    missing = sorted(set(PRIMITIVES) - set(SAMPLES))
    assert not missing, f"primitives without gradcheck samples: {missing}"


def test_no_samples_for_unknown_primitives():
    unknown = sorted(set(SAMPLES) - set(PRIMITIVES))
    assert not unknown, f"samples for primitives that are not in the table: {unknown}"


def test_every_primitive_documents_its_partials():
    for name, prim in PRIMITIVES.items():
        assert prim.partials and all(isinstance(p, str) and p for p in prim.partials), name
        assert prim.doc, f"{name} has no doc"


def _params():
    for name in sorted(PRIMITIVES):
        for i, c in enumerate(SAMPLES.get(name, [])):
            yield pytest.param(name, c, id=f"{name}-{i}-{c.label}" if c.label else f"{name}-{i}")


@pytest.mark.parametrize("name,sample", list(_params()))
def test_gradcheck(name, sample):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    args, params = sample.build(rng)
    prim = PRIMITIVES[name]
    assert tg.gradcheck(lambda *xs: apply(prim, *xs, **dict(params)), args)


@pytest.mark.parametrize("name,sample", list(_params()))
def test_second_derivative_runs(name, sample):
    """vjps are written in tapegrad ops: backward with create_graph records a
    graph, and a second backward through it runs and gives finite values."""
    rng = np.random.default_rng(1)
    args, params = sample.build(rng)
    prim = PRIMITIVES[name]
    out = apply(prim, *args, **dict(params))
    diff = [a for a in args if a.requires_grad]
    weights = tg.tensor(rng.standard_normal(out.shape), dtype=out.dtype)
    grads = tg.autograd.grad((out * weights).sum(), diff, create_graph=True, allow_unused=True)
    total = sum((g * g).sum() for g in grads if g is not None and g.requires_grad)
    if isinstance(total, tg.Tensor) and total.requires_grad:
        second = tg.autograd.grad(total, diff, allow_unused=True)
        for g in second:
            if g is not None:
                assert np.isfinite(g.numpy()).all()


def _array_params():
    for name in sorted(PRIMITIVES):
        if PRIMITIVES[name].arrays:
            for i, c in enumerate(SAMPLES.get(name, [])):
                yield pytest.param(name, c, id=f"{name}-{i}")


@pytest.mark.parametrize("name,sample", list(_array_params()))
def test_array_vjps_match_the_tensor_vjps(name, sample):
    """backward() runs the vjps of `arrays` primitives on plain arrays;
    autograd.grad runs them on tensors: the same numbers and dtypes."""
    rng = np.random.default_rng(2)
    args, params = sample.build(rng)
    prim = PRIMITIVES[name]
    out = apply(prim, *args, **dict(params))
    weights = tg.tensor(rng.standard_normal(out.shape), dtype=out.dtype)
    diff = [a for a in args if a.requires_grad]
    expected = tg.autograd.grad((out * weights).sum(), diff, retain_graph=True)
    (out * weights).sum().backward()
    for a, e in zip(diff, expected):
        assert a.grad.dtype == e.dtype and a.grad.shape == e.shape
        np.testing.assert_allclose(a.grad.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)


def test_the_common_ops_run_their_vjps_on_arrays():
    for name in ("add", "sub", "mul", "div", "exp", "log", "tanh", "sigmoid", "relu"):
        assert PRIMITIVES[name].arrays, name


def test_entries_applied_in_elementwise_vjps_are_their_forward_on_arrays():
    """On arrays, the elementwise vjp adapters call ``X.forward`` where an
    expression says ``X.apply``: right only for entries whose applier runs
    just the forward on arrays (elementwise, nothing computed beside it)."""
    import re

    applied = {
        entry: prim.namespace[entry]
        for prim in PRIMITIVES.values()
        if prim.elementwise and prim.arity <= 2 and prim.vjp_exprs
        for expr in prim.vjp_exprs
        if expr
        for entry in re.findall(r"(\w+)\.apply\(", expr)
    }
    assert {"TANH_BACKWARD", "EXP", "COS"} <= set(applied)
    for entry, target in applied.items():
        assert target.elementwise and target.saves_aux is None, entry
