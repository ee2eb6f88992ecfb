"""Factories and indexing as PyTorch accepts them, without PyTorch: the size
forms and keywords of the factories, ``out=``, and PyTorch's reading of
index keys (where advanced indices go, what is refused), with gradients
through advanced indexing checked by finite differences in float64."""

import warnings

import numpy as np
import pytest

import tapegrad as tg

rng = np.random.default_rng(14)
A = rng.standard_normal((2, 3, 4, 5))


# ------------------------------------------------------------------- sizes
@pytest.mark.parametrize(
    "make",
    [
        lambda f: f(2, 3),
        lambda f: f((2, 3)),
        lambda f: f([2, 3]),
        lambda f: f(tg.Size([2, 3])),
        lambda f: f(size=(2, 3)),
        lambda f: f(size=[2, 3]),
        lambda f: f(np.int64(2), tg.tensor(3)),
    ],
    ids=["varargs", "tuple", "list", "Size", "size_keyword", "size_keyword_list", "int_likes"],
)
@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.empty, tg.rand, tg.randn])
def test_every_sized_factory_takes_every_size_form(factory, make):
    t = make(factory)
    assert t.shape == (2, 3)
    assert t.dtype == tg.float32


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.empty, tg.rand, tg.randn])
def test_an_empty_size_makes_a_0d_tensor(factory):
    assert factory(()).shape == ()
    assert factory([]).shape == ()
    assert factory(size=()).shape == ()


