"""The modules PyTorch programs touch at their top (``torch.backends``,
``torch.cuda``, ``torch.jit``, ``torch.onnx``, ``torch.compile``) exist under
tapegrad with PyTorch's names: the flags read and set as there, CUDA is
absent, and what tapegrad cannot do is refused by name."""

import importlib
import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.unsupported import NotSupportedError

# ------------------------------------------------------------------ backends


@pytest.mark.parametrize(
    "name",
    [
        "tapegrad.backends",
        "tapegrad.backends.cudnn",
        "tapegrad.backends.cuda",
        "tapegrad.backends.mps",
        "tapegrad.backends.mkldnn",
        "tapegrad.backends.openmp",
        "tapegrad.cuda",
        "tapegrad.jit",
        "tapegrad.onnx",
        "tapegrad.compiler",
    ],
)
def test_module_imports_by_its_pytorch_path(name):
    module = importlib.import_module(name)
    assert module is eval(name, {"tapegrad": tg})  # (also an attribute after `import tapegrad`)


def test_cudnn_flags_read_and_set_and_nothing_is_available():
    cudnn = tg.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (
        True,
        False,
        False,
        True,
    )
    assert cudnn.is_available() is False and cudnn.version() is None
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert tg.backends.cudnn.benchmark is True and tg.backends.cudnn.deterministic is True
    finally:
        cudnn.benchmark = False
        cudnn.deterministic = False


def test_cudnn_flags_context_sets_then_restores():
    cudnn = tg.backends.cudnn
    with cudnn.flags(enabled=False, deterministic=True):
        assert cudnn.enabled is False and cudnn.deterministic is True
        assert cudnn.benchmark is False and cudnn.allow_tf32 is True
    assert cudnn.enabled is True and cudnn.deterministic is False


def test_other_backends_are_absent_with_settable_flags():
    b = tg.backends
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.cuda.is_built() is False and b.cuda.matmul.allow_tf32 is False
    assert b.mkldnn.is_available() is False and b.mkldnn.enabled is True
    assert b.openmp.is_available() is False
    try:
        b.cuda.matmul.allow_tf32 = True  # (nanoGPT's first lines)
        b.mkldnn.enabled = False
        assert b.cuda.matmul.allow_tf32 is True and b.mkldnn.enabled is False
    finally:
        b.cuda.matmul.allow_tf32 = False
        b.mkldnn.enabled = True


