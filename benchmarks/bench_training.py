"""Training steps: tapegrad vs hand-written NumPy (vs PyTorch CPU) on MLPs.

    python benchmarks/bench_training.py [--only NAME] [--seconds S] [--threads N] [--json FILE]
    python benchmarks/bench_training.py --profile --only mlp_small

One step = zero the gradients, forward, softmax cross-entropy (mean over the
batch), backward, SGD with momentum 0.9 (PyTorch's form: ``v = 0.9 v + g``,
``theta -= lr v``, in place), all in float32, on one fixed batch:

- ``mlp_train``: 784-512-256-10, ReLU, batch 128;
- ``mlp_small``: 64-32-10, ReLU, batch 32;
- ``big_matmul``: 2048-2048-2048-10, ReLU, batch 512.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

# name: (layer sizes, batch, tapegrad/numpy target)
SPECS = {
    "mlp_train": ((784, 512, 256, 10), 128, 1.10),
    "mlp_small": ((64, 32, 10), 32, 2.5),
    "big_matmul": ((2048, 2048, 2048, 10), 512, 1.05),
}
LR, MOMENTUM = 0.01, 0.9

if __name__ == "__main__":
    ARGS = harness.parse_args(__doc__.splitlines()[0], list(SPECS))

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402


def init_params(sizes, seed: int = 0):
    """PyTorch's default ``Linear`` init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    float32; ``W`` is ``(out, in)``."""
    rng = np.random.default_rng(seed)
    Ws, bs = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        k = 1.0 / np.sqrt(n_in)
        Ws.append(rng.uniform(-k, k, (n_out, n_in)).astype(np.float32))
        bs.append(rng.uniform(-k, k, n_out).astype(np.float32))
    return Ws, bs


def make_batch(sizes, batch: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int64)
    return x, y


# -------------------------------------------------------------------- numpy
class NumpyMLP:
    """The network written out by hand: forward, backprop in matrix form
    (``r <- r * relu'(s)``, ``dW = r^T o``, ``db = sum r``, ``r <- r W``),
    in-place momentum update."""

    def __init__(self, Ws, bs, x, y):
        self.Ws = [W.copy() for W in Ws]
        self.bs = [b.copy() for b in bs]
        self.params = [p for pair in zip(self.Ws, self.bs) for p in pair]
        self.bufs = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]  # lr * v, no allocation
        self.x, self.y = x, y
        self.rows = np.arange(len(y))
        self.grads = None

    def step(self):
        Ws, bs, x, y, rows = self.Ws, self.bs, self.x, self.y, self.rows
        last = len(Ws) - 1
        outs = [x]  # o_0 = x, o_l = relu(s_l); the logits are s_L
        o = x
        for i in range(len(Ws)):
            s = o @ Ws[i].T
            s += bs[i]
            if i < last:
                o = np.maximum(s, 0.0, dtype=np.float32)
                outs.append(o)
        # softmax cross-entropy, mean over the batch (max subtracted)
        s -= s.max(axis=1, keepdims=True)
        e = np.exp(s)
        se = e.sum(axis=1, keepdims=True)
        loss = np.log(se[:, 0]).mean() - s[rows, y].mean()
        r = e
        r /= se  # softmax
        r[rows, y] -= 1.0
        r *= np.float32(1.0 / len(y))  # d loss / d logits
        grads = [None] * (2 * len(Ws))
        for i in range(last, -1, -1):
            grads[2 * i] = r.T @ outs[i]
            grads[2 * i + 1] = r.sum(axis=0)
            if i:
                r = r @ Ws[i]
                r *= outs[i] > 0  # relu'(s) = [s > 0]
        for p, g, v, tmp in zip(self.params, grads, self.bufs, self.scratch):
            v *= MOMENTUM
            v += g
            np.multiply(v, LR, out=tmp)
            p -= tmp
        self.grads = grads
        return loss


