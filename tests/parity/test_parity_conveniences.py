"""Tensor conveniences against PyTorch: formatting, ``type()``, casts,
``new_*``, the ``*_as`` methods, ``masked_fill``/``index_fill`` (values and
gradients), the in-place random fills (ranges, moments and errors: the two
libraries' generators differ), ``apply_``/``map_``, the legacy tensor types,
print options, ``finfo``/``iinfo``, ``is_tensor``/``numel``."""

import warnings

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
FLOATS = ["float32", "float64", "float16"]


def both(dtype_name: str):
    """The dtype of each library named ``dtype_name``."""
    return getattr(torch, dtype_name), getattr(tg, dtype_name)


def same_text(t_text: str, g_text: str) -> None:
    assert g_text.replace("tapegrad.", "torch.") == t_text


# ---------------------------------------------------------------- __format__
@pytest.mark.parametrize("value, dtype", [(1.23456, "float32"), (-2.5, "float64"), (7, "int64")])
@pytest.mark.parametrize("spec", ["", ".3f", ">10.2e", "g", "+"])
def test_format_of_0d_tensors(value, dtype, spec):
    if dtype == "int64" and spec in (".3f", ">10.2e", "g"):
        spec = ">5d"
    t, g = torch.tensor(value, dtype=both(dtype)[0]), tg.tensor(value, dtype=both(dtype)[1])
    assert format(g, spec) == format(t, spec)


def test_format_of_other_tensors():
    same_text(f"{torch.tensor([1.5, 2.5])}", f"{tg.tensor([1.5, 2.5])}")
    for lib in (torch, tg):
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor"):
            format(lib.tensor([1.5]), ".3f")
        with pytest.raises(TypeError, match="Parameter.__format__"):
            format(lib.nn.Parameter(lib.tensor(1.5)), ".3f")


# ------------------------------------------------------------------ type()
@pytest.mark.parametrize("dtype", DTYPES)
def test_type_names(dtype):
    assert tg.zeros(2, dtype=both(dtype)[1]).type() == torch.zeros(2, dtype=both(dtype)[0]).type()


@pytest.mark.parametrize("source", ["float32", "int64", "float64"])
@pytest.mark.parametrize("target", DTYPES)
def test_type_converts_as_torch(source, target):
    a = np.array([1.7, -2.2, 0.0, 3.0]).astype(source)
    name = torch.zeros(1, dtype=both(target)[0]).type()
    check(lambda L, x: x.type(name), a, grad=False)
    check(lambda L, x: x.type(getattr(L, target)), a, grad=False)
    legacy = name.split(".")[1]
    check(lambda L, x: x.type(getattr(L, legacy)), a, grad=False)


def test_type_gradient_matches_torch():
    a = np.array([1.5, -2.0], dtype=np.float32)
    check(lambda L, x: x.type(L.DoubleTensor) * 3, a)
    check(lambda L, x: x.type("torch.HalfTensor").float() * 2, a)


def test_type_returns_the_same_tensor_when_nothing_changes():
    for lib in (torch, tg):
        x = lib.tensor([1.0])
        assert x.type(lib.float32) is x and x.type("torch.FloatTensor") is x
        assert lib.tensor([1]).type(lib.Tensor).dtype == lib.float32


@pytest.mark.parametrize("argument", ["float", "torch.float64", "DoubleTensor", float, int, 3])
def test_type_errors_match_torch(argument):
    with pytest.raises(Exception) as t_info:
        torch.tensor([1.0]).type(argument)
    with pytest.raises(type(t_info.value)):
        tg.tensor([1.0]).type(argument)


