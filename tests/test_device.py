"""Devices: PyTorch code that names the CPU runs unchanged; other devices are
refused by name."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn


def test_device_parses_compares_and_prints_as_torch_device():
    d = tg.device("cpu")
    assert (d.type, d.index, str(d), repr(d)) == ("cpu", None, "cpu", "device(type='cpu')")
    c = tg.device("cuda:1")
    assert (c.type, c.index, str(c), repr(c)) == (
        "cuda",
        1,
        "cuda:1",
        "device(type='cuda', index=1)",
    )
    assert tg.device("cuda", 1) == c and hash(tg.device("cuda", 1)) == hash(c)
    assert tg.device(c) == c and tg.device(0) == tg.device("cuda:0")
    assert d != c and d != "cpu"  # as torch: a device is not equal to a string
    for bad in ("foo", "cuda:x", "cpu:0:1"):
        with pytest.raises(RuntimeError, match="device"):
            tg.device(bad)
    with pytest.raises(AttributeError):
        d.type = "cuda"


def test_tensors_live_on_the_cpu():
    x = tg.ones(2)
    assert x.device == tg.device("cpu") and str(x.device) == "cpu" and x.is_cuda is False
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    tg.cuda.manual_seed_all(0)  # nothing to seed, silently (as torch without CUDA)


@pytest.mark.parametrize(
    "make",
    [
        lambda dev: tg.tensor([1.0, 2.0], device=dev),
        lambda dev: tg.as_tensor(np.ones(2), device=dev),
        lambda dev: tg.zeros(2, device=dev),
        lambda dev: tg.ones(2, device=dev),
        lambda dev: tg.empty(2, device=dev),
        lambda dev: tg.full((2,), 3.0, device=dev),
        lambda dev: tg.eye(2, device=dev),
        lambda dev: tg.arange(3, device=dev),
        lambda dev: tg.linspace(0, 1, 3, device=dev),
        lambda dev: tg.rand(2, device=dev),
        lambda dev: tg.randn(2, device=dev),
        lambda dev: tg.randint(0, 5, (2,), device=dev),
        lambda dev: tg.randperm(3, device=dev),
        lambda dev: tg.zeros_like(tg.ones(2), device=dev),
        lambda dev: tg.ones(2).new_zeros(3, device=dev),
    ],
)
def test_factories_take_the_cpu_and_refuse_other_devices_by_name(make):
    for dev in ("cpu", tg.device("cpu"), None):
        assert make(dev).device == tg.device("cpu")
    state = tg.get_rng_state()
    with pytest.raises(RuntimeError, match="device 'cuda:0' is not available"):
        make("cuda:0")
    after = tg.get_rng_state()
    assert str(state) == str(after)  # refused before drawing any random number


def test_to_takes_devices_dtypes_and_both_as_torch():
    x = tg.ones(2, requires_grad=True)
    assert x.to("cpu") is x and x.to(tg.device("cpu")) is x and x.cpu() is x
    assert x.to("cpu", tg.float64).dtype == tg.float64
    assert x.to(device="cpu", dtype=tg.float64).dtype == tg.float64
    y = x.to("cpu", copy=True)
    assert y is not x and y.grad_fn is not None  # a differentiable copy
    with pytest.raises(RuntimeError, match="not available"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        x.cuda()
    with pytest.raises(TypeError, match="unexpected keyword argument 'devcie'"):
        x.to(devcie="cpu")


def test_modules_move_to_the_cpu_and_refuse_other_devices():
    m = nn.Linear(2, 3)
    assert m.to("cpu") is m and m.cpu() is m
    m.to(tg.device("cpu"), tg.float64)
    assert m.weight.dtype == tg.float64
    device = "cuda" if tg.cuda.is_available() else "cpu"  # the usual PyTorch line
    out = m.to(device)(tg.ones(4, 2, dtype=tg.float64, device=device))
    assert out.shape == (4, 3)
    with pytest.raises(RuntimeError, match="device 'mps' is not available"):
        m.to("mps")
    with pytest.raises(RuntimeError, match="not available"):
        m.cuda()


def test_freed_memory_is_kept_for_reuse_on_glibc():
    import sys

    from tapegrad import backend

    applied = backend.keep_freed_memory()
    assert applied == (sys.platform.startswith("linux") and _has_glibc())


def _has_glibc() -> bool:
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return True
