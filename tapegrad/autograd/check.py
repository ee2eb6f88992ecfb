"""Gradients checked, not believed: central finite differences in float64.

For a function ``f`` of inputs ``x_i``, the numeric derivative of output
element ``o`` by input element ``j`` is ``(f(x + eps e_j) - f(x - eps e_j))_o
/ (2 eps)``; the analytic one is row ``o`` of the Jacobian from backward
passes.  They must agree to ``|a - n| <= atol + rtol |n|`` everywhere.
``fast_mode`` compares one random projection ``v^T J u`` instead of every
element (for large inputs).  On a mismatch the error names the input, the
element and both values, and — for a composite function — the first
primitive (in forward order) whose own vjp disagrees with its finite
differences.
"""

from __future__ import annotations

import dataclasses
import operator

from tapegrad import backend as B
from tapegrad.autograd.engine import topological_order
from tapegrad.autograd.functional import grad as _grad
from tapegrad.autograd.graph import enable_grad
from tapegrad.tensor import Tensor, change, new_tensor

xp = B.xp


class GradcheckError(RuntimeError):
    """Analytic and numeric gradients disagree."""


@dataclasses.dataclass
class InputReport:
    """How input ``index`` fared: the largest absolute and relative errors,
    where the worst one is, and both Jacobians (``out elements x in elements``)."""

    index: int
    max_abs_error: float
    max_rel_error: float
    worst: tuple | None
    analytic: object
    numeric: object
    ok: bool


@dataclasses.dataclass
class GradcheckReport:
    """Per-input results of ``gradcheck_report``; ``culprit`` names the first
    primitive whose own vjp fails its check (``None`` when all agree)."""

    inputs: list
    ok: bool
    culprit: str | None = None
    culprit_detail: str | None = None

    def __str__(self) -> str:
        lines = ["input  max abs error  max rel error  ok"]
        for r in self.inputs:
            lines.append(f"{r.index:>5}  {r.max_abs_error:13.3e}  {r.max_rel_error:13.3e}  {r.ok}")
        if self.culprit:
            lines.append(
                f"first primitive whose vjp disagrees: {self.culprit} ({self.culprit_detail})"
            )
        return "\n".join(lines)


def _prepare(inputs):
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    prepared, checked = [], []
    for i, x in enumerate(ins):
        if isinstance(x, Tensor) and x._array.dtype.kind == "f":
            arr = x._array.astype(B.float64, copy=True)
            t = new_tensor(arr)
            if x.requires_grad:
                t.requires_grad_(True)
                checked.append(i)
            prepared.append(t)
        else:
            prepared.append(x)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; set requires_grad=True on some input")
    return prepared, checked


def _outputs(fn, args):
    out = fn(*args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._array.dtype.kind == "f"]


