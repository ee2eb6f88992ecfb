"""Factories and indexing as PyTorch accepts them, against PyTorch: every
call form of the factories (sizes, keywords, ``out=``) and a broad table of
index keys (values and gradients of ``x[key]`` and ``x[key] = v``), with the
errors PyTorch raises for what it refuses."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.torch,
    pytest.mark.filterwarnings("ignore:.*(deprecated|non-tuple).*:UserWarning"),
]

rng = np.random.default_rng(14)
X = rng.standard_normal((3, 4, 5))
I32, U8, I8 = "int32", "uint8", "int8"


def _int_tensor(L, values, dtype="int64"):
    return L.tensor(values, dtype=getattr(L, dtype))


# ---------------------------------------------------------------- factories
FACTORY_FORMS = {
    "zeros_varargs": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3)),
    "zeros_list": lambda L: L.zeros([2, 3]),
    "zeros_Size": lambda L: L.zeros(L.Size([2, 3])),
    "zeros_size_keyword": lambda L: L.zeros(size=(2, 3)),
    "zeros_0d": lambda L: L.zeros(()),
    "zeros_empty_list": lambda L: L.zeros([]),
    "zeros_zero_length": lambda L: L.zeros(0, 3),
    "zeros_numpy_int": lambda L: L.zeros(np.int64(2), 3),
    "zeros_0d_tensor_size": lambda L: L.zeros(L.tensor(2)),
    "zeros_tensor_in_list": lambda L: L.zeros([2, L.tensor(3)]),
    "zeros_dtype": lambda L: L.zeros(2, dtype=L.int32),
    "zeros_options": lambda L: L.zeros(
        2, layout=L.strided, device="cpu", pin_memory=False, requires_grad=True
    ),
    "ones_varargs": lambda L: L.ones(2, 3, dtype=L.float64),
    "ones_size_keyword": lambda L: L.ones(size=[4]),
    "ones_bool": lambda L: L.ones(2, dtype=L.bool),
    "empty_size_keyword": lambda L: L.empty(size=(2, 3)).fill_(1),
    "empty_0d": lambda L: L.empty(()).fill_(2),
    "empty_contiguous_format": lambda L: L.empty(2, memory_format=L.contiguous_format).fill_(1),
    "empty_channels_last": lambda L: L.empty(1, 2, 3, 4, memory_format=L.channels_last).fill_(1),
    "full_tuple_int": lambda L: L.full((2, 3), 7),
    "full_keywords": lambda L: L.full(size=(2,), fill_value=1),
    "full_float": lambda L: L.full([2], 1.5),
    "full_bool": lambda L: L.full((2,), True),
    "full_0d": lambda L: L.full((), 3),
    "full_int_dtype_truncates": lambda L: L.full((2,), 2.7, dtype=L.int32),
    "full_negative_uint8_wraps": lambda L: L.full((2,), -1, dtype=L.uint8),
    "full_0d_tensor_value": lambda L: L.full((2,), L.tensor(True)),
    "full_int_tensor_value": lambda L: L.full((2,), L.tensor(3, dtype=L.int32)),
    "full_requires_grad": lambda L: L.full((2,), 1.0, requires_grad=True),
    "eye": lambda L: L.eye(3),
    "eye_rectangular": lambda L: L.eye(2, 3),
    "eye_keywords": lambda L: L.eye(n=2, m=3, dtype=L.int64),
    "eye_empty": lambda L: L.eye(3, 0),
    "arange_end": lambda L: L.arange(5),
    "arange_float_end": lambda L: L.arange(5.0),
    "arange_start_end": lambda L: L.arange(1, 4),
    "arange_step": lambda L: L.arange(0, 9, 2),
    "arange_negative_step": lambda L: L.arange(-1, -10, -3),
    "arange_float_negative_step": lambda L: L.arange(1, 0, -0.3),
    "arange_tenths": lambda L: L.arange(0.1, 0.9, 0.1),
    "arange_empty": lambda L: L.arange(5, 5),
    "arange_keywords": lambda L: L.arange(start=1, end=4),
    "arange_end_keyword": lambda L: L.arange(end=4),
    "arange_float64": lambda L: L.arange(1, 4, dtype=L.float64),
    "arange_int_dtype_truncates": lambda L: L.arange(0, 2.5, 1, dtype=L.int64),
    "arange_int_dtype_float_bounds": lambda L: L.arange(0.5, 3.5, dtype=L.int64),
    "arange_tensor_bound": lambda L: L.arange(L.tensor(3)),
    "arange_float_tensor_bound": lambda L: L.arange(L.tensor(3.0)),
    "arange_requires_grad": lambda L: L.arange(0.0, 2.0, 0.5, requires_grad=True),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace_thirds": lambda L: L.linspace(-1, 1, 7),
    "linspace_many": lambda L: L.linspace(-3.7, 11.2, 97),
    "linspace_float64": lambda L: L.linspace(0, 1, steps=5, dtype=L.float64),
    "linspace_int": lambda L: L.linspace(0, 10, 5, dtype=L.int64),
    "linspace_int_truncates_bounds": lambda L: L.linspace(0.5, 3.7, 4, dtype=L.int64),
    "linspace_one": lambda L: L.linspace(3, 3, 1),
    "linspace_none": lambda L: L.linspace(0, 1, 0),
    "linspace_tensor_bounds": lambda L: L.linspace(L.tensor(0.0), L.tensor(1.0), 3),
    "linspace_requires_grad": lambda L: L.linspace(0, 1, 3, requires_grad=True),
    "logspace": lambda L: L.logspace(0, 2, 3),
    "logspace_base_positional": lambda L: L.logspace(0, 2, 3, 2),
    "logspace_base": lambda L: L.logspace(-1, 1, 5, base=3.0),
    "logspace_int": lambda L: L.logspace(0, 3, 4, dtype=L.int32),
    "logspace_int_truncates_bounds": lambda L: L.logspace(0.5, 2.5, 3, base=2, dtype=L.int64),
    "zeros_like_keeps_dtype": lambda L: L.zeros_like(L.ones(2, dtype=L.int32)),
    "zeros_like_options": lambda L: L.zeros_like(
        L.ones(2), layout=L.strided, pin_memory=False, memory_format=L.preserve_format
    ),
    "ones_like_requires_grad": lambda L: L.ones_like(L.ones(2, 3), requires_grad=True),
    "ones_like_dtype": lambda L: L.ones_like(L.ones(2), dtype=L.float64),
    "empty_like": lambda L: L.empty_like(L.ones(2, 3), dtype=L.float64).fill_(1),
    "full_like_truncates": lambda L: L.full_like(L.ones(2, dtype=L.int64), 2.7),
    "full_like_keywords": lambda L: L.full_like(L.ones(2), fill_value=3, dtype=L.int32),
    "full_like_bool": lambda L: L.full_like(L.ones(2, dtype=L.bool), 2),
    "full_like_channels_last": lambda L: L.full_like(
        L.ones(1, 2, 3, 4), 1.0, memory_format=L.channels_last
    ),
    "tensor_pin_memory": lambda L: L.tensor([1.0], pin_memory=False),
    "as_tensor_keywords": lambda L: L.as_tensor([1, 2], dtype=L.float64, device="cpu"),
}


@pytest.mark.parametrize("name", sorted(FACTORY_FORMS))
def test_factory_call_forms_match_torch(name):
    check(FACTORY_FORMS[name])


RANDOM_FORMS = {
    "rand_varargs": lambda L: L.rand(2, 3),
    "rand_tuple": lambda L: L.rand((2, 3)),
    "rand_size_keyword": lambda L: L.rand(size=(2,)),
    "rand_0d": lambda L: L.rand(()),
    "rand_generator": lambda L: L.rand(2, 3, generator=L.Generator().manual_seed(0)),
    "rand_float64": lambda L: L.rand(2, dtype=L.float64),
    "rand_options": lambda L: L.rand(2, layout=L.strided, device="cpu", pin_memory=False),
    "randn_varargs": lambda L: L.randn(4, 1),
    "randn_Size": lambda L: L.randn(L.Size([2, 2])),
    "randn_requires_grad": lambda L: L.randn(2, dtype=L.float64, requires_grad=True),
    "randint_high_size": lambda L: L.randint(3, (2,)),
    "randint_low_high_size": lambda L: L.randint(1, 3, (2, 2)),
    "randint_size_keyword": lambda L: L.randint(3, size=(2,)),
    "randint_keywords": lambda L: L.randint(low=1, high=3, size=(2,)),
    "randint_high_keyword": lambda L: L.randint(high=3, size=(2,)),
    "randint_low_positional_high_keyword": lambda L: L.randint(1, high=3, size=(2,)),
    "randint_list_size": lambda L: L.randint(3, [2]),
    "randint_Size": lambda L: L.randint(1, 3, L.Size([2])),
    "randint_0d": lambda L: L.randint(1, 3, size=[]),
    "randint_bool": lambda L: L.randint(0, 2, (3,), dtype=L.bool),
    "randint_float_requires_grad": lambda L: L.randint(
        3, (2,), dtype=L.float32, requires_grad=True
    ),
    "randint_generator": lambda L: L.randint(5, (3,), generator=L.Generator().manual_seed(1)),
    "randperm": lambda L: L.randperm(4),
    "randperm_keyword": lambda L: L.randperm(n=4),
    "randperm_float": lambda L: L.randperm(4, dtype=L.float32, requires_grad=True),
    "randperm_empty": lambda L: L.randperm(0),
    "rand_like": lambda L: L.rand_like(L.ones(2, 3)),
    "rand_like_generator": lambda L: L.rand_like(L.ones(2), generator=L.Generator()),
    "randn_like_requires_grad": lambda L: L.randn_like(L.ones(2), requires_grad=True),
    "randn_like_dtype": lambda L: L.randn_like(L.ones(2), dtype=L.float64),
    "randint_like_high": lambda L: L.randint_like(L.ones(2), 5),
    "randint_like_low_high": lambda L: L.randint_like(L.ones(2), 2, 5),
    "randint_like_high_keyword": lambda L: L.randint_like(L.ones(2), high=5),
    "randint_like_keywords": lambda L: L.randint_like(L.ones(2), low=2, high=5),
    "randint_like_int32": lambda L: L.randint_like(L.ones(2, dtype=L.int32), 5),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FORMS))
def test_random_factory_call_forms_give_torchs_shape_dtype_and_requires_grad(name):
    t, g = RANDOM_FORMS[name](torch), RANDOM_FORMS[name](tg)
    assert tuple(g.shape) == tuple(t.shape)
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert g.requires_grad == t.requires_grad


def _dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


OUT_FORMS = {
    "zeros_resized": lambda L: (L.empty(0), lambda out: L.zeros(2, 3, out=out)),
    "zeros_shrunk": lambda L: (L.empty(5), lambda out: L.zeros(2, out=out)),
    "ones_same_shape": lambda L: (L.empty(2, 3), lambda out: L.ones(2, 3, out=out)),
    "zeros_takes_out_dtype": lambda L: (
        L.empty(2, dtype=L.int64),
        lambda out: L.zeros(2, out=out),
    ),
    "full_truncates_into_int_out": lambda L: (
        L.empty(0, dtype=L.int64),
        lambda out: L.full((2,), 1.5, out=out),
    ),
    "arange_float_out": lambda L: (L.empty(0), lambda out: L.arange(4, out=out)),
    "arange_int32_out": lambda L: (
        L.empty(0, dtype=L.int32),
        lambda out: L.arange(4, out=out),
    ),
    "linspace_float64_out": lambda L: (
        L.empty(0, dtype=L.float64),
        lambda out: L.linspace(0, 1, 3, out=out),
    ),
    "logspace_out": lambda L: (L.empty(0), lambda out: L.logspace(0, 1, 2, out=out)),
    "eye_int_out": lambda L: (L.empty(0, dtype=L.int64), lambda out: L.eye(2, out=out)),
    "zeros_requires_grad_sets_out": lambda L: (
        L.empty(2),
        lambda out: L.zeros(2, requires_grad=True, out=out),
    ),
}


@pytest.mark.parametrize("name", sorted(OUT_FORMS))
def test_out_is_written_resized_and_returned_as_torch(name):
    results = {}
    for L in (torch, tg):
        out, call = OUT_FORMS[name](L)
        version = out._version
        result = call(out)
        assert result is out
        assert out._version > version
        results[L] = result
    t, g = results[torch], results[tg]
    assert tuple(g.shape) == tuple(t.shape)
    assert _dtype_name(g) == _dtype_name(t)
    assert g.requires_grad == t.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-6)


RANDOM_OUT_FORMS = {
    "rand_float64_out": (lambda L: L.empty(2, dtype=L.float64), lambda L, o: L.rand(2, out=o)),
    "randn_resized": (lambda L: L.empty(0), lambda L, o: L.randn(3, 2, out=o)),
    "randint_float_out": (lambda L: L.empty(0), lambda L, o: L.randint(5, (3,), out=o)),
    "randperm_float_out": (lambda L: L.empty(0), lambda L, o: L.randperm(3, out=o)),
}


@pytest.mark.parametrize("name", sorted(RANDOM_OUT_FORMS))
def test_random_factories_write_out_as_torch(name):
    make_out, call = RANDOM_OUT_FORMS[name]
    t_out, g_out = make_out(torch), make_out(tg)
    t, g = call(torch, t_out), call(tg, g_out)
    assert g is g_out and t is t_out
    assert tuple(g.shape) == tuple(t.shape) and _dtype_name(g) == _dtype_name(t)


def _same_error(fn, message: bool = False):
    """Both libraries raise on ``fn(L)``; tapegrad's error is an instance of
    PyTorch's error class (and, with ``message``, has its text)."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as g_info:
        fn(tg)
    assert isinstance(g_info.value, type(t_info.value)), (
        f"tapegrad raised {type(g_info.value).__name__}: {g_info.value}; "
        f"torch raised {type(t_info.value).__name__}: {t_info.value}"
    )
    if message:
        assert str(t_info.value) in str(g_info.value)
    return g_info.value