# ----------------------------------------------------------------- tapegrad
def tapegrad_step(Ws, bs, x, y):
    """A step closure built from tapegrad.nn / tapegrad.optim (PyTorch names),
    plus a function returning the gradients; raises ImportError or
    AttributeError while those packages are not written yet."""
    import tapegrad.nn as nn
    import tapegrad.optim as optim

    layers = []
    for i, W in enumerate(Ws):
        layers.append(nn.Linear(W.shape[1], W.shape[0]))
        if i < len(Ws) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    with tg.no_grad():
        for lin, W, b in zip(linears, Ws, bs):
            lin.weight.copy_(tg.tensor(W.copy()))
            lin.bias.copy_(tg.tensor(b.copy()))
    if hasattr(nn, "CrossEntropyLoss"):
        loss_fn = nn.CrossEntropyLoss()
    else:
        import tapegrad.nn.functional as F

        loss_fn = F.cross_entropy
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    xt, yt = tg.tensor(x), tg.tensor(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    def grads():
        return [t.numpy() for lin in linears for t in (lin.weight.grad, lin.bias.grad)]

    def params():
        return [t.detach().numpy() for lin in linears for t in (lin.weight, lin.bias)]

    return step, grads, params


# -------------------------------------------------------------------- torch
def torch_step(torch, Ws, bs, x, y):
    layers = []
    for i, W in enumerate(Ws):
        layers.append(torch.nn.Linear(W.shape[1], W.shape[0]))
        if i < len(Ws) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    linears = [m for m in layers if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for lin, W, b in zip(linears, Ws, bs):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    def grads():
        return [t.numpy() for lin in linears for t in (lin.weight.grad, lin.bias.grad)]

    def params():
        return [t.detach().numpy() for lin in linears for t in (lin.weight, lin.bias)]

    return step, grads, params


# ----------------------------------------------------------------- workload
def _agree(name: str, got: list, want: list, what: str) -> None:
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.dtype != np.float32:
            raise AssertionError(f"{name}: {what}[{k}] is {g.dtype}, expected float32")
        scale = float(np.abs(w).max()) or 1.0
        if g.shape != w.shape or not np.allclose(g, w, rtol=1e-3, atol=1e-4 * scale):
            err = float(np.abs(g - w).max()) / scale
            raise AssertionError(
                f"{name}: {what}[{k}] differs from the NumPy baseline (max err {err:.3g} of max)"
            )


def build(name: str, torch, torch_why: str) -> harness.Workload:
    sizes, batch, target = SPECS[name]
    Ws, bs = init_params(sizes)
    x, y = make_batch(sizes, batch)
    ref = NumpyMLP(Ws, bs, x, y)
    w = harness.Workload(name, target, note="")
    w.impls["numpy"] = ref.step
    checks = []  # (impl name, step, grads, params)
    try:
        step, grads, params = tapegrad_step(Ws, bs, x, y)
        w.impls["tapegrad"] = step
        checks.append(("tapegrad", step, grads, params))
    except (ImportError, AttributeError) as exc:
        w.missing["tapegrad"] = f"tapegrad.nn not available ({type(exc).__name__}: {exc})"
    if torch is not None:
        step, grads, params = torch_step(torch, Ws, bs, x, y)
        w.impls["torch"] = step
        checks.append(("torch", step, grads, params))
    else:
        w.missing["torch"] = torch_why

    def check():
        """First step from the same weights: loss, every gradient, every
        updated parameter; then a second step (momentum buffer in use)."""
        for k in range(2):
            loss = ref.step()
            bad = [str(a.dtype) for a in ref.grads + ref.params if a.dtype != np.float32]
            if bad:
                raise AssertionError(f"{name}: the NumPy baseline left float32: {bad}")
            for impl, step, grads, params in checks:
                got = float(step().item())
                if not np.isclose(got, loss, rtol=1e-4):
                    raise AssertionError(f"{name}: {impl} loss {got} != numpy {loss}")
                _agree(f"{name} {impl} step {k + 1}", grads(), ref.grads, "grad")
                _agree(f"{name} {impl} step {k + 1}", params(), ref.params, "param")
        return f"loss {loss:.4f}, grads and momentum updates of 2 steps (rtol 1e-3)"

    w.check = check
    return w


def main() -> None:
    torch, why = harness.load_torch(ARGS)
    builders = {name: (lambda name=name: build(name, torch, why)) for name in SPECS}
    harness.main(ARGS, builders)


if __name__ == "__main__":
    main()
