"""Tensor conveniences without PyTorch: formatting, ``type()``, casts,
``new_*``, the ``*_as`` methods, ``masked_fill_``/``index_fill``, the in-place
random fills (their laws checked by moments with fixed seeds), ``apply_`` /
``map_``, the legacy tensor types, print options, ``finfo`` and ``iinfo``."""

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.printing import get_printoptions

ALL_TYPES = [
    ("torch.FloatTensor", tg.float32, tg.FloatTensor),
    ("torch.DoubleTensor", tg.float64, tg.DoubleTensor),
    ("torch.HalfTensor", tg.float16, tg.HalfTensor),
    ("torch.LongTensor", tg.int64, tg.LongTensor),
    ("torch.IntTensor", tg.int32, tg.IntTensor),
    ("torch.ShortTensor", tg.int16, tg.ShortTensor),
    ("torch.CharTensor", tg.int8, tg.CharTensor),
    ("torch.ByteTensor", tg.uint8, tg.ByteTensor),
    ("torch.BoolTensor", tg.bool, tg.BoolTensor),
]


# ---------------------------------------------------------------- __format__
def test_format_of_a_0d_tensor_is_the_format_of_its_number():
    t = tg.tensor(1.23456)
    assert f"{t:.3f}" == "1.235"
    assert f"{t}" == str(t.item()) == "1.2345600128173828"
    assert f"{tg.tensor(7):>4d}" == "   7"
    assert f"{tg.tensor(2.0, requires_grad=True):.2f}" == "2.00"


def test_format_of_other_tensors_needs_an_empty_spec():
    x = tg.tensor([1.5, 2.5])
    assert f"{x}" == repr(x)
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{tg.tensor([1.5]):.3f}"
    with pytest.raises(TypeError, match="Parameter"):
        f"{tg.nn.Parameter(tg.tensor(2.0)):.3f}"


# ------------------------------------------------------------------ type()
@pytest.mark.parametrize("name, dtype, legacy", ALL_TYPES)
def test_type_names_the_legacy_type_of_each_dtype(name, dtype, legacy):
    assert tg.zeros(2, dtype=dtype).type() == name


@pytest.mark.parametrize("name, dtype, legacy", ALL_TYPES)
def test_type_converts_by_name_dtype_or_legacy_type(name, dtype, legacy):
    x = tg.tensor([1.0, 0.0, 2.0])
    for target in (name, dtype, legacy):
        y = x.type(target)
        assert y.dtype == dtype and y.tolist() == x.to(dtype).tolist()


def test_type_returns_the_tensor_itself_when_nothing_changes():
    x = tg.tensor([1.0])
    assert x.type(tg.float32) is x and x.type("torch.FloatTensor") is x
    assert tg.tensor([1]).type(tg.Tensor).dtype == tg.get_default_dtype()
    assert tg.tensor([1]).type("torch.Tensor").dtype == tg.get_default_dtype()


def test_type_between_floats_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.type(tg.DoubleTensor)
    (y * tg.tensor([3.0, 4.0], dtype=tg.float64)).sum().backward()
    assert x.grad.dtype == tg.float32 and x.grad.tolist() == [3.0, 4.0]
    assert not x.type(tg.LongTensor).requires_grad


@pytest.mark.parametrize(
    "argument, error, words",
    [
        ("float", ValueError, "invalid type: 'float'"),
        ("DoubleTensor", ValueError, "invalid type"),
        (float, ValueError, "invalid type: 'float'"),
        (3, TypeError, "dtype must be a type, str, or dtype object"),
        ("torch.cuda.FloatTensor", RuntimeError, "CPU"),
    ],
)
def test_type_refuses_what_names_no_cpu_tensor_type(argument, error, words):
    with pytest.raises(error, match=words):
        tg.tensor([1.0]).type(argument)


# ------------------------------------------------------------ casts, flags
@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", tg.float32),
        ("double", tg.float64),
        ("half", tg.float16),
        ("long", tg.int64),
        ("int", tg.int32),
        ("bool", tg.bool),
    ],
)
def test_cast_methods_give_their_dtype(method, dtype):
    x = tg.tensor([1.5, -2.5, 0.0], dtype=tg.float64)
    y = getattr(x, method)()
    assert y.dtype == dtype and y.tolist() == x.numpy().astype(dtype).tolist()
    assert getattr(y, method)() is y