FACTORY_ERRORS = {
    "zeros_no_size": (lambda L: L.zeros(), False),
    "zeros_float_size": (lambda L: L.zeros(2.0), False),
    "zeros_float_among_ints": (lambda L: L.zeros(2, 3.5), False),
    "zeros_float_in_tuple": (lambda L: L.zeros((2, 3.0)), False),
    "zeros_bool_size": (lambda L: L.zeros(True), False),
    "zeros_none_size": (lambda L: L.zeros(None), False),
    "zeros_str_size": (lambda L: L.zeros("a"), False),
    "zeros_float_tensor_size": (lambda L: L.zeros(L.tensor(2.0)), False),
    "zeros_nested_tuple": (lambda L: L.zeros(((2, 3),)), False),
    "zeros_tuple_and_int": (lambda L: L.zeros((2,), 3), False),
    "zeros_both_size_forms": (lambda L: L.zeros(2, size=(3,)), True),
    "zeros_int_size_keyword": (lambda L: L.zeros(size=2), False),
    "zeros_negative": (lambda L: L.ones(-1), True),
    "zeros_negative_second": (lambda L: L.randn(2, -1), True),
    "zeros_unknown_keyword": (lambda L: L.zeros(2, foo=1), False),
    "zeros_int_requires_grad": (lambda L: L.zeros(2, requires_grad=True, dtype=L.int64), False),
    "zeros_pin_memory": (lambda L: L.zeros(2, pin_memory=True), False),
    "zeros_out_dtype_mismatch": (lambda L: L.zeros(2, dtype=L.float64, out=L.empty(2)), False),
    "zeros_out_requires_grad": (lambda L: L.zeros(2, out=L.empty(2, requires_grad=True)), False),
    "ones_out_not_tensor": (lambda L: L.ones(2, out=[1]), False),
    "empty_channels_last_rank": (lambda L: L.empty(2, memory_format=L.channels_last), True),
    "empty_preserve_format": (lambda L: L.empty(2, memory_format=L.preserve_format), False),
    "empty_like_channels_last_rank": (
        lambda L: L.empty_like(L.ones(2, 3), memory_format=L.channels_last),
        True,
    ),
    "full_int_size": (lambda L: L.full(2, 1.0), False),
    "full_str_value": (lambda L: L.full((2,), "a"), False),
    "full_tensor_value": (lambda L: L.full((2,), L.tensor([1.0, 2.0])), False),
    "full_overflow": (lambda L: L.full((2,), 300, dtype=L.uint8), False),
    "full_negative": (lambda L: L.full((-1,), 1.0), True),
    "rand_int_dtype": (lambda L: L.rand(2, dtype=L.int64), False),
    "randn_int_out": (lambda L: L.randn(2, out=L.empty(0, dtype=L.int64)), False),
    "rand_like_int": (lambda L: L.rand_like(L.ones(2, dtype=L.int64)), False),
    "randint_no_size": (lambda L: L.randint(3), False),
    "randint_int_size": (lambda L: L.randint(3, 2), False),
    "randint_low_above_high": (lambda L: L.randint(3, 1, (2,)), True),
    "randint_float_high": (lambda L: L.randint(3.5, (2,)), False),
    "randint_requires_grad": (lambda L: L.randint(3, (2,), requires_grad=True), False),
    "randint_negative_size": (lambda L: L.randint(3, (-1,)), True),
    "randint_out_of_dtype": (lambda L: L.randint(0, 300, (2,), dtype=L.uint8), False),
    "randperm_negative": (lambda L: L.randperm(-1), True),
    "randperm_float": (lambda L: L.randperm(4.0), False),
    "randperm_requires_grad": (lambda L: L.randperm(4, requires_grad=True), False),
    "eye_negative_n": (lambda L: L.eye(-1), True),
    "eye_negative_m": (lambda L: L.eye(2, -1), True),
    "eye_float": (lambda L: L.eye(2.0), False),
    "arange_zero_step": (lambda L: L.arange(0, 5, 0), True),
    "arange_wrong_direction": (lambda L: L.arange(5, 0), True),
    "arange_wrong_step_sign": (lambda L: L.arange(0, 5, -1), True),
    "arange_infinite": (lambda L: L.arange(float("inf")), True),
    "arange_str": (lambda L: L.arange("a"), False),
    "arange_step_truncated_to_zero": (lambda L: L.arange(0, 1, 0.25, dtype=L.int64), True),
    "arange_bool": (lambda L: L.arange(5, dtype=L.bool), False),
    "linspace_no_steps": (lambda L: L.linspace(0, 1), False),
    "linspace_negative_steps": (lambda L: L.linspace(0, 1, -1), True),
    "linspace_float_steps": (lambda L: L.linspace(0, 1, 5.0), False),
    "linspace_bool": (lambda L: L.linspace(0, 1, 2, dtype=L.bool), False),
    "logspace_negative_steps": (lambda L: L.logspace(0, 1, -2), True),
    "zeros_like_list": (lambda L: L.zeros_like([1, 2]), False),
    "zeros_like_array": (lambda L: L.zeros_like(np.ones(2)), False),
    "tensor_pin_memory": (lambda L: L.tensor([1.0], pin_memory=True), False),
    "tensor_int_requires_grad": (lambda L: L.tensor([1], requires_grad=True), False),
}


