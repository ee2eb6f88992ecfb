"""What the top of a PyTorch script calls, on tapegrad: the process-wide
settings (``set_num_threads``, ``use_deterministic_algorithms``,
``set_float32_matmul_precision``), ``Generator(device="cpu")``, and the
one-hot idiom ``x.scatter_(1, labels, 1.0)`` (a number where ``src`` goes)."""

import numpy as np
import pytest

import tapegrad as tg


@pytest.fixture
def restored_settings():
    """The settings as they were before the test (they are process-wide)."""
    threads, interop = tg.get_num_threads(), tg.get_num_interop_threads()
    mode = tg.are_deterministic_algorithms_enabled()
    warn_only = tg.is_deterministic_algorithms_warn_only_enabled()
    precision = tg.get_float32_matmul_precision()
    allow_tf32 = tg.backends.cuda.matmul.allow_tf32
    yield
    tg.set_num_threads(threads)
    tg.set_num_interop_threads(interop)
    tg.use_deterministic_algorithms(mode, warn_only=warn_only)
    tg.set_float32_matmul_precision(precision)
    tg.backends.cuda.matmul.allow_tf32 = allow_tf32


def test_thread_counts_are_kept_and_checked(restored_settings):
    assert tg.get_num_threads() >= 1 and tg.get_num_interop_threads() >= 1
    interop = tg.get_num_interop_threads()
    tg.set_num_threads(1)
    assert tg.get_num_threads() == 1
    assert tg.get_num_interop_threads() == interop  # (a separate count)
    tg.set_num_interop_threads(3)
    assert tg.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        tg.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got float"):
        tg.set_num_threads(1.5)
    with pytest.raises(RuntimeError, match="expects an int, but got bool"):
        tg.set_num_interop_threads(True)
    assert tg.get_num_threads() == 1


def test_deterministic_algorithms_mode_and_warn_only(restored_settings):
    assert tg.are_deterministic_algorithms_enabled() is False
    tg.use_deterministic_algorithms(True)
    assert tg.are_deterministic_algorithms_enabled() is True
    assert tg.is_deterministic_algorithms_warn_only_enabled() is False
    tg.use_deterministic_algorithms(False, warn_only=True)
    assert tg.are_deterministic_algorithms_enabled() is False
    assert tg.is_deterministic_algorithms_warn_only_enabled() is True
    with pytest.raises(TypeError, match="argument 'mode' .* must be bool, not str"):
        tg.use_deterministic_algorithms("yes")


def test_matmul_precision_sets_the_tf32_flag(restored_settings):
    assert tg.get_float32_matmul_precision() == "highest"
    assert tg.backends.cuda.matmul.allow_tf32 is False
    tg.set_float32_matmul_precision("high")
    assert tg.get_float32_matmul_precision() == "high"
    assert tg.backends.cuda.matmul.allow_tf32 is True
    with pytest.warns(UserWarning, match="fast is not one of 'highest', 'high', or 'medium'"):
        tg.set_float32_matmul_precision("fast")
    assert tg.get_float32_matmul_precision() == "high"
    tg.set_float32_matmul_precision("highest")
    assert tg.backends.cuda.matmul.allow_tf32 is False


def test_the_settings_change_no_result(restored_settings):
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32))
    before = (x @ x.T).numpy()
    tg.set_num_threads(1)
    tg.use_deterministic_algorithms(True)
    tg.set_float32_matmul_precision("medium")
    np.testing.assert_array_equal((x @ x.T).numpy(), before)


def test_generator_takes_pytorchs_device_argument():
    for g in (tg.Generator(device="cpu"), tg.Generator("cpu"), tg.Generator(tg.device("cpu"))):
        assert g.manual_seed(4).initial_seed() == 4
    a = tg.randperm(9, generator=tg.Generator(device="cpu").manual_seed(2)).tolist()
    assert a == tg.randperm(9, generator=tg.Generator(2)).tolist()
    with pytest.raises(RuntimeError, match="Generator: tapegrad computes on the CPU"):
        tg.Generator(device="cuda")


def test_scatter_with_a_number_writes_that_number():
    labels = tg.tensor([[0], [2], [1]])
    one_hot = tg.zeros(3, 3).scatter_(1, labels, 1.0)
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(3, dtype=np.float32)[[0, 2, 1]])
    assert one_hot.dtype == tg.float32
    x = tg.ones(2, 3, requires_grad=True)
    out = tg.scatter(x, 1, tg.tensor([[1], [0]]), 5)
    np.testing.assert_array_equal(out.detach().numpy(), [[1, 5, 1], [5, 1, 1]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 1], [0, 1, 1]])  # written over: 0
    with pytest.raises(TypeError, match="give exactly one of src and value"):
        tg.scatter(x, 1, tg.tensor([[1], [0]]), 5, value=2)


def test_scatter_with_a_number_matches_pytorch():
    torch = pytest.importorskip("torch")
    index = np.array([[2, 0], [1, 1]])
    want = torch.zeros(2, 4, dtype=torch.float64).scatter_(1, torch.tensor(index), -1.5)
    got = tg.zeros(2, 4, dtype=tg.float64).scatter_(1, tg.tensor(index), -1.5)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    want = torch.scatter(torch.ones(3, 2), 0, torch.tensor([[2, 0]]), 7)
    got = tg.scatter(tg.ones(3, 2), 0, tg.tensor([[2, 0]]), 7)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