def test_integer_cast_of_a_tensor_that_requires_grad_is_cut_from_the_graph():
    x = tg.tensor([1.5], requires_grad=True)
    assert not x.long().requires_grad and x.double().requires_grad


def test_a_tensor_is_dense_on_the_cpu():
    x = tg.zeros(2)
    flags = (x.is_cuda, x.is_xpu, x.is_mps, x.is_meta, x.is_sparse, x.is_quantized)
    assert flags == (False,) * 6


@pytest.mark.parametrize("dtype, size", [(tg.float64, 8), (tg.float16, 2), (tg.bool, 1)])
def test_sizes_in_bytes(dtype, size):
    x = tg.zeros(3, 4, dtype=dtype)
    assert x.element_size() == x.itemsize == size
    assert x.nbytes == 12 * size
    assert tg.zeros(1).expand(5).nbytes == 20  # (counts the elements, as PyTorch)


# ------------------------------------------------------------------- new_*
@pytest.mark.parametrize(
    "call, shape",
    [
        (lambda x, f: f(2, 3), (2, 3)),
        (lambda x, f: f((2, 3)), (2, 3)),
        (lambda x, f: f([4]), (4,)),
        (lambda x, f: f(size=(1, 2)), (1, 2)),
        (lambda x, f: f(()), ()),
    ],
)
@pytest.mark.parametrize("method, value", [("new_zeros", 0), ("new_ones", 1), ("new_empty", None)])
def test_new_factories_take_pytorchs_size_forms_and_the_dtype(call, shape, method, value):
    x = tg.zeros(1, dtype=tg.float64)
    y = call(x, getattr(x, method))
    assert y.shape == shape and y.dtype == tg.float64
    if value is not None:
        assert (y.numpy() == value).all()


def test_new_factories_take_dtype_and_requires_grad():
    x = tg.zeros(1, dtype=tg.float64)
    assert x.new_ones(2, dtype=tg.int32).dtype == tg.int32
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        x.new_ones(2, size=(3,))


def test_new_full_and_new_tensor_take_the_tensors_dtype():
    i = tg.tensor([1, 2])
    assert i.new_full((2,), 2.7).tolist() == [2, 2]
    assert i.new_full(size=[1], fill_value=3).tolist() == [3]
    with pytest.raises(TypeError, match="tuple of ints"):
        i.new_full(2, 3)
    x = tg.zeros(1, dtype=tg.float64)
    assert x.new_tensor(np.array([1, 2], dtype=np.int32)).dtype == tg.float64
    assert x.new_tensor([1.0], dtype=tg.float32, requires_grad=True).requires_grad
    with pytest.warns(UserWarning, match="detach"):
        copy = x.new_tensor(x)
    copy.add_(1.0)
    assert x.tolist() == [0.0]  # (a copy)


# --------------------------------------------------------- type_as, *_as
def test_type_as_view_as_reshape_as_expand_as():
    x = tg.arange(6.0)
    other = tg.zeros(2, 3, dtype=tg.float64)
    assert x.type_as(other).dtype == tg.float64
    assert x.view_as(other).shape == x.reshape_as(other).shape == (2, 3)
    assert tg.ones(1, 3).expand_as(other).shape == (2, 3)
    for method in ("view_as", "reshape_as", "expand_as", "type_as"):
        with pytest.raises(TypeError, match="must be Tensor, not ndarray"):
            getattr(x, method)(np.zeros((2, 3)))


# ----------------------------------------------------- masked_fill_, index_fill
def test_masked_fill_in_place_casts_the_value_and_counts_a_version():
    i = tg.zeros(3, dtype=tg.int64)
    before = i._version
    i.masked_fill_(tg.tensor([True, False, True]), 2.7)
    assert i.tolist() == [2, 0, 2] and i._version == before + 1
    x = tg.zeros(2, 3)
    x.masked_fill_(tg.tensor([True, False, True]), tg.tensor(5.0, dtype=tg.float64))
    assert x.dtype == tg.float32 and x.tolist() == [[5, 0, 5]] * 2


@pytest.mark.parametrize(
    "mask, value, error, words",
    [
        (tg.tensor([1, 0, 1]), 5.0, RuntimeError, "boolean masks"),
        ([True, False, True], 5.0, TypeError, "must be Tensor"),
        (tg.tensor([True, False, True]), tg.tensor([1.0, 2.0]), RuntimeError, "0-dimensional"),
        (tg.ones(2, 3, dtype=tg.bool), 5.0, RuntimeError, "cannot broadcast"),
    ],
)
def test_masked_fill_refuses_what_pytorch_refuses(mask, value, error, words):
    with pytest.raises(error, match=words):
        tg.zeros(3).masked_fill_(mask, value)