@pytest.mark.parametrize("name", sorted(FACTORY_ERRORS))
def test_factory_errors_match_torch(name):
    fn, message = FACTORY_ERRORS[name]
    _same_error(fn, message)


# ----------------------------------------------------------------- indexing
KEYS = {
    "int": lambda L: 1,
    "negative_int": lambda L: -1,
    "ints": lambda L: (1, 2),
    "negative_ints": lambda L: (-1, -2, 3),
    "slice": lambda L: slice(1, 3),
    "step_slice": lambda L: (slice(None), slice(1, None, 2)),
    "negative_bounds_slice": lambda L: slice(-2, None),
    "clamped_slice": lambda L: slice(-100, 100),
    "empty_slice": lambda L: slice(3, 1),
    "tensor_slice_bounds": lambda L: slice(L.tensor(1), L.tensor(3)),
    "none": lambda L: None,
    "none_int": lambda L: (None, 0),
    "slice_none_int": lambda L: (slice(None), None, 1),
    "ellipsis": lambda L: Ellipsis,
    "ellipsis_int": lambda L: (Ellipsis, 1),
    "int_ellipsis": lambda L: (0, Ellipsis),
    "ellipsis_none": lambda L: (Ellipsis, None),
    "two_ellipses": lambda L: (Ellipsis, Ellipsis),
    "ellipsis_int_ellipsis": lambda L: (Ellipsis, 0, Ellipsis),
    "int_two_ellipses": lambda L: (0, Ellipsis, Ellipsis),
    "empty_tuple": lambda L: (),
    "range": lambda L: range(2),
    "range_step": lambda L: range(0, 3, 2),
    "ranges": lambda L: (slice(None), range(1, 3), range(2)),
    "list": lambda L: [0, 2],
    "list_repeated": lambda L: [2, 0, 2, 2],
    "list_negative": lambda L: [-1, 0],
    "list_of_floats": lambda L: [1.0, 2.7],
    "list_empty": lambda L: [],
    "list_bool_and_int": lambda L: [True, 1],
    "list_of_lists_is_tuple": lambda L: [[0, 1], [2, 2]],
    "list_with_tensor_is_tuple": lambda L: [L.tensor(0), 1],
    "list_with_slice_is_tuple": lambda L: [0, slice(None)],
    "list_with_none_is_tuple": lambda L: [None, 0],
    "nested_list_2d": lambda L: ([[0, 1], [2, 2]],),
    "lists_broadcast": lambda L: ([[0], [1]], [[1, 2, 3]]),
    "tuple_inside_tuple": lambda L: ((0, 1), slice(None)),
    "int_apart_from_array": lambda L: (1, slice(None), [0, 1]),
    "int_beside_array": lambda L: (slice(None), 0, [1, 2]),
    "int_between_arrays": lambda L: ([0, 1], 0, [1, 2]),
    "arrays_apart": lambda L: ([0, 1], slice(None), [1, 2]),
    "arrays_around_ellipsis": lambda L: ([0, 1], Ellipsis, [1, 2]),
    "arrays_beside": lambda L: (slice(None), [0, 1], [1, 2]),
    "none_between_arrays": lambda L: (None, [0, 1], None, [1, 2]),
    "array_then_int": lambda L: ([0, 2], 1),
    "int_and_two_arrays": lambda L: (0, [1, 3], [2, 4]),
    "int_slice_array": lambda L: (2, slice(1, 3), [0, 4]),
    "long_tensor": lambda L: _int_tensor(L, [0, 2, 2]),
    "int32_tensor": lambda L: _int_tensor(L, [0, 2], I32),
    "long_tensor_2d": lambda L: (slice(None), _int_tensor(L, [[0, 3], [3, 3]])),
    "long_tensor_0d": lambda L: _int_tensor(L, 1),
    "int8_tensor_0d": lambda L: _int_tensor(L, 1, I8),
    "tensor_0d_pair": lambda L: (_int_tensor(L, 1), _int_tensor(L, 2)),
    "tensor_0d_apart_from_array": lambda L: (slice(None), _int_tensor(L, 1), [0, 1]),
    "tensors_apart": lambda L: (_int_tensor(L, [[0], [1]]), slice(None), _int_tensor(L, [1, 2])),
    "list_of_tensors_is_tuple": lambda L: [_int_tensor(L, [0, 1]), _int_tensor(L, [1, 2])],
    "bool_mask_full": lambda L: L.tensor(X > 0.3),
    "bool_mask_2d": lambda L: L.tensor((X > 0)[:, :, 0]),
    "bool_mask_dim1": lambda L: (slice(None), L.tensor([True, False, True, True])),
    "bool_mask_after_ellipsis": lambda L: (Ellipsis, L.tensor([True, False, False, True, True])),
    "bool_mask_and_array": lambda L: (L.tensor([True, False, True]), [1, 3]),
    "bool_list": lambda L: [True, False, True],
    "bool_list_dim1": lambda L: (slice(None), [True, False, True, False]),
    "bool_list_nested_is_tuple": lambda L: [[True, False, True]],
    "uint8_mask": lambda L: _int_tensor(L, [1, 0, 1], U8),
    "uint8_mask_0d": lambda L: _int_tensor(L, 1, U8),
    "true": lambda L: True,
    "false": lambda L: False,
    "true_tensor": lambda L: L.tensor(True),
    "false_tensor": lambda L: L.tensor(False),
    "int_true": lambda L: (True, 0),
    "int_false": lambda L: (0, False),
    "true_between_arrays": lambda L: ([0, 1], True, [0, 1]),
    "int_true_array": lambda L: (0, L.tensor(True), [0, 1]),
    "slice_true_array": lambda L: (slice(None), True, [0, 1]),
    "numpy_int_array": lambda L: np.array([0, 2]),
    "numpy_int8_array": lambda L: np.array([1, 0], dtype=np.int8),
    "numpy_uint16_array": lambda L: np.array([1, 0], dtype=np.uint16),
    "numpy_float_array": lambda L: np.array([1.0, 2.0]),
    "numpy_bool_array": lambda L: np.array([True, False, True]),
    "numpy_uint8_array": lambda L: np.array([1, 0, 1], dtype=np.uint8),
    "numpy_int_scalar": lambda L: np.int64(1),
    "numpy_int32_scalar": lambda L: (slice(None), np.int32(2)),
    "numpy_0d_array": lambda L: np.array(1),
    "numpy_0d_float_array": lambda L: np.array(2.0),
    "numpy_0d_bool_array": lambda L: np.array(True),
    "numpy_0d_apart_from_array": lambda L: (slice(None), np.array(1), [0, 1]),
    "numpy_arrays_apart": lambda L: (np.array([0, 1]), slice(None), np.array([2, 3])),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_values_and_gradients_match_torch(name):
    check(lambda L, x: x[KEYS[name](L)] * 2, X)


def _value_shape(key_of) -> tuple:
    return tuple(torch.zeros(X.shape)[key_of(torch)].shape)


SETITEM_KEYS = [
    "int",
    "ints",
    "slice",
    "step_slice",
    "none_int",
    "ellipsis_int",
    "two_ellipses",
    "range",
    "list",
    "list_of_lists_is_tuple",
    "lists_broadcast",
    "int_apart_from_array",
    "int_beside_array",
    "arrays_apart",
    "arrays_around_ellipsis",
    "none_between_arrays",
    "long_tensor_2d",
    "tensor_0d_apart_from_array",
    "bool_mask_full",
    "bool_mask_dim1",
    "bool_mask_and_array",
    "uint8_mask",
    "true",
    "int_true_array",
    "numpy_arrays_apart",
]


@pytest.mark.parametrize("name", SETITEM_KEYS)
def test_setitem_values_and_gradients_match_torch(name):
    key_of = KEYS[name]
    value = rng.standard_normal(_value_shape(key_of))

    def write(L, x, v):
        y = x * 1.0
        y[key_of(L)] = v
        return y

    check(write, X, value)


@pytest.mark.parametrize("name", ["int_apart_from_array", "bool_mask_dim1", "arrays_apart"])
def test_setitem_broadcasts_values_and_numbers_as_torch(name):
    key_of = KEYS[name]
    row = rng.standard_normal(_value_shape(key_of)[-1:])

    def write(L, x, v):
        y = x * 1.0
        y[key_of(L)] = v
        y[key_of(L)] *= 2.0
        return y

    check(write, X, row)

    def write_number(L, x):
        y = x * 1.0
        y[key_of(L)] = 3.5
        return y

    check(write_number, X)


def test_setitem_converts_numbers_and_basic_or_masked_0d_values_as_torch():
    def write(L):
        y = L.zeros(5, dtype=L.int64)
        y[[0, 2]] = 1.7
        y[1] = L.tensor(2.9)
        y[L.tensor([False, False, False, True, False])] = L.tensor(5.5)
        y[4:] = L.tensor([6.2], dtype=L.float64)
        return y

    check(write)


@pytest.mark.parametrize(
    "key_of",
    [lambda L: [0, 2], lambda L: (L.tensor([True, False, True, False]),), lambda L: (0, [1])],
    ids=["indices", "mask_with_vector", "two_step"],
)
def test_setitem_through_advanced_index_refuses_another_dtype_as_torch(key_of):
    def write(L):
        y = L.zeros(4, 4) if isinstance(key_of(L), tuple) and len(key_of(L)) == 2 else L.zeros(4)
        y[key_of(L)] = L.tensor([1.0, 2.0], dtype=L.float64)[: 1 if y.ndim == 2 else 2]

    _same_error(write)


@pytest.mark.parametrize(
    "indices",
    [
        lambda L: (_int_tensor(L, [0, 0, 2]),),
        lambda L: (_int_tensor(L, [0, 2, 0]), _int_tensor(L, [1, 1, 1])),
        lambda L: (L.tensor([True, False, True]),),
    ],
)
def test_index_put_accumulates_repeated_indices_as_torch(indices):
    shape = tuple(torch.zeros(X.shape)[indices(torch)].shape)
    values = rng.standard_normal(shape)
    check(lambda L, x, v: L.index_put(x, indices(L), v, accumulate=True), X, values)
    check(lambda L, x, v: x.index_put(indices(L), v, accumulate=True), X, values)
    check(lambda L, x, v: x.index_put(indices(L), v[0]), X, values)


INDEX_ERRORS = {
    "float": (lambda L: 1.0, True),
    "float_in_tuple": (lambda L: ([0, 1], 1.0), True),
    "numpy_float": (lambda L: np.float64(1), True),
    "numpy_bool": (lambda L: np.bool_(True), True),
    "object": (lambda L: object, False),
    "set": (lambda L: {1}, True),
    "float_tensor": (lambda L: L.tensor([0.0, 1.0]), True),
    "float_tensor_0d": (lambda L: L.tensor(1.0), True),
    "int8_tensor": (lambda L: _int_tensor(L, [0, 2], I8), True),
    "int16_tensor": (lambda L: _int_tensor(L, [0, 2], "int16"), True),
    "str": (lambda L: "a", False),
    "int_out_of_range": (lambda L: 5, True),
    "negative_int_out_of_range": (lambda L: -4, True),
    "int_out_of_range_dim1": (lambda L: (slice(None), 7), True),
    "list_out_of_range": (lambda L: [0, 5], True),
    "two_step_int_out_of_range": (lambda L: (1, slice(None), 9), True),
    "too_many": (lambda L: (0, 0, 0, 0), True),
    "too_many_with_none": (lambda L: (None, 0, 0, 0, 0), True),
    "negative_step": (lambda L: slice(None, None, -1), True),
    "negative_step_dim1": (lambda L: (slice(None), slice(None, None, -2)), True),
    "zero_step": (lambda L: slice(None, None, 0), True),
    "mask_wrong_shape": (lambda L: L.ones(4, dtype=L.bool), True),
    "mask_wrong_shape_dim1": (lambda L: (slice(None), L.ones(3, 3, dtype=L.bool)), True),
    "arrays_do_not_broadcast": (lambda L: ([0, 1], [0, 1, 2]), False),
    "ragged_list": (lambda L: (slice(None), [[0, 1], [1]]), False),
    "float_slice_bound": (lambda L: slice(1.0, 2), False),
}


@pytest.mark.parametrize("name", sorted(INDEX_ERRORS))
def test_index_errors_match_torch(name):
    key_of, message = INDEX_ERRORS[name]
    _same_error(lambda L: L.tensor(X)[key_of(L)], message)


def test_out_of_range_index_names_index_dimension_and_size():
    err = _same_error(lambda L: L.tensor(X)[:, [0, 9]])
    assert "index 9 is out of bounds for dimension 1 with size 4" in str(err)


def test_indexing_a_0d_tensor_with_an_int_fails_as_torch():
    _same_error(lambda L: L.tensor(2.0)[0], message=True)


@pytest.mark.parametrize(
    "key_of, value_shape",
    [
        (lambda L: (slice(None), [0, 1]), (2,)),
        (lambda L: 0, (4,)),
        (lambda L: L.tensor(X > 0), (3,)),
    ],
)
def test_setitem_value_that_does_not_broadcast_fails_as_torch(key_of, value_shape):
    def write(L):
        y = L.tensor(X)
        y[key_of(L)] = L.ones(value_shape, dtype=L.float64)

    _same_error(write)