def _jacobians(fn, args, checked, eps):
    """Analytic and numeric Jacobians, one pair per checked input, each of
    shape (total output elements, input elements)."""
    with enable_grad():
        outs = _outputs(fn, args)
    n_out = sum(o._array.size for o in outs)
    analytic = [xp.zeros((n_out, args[i]._array.size)) for i in checked]
    row = 0
    for o in outs:
        for k in range(o._array.size):
            if o.requires_grad:
                seed = xp.zeros(o._array.size, dtype=o._array.dtype)
                seed[k] = 1
                gs = _grad(
                    o,
                    [args[i] for i in checked],
                    new_tensor(seed.reshape(o._array.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for j, g in enumerate(gs):
                    if g is not None:
                        analytic[j][row] = g._array.reshape(-1)
            row += 1
    numeric = [xp.zeros_like(a) for a in analytic]
    for j, i in enumerate(checked):
        x = args[i]
        for e in range(x.numel()):
            orig = x._array.reshape(-1)[e]
            _set_element(x, e, orig + eps)
            plus = _values(fn, args)
            _set_element(x, e, orig - eps)
            minus = _values(fn, args)
            _set_element(x, e, orig)
            numeric[j][:, e] = (plus - minus) / (2 * eps)
    return analytic, numeric


def _values(fn, args):
    """The flattened outputs of ``fn`` at ``args``.  Grad mode stays on, as in
    PyTorch: a function may itself differentiate (``autograd.grad`` with
    ``create_graph=True`` inside), and that needs a recorded graph."""
    with enable_grad():
        return _flat(_outputs(fn, args))


def _set_element(x: Tensor, e: int, value) -> None:
    """Element ``e`` (in row-major order) of ``x`` set to ``value``, in place."""
    change((x,), "gradcheck", lambda arr, v: arr.reshape(-1).__setitem__(e, v), (value,))


def _shift(xs, us, scale: float) -> None:
    """``x += scale * u`` in place for each pair."""
    change(xs, "gradcheck", operator.iadd, [scale * u for u in us])


def _flat(outs):
    if not outs:
        return xp.zeros(0)
    return xp.concatenate([o._array.astype(B.float64).reshape(-1) for o in outs])


def _compare(analytic, numeric, checked, args, atol, rtol):
    reports = []
    for j, i in enumerate(checked):
        a, n = analytic[j], numeric[j]
        diff = xp.abs(a - n)
        bad = diff > atol + rtol * xp.abs(n)
        rel = diff / xp.maximum(xp.abs(n), 1e-12)
        worst = None
        if bad.any():
            o, e = xp.unravel_index(xp.argmax(xp.where(bad, diff, -1)), bad.shape)
            worst = (
                int(o),
                tuple(int(v) for v in xp.unravel_index(e, args[i]._array.shape)),
                float(a[o, e]),
                float(n[o, e]),
            )
        reports.append(
            InputReport(
                i, float(diff.max(initial=0)), float(rel.max(initial=0)), worst, a, n, not bad.any()
            )
        )
    return reports


def _fast(fn, args, checked, eps, atol, rtol):
    """Compare ``v^T J u`` for one random output direction ``v`` and input
    direction ``u`` (one backward pass, two forward passes)."""
    rng = xp.random.default_rng(0)
    us = []
    for i in checked:
        u = rng.standard_normal(args[i]._array.shape)
        us.append(u / max(xp.linalg.norm(u), 1e-12))
    with enable_grad():
        outs = _outputs(fn, args)
    vs = [new_tensor(rng.standard_normal(o._array.shape)) for o in outs]
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    analytic = 0.0
    if live:
        gs = _grad(
            [o for o, _ in live],
            [args[i] for i in checked],
            [v for _, v in live],
            allow_unused=True,
        )
        analytic = sum(float((g._array * u).sum()) for g, u in zip(gs, us) if g is not None)
    xs = [args[i] for i in checked]
    _shift(xs, us, eps)
    plus = _values(fn, args)
    _shift(xs, us, -2 * eps)
    minus = _values(fn, args)
    _shift(xs, us, eps)
    numeric = float((_flat(vs) * (plus - minus)).sum() / (2 * eps))
    ok = abs(analytic - numeric) <= atol + rtol * abs(numeric)
    return analytic, numeric, ok


def first_failing_primitive(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Run ``fn`` once, then gradcheck every recorded primitive, in forward
    order, at the values it saw; ``(name, detail)`` of the first that fails."""
    args, checked = _prepare(inputs)
    with enable_grad():
        outs = _outputs(fn, args)
    roots = [o.grad_fn for o in outs if o.grad_fn is not None]
    for node in reversed(topological_order(roots)):
        prim = node.prim
        if getattr(prim, "forward", None) is None:
            continue  # user Functions and random ops cannot be re-run alone
        params = {k: v for k, v in node.params.items() if k != "aux"}
        sub = []
        for x, p in zip(node.inputs, node.parents):
            t = new_tensor(x._array.astype(B.float64) if x._array.dtype.kind == "f" else x._array)
            if p is not None and x._array.dtype.kind == "f":
                t.requires_grad_(True)
            sub.append(t)

        def run(*xs, _prim=prim, _params=params):
            from tapegrad.ops.registry import apply

            return apply(_prim, *xs, **_params)

        try:
            sargs, schecked = _prepare(sub)
        except ValueError:
            continue
        if sum(sargs[i]._array.size for i in schecked) > 2000:
            a, n, ok = _fast(run, sargs, schecked, eps, atol, rtol)
            if not ok:
                return prim.name, f"along a random direction: analytic {a:.6g}, numeric {n:.6g}"
            continue
        analytic, numeric = _jacobians(run, sargs, schecked, eps)
        for r in _compare(analytic, numeric, schecked, sargs, atol, rtol):
            if not r.ok:
                o, e, av, nv = r.worst
                return prim.name, (
                    f"argument {r.index}, element {e}: analytic {av:.6g}, numeric {nv:.6g}"
                )
    return None, None


def gradcheck_report(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False):
    """Compare analytic and numeric gradients of ``fn`` at ``inputs`` (the
    ones that require grad), in float64, and return a ``GradcheckReport``."""
    args, checked = _prepare(inputs)
    if fast_mode:
        a, n, ok = _fast(fn, args, checked, eps, atol, rtol)
        diff = abs(a - n)
        reports = [InputReport(-1, diff, diff / max(abs(n), 1e-12), None, a, n, ok)]
    else:
        analytic, numeric = _jacobians(fn, args, checked, eps)
        reports = _compare(analytic, numeric, checked, args, atol, rtol)
    ok = all(r.ok for r in reports)
    report = GradcheckReport(reports, ok)
    if not ok:
        report.culprit, report.culprit_detail = first_failing_primitive(fn, inputs, eps, atol, rtol)
    return report


def gradcheck(
    fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast_mode=False, **_ignored
) -> bool:
    """True when the analytic gradients of ``fn`` at ``inputs`` match central
    differences (``|a - n| <= atol + rtol |n|``) in float64; otherwise raise
    ``GradcheckError`` naming the input, the element and both values (or
    return False with ``raise_exception=False``)."""
    report = gradcheck_report(fn, inputs, eps, atol, rtol, fast_mode)
    if report.ok:
        return True
    if not raise_exception:
        return False
    if fast_mode:
        r = report.inputs[0]
        msg = (
            f"gradcheck (fast mode): along a random direction the analytic derivative is "
            f"{r.analytic:.8g} but the numeric one is {r.numeric:.8g}"
        )
    else:
        r = next(r for r in report.inputs if not r.ok)
        o, e, a, n = r.worst
        msg = (
            f"gradcheck: input {r.index}, element {e} (output element {o}): analytic gradient "
            f"{a:.8g} but numeric {n:.8g} (difference {abs(a - n):.3g}, tolerance "
            f"{atol + rtol * abs(n):.3g})"
        )
    if report.culprit:
        msg += (
            f"; the first primitive whose own vjp disagrees is `{report.culprit}` "
            f"({report.culprit_detail})"
        )
    raise GradcheckError(msg)
