"""default_collate and default_convert: PyTorch's batching rules."""

from collections import namedtuple

import pytest

import tapegrad as tg
from tapegrad.backend import host as np
from tapegrad.utils.data import default_collate, default_convert

Point = namedtuple("Point", "x y")


def test_tensors_are_stacked_along_a_new_first_dimension():
    out = default_collate([tg.ones(2, 3), tg.zeros(2, 3)])
    assert out.shape == (2, 2, 3) and out.dtype == tg.float32
    assert out[0].tolist() == [[1.0] * 3] * 2


def test_python_numbers_become_float64_int64_and_bool_tensors():
    assert default_collate([1.5, 2.0]).dtype == tg.float64
    assert default_collate([1, 2]).dtype == tg.int64
    flags = default_collate([True, False])
    assert flags.dtype == tg.bool and flags.tolist() == [True, False]


def test_numpy_arrays_and_scalars_keep_their_dtype():
    arrays = default_collate([np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)])
    assert arrays.dtype == tg.int16 and arrays.tolist() == [[1, 2], [3, 4]]
    scalars = default_collate([np.float32(1.0), np.float32(2.5)])
    assert scalars.dtype == tg.float32 and scalars.shape == (2,)


def test_strings_stay_a_list_of_strings():
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_tuples_become_lists_of_collated_fields():
    out = default_collate([(1, "a"), (2, "b")])
    assert type(out) is list
    assert out[0].tolist() == [1, 2] and tuple(out[1]) == ("a", "b")


def test_dicts_and_namedtuples_keep_their_type():
    d = default_collate([{"a": 1, "b": 2.0}, {"a": 3, "b": 4.0}])
    assert d["a"].tolist() == [1, 3] and d["b"].dtype == tg.float64
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(p) is Point and p.x.tolist() == [1, 3]


def test_tensors_that_require_grad_are_stacked_with_their_graph():
    a = tg.ones(2, requires_grad=True)
    out = default_collate([a, a * 3])
    out.sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_different_shapes_name_both_shapes_and_the_entry():
    with pytest.raises(
        RuntimeError, match=r"equal size, but got \[2\] at entry 0 and \[3\] at entry 1"
    ):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(RuntimeError, match=r"\[2\] at entry 0 and \[1\] at entry 2"):
        default_collate([np.zeros(2), np.zeros(2), np.zeros(1)])


def test_samples_with_different_numbers_of_fields_are_an_error():
    with pytest.raises(RuntimeError, match="element 0 has 2 fields and element 1 has 3"):
        default_collate([[1, 2], [1, 2, 3]])


def test_an_unsupported_sample_type_is_named():
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_makes_arrays_tensors_and_keeps_the_rest():
    array = np.arange(3)
    out = default_convert((array, 7, "s", {"k": np.float64(2.0)}))
    assert type(out) is list and out[1:3] == [7, "s"]
    assert isinstance(out[0], tg.Tensor) and out[0].tolist() == [0, 1, 2]
    assert out[3]["k"].dtype == tg.float64 and out[3]["k"].shape == ()