@pytest.mark.torch
def test_flag_defaults_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(tg.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert tg.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert tg.backends.mps.is_available() == torch.backends.mps.is_available()
    assert tg.backends.mps.is_built() == torch.backends.mps.is_built()
    m_g, m_t = tg.backends.cuda.matmul, torch.backends.cuda.matmul
    for name in (
        "allow_tf32",
        "allow_fp16_reduced_precision_reduction",
        "allow_bf16_reduced_precision_reduction",
    ):
        assert getattr(m_g, name) == getattr(m_t, name), name


# ---------------------------------------------------------------------- cuda


def test_cuda_answers_as_pytorch_without_cuda():
    cuda = tg.cuda
    assert cuda.is_available() is False and cuda.device_count() == 0
    assert cuda.is_initialized() is False and cuda.is_bf16_supported() is False
    for call in (cuda.synchronize, cuda.empty_cache):
        assert call() is None
    assert cuda.manual_seed(0) is None and cuda.manual_seed_all(0) is None
    counters = (cuda.memory_allocated, cuda.max_memory_allocated, cuda.memory_reserved)
    assert [f() for f in counters] == [0, 0, 0] and cuda.max_memory_reserved() == 0
    assert ("cuda" if tg.cuda.is_available() else "cpu") == "cpu"


def test_cuda_seeding_leaves_tapegrads_generator_alone():
    tg.manual_seed(3)
    a = tg.rand(4)
    tg.manual_seed(3)
    tg.cuda.manual_seed_all(99)
    np.testing.assert_array_equal(tg.rand(4).numpy(), a.numpy())


@pytest.mark.parametrize(
    "call, args",
    [
        ("current_device", ()),
        ("get_device_name", (0,)),
        ("get_device_properties", (0,)),
        ("get_device_capability", ()),
        ("set_device", (0,)),
        ("init", ()),
    ],
)
def test_cuda_device_questions_raise_naming_the_call(call, args):
    with pytest.raises(tg.cuda.CUDAUnavailableError, match=f"cuda.{call} is not supported") as e:
        getattr(tg.cuda, call)(*args)
    # caught as PyTorch's CPU build raises (AssertionError) and its CUDA build (RuntimeError)
    assert isinstance(e.value, AssertionError) and isinstance(e.value, RuntimeError)
    assert "no CUDA devices" in str(e.value)


@pytest.mark.torch
def test_cuda_device_questions_raise_the_exception_pytorch_raises():
    torch = pytest.importorskip("torch")
    for call in ("current_device", "get_device_name"):
        with pytest.raises(AssertionError):
            getattr(torch.cuda, call)()
        with pytest.raises(AssertionError):
            getattr(tg.cuda, call)()
    assert tg.cuda.is_available() == torch.cuda.is_available()
    assert tg.cuda.device_count() == torch.cuda.device_count()
    assert tg.cuda.memory_allocated() == torch.cuda.memory_allocated()


# ------------------------------------------------------------ jit and onnx


@pytest.mark.parametrize(
    "call", ["jit.script", "jit.trace", "jit.trace_module", "jit.save", "jit.load", "jit.freeze"]
)
def test_torchscript_calls_are_refused_by_name(call):
    module_name, function = call.split(".")
    refuse = getattr(getattr(tg, module_name), function)
    with pytest.raises(NotSupportedError, match=f"^{call} is not supported by tapegrad: "):
        refuse(nn.Linear(2, 2), "model.pt")
    assert isinstance(NotSupportedError("x"), RuntimeError)


def test_onnx_export_is_refused_by_name():
    with pytest.raises(NotSupportedError, match="^onnx.export is not supported by tapegrad"):
        tg.onnx.export(nn.Linear(2, 2), (tg.ones(1, 2),), "model.onnx")
    assert tg.onnx.is_in_onnx_export() is False


def test_jit_markers_leave_the_code_as_it_is():
    def double(x):
        return 2 * x

    assert tg.jit.ignore(double) is double
    assert tg.jit.ignore(drop=True)(double) is double
    assert tg.jit.unused(double) is double and tg.jit.export(double) is double
    assert tg.jit.annotate(list, [1]) == [1]
    assert tg.jit.is_scripting() is False and tg.jit.is_tracing() is False

    class Model(nn.Module):
        @tg.jit.ignore
        def helper(self, x):
            return x + 1

        def forward(self, x):
            return self.helper(x) if not tg.jit.is_scripting() else x

    assert Model()(tg.tensor([1.0])).item() == 2.0


@pytest.mark.torch
def test_jit_markers_behave_as_pytorchs():
    torch = pytest.importorskip("torch")

    def f(x):
        return x + 1

    for lib in (torch, tg):
        assert lib.jit.ignore(f)(1) == 2 and lib.jit.unused(f)(1) == 2
        assert lib.jit.is_scripting() is False and lib.jit.is_tracing() is False
        assert lib.onnx.is_in_onnx_export() is False


# ------------------------------------------------------------------- compile


def test_compile_returns_the_model_itself_and_warns():
    model = nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="no compiler; the model runs as it is"):
        compiled = tg.compile(model, mode="reduce-overhead", fullgraph=True)
    assert compiled is model
    assert list(compiled.state_dict()) == ["weight", "bias"]  # (no `_orig_mod.` prefix)


def test_compile_as_decorator_with_and_without_options():
    with pytest.warns(UserWarning):

        @tg.compile
        def square(x):
            return x * x

    with pytest.warns(UserWarning):

        @tg.compile(mode="max-autotune", dynamic=True)
        def cube(x):
            return x * x * x

    assert square(tg.tensor(3.0)).item() == 9.0 and cube(tg.tensor(2.0)).item() == 8.0


def test_compile_disabled_is_silent_and_non_callables_are_refused():
    model = nn.Linear(1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.compile(model, disable=True) is model
    with pytest.raises(TypeError, match="compile: expected a module or a function, got int"):
        tg.compile(5)


def test_compiler_module_names():
    assert tg.compiler.is_compiling() is False

    def f(x):
        return x

    assert tg.compiler.disable(f) is f and tg.compiler.disable()(f) is f