def test_full_takes_size_and_fill_value_as_keywords():
    t = tg.full(size=(2,), fill_value=1)
    assert t.tolist() == [1, 1] and t.dtype == tg.int64
    assert tg.full((), 2.5).tolist() == 2.5
    assert tg.full([2], True).dtype == tg.bool


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.zeros(-1), RuntimeError, "negative dimension -1: [-1]"),
        (lambda: tg.ones(2, -3), RuntimeError, "negative dimension -3: [2, -3]"),
        (lambda: tg.full((-1,), 1.0), RuntimeError, "negative dimension -1"),
        (lambda: tg.zeros(2.0), TypeError, "found element of type float at pos 0"),
        (lambda: tg.zeros(2, 3.5), TypeError, "found element of type float at pos 1"),
        (lambda: tg.zeros((2, 3.0)), TypeError, "must be tuple of ints"),
        (lambda: tg.zeros(True), TypeError, "type bool"),
        (lambda: tg.zeros(tg.tensor(2.0)), TypeError, "type Tensor"),
        (lambda: tg.zeros(), TypeError, "missing 1 required positional arguments"),
        (lambda: tg.zeros(2, size=(3,)), TypeError, "multiple values for argument 'size'"),
        (lambda: tg.zeros(size=2), TypeError, "argument 'size' must be tuple of ints, not int"),
        (lambda: tg.full(2, 1.0), TypeError, "argument 'size' must be tuple of ints, not int"),
        (lambda: tg.randperm(-1), RuntimeError, "negative dimension -1"),
        (lambda: tg.randint(3, (-1,)), RuntimeError, "negative dimension -1"),
    ],
)
def test_bad_sizes_raise_errors_naming_the_problem(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_Size_is_a_tuple_of_ints_like_torch_Size():
    s = tg.Size([2, 3])
    assert s == (2, 3) and isinstance(s, tuple)
    assert s.numel() == 6 and tg.Size().numel() == 1
    assert isinstance(s[1:], tg.Size) and s[1:] == (3,)
    assert isinstance(s + (4,), tg.Size) and s + (4,) == (2, 3, 4)
    assert isinstance((1,) + s, tg.Size) and (1,) + s == (1, 2, 3)
    assert repr(s) == "tapegrad.Size([2, 3])"
    with pytest.raises(TypeError, match="item 0 is 'float'"):
        tg.Size([2.0])


# ---------------------------------------------------------------- keywords
def test_factories_take_pytorchs_keywords():
    t = tg.zeros(2, layout=tg.strided, device="cpu", pin_memory=False, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert tg.empty(1, 2, 3, 4, memory_format=tg.channels_last).shape == (1, 2, 3, 4)
    assert tg.empty(2, memory_format=tg.contiguous_format).shape == (2,)
    assert tg.zeros_like(t, memory_format=tg.preserve_format).shape == (2,)
    g = tg.Generator(0)
    assert tg.rand(3, generator=g).shape == (3,)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.zeros(2, layout=tg.sparse_coo), RuntimeError, "layout tapegrad.sparse_coo"),
        (lambda: tg.ones(2, pin_memory=True), RuntimeError, "pin_memory=True"),
        (lambda: tg.tensor([1.0], pin_memory=True), RuntimeError, "pin_memory=True"),
        (lambda: tg.empty(2, memory_format=tg.channels_last), RuntimeError, "rank 4"),
        (lambda: tg.empty(2, memory_format=tg.preserve_format), RuntimeError, "Preserve"),
        (lambda: tg.zeros(2, device="cuda"), RuntimeError, "cuda"),
        (lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True), RuntimeError, "floating"),
        (lambda: tg.rand(2, dtype=tg.int64), NotImplementedError, "floating dtype"),
        (lambda: tg.zeros_like([1, 2]), TypeError, "must be Tensor, not list"),
        (lambda: tg.zeros(2, foo=1), TypeError, "foo"),
    ],
)
def test_what_tapegrad_cannot_give_is_refused_by_name(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ----------------------------------------------------------------- dtypes
def test_default_dtypes_follow_pytorch():
    assert tg.zeros(2).dtype == tg.float32
    assert tg.arange(3).dtype == tg.int64
    assert tg.arange(3.0).dtype == tg.float32
    assert tg.arange(tg.tensor(3)).dtype == tg.int64
    assert tg.linspace(0, 1, 3).dtype == tg.float32
    assert tg.randint(3, (2,)).dtype == tg.int64
    assert tg.randperm(3).dtype == tg.int64
    assert tg.full((1,), 2).dtype == tg.int64
    assert tg.full((1,), tg.tensor(2.5)).dtype == tg.float32
    assert tg.ones_like(tg.arange(2)).dtype == tg.int64


def test_default_dtype_changes_the_float_factories():
    tg.set_default_dtype(tg.float64)
    try:
        made = [tg.zeros(1), tg.rand(1), tg.linspace(0, 1, 2), tg.arange(0.5), tg.eye(1)]
        assert all(t.dtype == tg.float64 for t in made)
    finally:
        tg.set_default_dtype(tg.float32)


def test_full_converts_its_value_as_pytorch():
    assert tg.full((2,), 2.7, dtype=tg.int32).tolist() == [2, 2]
    assert tg.full((2,), -1, dtype=tg.uint8).tolist() == [255, 255]
    with pytest.raises(RuntimeError, match="without overflow"):
        tg.full((2,), 300, dtype=tg.uint8)
    with pytest.raises(TypeError, match="must be Number, not str"):
        tg.full((2,), "a")


# -------------------------------------------------------------------- out=
def test_out_is_written_returned_and_resized():
    out = tg.empty(0)
    version = out._version
    result = tg.zeros(2, 3, out=out)
    assert result is out and out.shape == (2, 3) and out.tolist() == [[0.0] * 3] * 2
    assert out._version > version
    same = tg.ones(2, 3, out=out)
    assert same is out and out.numpy().sum() == 6


def test_out_gives_its_dtype_and_refuses_another():
    out = tg.empty(0, dtype=tg.int64)
    assert tg.full((2,), 1.5, out=out).tolist() == [1, 1]
    assert tg.arange(0, 3, out=tg.empty(0)).dtype == tg.float32
    with pytest.raises(RuntimeError, match="does not match dtype of out"):
        tg.zeros(2, dtype=tg.float64, out=tg.empty(2))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tg.zeros(2, out=tg.empty(2, requires_grad=True))
    with pytest.raises(TypeError, match="'out' must be Tensor"):
        tg.ones(2, out=[1])


def test_random_factories_write_out_from_the_seeded_generator():
    tg.manual_seed(3)
    expected = tg.rand(2, 2)
    tg.manual_seed(3)
    out = tg.empty(0)
    assert tg.rand(2, 2, out=out) is out
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize(
    "call, values",
    [
        (lambda: tg.arange(5), [0, 1, 2, 3, 4]),
        (lambda: tg.arange(1, 4), [1, 2, 3]),
        (lambda: tg.arange(end=3), [0, 1, 2]),
        (lambda: tg.arange(-1, -10, -3), [-1, -4, -7]),
        (lambda: tg.arange(0, 1, 0.25), [0.0, 0.25, 0.5, 0.75]),
        (lambda: tg.arange(0.5, 3.5, dtype=tg.int64), [0, 1, 2]),
        (lambda: tg.arange(0, 2.5, 1, dtype=tg.int64), [0, 1]),
        (lambda: tg.linspace(0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0]),
        (lambda: tg.linspace(0, 10, 5, dtype=tg.int64), [0, 2, 5, 7, 10]),
        (lambda: tg.linspace(3, 3, 1), [3.0]),
        (lambda: tg.linspace(0, 1, 0), []),
        (lambda: tg.logspace(0, 2, 3), [1.0, 10.0, 100.0]),
        (lambda: tg.logspace(0, 2, 3, 2), [1.0, 2.0, 4.0]),
        (lambda: tg.logspace(0, 3, 4, dtype=tg.int32), [1, 10, 100, 1000]),
        (lambda: tg.eye(2, 3), [[1, 0, 0], [0, 1, 0]]),
    ],
)
def test_ranges_give_pytorchs_values(call, values):
    np.testing.assert_allclose(call().numpy(), np.array(values, dtype=float), rtol=1e-6)


def test_linspace_is_symmetric_as_pytorchs_formula():
    t = tg.linspace(-1, 1, 7).numpy()
    assert t[0] == -1 and t[-1] == 1
    np.testing.assert_array_equal(t[:3], -t[:-4:-1])  # t[i] == -t[6 - i]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tg.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
        (lambda: tg.arange(5, 0), RuntimeError, "inconsistent with step sign"),
        (lambda: tg.arange(float("inf")), RuntimeError, "unsupported range"),
        (lambda: tg.arange(0, 1, 0.25, dtype=tg.int64), ValueError, "step must be nonzero"),
        (lambda: tg.arange("a"), TypeError, "must be Number, not str"),
        (lambda: tg.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
        (lambda: tg.linspace(0, 1, 5.0), TypeError, "'steps' must be int"),
        (lambda: tg.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
        (lambda: tg.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1"),
    ],
)
def test_bad_ranges_raise_pytorchs_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ------------------------------------------------------------------ random
def test_randint_forms_draw_in_range_and_reproducibly():
    tg.manual_seed(0)
    first = [
        tg.randint(3, (50,)),
        tg.randint(5, 9, (50,)),
        tg.randint(low=5, high=9, size=(50,)),
        tg.randint(high=3, size=(50,)),
        tg.randint(5, high=9, size=(50,)),
    ]
    tg.manual_seed(0)
    again = [
        tg.randint(3, (50,)),
        tg.randint(5, 9, (50,)),
        tg.randint(low=5, high=9, size=(50,)),
        tg.randint(high=3, size=(50,)),
        tg.randint(5, high=9, size=(50,)),
    ]
    for t, u, (low, high) in zip(first, again, [(0, 3), (5, 9), (5, 9), (0, 3), (5, 9)]):
        values = t.numpy()
        assert values.min() >= low and values.max() < high
        np.testing.assert_array_equal(values, u.numpy())
    with pytest.raises(RuntimeError, match="from=3 >= to=1"):
        tg.randint(3, 1, (2,))
    with pytest.raises(TypeError, match="size"):
        tg.randint(3)


def test_randint_like_and_randperm():
    x = tg.ones(100, dtype=tg.int32)
    for t, low, high in [(tg.randint_like(x, 4), 0, 4), (tg.randint_like(x, 2, 4), 2, 4)]:
        assert t.dtype == tg.int32 and t.numpy().min() >= low and t.numpy().max() < high
    assert tg.randint_like(tg.ones(3), high=5).dtype == tg.float32
    p = tg.randperm(10, generator=tg.Generator(1))
    assert sorted(p.tolist()) == list(range(10))
    assert tg.randperm(3, dtype=tg.float32, requires_grad=True).requires_grad


# --------------------------------------------------------------- indexing
PLACED = {  # key -> the same selection written with NumPy, where NumPy reads it so
    "int_apart_from_array": ((0, slice(None), [1, 2]), lambda a: a[0][:, [1, 2]]),
    "int_between_arrays": (([0, 1], 0, [1, 2]), lambda a: a[:, 0][[0, 1], [1, 2]]),
    "arrays_apart": (([0, 1], slice(None), [1, 2]), lambda a: a[[0, 1], :, [1, 2]]),
    "arrays_beside": ((slice(None), [0, 1], [1, 2]), lambda a: a[:, [0, 1], [1, 2]]),
    "arrays_around_ellipsis": (([0, 1], Ellipsis, [1, 2]), lambda a: a[[0, 1], ..., [1, 2]]),
    "int_then_arrays_apart": ((1, [0, 2], slice(None), [3, 4]), lambda a: a[1][[0, 2], :, [3, 4]]),
    "list_of_lists": ([[0, 1], [2, 1]], lambda a: a[[0, 1], [2, 1]]),
    "nested_list": (([[0, 1], [1, 1]],), lambda a: a[np.array([[0, 1], [1, 1]])]),
    "range": ((slice(None), range(1, 3)), lambda a: a[:, 1:3]),
    "true": (True, lambda a: a[None]),
    "false": ((0, False), lambda a: a[0][None][:0]),
    "true_beside_array": ((slice(None), True, [0, 1]), lambda a: a[:, None][:, [0, 0], [0, 1]]),
    "two_ellipses": ((Ellipsis, 0, Ellipsis), lambda a: a[..., 0]),
    "mask_and_array": ((np.array([True, False]), [2, 0]), lambda a: a[[0, 0], [2, 0]]),
    "float_list": ([1.9, 0.2], lambda a: a[[1, 0]]),
    "numpy_0d": ((slice(None), np.array(2)), lambda a: a[:, 2]),
    "tensor_0d_selects": ((slice(None), tg.tensor(1), [0, 1]), lambda a: a[:, 1][:, [0, 1]]),
}


@pytest.mark.parametrize("name", sorted(PLACED))
def test_advanced_indices_are_placed_as_pytorch_places_them(name):
    key, expected = PLACED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got = tg.tensor(A)[key]
    np.testing.assert_array_equal(got.numpy(), expected(A))


def test_basic_keys_give_views_and_unusual_keys_read_alike():
    x = tg.tensor(A)
    view = x[0, :, 1:3]
    view.add_(1.0)  # a view writes through
    assert x[0, 0, 1, 0].item() == A[0, 0, 1, 0] + 1.0
    np.testing.assert_array_equal(x[np.int64(1)].numpy(), x[1].numpy())
    np.testing.assert_array_equal(x[tg.tensor(1)].numpy(), x[1].numpy())


def test_uint8_masks_work_with_a_deprecation_warning():
    x = tg.tensor(A)
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        got = x[tg.tensor([1, 0], dtype=tg.uint8)]
    np.testing.assert_array_equal(got.numpy(), A[[True, False]])


def test_a_list_holding_sequences_is_read_as_a_tuple_with_a_warning():
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        got = tg.tensor(A)[[0, slice(None), [1, 2]]]
    assert got.shape == (3, 2, 5)


@pytest.mark.parametrize(
    "key, error, words",
    [
        (5, IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
        ((slice(None), [0, 7]), IndexError, "index 7 is out of bounds for dimension 1 with size 3"),
        ((1, slice(None), [9]), IndexError, "index 9 is out of bounds for dimension 2 with size 4"),
        ((0, 0, 0, 0, 0), IndexError, "too many indices for tensor of dimension 4"),
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
        (slice(None, None, 0), ValueError, "slice step cannot be zero"),
        (1.0, IndexError, "valid indices (got float)"),
        (np.bool_(True), IndexError, "(got numpy.bool"),
        (tg.tensor([0, 1], dtype=tg.int8), IndexError, "must be long, int, byte or bool"),
        (tg.tensor([0.0]), IndexError, "must be long, int, byte or bool"),
        (tg.ones(3, dtype=tg.bool), IndexError, "The shape of the mask [3] at index 0"),
        ((slice(None), [[0, 1], [1]]), ValueError, "not rectangular"),
        ("a", TypeError, "str"),
    ],
)
def test_bad_keys_raise_pytorchs_errors(key, error, words):
    with pytest.raises(error) as info:
        tg.tensor(A)[key]
    assert words in str(info.value)


def test_setitem_writes_where_pytorch_reads():
    x = tg.zeros(2, 3, 4)
    x[0, :, [1, 2]] = tg.ones(3, 2)
    expected = np.zeros((2, 3, 4))
    expected[0, :, 1:3] = 1
    np.testing.assert_array_equal(x.numpy(), expected)
    x[True] = 2.0
    assert (x.numpy() == 2).all()
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape \\[2, 3\\]"):
        x[0, :, [1, 2]] = tg.ones(2, 3)
    with pytest.raises(RuntimeError, match="dtypes match"):
        x[[0, 1]] = tg.ones(3, 4, dtype=tg.float64)


def test_index_put_accumulates_repeated_indices():
    x = tg.zeros(3)
    got = tg.index_put(x, (tg.tensor([0, 0, 2]),), tg.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert got.tolist() == [3.0, 0.0, 3.0]
    assert x.index_put((tg.tensor([1, 1]),), tg.tensor(1.0), accumulate=True).tolist() == [
        0.0,
        2.0,
        0.0,
    ]


GRAD_KEYS = {
    "repeated": ([0, 0, 1],),
    "mask": (slice(None), np.array([True, False, True])),
    "int_apart_from_array": (0, slice(None), [1, 3, 0]),
    "arrays_around_ellipsis": ([0, 1, 1], Ellipsis, [4, 0, 4]),
    "true": (Ellipsis, True),
    "two_ellipses_and_tensor": (Ellipsis, tg.tensor([2, 4]), Ellipsis),
}


@pytest.mark.parametrize("name", sorted(GRAD_KEYS))
def test_gradient_through_advanced_indexing_matches_finite_differences(name):
    key = GRAD_KEYS[name]
    x = tg.tensor(A, requires_grad=True)
    assert tg.gradcheck(lambda x: x[key] * x[key], [x])


@pytest.mark.parametrize("name", sorted(set(GRAD_KEYS) - {"repeated"}))
def test_gradient_through_setitem_matches_finite_differences(name):
    key = GRAD_KEYS[name]
    x = tg.tensor(A, requires_grad=True)
    v = tg.tensor(rng.standard_normal(tuple(x[key].shape)), requires_grad=True)

    def write(x, v):
        y = x * 2.0
        y[key] = v * v
        return y

    assert tg.gradcheck(write, [x, v])


def test_gradient_through_accumulating_index_put_matches_finite_differences():
    x = tg.tensor(A[0, 0], requires_grad=True)
    v = tg.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    index = (tg.tensor([0, 2, 0]),)
    assert tg.gradcheck(lambda x, v: tg.index_put(x, index, v * v, accumulate=True), [x, v])