# ------------------------------------------------------------ casts, flags
@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool"])
@pytest.mark.parametrize("source", ["float32", "float64", "int64", "bool"])
def test_cast_methods(method, source):
    a = np.array([1.7, -2.5, 0.0, 300.0]).astype(source)
    check(lambda L, x: getattr(x, method)(), a, grad=source.startswith("float"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sizes_and_flags(dtype):
    t, g = torch.zeros(3, 4, dtype=both(dtype)[0]), tg.zeros(3, 4, dtype=both(dtype)[1])
    for name in ("nbytes", "itemsize", "is_cuda", "is_xpu", "is_sparse", "is_mps", "is_meta"):
        assert getattr(g, name) == getattr(t, name), name
    assert g.element_size() == t.element_size()
    assert g.expand(2, 3, 4).nbytes == t.expand(2, 3, 4).nbytes


# ------------------------------------------------------------------- new_*
SIZE_FORMS = [((2, 3), {}), (((2, 3),), {}), (([4],), {}), ((), {"size": (1, 2)}), (((),), {})]


@pytest.mark.parametrize("method", ["new_zeros", "new_ones", "new_empty"])
@pytest.mark.parametrize("args, kwargs", SIZE_FORMS)
@pytest.mark.parametrize("source", ["float64", "int32"])
def test_new_factories(method, args, kwargs, source):
    a = np.zeros(2, dtype=source)
    # (new_empty's values are whatever the memory held: its shape and dtype count)
    tidy = (lambda y: y.zero_()) if method == "new_empty" else (lambda y: y)
    check(lambda L, x: tidy(getattr(x, method)(*args, **kwargs)), a, grad=False)


def test_new_factories_with_dtype_and_requires_grad():
    a = np.zeros(2)
    check(lambda L, x: x.new_ones(2, dtype=L.int32), a, grad=False)
    check(lambda L, x: x.new_zeros((2,), requires_grad=True), a, grad=False)
    check(lambda L, x: x.new_full((2, 2), 2.7), a.astype(np.int64), grad=False)
    check(lambda L, x: x.new_full(size=[3], fill_value=True), a, grad=False)
    check(lambda L, x: x.new_tensor([[1, 2]]), a.astype(np.float32), grad=False)
    check(lambda L, x: x.new_tensor(np.array([1.5]), dtype=L.float16), a, grad=False)
    check_raises(lambda L, x: x.new_full(2, 3), a)
    check_raises(lambda L, x: x.new_ones(2, size=(3,)), a)


def test_new_tensor_of_a_tensor_warns_and_copies():
    for lib in (torch, tg):
        x = lib.zeros(2)
        with pytest.warns(UserWarning, match="detach"):
            y = x.new_tensor(x)
        y.add_(1)
        assert x.tolist() == [0.0, 0.0]


# --------------------------------------------------------------- *_as methods
def test_type_as_view_as_reshape_as_expand_as():
    a, b = np.arange(6.0, dtype=np.float32), np.zeros((2, 3))
    check(lambda L, x, o: x.type_as(o) * 2, a, b)
    check(lambda L, x, o: x.view_as(o) * 2, a, b)
    check(lambda L, x, o: x.reshape_as(o) * 2, a, b)
    check(lambda L, x, o: x.expand_as(o) * 2, np.ones((1, 3), np.float32), b)
    for method in ("type_as", "view_as", "reshape_as", "expand_as"):
        check_raises(lambda L, x, method=method: getattr(x, method)(b), a)


# ----------------------------------------------------- masked_fill, index_fill
MASK = np.array([True, False, True])


def test_masked_fill_values_and_gradients():
    x = np.arange(6.0).reshape(2, 3)
    check(lambda L, x: x.masked_fill(L.tensor(MASK), -1.5), x)
    check(lambda L, x, v: x.masked_fill(L.tensor(MASK), v), x, np.array(0.5))
    check(lambda L, x, v: x.masked_fill(L.tensor(MASK), v), x.astype(np.float32), np.array(0.5))
    check(lambda L, x: x.masked_fill(L.tensor(MASK), 2.7), x.astype(np.int64), grad=False)
    check(lambda L, x: x.masked_fill(L.ones(2, 2, 3, dtype=L.bool), 1.0), x)


def test_masked_fill_in_place():
    x = np.arange(6.0).reshape(2, 3)
    check(lambda L, x: (x * 1).masked_fill_(L.tensor(MASK), 9.0), x)
    check(lambda L, x: x.clone().masked_fill_(L.tensor(MASK), 2.7), x.astype(np.int64))
    check(lambda L, x, v: (x * 1).masked_fill_(L.tensor(MASK), v), x, np.array(2.0))


@pytest.mark.parametrize(
    "mask, value",
    [
        (np.array([1, 0, 1]), 5.0),
        (np.array([True, False]), 5.0),
        (MASK, np.array([1.0, 2.0])),
        (np.ones((2, 3), bool), 5.0),
    ],
)
def test_masked_fill_errors(mask, value):
    def fill(L, x):
        v = L.tensor(value) if isinstance(value, np.ndarray) else value
        return x.masked_fill_(L.tensor(mask), v)

    check_raises(fill, np.zeros(3))


INDEX_FILLS = [
    (1, [0, 2]),
    (0, [1]),
    (-1, [1]),
    (1, [0, 0]),
    (1, 2),
    (0, []),
]


@pytest.mark.parametrize("dim, index", INDEX_FILLS)
def test_index_fill_values_and_gradients(dim, index):
    x = np.arange(6.0).reshape(2, 3)
    check(lambda L, x: x.index_fill(dim, L.tensor(index, dtype=L.int64), -1.5), x)
    check(lambda L, x, v: L.index_fill(x, dim, L.tensor(index, dtype=L.int64), v), x, np.array(4.0))
    check(lambda L, x: (x * 1).index_fill_(dim, L.tensor(index, dtype=L.int64), 3.0), x)


def test_index_fill_with_negative_indices():
    # (values only: torch's own backward refuses negative indices)
    x = np.arange(6.0).reshape(2, 3)
    check(lambda L, x: x.index_fill(1, L.tensor([-1, -3]), 9.0), x, backward=False)


def test_index_fill_dtypes_and_0d():
    check(lambda L, x: x.index_fill(0, L.tensor([0]), 2.7), np.array([1, 2, 3]), grad=False)
    check(lambda L, x: x.index_fill(0, L.tensor([0]), 2.0), np.array(5.0))
    check(lambda L, x: x.index_fill(0, L.tensor(0), L.tensor(7, dtype=L.int64)), np.ones(3))


@pytest.mark.parametrize(
    "dim, index, value",
    [
        (1, np.array([3]), 1.0),
        (1, np.array([-4]), 1.0),
        (2, np.array([0]), 1.0),
        (1, np.array([0], np.int32), 1.0),
        (1, np.array([[0]]), 1.0),
        (1, [0], 1.0),
        (1, np.array([0]), np.array([1.0])),
    ],
)
def test_index_fill_errors(dim, index, value):
    def fill(L, x):
        i = L.tensor(index) if isinstance(index, np.ndarray) else index
        v = L.tensor(value) if isinstance(value, np.ndarray) else value
        return x.index_fill(dim, i, v)

    check_raises(fill, np.zeros((2, 3)))


def test_index_fill_in_place_on_a_leaf_that_requires_grad():
    check_raises(lambda L, x: x.index_fill_(0, L.tensor([0]), 1.0), np.zeros(3), grad=True)


# ------------------------------------------------------------ random fills
N = 100_000


def _draws(lib, method, dtype, args, kwargs=None):
    lib.manual_seed(0)
    x = lib.zeros(N, dtype=both(dtype)[0 if lib is torch else 1])
    return getattr(x, method)(*args, **(kwargs or {})).double().numpy()


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"]
)
@pytest.mark.parametrize("args", [(), (7,), (-3, 4), (5, None)])
def test_random_draws_the_same_integers(dtype, args):
    if dtype == "bool":  # (bounds a bool holds)
        args = {(7,): (2,), (-3, 4): (0, 2), (5, None): (1, None)}.get(args, args)
    elif dtype == "uint8" and args == (-3, 4):
        args = (0, 2)
    t, g = _draws(torch, "random_", dtype, args), _draws(tg, "random_", dtype, args)
    if len(np.unique(t)) < 300:  # every value drawn: the same set
        assert set(np.unique(g)) == set(np.unique(t))
    spread = t.max() - t.min()
    assert abs(g.min() - t.min()) <= 0.01 * spread and abs(g.max() - t.max()) <= 0.01 * spread
    assert abs(g.mean() - t.mean()) <= 0.01 * spread


@pytest.mark.parametrize(
    "method, args",
    [
        ("normal_", (1.5, 2.0)),
        ("uniform_", (-2.0, 3.0)),
        ("bernoulli_", (0.3,)),
        ("exponential_", (2.5,)),
        ("geometric_", (0.2,)),
        ("log_normal_", (0.3, 0.5)),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_continuous_and_counting_laws_have_torchs_moments(method, args, dtype):
    t, g = _draws(torch, method, dtype, args), _draws(tg, method, dtype, args)
    scale = t.std()
    assert abs(g.mean() - t.mean()) < 0.03 * scale and abs(g.std() - scale) < 0.03 * scale
    assert abs(g.min() - t.min()) < 0.01 * scale or method in ("normal_", "log_normal_")


def test_cauchy_has_torchs_quartiles():
    t, g = (
        _draws(torch, "cauchy_", "float64", (1.0, 2.0)),
        _draws(tg, "cauchy_", "float64", (1.0, 2.0)),
    )
    np.testing.assert_allclose(
        np.quantile(g, [0.25, 0.5, 0.75]), np.quantile(t, [0.25, 0.5, 0.75]), atol=0.06
    )


def test_bernoulli_with_a_probability_tensor():
    p = np.array([[0.0], [1.0], [0.25]])
    for lib in (torch, tg):
        lib.manual_seed(0)
        rows = lib.zeros(3, 40_000).bernoulli_(lib.tensor(p)).numpy().mean(axis=1)
        assert rows[0] == 0 and rows[1] == 1 and abs(rows[2] - 0.25) < 0.01


@pytest.mark.parametrize(
    "method, args, dtype",
    [
        ("normal_", (0.0, -1.0), "float32"),
        ("uniform_", (2.0, 1.0), "float32"),
        ("uniform_", (0.0, float("inf")), "float32"),
        ("exponential_", (0.0,), "float32"),
        ("exponential_", (), "int64"),
        ("geometric_", (1.0,), "float32"),
        ("geometric_", (0.0,), "float32"),
        ("geometric_", (0.5,), "bool"),
        ("cauchy_", (0.0, -1.0), "float32"),
        ("cauchy_", (), "int64"),
        ("log_normal_", (0.0, 0.0), "float32"),
        ("bernoulli_", (1.5,), "float32"),
        ("bernoulli_", (-0.1,), "float32"),
        ("random_", (5, 5), "float32"),
        ("random_", (-3,), "float32"),
        ("random_", (0, 300), "uint8"),
        ("random_", (-3, 0), "uint8"),
        ("random_", (0, 3), "bool"),
        ("random_", (2.5,), "float32"),
        ("normal_", (), "int64"),
        ("uniform_", (), "int32"),
        ("log_normal_", (), "int64"),
    ],
)
def test_random_fill_errors(method, args, dtype):
    check_raises(lambda L, x: getattr(x, method)(*args), np.zeros(3, dtype=dtype))


@pytest.mark.parametrize("method", ["normal_", "uniform_", "bernoulli_", "exponential_", "random_"])
def test_random_fill_and_autograd(method):
    check_raises(lambda L, x: getattr(x, method)(), np.ones(3), grad=True)  # a leaf
    for lib in (torch, tg):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        getattr(y, method)()
        assert y.requires_grad and y.grad_fn is not None
        (y * 3).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_random_fill_generator_keyword():
    for lib in (torch, tg):
        a = lib.zeros(5).normal_(generator=lib.Generator().manual_seed(3))
        b = lib.zeros(5).normal_(generator=lib.Generator().manual_seed(3))
        assert a.tolist() == b.tolist()


# ------------------------------------------------------------- apply_, map_
@pytest.mark.parametrize(
    "dtype, fn",
    [
        ("float32", lambda v: v * v + 0.5),
        ("float64", lambda v: -v),
        ("int64", lambda v: v * 2.7),
        ("int64", lambda v: v / 2),
        ("bool", lambda v: not v),
        ("float32", lambda v: 1e40),
        ("uint8", lambda v: v + 3),
    ],
)
def test_apply(dtype, fn):
    a = np.array([[1, 2, 0], [4, 5, 6]]).astype(dtype)
    check(lambda L, x: x.clone().apply_(fn), a, grad=False)


def test_map():
    a, b = np.arange(6.0).reshape(2, 3), np.array([10.0, 20.0, 30.0])
    check(lambda L, x, y: x.clone().map_(y, lambda p, q: p * q + 1), a, b, grad=False)
    check(
        lambda L, x, y: x.clone().map_(y, lambda p, q: p - q),
        a.astype(int),
        b.astype(int),
        grad=False,
    )


@pytest.mark.parametrize(
    "call, grad",
    [
        (lambda L, x: x.apply_(lambda v: "a"), False),
        (lambda L, x: x.apply_(lambda v: None), False),
        (lambda L, x: x.apply_(3), False),
        (lambda L, x: x.map_([1, 2, 3], lambda a, b: a), False),
        (lambda L, x: x.map_(L.tensor([1, 2, 3]), lambda a, b: a), False),
        (lambda L, x: x.map_(L.zeros(2), lambda a, b: a), False),
        (lambda L, x: x.apply_(lambda v: v), True),
        (lambda L, x: L.zeros(3).map_(x, lambda a, b: a), True),
        (lambda L, x: (x * 2).apply_(lambda v: v), True),
    ],
)
def test_apply_and_map_errors(call, grad):
    check_raises(call, np.zeros(3), grad=grad)


# ------------------------------------------------------------- legacy types
LEGACY = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize(
    "make",
    [
        lambda T: T([1, 0, 2]),
        lambda T: T((1.7, 2.2)),
        lambda T: T([[1, 2], [3, 4]]),
        lambda T: T(np.array([1, 2])),
        lambda T: T(np.array([1.5, 0.0], np.float32)),
        lambda T: T(np.array(3.0)),
        lambda T: T(range(3)),
        lambda T: T([True, False]),
        lambda T: T(),
        lambda T: T(0),
    ],
)
def test_legacy_types_from_data(name, make):
    t, g = make(getattr(torch, name)), make(getattr(tg, name))
    same_text(str(t.dtype), "torch." + str(g.dtype))
    assert tuple(g.shape) == tuple(t.shape) and g.tolist() == t.tolist()


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize(
    "make", [lambda T: T(2, 3), lambda T: T(4), lambda T: T(size=(2,)), lambda T: T(np.int64(2), 0)]
)
def test_legacy_types_from_sizes(name, make):
    t, g = make(getattr(torch, name)), make(getattr(tg, name))
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype) == str(t.dtype).split(".")[1]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("dtype", DTYPES)
def test_isinstance_of_legacy_types(name, dtype):
    t_type, g_type = getattr(torch, name), getattr(tg, name)
    t, g = torch.zeros(2, dtype=both(dtype)[0]), tg.zeros(2, dtype=both(dtype)[1])
    assert isinstance(g, g_type) == isinstance(t, t_type)
    assert issubclass(g_type, tg.Tensor) == issubclass(t_type, torch.Tensor)


def test_legacy_type_of_a_tensor_of_its_dtype_shares_memory():
    for lib in (torch, tg):
        x = lib.zeros(2)
        lib.FloatTensor(x).add_(1)
        assert x.tolist() == [1.0, 1.0]
        assert lib.FloatTensor(lib.zeros(2, requires_grad=True)).requires_grad


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.FloatTensor(2.5),
        lambda L: L.FloatTensor(True),
        lambda L: L.FloatTensor(None),
        lambda L: L.FloatTensor("abc"),
        lambda L: L.FloatTensor(2, 3.0),
        lambda L: L.FloatTensor(2, [3]),
        lambda L: L.FloatTensor(-1),
        lambda L: L.FloatTensor(2, size=(3,)),
        lambda L: L.DoubleTensor(L.zeros(2)),
        lambda L: L.FloatTensor([1, 2], dtype=L.float64),
        lambda L: L.FloatTensor([1], requires_grad=True),
        lambda L: L.FloatTensor([[1, 2], [3]]),
    ],
)
def test_legacy_type_errors(make):
    check_raises(lambda L: make(L))