def test_masked_fill_gradient_reaches_the_value_tensor():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    v = tg.tensor(0.5, dtype=tg.float64, requires_grad=True)
    mask = tg.tensor([True, False, True])
    assert tg.gradcheck(lambda x, v: x.masked_fill(mask, v) ** 2, (x, v))


def test_index_fill_fills_the_slices_the_index_names():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.index_fill(1, tg.tensor([0, 2]), -1.0).tolist() == [[-1, 1, -1], [-1, 4, -1]]
    assert x.index_fill(0, tg.tensor(1), -1.0).tolist() == [[0, 1, 2], [-1, -1, -1]]
    assert tg.index_fill(x, -1, tg.tensor([-1, -1]), 9.0).tolist() == [[0, 1, 9], [3, 4, 9]]
    assert tg.tensor([1, 2, 3]).index_fill(0, tg.tensor([0]), 2.7).tolist() == [2, 2, 3]
    assert tg.tensor(5.0).index_fill(0, tg.tensor([0]), 2.0).item() == 2.0


def test_index_fill_in_place_counts_a_version():
    x = tg.zeros(2, 3)
    before = x._version
    assert x.index_fill_(1, tg.tensor([1]), 7.0) is x
    assert x.tolist() == [[0, 7, 0], [0, 7, 0]] and x._version == before + 1


@pytest.mark.parametrize(
    "dim, index, value, error, words",
    [
        (
            1,
            tg.tensor([3]),
            1.0,
            IndexError,
            "index 3 is out of bounds for dimension 1 with size 3",
        ),
        (1, tg.tensor([-4]), 1.0, IndexError, "index -4 is out of bounds"),
        (2, tg.tensor([0]), 1.0, IndexError, "out of range"),
        (1, tg.tensor([0], dtype=tg.int32), 1.0, IndexError, "int64"),
        (1, tg.tensor([[0]]), 1.0, RuntimeError, "vector or a scalar"),
        (1, [0], 1.0, TypeError, "must be Tensor"),
        (1, tg.tensor([0]), tg.tensor([1.0]), RuntimeError, "0-dimensional"),
    ],
)
def test_index_fill_refuses_what_pytorch_refuses(dim, index, value, error, words):
    with pytest.raises(error, match=words):
        tg.zeros(2, 3).index_fill(dim, index, value)


def test_index_fill_gradient_is_zero_at_the_filled_slices():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    index = tg.tensor([0, 2])
    y = x.index_fill(1, index, v)
    (y * tg.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [0, 4, 0]] and v.grad.item() == 0 + 2 + 3 + 5
    assert tg.gradcheck(lambda x, v: x.index_fill(0, tg.tensor([1]), v).exp(), (x, v))


def test_index_fill_in_place_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf"):
        tg.zeros(3, requires_grad=True).index_fill_(0, tg.tensor([0]), 1.0)


# ------------------------------------------------------------ random fills
N = 200_000


def _filled(method, *args, dtype=tg.float64, seed=0, **kwargs):
    tg.manual_seed(seed)
    return getattr(tg.zeros(N, dtype=dtype), method)(*args, **kwargs).numpy()


def test_normal_and_uniform_fill_with_their_laws():
    v = _filled("normal_", 2.0, 3.0)
    assert abs(v.mean() - 2.0) < 0.03 and abs(v.std() - 3.0) < 0.03
    u = _filled("uniform_", -1.0, 3.0)
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    assert abs(u.var() - 16 / 12) < 0.02
    assert _filled("uniform_", to=0.5).max() < 0.5


def test_bernoulli_fills_ones_with_probability_p():
    assert abs(_filled("bernoulli_", 0.3).mean() - 0.3) < 0.005
    assert set(np.unique(_filled("bernoulli_"))) == {0.0, 1.0}
    p = tg.tensor([[0.0], [1.0], [0.25]])
    rows = tg.zeros(3, 40_000).bernoulli_(p).numpy().mean(axis=1)
    assert rows[0] == 0 and rows[1] == 1 and abs(rows[2] - 0.25) < 0.01


