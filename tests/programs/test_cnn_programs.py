"""PyTorch CNN programs run unchanged on tapegrad: each program in
``sources/`` is written for PyTorch; it runs once as it is and once with
only its import lines pointing at tapegrad, from the same initial weights
(copied through NumPy) and the same data, and gives the same numbers."""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SOURCES = Path(__file__).parent / "sources"

# The only change a user makes: the import lines.
IMPORTS = [
    (r"^import torch\.nn\.functional as F$", "import tapegrad.nn.functional as F"),
    (r"^import torch\.nn as nn$", "import tapegrad.nn as nn"),
    (r"^import torch\.optim as optim$", "import tapegrad.optim as optim"),
    (r"^from torch\.([\w.]+) import", r"from tapegrad.\1 import"),
    (r"^import torch$", "import tapegrad as torch"),
]


def _program(name: str, lib: str):
    """The module ``sources/<name>.py`` as written (``lib="torch"``) or with
    its imports changed to tapegrad."""
    text = (SOURCES / f"{name}.py").read_text()
    if lib == "tapegrad":
        for pattern, replacement in IMPORTS:
            text = re.sub(pattern, replacement, text, flags=re.M)
        assert "import torch" not in text.replace("import tapegrad as torch", "")
    module = types.ModuleType(f"{name}_{lib}")
    exec(compile(text, f"{name}.py ({lib})", "exec"), module.__dict__)
    return module


def _same_weights(model_t, model_g) -> None:
    """Copy the torch model's state dict (parameters and buffers) into the
    tapegrad model, through NumPy, keys and shapes checked strictly."""
    import tapegrad as tg

    state = {k: tg.tensor(v.detach().numpy().copy()) for k, v in model_t.state_dict().items()}
    model_g.load_state_dict(state)


def _both(array: np.ndarray):
    import tapegrad as tg

    return torch.tensor(array), tg.tensor(array)


def _close(a, b, rtol=2e-4, atol=1e-5):
    np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=rtol, atol=atol)


def test_mnist_example_trains_and_tests_as_in_pytorch():
    pt, tgp = _program("mnist_lenet", "torch"), _program("mnist_lenet", "tapegrad")
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((16, 1, 28, 28)).astype(np.float32) for _ in range(3)]
    ys = [rng.integers(0, 10, 16) for _ in range(3)]
    # dropout off for training (its masks are random); on in eval (a no-op)
    net_t, net_g = pt.Net(0.0, 0.0), tgp.Net(0.0, 0.0)
    _same_weights(net_t, net_g)
    batches = [(_both(x), _both(y)) for x, y in zip(xs, ys)]
    losses_t = pt.train(net_t, [(x[0], y[0]) for x, y in batches])
    losses_g = tgp.train(net_g, [(x[1], y[1]) for x, y in batches])
    _close(losses_t, losses_g)
    x_t, x_g = _both(xs[0])
    y_t, y_g = _both(ys[0])
    (loss_t, right_t), (loss_g, right_g) = pt.test(net_t, x_t, y_t), tgp.test(net_g, x_g, y_g)
    _close(loss_t, loss_g, rtol=1e-3)
    assert right_t == right_g
    assert repr(pt.Net()) == repr(tgp.Net())


def test_dcgan_generator_and_discriminator_step_as_in_pytorch():
    pt, tgp = _program("dcgan", "torch"), _program("dcgan", "tapegrad")
    torch.manual_seed(0)
    g_t, d_t = pt.Generator(), pt.Discriminator()
    g_t.apply(pt.weights_init)
    d_t.apply(pt.weights_init)
    g_g, d_g = tgp.Generator(), tgp.Discriminator()
    g_g.apply(tgp.weights_init)  # (runs; the weights are then copied)
    d_g.apply(tgp.weights_init)
    # float64: Adam divides tiny gradients by their own size, so float32
    # rounding would show in the updates; in float64 the two runs agree closely
    for net in (g_t, d_t, g_g, d_g):
        net.double()
    _same_weights(g_t, g_g)
    _same_weights(d_t, d_g)
    assert repr(g_t) == repr(g_g) and repr(d_t) == repr(d_g)
    opt_t, opt_g = pt.optimizers(g_t, d_t), tgp.optimizers(g_g, d_g)
    rng = np.random.default_rng(1)
    for _ in range(2):
        real_t, real_g = _both(rng.uniform(-1, 1, (4, 3, 64, 64)))
        noise_t, noise_g = _both(rng.standard_normal((4, pt.nz, 1, 1)))
        errs_t = pt.train_step(g_t, d_t, real_t, noise_t, *opt_t)
        errs_g = tgp.train_step(g_g, d_g, real_g, noise_g, *opt_g)
        _close(errs_t, errs_g, rtol=1e-9, atol=1e-12)
    with torch.no_grad():
        fake_t = g_t(noise_t).numpy()
    import tapegrad as tg

    with tg.no_grad():
        fake_g = g_g(noise_g).numpy()
    _close(fake_t, fake_g, rtol=1e-7, atol=1e-9)


def test_resnet_block_stack_trains_as_in_pytorch():
    pt, tgp = _program("resnet", "torch"), _program("resnet", "tapegrad")
    net_t = pt.ResNet(pt.BasicBlock, [2, 1, 1])
    net_g = tgp.ResNet(tgp.BasicBlock, [2, 1, 1])
    _same_weights(net_t, net_g)
    rng = np.random.default_rng(2)
    data = [
        (rng.standard_normal((8, 3, 16, 16)).astype(np.float32), rng.integers(0, 10, 8))
        for _ in range(3)
    ]
    both = [(_both(x), _both(y)) for x, y in data]
    losses_t, right_t = pt.train(net_t, [(x[0], y[0]) for x, y in both])
    losses_g, right_g = tgp.train(net_g, [(x[1], y[1]) for x, y in both])
    _close(losses_t, losses_g, rtol=1e-3)
    assert right_t == right_g
    for (k, v_t), (k_g, v_g) in zip(net_t.state_dict().items(), net_g.state_dict().items()):
        assert k == k_g
        _close(v_t.numpy(), v_g.numpy(), rtol=1e-3, atol=1e-4)