# ------------------------------------------------------------- print options
@pytest.fixture
def default_printing():
    yield
    torch.set_printoptions(profile="default")
    tg.set_printoptions(profile="default")


PRINTED = [
    np.array([1.123456, -22.5, 3.0]),
    np.arange(30) * 1000.5,
    np.random.default_rng(0).standard_normal((4, 9)),
    np.random.default_rng(1).standard_normal((3, 4, 5)) * 1e-5,
    np.random.default_rng(2).standard_normal((60, 40)),
    np.arange(2000),
    np.array(3.14159),
    np.array([np.nan, 1.0, np.inf, 0.0]),
    np.zeros((0, 3)),
    np.array([True, False]),
]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"precision": 2},
        {"precision": 7},
        {"threshold": 5},
        {"threshold": 10, "edgeitems": 1},
        {"threshold": 10, "edgeitems": 0},
        {"linewidth": 40},
        {"linewidth": 150},
        {"profile": "short"},
        {"profile": "full"},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short", "precision": 5},
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_print_options_print_as_torch(default_printing, options, dtype):
    torch.set_printoptions(**options)
    tg.set_printoptions(**options)
    for a in PRINTED:
        a = a.astype(dtype) if a.dtype.kind == "f" else a
        for rg in (False, True) if a.dtype.kind == "f" else (False,):
            t, g = torch.tensor(a, requires_grad=rg), tg.tensor(a, requires_grad=rg)
            same_text(repr(t), repr(g))
            same_text(str(t), str(g))


