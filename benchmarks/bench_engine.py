"""Engine overhead: tapegrad vs hand-written NumPy (vs PyTorch CPU) on tiny graphs.

    python benchmarks/bench_engine.py [--only NAME] [--seconds S] [--threads N] [--json FILE]
    python benchmarks/bench_engine.py --profile --only op_overhead

Workloads (forward + backward each; see benchmarks/README.md):

- ``op_overhead``: 200 elementwise ops (add, mul, tanh, exp in turn) on a
  shape-(8,) float32 tensor, then ``sum()`` and ``backward()``;
- ``scalar_expr``: the lecture's ``y = exp(xz) + xz/ln(x) + sin(ln(x))/(xz)``
  on 0-d float64 tensors at ``x = 2, z = 3`` (baseline on 0-d float64 arrays;
  ``scalar_expr_plain``: against the same adjoints written plainly on 0-d
  arrays, NumPy's scalar results left as they are; ``scalar_expr_npscalar``:
  on NumPy float64 scalars throughout; both for reference, no target);
- ``deep_sigmoid``: 50 sigmoid layers of width 16, float64, batch 1,
  loss ``sum(output)``, gradients of every weight and bias.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

NAMES = ["op_overhead", "scalar_expr", "scalar_expr_plain", "scalar_expr_npscalar", "deep_sigmoid"]
TARGETS = {"op_overhead": 2.5, "scalar_expr": 3.0, "deep_sigmoid": 2.5}

if __name__ == "__main__":
    ARGS = harness.parse_args(__doc__.splitlines()[0], NAMES)

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402


def _close(name: str, got, want, rtol: float, atol: float = 0.0) -> None:
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
        err = np.max(np.abs(got - want) / (np.abs(want) + atol + 1e-300))
        raise AssertionError(
            f"{name}: gradients differ from the NumPy baseline (max rel {err:.3g})"
        )


# -------------------------------------------------------------- op_overhead
N_OPS = 200


def op_overhead(torch) -> harness.Workload:
    """h <- h + c, h * c, tanh(h), exp(h), repeated; loss = sum(h); grad wrt x.

    ``c`` (fixed, no gradient) lies in [-1.2, -0.8], so tanh keeps exp's input
    in (-1, 1): no overflow, and the gradient stays a normal float32.
    """
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1.0, 1.0, 8).astype(np.float32)
    c0 = rng.uniform(-1.2, -0.8, 8).astype(np.float32)

    def numpy_step():
        h = x0
        saved = []  # what the backward needs: c for mul, outputs of tanh and exp
        for i in range(N_OPS):
            k = i & 3
            if k == 0:
                h = h + c0
            elif k == 1:
                h = h * c0
            elif k == 2:
                h = np.tanh(h)
                saved.append(h)
            else:
                h = np.exp(h)
                saved.append(h)
        loss = h.sum()
        g = np.ones_like(h)  # d loss / d h
        for i in range(N_OPS - 1, -1, -1):
            k = i & 3
            if k == 3:
                g = g * saved.pop()  # d exp(u) = exp(u)
            elif k == 2:
                t = saved.pop()
                g = g * (1 - t * t)  # d tanh(u) = 1 - tanh(u)^2
            elif k == 1:
                g = g * c0
            # k == 0: d(u + c)/du = 1
        return loss, g

    x = tg.tensor(x0, requires_grad=True)
    c = tg.tensor(c0)

    def tapegrad_step():
        x.grad = None
        h = x
        for i in range(N_OPS):
            k = i & 3
            if k == 0:
                h = h + c
            elif k == 1:
                h = h * c
            elif k == 2:
                h = h.tanh()
            else:
                h = h.exp()
        loss = h.sum()
        loss.backward()
        return loss, x.grad

    w = harness.Workload("op_overhead", TARGETS["op_overhead"], note="")
    w.impls = {"numpy": numpy_step, "tapegrad": tapegrad_step}
    if torch is not None:
        tx = torch.tensor(x0, requires_grad=True)
        tc = torch.tensor(c0)

        def torch_step():
            tx.grad = None
            h = tx
            for i in range(N_OPS):
                k = i & 3
                if k == 0:
                    h = h + tc
                elif k == 1:
                    h = h * tc
                elif k == 2:
                    h = h.tanh()
                else:
                    h = h.exp()
            loss = h.sum()
            loss.backward()
            return loss, tx.grad

        w.impls["torch"] = torch_step

    def check():
        _, g_np = numpy_step()
        _, g_tg = tapegrad_step()
        assert g_tg.dtype == tg.float32, f"op_overhead: tapegrad grad is {g_tg.dtype}"
        _close("op_overhead tapegrad", g_tg.numpy(), g_np, rtol=1e-3)
        if "torch" in w.impls:
            _close("op_overhead torch", w.impls["torch"]()[1].numpy(), g_np, rtol=1e-3)
        return f"d sum / dx in [{np.abs(g_np).min():.2e}, {np.abs(g_np).max():.2e}], rtol 1e-3"

    w.check = check
    return w


# -------------------------------------------------------------- scalar_expr
def _scalar_numpy_0d():
    """The slide's adjoints on 0-d float64 arrays, every result kept a 0-d
    array (NumPy's ufuncs return scalars for 0-d inputs; ``asarray`` makes
    them arrays again, as a tensor library on NumPy must)."""
    x0, z0 = np.asarray(2.0), np.asarray(3.0)
    A = np.asarray

    def numpy_step():
        x, z = x0, z0
        a = A(x * z)
        b = A(np.log(x))
        c = A(np.sin(b))
        d = A(np.exp(a))
        e = A(a / b)
        f = A(c / a)
        y = A(A(d + e) + f)
        g_c = A(1.0 / a)
        g_b = A(A(-a / A(b * b)) + A(g_c * A(np.cos(b))))
        g_a = A(A(A(-c / A(a * a)) + A(1.0 / b)) + d)
        g_x = A(A(g_a * z) + A(g_b / x))
        g_z = A(g_a * x)
        return y, g_x, g_z

    return numpy_step


def _scalar_numpy_plain():
    """The same adjoints written plainly on 0-d float64 arrays: the first ops
    take the arrays, and what NumPy returns (NumPy scalars) is used as it is."""
    x0, z0 = np.asarray(2.0), np.asarray(3.0)

    def numpy_step():
        x, z = x0, z0
        a = x * z
        b = np.log(x)
        c = np.sin(b)
        d = np.exp(a)
        y = d + a / b + c / a
        g_c = 1.0 / a
        g_b = -a / (b * b) + g_c * np.cos(b)
        g_a = -c / (a * a) + 1.0 / b + d
        return y, g_a * z + g_b / x, g_a * x

    return numpy_step


def _scalar_numpy_scalars():
    """The same adjoints on NumPy float64 scalars (no arrays at all)."""
    x0, z0 = np.float64(2.0), np.float64(3.0)

    def numpy_step():
        x, z = x0, z0
        a = x * z
        b = np.log(x)
        c = np.sin(b)
        d = np.exp(a)
        e = a / b
        f = c / a
        y = d + e + f
        g_d = g_e = g_f = 1.0
        g_c = g_f / a
        g_b = g_e * (-a / (b * b)) + g_c * np.cos(b)
        g_a = g_f * (-c / (a * a)) + g_e / b + g_d * d
        g_x = g_a * z + g_b / x
        g_z = g_a * x
        return y, g_x, g_z

    return numpy_step


def scalar_expr(torch, name="scalar_expr") -> harness.Workload:
    """The slide's graph: a = xz, b = ln x, c = sin b, d = exp a, e = a/b,
    f = c/a, y = d + e + f; adjoints g_a, g_b, g_c as on the slide.

    ``scalar_expr``: the baseline works on 0-d float64 arrays, as the issue
    words it; for reference, no target: ``scalar_expr_plain`` on 0-d arrays
    written plainly (NumPy's scalar results used as they are, most of the
    work on NumPy scalars) and ``scalar_expr_npscalar`` on NumPy float64
    scalars throughout, which no engine that keeps arrays can approach."""
    numpy_step = {
        "scalar_expr": _scalar_numpy_0d,
        "scalar_expr_plain": _scalar_numpy_plain,
        "scalar_expr_npscalar": _scalar_numpy_scalars,
    }[name]()

    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    z = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)

    def tapegrad_step():
        x.grad = None
        z.grad = None
        a = x * z
        b = tg.log(x)
        y = tg.exp(a) + a / b + tg.sin(b) / a
        y.backward()
        return y, x.grad, z.grad

    w = harness.Workload(name, TARGETS.get(name))
    w.impls = {"numpy": numpy_step, "tapegrad": tapegrad_step}
    if torch is not None:
        tx = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        tz = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)

        def torch_step():
            tx.grad = None
            tz.grad = None
            a = tx * tz
            b = torch.log(tx)
            y = torch.exp(a) + a / b + torch.sin(b) / a
            y.backward()
            return y, tx.grad, tz.grad

        w.impls["torch"] = torch_step

    def check():
        y, gx, gz = numpy_step()
        want = (412.19145728412, 1208.3812151266, 809.70747921856)
        _close(f"{name} numpy baseline", [y, gx, gz], want, rtol=1e-12)
        for impl in w.impls:
            if impl != "numpy":
                got = [float(v.item()) for v in w.impls[impl]()]
                _close(f"{name} {impl}", got, [y, gx, gz], rtol=1e-12)
        return (
            f"y = {float(y):.11f}, dy/dx = {float(gx):.10f}, dy/dz = {float(gz):.11f} (rtol 1e-12)"
        )

    w.check = check
    return w


# ------------------------------------------------------------- deep_sigmoid
DEPTH, WIDTH = 50, 16


def _linear_fn():
    """tapegrad's affine map, public API only: F.linear, else tg.linear,
    else ``x @ W.T + b``."""
    try:
        import tapegrad.nn.functional as F

        return F.linear, "tapegrad.nn.functional.linear"
    except (ImportError, AttributeError):
        pass
    if hasattr(tg, "linear"):
        return tg.linear, "tg.linear (tapegrad.nn.functional not importable)"
    return (lambda x, W, b: x @ W.T + b), "x @ W.T + b (no linear available)"


def deep_sigmoid(torch) -> harness.Workload:
    """o_l = sigmoid(W_l o_{l-1} + b_l), l = 1..50; loss = sum(o_50); batch 1
    (row vectors: s = o W^T + b). Backward in the lecture's matrix form:
    r <- r * sigma'(s), dW = r^T o, db = r, r <- r W."""
    rng = np.random.default_rng(1)
    Ws = [rng.normal(0.0, 0.1, (WIDTH, WIDTH)) for _ in range(DEPTH)]
    bs = [rng.normal(0.0, 0.1, WIDTH) for _ in range(DEPTH)]
    x0 = rng.normal(0.0, 1.0, (1, WIDTH))

    def numpy_step():
        outs = [x0]
        o = x0
        for W, b in zip(Ws, bs):
            o = 1.0 / (1.0 + np.exp(-(o @ W.T + b)))
            outs.append(o)
        loss = o.sum()
        r = np.ones_like(o)
        dWs, dbs = [None] * DEPTH, [None] * DEPTH
        for i in range(DEPTH - 1, -1, -1):
            o = outs[i + 1]
            r = r * (o * (1.0 - o))  # sigma'(s) = sigma(s) (1 - sigma(s))
            dWs[i] = r.T @ outs[i]
            dbs[i] = r.sum(0)
            if i:
                r = r @ Ws[i]
        return loss, dWs, dbs

    linear, how = _linear_fn()
    tW = [tg.tensor(W, requires_grad=True) for W in Ws]
    tb = [tg.tensor(b, requires_grad=True) for b in bs]
    tparams = tW + tb
    tx = tg.tensor(x0)

    def tapegrad_step():
        for p in tparams:
            p.grad = None
        o = tx
        for W, b in zip(tW, tb):
            o = tg.sigmoid(linear(o, W, b))
        loss = o.sum()
        loss.backward()
        return loss, [W.grad for W in tW], [b.grad for b in tb]

    w = harness.Workload("deep_sigmoid", TARGETS["deep_sigmoid"], note=f"tapegrad uses {how}")
    w.impls = {"numpy": numpy_step, "tapegrad": tapegrad_step}
    if torch is not None:
        pW = [torch.tensor(W, requires_grad=True) for W in Ws]
        pb = [torch.tensor(b, requires_grad=True) for b in bs]
        pparams = pW + pb
        px = torch.tensor(x0)
        flin = torch.nn.functional.linear

        def torch_step():
            for p in pparams:
                p.grad = None
            o = px
            for W, b in zip(pW, pb):
                o = torch.sigmoid(flin(o, W, b))
            loss = o.sum()
            loss.backward()
            return loss, [W.grad for W in pW], [b.grad for b in pb]

        w.impls["torch"] = torch_step

    def check():
        loss, dWs, dbs = numpy_step()
        for name in w.impls:
            if name == "numpy":
                continue
            l2, gW, gb = w.impls[name]()
            _close(f"deep_sigmoid {name} loss", float(l2.item()), loss, rtol=1e-12)
            for i in range(DEPTH):
                assert gW[i].dtype == (tg.float64 if name == "tapegrad" else torch.float64)
                _close(f"deep_sigmoid {name} dW[{i}]", gW[i].numpy(), dWs[i], 1e-9)
                _close(f"deep_sigmoid {name} db[{i}]", gb[i].numpy(), dbs[i], 1e-9)
        return (
            f"all {2 * DEPTH} parameter gradients (rtol 1e-9), |dW_1| = {np.abs(dWs[0]).max():.2e}"
        )

    w.check = check
    return w


BUILDERS = {
    "op_overhead": op_overhead,
    "scalar_expr": scalar_expr,
    "scalar_expr_plain": lambda torch: scalar_expr(torch, "scalar_expr_plain"),
    "scalar_expr_npscalar": lambda torch: scalar_expr(torch, "scalar_expr_npscalar"),
    "deep_sigmoid": deep_sigmoid,
}


def main() -> None:
    torch, why = harness.load_torch(ARGS)
    builders = {}
    for name, build in BUILDERS.items():

        def make(build=build, name=name):
            w = build(torch)
            if torch is None:
                w.missing["torch"] = why
            return w

        builders[name] = make
    harness.main(ARGS, builders)


if __name__ == "__main__":
    main()