def test_exponential_geometric_cauchy_log_normal_fill_with_their_laws():
    e = _filled("exponential_", 4.0)
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    g = _filled("geometric_", 0.25)
    assert g.min() == 1 and (g == np.round(g)).all() and abs(g.mean() - 4.0) < 0.05
    assert abs((g == 1).mean() - 0.25) < 0.005
    c = _filled("cauchy_", 1.0, 2.0)
    q25, q50, q75 = np.quantile(c, [0.25, 0.5, 0.75])
    assert abs(q50 - 1.0) < 0.03 and abs((q75 - q25) / 2 - 2.0) < 0.05  # quartiles at m +- sigma
    logs = np.log(_filled("log_normal_", 0.5, 0.25))
    assert abs(logs.mean() - 0.5) < 0.005 and abs(logs.std() - 0.25) < 0.005


@pytest.mark.parametrize(
    "dtype, low, high",
    [
        (tg.float32, 0, 2**24),
        (tg.float16, 0, 2**11),
        (tg.int8, 0, 127),
        (tg.uint8, 0, 255),
        (tg.int16, 0, 2**15 - 1),
        (tg.bool, 0, 1),
    ],
)
def test_random_without_bounds_covers_the_integers_the_dtype_holds(dtype, low, high):
    v = _filled("random_", dtype=dtype).astype(np.float64)
    assert v.min() >= low and v.max() <= high and (v == np.round(v)).all()
    assert v.max() > high * 0.99 and abs(v.mean() - high / 2) < high * 0.01


def test_random_takes_to_or_from_and_to():
    assert set(np.unique(_filled("random_", 3))) == {0, 1, 2}
    assert set(np.unique(_filled("random_", -2, 2, dtype=tg.int64))) == {-2, -1, 0, 1}
    assert set(np.unique(_filled("random_", to=2))) == {0, 1}
    up = _filled("random_", 100, None, dtype=tg.int8)
    assert up.min() == 100 and up.max() == 127


@pytest.mark.parametrize(
    "method, args, dtype, words",
    [
        ("normal_", (0.0, -1.0), tg.float32, "std >= 0.0"),
        ("normal_", (), tg.int64, "floating point"),
        ("uniform_", (2.0, 1.0), tg.float32, r"\[from, to\) range"),
        ("uniform_", (0.0, math.inf), tg.float32, "to is out of bounds"),
        ("exponential_", (0.0,), tg.float32, "lambda > 0.0"),
        ("exponential_", (), tg.int32, "floating point"),
        ("geometric_", (1.0,), tg.float32, r"p to be in \(0, 1\)"),
        ("geometric_", (0.5,), tg.bool, "bool"),
        ("cauchy_", (0.0, 0.0), tg.float32, "sigma > 0.0"),
        ("log_normal_", (0.0, 0.0), tg.float32, "std > 0.0"),
        ("bernoulli_", (1.5,), tg.float32, r"p to be in \[0, 1\]"),
        ("bernoulli_", (tg.tensor([0.5, 0.5]),), tg.float32, "does not broadcast"),
        ("random_", (5, 5), tg.float32, "'from' to be less than 'to'"),
        ("random_", (0,), tg.float32, "'from' to be less than 'to'"),
        ("random_", (0, 300), tg.uint8, "to - 1 is out of bounds"),
        ("random_", (-3, 0), tg.uint8, "from is out of bounds"),
    ],
)
def test_random_fills_refuse_bad_parameters(method, args, dtype, words):
    with pytest.raises(RuntimeError, match=words):
        getattr(tg.zeros(3, dtype=dtype), method)(*args)


def test_random_with_float_bounds_is_a_type_error():
    with pytest.raises(TypeError):
        tg.zeros(3).random_(2.5)
    with pytest.raises(TypeError):
        tg.zeros(3).uniform_(low=1.0)  # (PyTorch's first argument is positional: `from`)


def test_random_bounds_a_float_dtype_cannot_hold_exactly_warn():
    with pytest.warns(UserWarning, match="out of bounds"):
        tg.zeros(3, dtype=tg.float16).random_(0, 2**12)