def test_default_print_is_torchs(default_printing):
    tg.set_printoptions(precision=1, sci_mode=True)
    tg.set_printoptions(profile="default")
    for a in PRINTED:
        same_text(repr(torch.tensor(a)), repr(tg.tensor(a)))


# ---------------------------------------------------------------- finfo, iinfo
@pytest.mark.parametrize("dtype", FLOATS + [None, float])
def test_finfo(dtype):
    args = () if dtype is None else (dtype,) if dtype is float else both(dtype)
    t = torch.finfo(*args[:1])
    g = tg.finfo(*args[1:] if len(args) == 2 else args)
    for name in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(g, name) == getattr(t, name), name
        assert type(getattr(g, name)) is type(getattr(t, name)), name
    assert repr(g) == repr(t)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", int])
def test_iinfo(dtype):
    t, g = (
        (torch.iinfo(int), tg.iinfo(int))
        if dtype is int
        else (torch.iinfo(both(dtype)[0]), tg.iinfo(both(dtype)[1]))
    )
    for name in ("bits", "max", "min", "dtype"):
        assert getattr(g, name) == getattr(t, name) and type(getattr(g, name)) is type(
            getattr(t, name)
        )
    assert repr(g) == repr(t)


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.finfo(L.int32),
        lambda L: L.iinfo(L.float32),
        lambda L: L.iinfo(L.bool),
        lambda L: L.finfo("float32"),
        lambda L: L.iinfo(),
    ],
)
def test_finfo_iinfo_errors(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(tg)


def test_finfo_equality():
    for lib in (torch, tg):
        assert lib.finfo(lib.float32) == lib.finfo(lib.float32) != lib.finfo(lib.float64)
        with pytest.raises(TypeError):
            hash(lib.finfo())


# ------------------------------------------------------ is_tensor, numel, default
def test_is_tensor_numel_default_dtype():
    for obj in (np.zeros(2), [1.0], 3.0):
        assert tg.is_tensor(obj) == torch.is_tensor(obj)
    assert tg.is_tensor(tg.nn.Parameter(tg.zeros(1))) == torch.is_tensor(
        torch.nn.Parameter(torch.zeros(1))
    )
    for shape in ((2, 3), (), (0, 4)):
        assert tg.numel(tg.zeros(shape)) == torch.numel(torch.zeros(shape))
    check_raises(lambda L: L.numel([1, 2]))
    assert str(tg.get_default_dtype()) == str(torch.get_default_dtype()).split(".")[1]


def test_no_warnings_in_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.zeros(3).random_(5)
        tg.zeros(3).new_tensor([1.0])