@pytest.mark.parametrize(
    "method, args",
    [
        ("normal_", ()),
        ("uniform_", ()),
        ("bernoulli_", ()),
        ("random_", (5,)),
        ("exponential_", ()),
        ("geometric_", (0.3,)),
        ("cauchy_", ()),
        ("log_normal_", ()),
    ],
)
def test_random_fills_are_reproducible_and_take_a_generator(method, args):
    def draw(**kwargs):
        return getattr(tg.zeros(50), method)(*args, **kwargs).tolist()

    tg.manual_seed(7)
    first = draw()
    tg.manual_seed(7)
    assert draw() == first
    assert draw(generator=tg.Generator(3)) == draw(generator=tg.Generator(3))
    assert draw(generator=tg.Generator(3)) != draw(generator=tg.Generator(4))


def test_random_fill_changes_the_tensor_in_place_with_a_version():
    x = tg.zeros(4)
    view = x[1:3]
    before = x._version
    assert view.normal_() is view
    assert x._version == before + 1 and x[1:3].tolist() == view.tolist()
    assert x[0].item() == 0.0


def test_random_fill_of_a_leaf_that_requires_grad_needs_no_grad():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.normal_()
    with tg.no_grad():
        x.uniform_(5.0, 6.0)
    assert x.requires_grad and (x.numpy(force=True) >= 5).all()


def test_random_fill_of_a_tensor_in_the_graph_is_recorded_with_zero_gradient():
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    y.exponential_()
    assert y.grad_fn is not None and (y.detach().numpy() != 2).all()
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------- apply_, map_
def test_apply_calls_the_function_on_each_number():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    before = x._version
    assert x.apply_(lambda v: v * v + 0.5) is x
    assert x.tolist() == [[1.5, 4.5], [9.5, 16.5]] and x._version == before + 1
    assert tg.tensor([1, 2, 3]).apply_(lambda v: v * 2.7).tolist() == [2, 5, 8]
    assert tg.tensor([True, False]).apply_(lambda v: not v).tolist() == [False, True]
    seen = []
    tg.tensor([1, 2]).apply_(lambda v: seen.append(type(v)) or v)
    assert seen == [int, int]


def test_apply_writes_through_a_view():
    x = tg.arange(4.0)
    x[1:3].apply_(lambda v: -v)
    assert x.tolist() == [0.0, -1.0, -2.0, 3.0]


def test_map_pairs_each_number_with_the_broadcast_other():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x.map_(tg.tensor([10.0, 20.0, 30.0]), lambda a, b: a + b)
    assert x.tolist() == [[11, 22, 33], [14, 25, 36]]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.zeros(2).apply_(lambda v: "a"), TypeError, "real numbers, not str"),
        (lambda: tg.zeros(2).apply_(lambda v: None), TypeError, "NoneType"),
        (lambda: tg.zeros(2, dtype=tg.uint8).apply_(lambda v: 300), RuntimeError, "uint8"),
        (lambda: tg.zeros(2).map_([1, 2], lambda a, b: a), TypeError, "must be Tensor"),
        (
            lambda: tg.zeros(2).map_(tg.tensor([1, 2]), lambda a, b: a),
            TypeError,
            r"expected torch.FloatTensor for 'tensor' \(got torch.LongTensor\)",
        ),
        (lambda: tg.zeros(1).map_(tg.zeros(2), lambda a, b: a), RuntimeError, "broadcast"),
    ],
)
def test_apply_and_map_refuse_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_apply_and_map_refuse_tensors_that_require_grad_even_without_grad_mode():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        with pytest.raises(RuntimeError, match=r"apply_\(\) on a tensor that requires grad"):
            x.apply_(lambda v: v)
        with pytest.raises(RuntimeError, match="map_"):
            tg.ones(2).map_(x, lambda a, b: a)
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2).apply_(lambda v: v)


# ------------------------------------------------------------- legacy types
def test_legacy_types_build_from_sizes():
    x = tg.FloatTensor(2, 3)
    assert x.shape == (2, 3) and x.dtype == tg.float32 and not x.requires_grad
    assert tg.LongTensor(np.int64(4)).shape == (4,)
    assert tg.DoubleTensor(size=[2]).shape == (2,)
    assert tg.FloatTensor().shape == (0,) and tg.FloatTensor(0).shape == (0,)
    assert tg.FloatTensor(2, 0).shape == (2, 0)


@pytest.mark.parametrize("name, dtype, legacy", ALL_TYPES)
def test_legacy_types_build_from_data(name, dtype, legacy):
    for data in ([1, 0], (1, 0), np.array([1, 0]), range(1, -1, -1)):
        t = legacy(data)
        assert t.dtype == dtype and t.tolist() == [1, 0] and type(t) is tg.Tensor
    assert isinstance(t, legacy) and t.type() == name


def test_legacy_type_conversions():
    assert tg.LongTensor([1.7, -2.7]).tolist() == [1, -2]
    assert tg.FloatTensor([[1, 2], [3, 4]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tg.ByteTensor([1, 255]).tolist() == [1, 255]
    assert tg.FloatTensor([True, False]).tolist() == [1.0, 0.0]
    assert tg.FloatTensor(np.array(3.0)).shape == ()


def test_legacy_type_of_a_tensor_of_its_dtype_is_an_alias():
    x = tg.zeros(2)
    y = tg.FloatTensor(x)
    y.add_(1.0)
    assert x.tolist() == [1.0, 1.0]
    w = tg.zeros(2, requires_grad=True)
    assert tg.FloatTensor(w).requires_grad


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.FloatTensor(2.5), TypeError, r"data must be a sequence \(got float\)"),
        (lambda: tg.FloatTensor(True), TypeError, "got bool"),
        (lambda: tg.FloatTensor(None), TypeError, "got NoneType"),
        (lambda: tg.FloatTensor("abc"), TypeError, "got str"),
        (lambda: tg.FloatTensor(2, 3.0), TypeError, "sizes"),
        (lambda: tg.FloatTensor(2, size=(3,)), TypeError, "size="),
        (lambda: tg.DoubleTensor(tg.zeros(2)), TypeError, "float64"),
        (lambda: tg.FloatTensor([1, 2], device="cuda"), RuntimeError, "CPU"),
        (lambda: tg.FloatTensor([1, 2], dtype=tg.float64), TypeError, "dtype"),
        (lambda: tg.FloatTensor([[1, 2], [3]]), ValueError, "rectangular"),
    ],
)
def test_legacy_types_refuse_what_pytorch_refuses(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_isinstance_of_a_legacy_type_is_a_dtype_test():
    x, p = tg.zeros(2), tg.nn.Parameter(tg.zeros(2))
    assert isinstance(x, tg.FloatTensor) and isinstance(p, tg.FloatTensor)
    assert not isinstance(x, tg.DoubleTensor) and not isinstance(3.0, tg.FloatTensor)
    assert isinstance(tg.zeros(2, dtype=tg.int8), tg.CharTensor)
    assert not issubclass(tg.FloatTensor, tg.Tensor)
    assert tg.FloatTensor.dtype == tg.float32 and tg.FloatTensor.is_cuda is False
    assert repr(tg.FloatTensor) == "<class 'tapegrad.FloatTensor'>"


# ------------------------------------------------------------- print options
@pytest.fixture
def restore_printoptions():
    before = get_printoptions()
    yield
    tg.set_printoptions(**before)


def test_precision_and_sci_mode(restore_printoptions):
    x = tg.tensor([1.123456, 2.5])
    tg.set_printoptions(precision=2)
    assert repr(x) == "tensor([1.12, 2.50])"
    tg.set_printoptions(sci_mode=True)
    assert repr(x) == "tensor([1.12e+00, 2.50e+00])"
    tg.set_printoptions(precision=4, sci_mode=False)
    assert repr(tg.tensor([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"


def test_threshold_and_edgeitems_summarize(restore_printoptions):
    tg.set_printoptions(threshold=5)
    assert repr(tg.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    tg.set_printoptions(edgeitems=1)
    assert repr(tg.arange(10)) == "tensor([0,  ..., 9])"
    assert (
        repr(tg.arange(12).reshape(3, 4))
        == "tensor([[ 0,  ...,  3],\n        ...,\n        [ 8,  ..., 11]])"
    )


def test_linewidth_wraps_rows(restore_printoptions):
    tg.set_printoptions(linewidth=30)
    assert repr(tg.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6,\n        7, 8, 9])"


def test_profiles_and_the_default(restore_printoptions):
    x = tg.tensor([1.123456, 2.5])
    default = repr(x)
    assert default == "tensor([1.1235, 2.5000])"
    tg.set_printoptions(profile="short")
    assert repr(x) == "tensor([1.12, 2.50])"
    assert repr(tg.arange(2000)) == "tensor([   0,    1,  ..., 1998, 1999])"
    tg.set_printoptions(profile="full")
    assert "..." not in repr(tg.arange(2000))
    tg.set_printoptions(profile="default")
    assert repr(x) == default and get_printoptions()["threshold"] == 1000
    with pytest.raises(ValueError, match="profile"):
        tg.set_printoptions(profile="long")


def test_print_of_empty_tensors_names_shape_and_dtype():
    assert repr(tg.zeros(0)) == "tensor([])"
    assert repr(tg.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(tg.zeros(0, dtype=tg.int64)) == "tensor([], dtype=tapegrad.int64)"


# ---------------------------------------------------------------- finfo, iinfo
def test_finfo_of_each_float():
    f = tg.finfo(tg.float32)
    assert (f.bits, f.eps, f.resolution, f.dtype) == (32, 2.0**-23, 1e-06, "float32")
    assert f.max == -f.min == float(np.finfo(np.float32).max)
    assert f.tiny == f.smallest_normal == 2.0**-126
    h = tg.finfo(tg.float16)
    assert (h.bits, h.eps, h.max, h.tiny, h.resolution) == (16, 2.0**-10, 65504.0, 2.0**-14, 1e-3)
    assert tg.finfo(float) == tg.finfo(tg.float64) and tg.finfo().dtype == "float32"
    assert tg.finfo(tg.float64).resolution == 1e-15
    assert repr(f) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)"
    )


def test_finfo_follows_the_default_dtype():
    old = tg.get_default_dtype()
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.finfo().bits == 64
    finally:
        tg.set_default_dtype(old)


def test_iinfo_of_each_integer():
    assert (tg.iinfo(tg.int8).min, tg.iinfo(tg.int8).max, tg.iinfo(tg.int8).bits) == (-128, 127, 8)
    assert (tg.iinfo(tg.uint8).min, tg.iinfo(tg.uint8).max) == (0, 255)
    assert tg.iinfo(int).max == 2**63 - 1 and tg.iinfo(tg.int32).dtype == "int32"
    assert repr(tg.iinfo(tg.int32)) == "iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)"


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: tg.finfo(tg.int32), "floating point"),
        (lambda: tg.iinfo(tg.float32), "integer"),
        (lambda: tg.iinfo(tg.bool), "bool"),
        (lambda: tg.finfo("float32"), "must be a dtype, not str"),
    ],
)
def test_finfo_and_iinfo_refuse_other_types(call, words):
    with pytest.raises(TypeError, match=words):
        call()


def test_finfo_is_read_only():
    with pytest.raises(AttributeError):
        tg.finfo().eps = 1.0


# ------------------------------------------------------ is_tensor, numel, default
def test_is_tensor_numel_and_the_default_dtype():
    assert tg.is_tensor(tg.zeros(1)) and tg.is_tensor(tg.nn.Parameter(tg.zeros(1)))
    assert not tg.is_tensor(np.zeros(1)) and not tg.is_tensor([1.0])
    assert tg.numel(tg.zeros(2, 3)) == 6 and tg.numel(tg.tensor(1.0)) == 1
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        tg.numel([1, 2])
    assert tg.get_default_dtype() == tg.float32


def test_no_warnings_from_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tg.zeros(3)
        x.random_(10)
        x.new_tensor([1, 2])
        repr(x.apply_(lambda v: v + 1))


def test_the_tensor_class_is_the_legacy_constructor_of_the_default_dtype():
    assert tg.Tensor(2, 3).shape == (2, 3) and tg.Tensor(2, 3).dtype == tg.float32
    assert tg.Tensor(tg.Size([4])).shape == (4,)
    assert tg.Tensor().shape == (0,)
    data = tg.Tensor([1, 2])
    assert data.dtype == tg.float32 and data.tolist() == [1.0, 2.0]
    assert tg.Tensor(np.array([1, 2])).dtype == tg.float32
    ints = tg.tensor([1, 2])
    assert tg.Tensor(ints).dtype == tg.int64  # a tensor is taken as it is
    with pytest.raises(TypeError, match="sequence"):
        tg.Tensor(3.5)
    weight = tg.nn.Parameter(tg.Tensor(4, 3))
    assert weight.shape == (4, 3) and weight.requires_grad
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.Tensor([1]).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


def test_size_is_a_size():
    x = tg.zeros(2, 3)
    assert isinstance(x.size(), tg.Size) and x.size() == (2, 3) and x.size().numel() == 6
    assert x.size(1) == 3
    assert tg.FloatTensor(x.size()).shape == (2, 3)  # a Size is read as sizes
