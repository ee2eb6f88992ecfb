"""fmod, remainder (``%``), floor_divide (``//``), bit shifts (``<<``, ``>>``),
bincount and isin against PyTorch: values, result dtypes (tensors of mixed
dtypes and Python numbers), gradients in float64, and errors."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(0)

INTS = np.array([7, -7, 5, -5, 0, 13, -13, 1, -6, 6])
DIVISORS = np.array([3, 3, -3, -3, 4, -5, 5, -1, 2, -2])
FLOATS = np.array([5.5, -5.5, 7.25, -7.25, 0.0, -0.0, 3.0, -9.0, -6.0, 6.0])
FLOAT_DIVISORS = np.array([2.0, 2.0, -3.0, -3.0, 1.5, -1.5, 0.7, 2.5, 2.0, -2.0])

DIVISIONS = {
    "fmod": lambda L, a, b: L.fmod(a, b),
    "remainder": lambda L, a, b: L.remainder(a, b),
    "%": lambda L, a, b: a % b,
    "floor_divide": lambda L, a, b: L.floor_divide(a, b),
    "//": lambda L, a, b: a // b,
    "method_fmod": lambda L, a, b: a.fmod(b),
    "method_remainder": lambda L, a, b: a.remainder(b),
    "method_floor_divide": lambda L, a, b: a.floor_divide(b),
}
DIFFERENTIABLE = {"fmod", "remainder", "%", "method_fmod", "method_remainder"}
INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8"]


def _signbits(t) -> np.ndarray:
    return np.signbit(t.detach().numpy())


# ------------------------------------------------------------ fmod, remainder, //
@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_division_matches_torch(name, dtype):
    a, b = INTS, DIVISORS
    if dtype == "uint8":
        a, b = np.abs(a), np.abs(b)
    check(DIVISIONS[name], a.astype(dtype), b.astype(dtype))


@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_division_matches_torch_with_the_signs_of_zeros(name, dtype):
    fn = DIVISIONS[name]
    out_t, out_g = check(fn, FLOATS.astype(dtype), FLOAT_DIVISORS.astype(dtype), backward=False)
    np.testing.assert_array_equal(_signbits(out_g), _signbits(out_t))


@pytest.mark.parametrize("name", sorted(DIVISIONS))
def test_division_mixing_dtypes_promotes_as_torch(name):
    fn = DIVISIONS[name]
    check(fn, INTS.astype("int8"), DIVISORS)  # int8 with int64: int64
    check(fn, INTS.astype("int32"), np.array(3))  # a 0-d tensor does not promote
    check(fn, INTS, FLOAT_DIVISORS.astype("float32"), grad=False)  # int with float: float
    check(fn, FLOATS.astype("float32"), FLOAT_DIVISORS, grad=False)  # float32 with float64
    check(fn, np.array([True, False, True]), np.array([2, 3, 5]))  # bool with int


@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("number", [3, -3, 2.5, -2.5, 300])
def test_division_by_a_python_number_keeps_the_tensors_dtype_as_torch(name, number):
    fn = DIVISIONS[name]
    check(lambda L, a: fn(L, a, number), INTS)
    check(lambda L, a: fn(L, a, number), INTS.astype("int8"))
    check(lambda L, a: fn(L, a, number), FLOATS.astype("float32"), backward=False)
    check(lambda L, a: fn(L, a, number), np.array([True, False]))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, b: L.remainder(7, b),
        lambda L, b: L.remainder(-7.5, b),
        lambda L, b: 7 % b,
        lambda L, b: -7.5 % b,
        lambda L, b: L.floor_divide(7, b),
        lambda L, b: 7 // b,
        lambda L, b: -7.5 // b,
    ],
)
def test_a_python_number_divided_by_a_tensor_matches_torch(fn):
    check(fn, DIVISORS)
    check(fn, DIVISORS.astype("int8"))
    check(fn, FLOAT_DIVISORS.astype("float32"), backward=False)


@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("shapes", [((2, 1, 3), (2, 5, 3)), ((4, 1), (1, 3)), ((3,), ())])
def test_division_broadcasts_as_torch(name, shapes):
    a = rng.integers(-20, 20, size=shapes[0])
    b = rng.integers(1, 6, size=shapes[1]) * rng.choice([-1, 1], size=shapes[1])
    check(DIVISIONS[name], a, b)
    check(DIVISIONS[name], a + 0.5, b * 1.0, backward=False)


@pytest.mark.parametrize("op", ["fmod", "remainder"])
@pytest.mark.parametrize("shapes", [((8,), (8,)), ((2, 1, 3), (2, 5, 3)), ((4, 1), (1, 3))])
def test_remainder_gradients_match_torch(op, shapes):
    a = rng.uniform(-9, 9, size=shapes[0])
    b = rng.uniform(0.6, 2.0, size=shapes[1]) * rng.choice([-1, 1], size=shapes[1])
    check(lambda L, a, b: getattr(L, op)(a, b), a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(DIVISIONS))
def test_division_of_zero_dimensional_tensors_matches_torch(name):
    check(DIVISIONS[name], np.array(-7), np.array(2))
    check(DIVISIONS[name], np.array(-7.5), np.array(2.0), backward=name in DIFFERENTIABLE)


@pytest.mark.parametrize("op", ["fmod", "remainder"])
@pytest.mark.parametrize("number", [2.5, -2.5, 3])
def test_remainder_by_a_number_has_the_dividends_gradient_as_torch(op, number):
    a = rng.uniform(-9, 9, size=(3, 4))
    check(lambda L, a: getattr(L, op)(a, number), a)
    check(lambda L, a: getattr(L, op)(a, number), a.astype("float32"))


@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_remainder_gradient_at_a_zero_divisor_matches_torch(op):
    a, b = np.array([1.5, -1.5, 0.0]), np.array([0.0, 0.0, 0.0])
    check(lambda L, a, b: getattr(L, op)(a, b), a, b)


def test_remainder_of_infinities_and_nan_matches_torch():
    a = np.array([1.0, -1.0, 0.0, np.inf, np.nan, 3.0, -3.0])
    b = np.array([np.inf, np.inf, -np.inf, 2.0, 1.0, -np.inf, np.nan])
    for fn in (DIVISIONS["fmod"], DIVISIONS["remainder"], DIVISIONS["//"]):
        check(fn, a, b, backward=False)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a, b: L.floor_divide(a, b),
        lambda L, a, b: a // b,
        lambda L, a, b: a // 2.0,
        lambda L, a, b: 7.0 // a,
        lambda L, a, b: L.remainder(7.0, a),
        lambda L, a, b: 7.0 % a,
    ],
)
def test_ops_torch_has_no_derivative_for_require_grad_and_refuse_backward(fn):
    a = np.array([5.5, -5.5, 7.0])
    b = np.array([2.0, 2.0, -3.0])
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (a, b))
    ga, gb = (tg.tensor(x, requires_grad=True) for x in (a, b))
    out_t, out_g = fn(torch, ta, tb), fn(tg, ga, gb)
    np.testing.assert_array_equal(out_g.detach().numpy(), out_t.detach().numpy())
    assert out_g.requires_grad and out_t.requires_grad
    with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
        out_t.sum().backward()
    with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
        out_g.sum().backward()
    with tg.no_grad():
        assert not fn(tg, ga, gb).requires_grad


@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("divisor", [0, np.array(0), np.array([3, 0, 1])])
def test_integer_division_by_zero_raises_as_torch(name, divisor):
    fn = DIVISIONS[name]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(torch, torch.tensor(INTS[:3]), torch.as_tensor(divisor))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(tg, tg.tensor(INTS[:3]), tg.as_tensor(divisor))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, zero: 7 % zero,
        lambda L, zero: 7 // zero,
        lambda L, zero: L.remainder(7, zero),
        lambda L, zero: L.div(L.tensor([1, 2]), zero, rounding_mode="trunc"),
        lambda L, zero: L.div(L.tensor([1, 2]), zero, rounding_mode="floor"),
    ],
)
def test_integer_division_by_zero_raises_for_a_reflected_number_and_div_rounding(fn):
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(lib, lib.tensor([2, 0]))


@pytest.mark.parametrize("name", sorted(DIVISIONS))
def test_integer_division_of_nothing_by_zero_is_empty_as_torch(name):
    check(DIVISIONS[name], np.array([], dtype="int64"), np.array([0]))


@pytest.mark.parametrize("name", sorted(DIVISIONS))
def test_float_division_by_zero_gives_ieee_values_as_torch(name):
    check(DIVISIONS[name], np.array([1.5, -1.5, 0.0]), np.zeros(3), backward=False)


def test_division_refuses_what_torch_refuses():
    bools = np.array([True, False])
    for name in sorted(DIVISIONS):
        err = check_raises(DIVISIONS[name], bools, bools)
        assert isinstance(err, NotImplementedError) and "not implemented for" in str(err)
        check_raises(DIVISIONS[name], INTS[:3], INTS[:2])  # shapes that do not broadcast
    err = check_raises(lambda L, b: L.fmod(7, b), DIVISORS)
    assert isinstance(err, TypeError)
    for op in ("fmod", "remainder"):
        assert isinstance(check_raises(lambda L, op=op: getattr(L, op)(7, 3)), TypeError)


@pytest.mark.parametrize("a, b", [(7, 3), (-7, 2), (7.5, 2), (7, 2.0), (True, 2), (7.0, 0)])
def test_floor_divide_and_div_take_two_numbers_as_torch(a, b):
    check(lambda L: L.floor_divide(a, b))
    check(lambda L: L.div(a, b, rounding_mode="floor"))
    check(lambda L: L.div(a, b, rounding_mode="trunc"))


def test_div_rounding_modes_match_torch_exactly_on_large_integers():
    big = np.array([2**62 + 1, -(2**62) - 1, 2**53 + 1])
    for mode in ("trunc", "floor"):
        check(lambda L, a, mode=mode: L.div(a, 3, rounding_mode=mode), big)
    check(lambda L, a: a // 1, big)


# ------------------------------------------------------------------- in place
@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a, b: a.fmod_(b),
        lambda L, a, b: a.remainder_(b),
        lambda L, a, b: a.floor_divide_(b),
        lambda L, a, b: a.fmod_(3),
        lambda L, a, b: a.remainder_(-3),
    ],
)
def test_in_place_division_matches_torch(fn):
    check(lambda L, a, b: fn(L, a.clone(), b), INTS, DIVISORS)
    check(lambda L, a, b: fn(L, a.clone(), b), INTS.astype("int8"), DIVISORS)


def test_in_place_division_operators_change_the_tensor_itself_as_torch():
    for lib in (torch, tg):
        a = lib.tensor([7, -7, 5])
        alias = a
        a %= 3
        assert a is alias and a.tolist() == [1, 2, 2]
        a //= 2
        assert a is alias and a.tolist() == [0, 1, 1]


def test_in_place_fmod_records_its_gradient_as_torch():
    def fn(L, x):
        y = x * 1.0
        y.fmod_(2.0)
        return y.remainder_(x + 3.0)

    check(fn, np.array([5.5, -5.5, 7.25]))


def test_in_place_division_refuses_a_float_result_in_an_integer_tensor_as_torch():
    for op in ("fmod_", "remainder_", "floor_divide_"):
        check_raises(lambda L, op=op: getattr(L.tensor([1, 2]), op)(0.5))


# -------------------------------------------------------------------- shifts
SHIFTS = {
    "<<": lambda L, a, b: a << b,
    ">>": lambda L, a, b: a >> b,
    "bitwise_left_shift": lambda L, a, b: L.bitwise_left_shift(a, b),
    "bitwise_right_shift": lambda L, a, b: L.bitwise_right_shift(a, b),
    "method_left": lambda L, a, b: a.bitwise_left_shift(b),
    "method_right": lambda L, a, b: a.bitwise_right_shift(b),
}
VALUES = np.array([5, -5, 1, -1, 0, 100, -100, 2**30])


@pytest.mark.parametrize("name", sorted(SHIFTS))
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_shifts_match_torch_for_every_amount(name, dtype):
    """Amounts in range, at the width and beyond, and negative ones (which
    shift every bit out, as the width does)."""
    fn = SHIFTS[name]
    a = VALUES.astype(dtype)
    for amount in [0, 1, 3, 7, 8, 15, 16, 31, 32, 63, 64, 100, -1, -3]:
        check(lambda L, a, amount=amount: fn(L, a, amount), a)
        n = np.full(a.shape, amount).astype(dtype)  # (wraps in a narrow dtype, as torch's)
        check(fn, a, n)


@pytest.mark.parametrize("name", sorted(SHIFTS))
def test_shifts_promote_and_broadcast_as_torch(name):
    fn = SHIFTS[name]
    check(fn, VALUES.astype("int8"), np.arange(8))  # int8 with int64: int64
    check(fn, VALUES.astype("int8"), np.array(2))  # a 0-d tensor does not promote
    check(fn, VALUES.astype("int32"), np.arange(8).astype("uint8"))
    check(fn, VALUES.reshape(2, 1, 4), np.arange(3).reshape(3, 1))
    check(fn, np.array([True, False]), np.array(1))  # bool with int
    check(lambda L, a: fn(L, a, 2), np.array([True, False]))


def test_shifting_zero_dimensional_tensors_matches_torch():
    check(lambda L, a, n: a << n, np.array(-7), np.array(2))
    check(lambda L, a, n: a >> n, np.array(-7, dtype="int8"), np.array(9, dtype="int8"))


def test_shifting_a_python_number_by_a_tensor_matches_torch():
    n = np.array([0, 1, 5, 63, 64])
    check(lambda L, n: 2 << n, n)
    check(lambda L, n: -1024 >> n, n)
    check(lambda L, n: L.bitwise_left_shift(3, n), n.astype("int8"))
    check(lambda L, n: L.bitwise_right_shift(-3, n), n.astype("int8"))


def test_shift_numbers_wrap_into_the_tensors_dtype_as_torch():
    check(lambda L, a: a << 300, np.array([1], dtype="int16"))
    check(lambda L, a: a << -3, np.array([1], dtype="uint8"))
    check(lambda L, a: a << 2**40, np.array([1], dtype="int32"))


def test_in_place_shifts_match_torch():
    check(lambda L, a, n: a.clone().bitwise_left_shift_(n), VALUES, np.arange(8))
    check(lambda L, a, n: a.clone().bitwise_right_shift_(n), VALUES.astype("int8"), np.arange(8))
    for lib in (torch, tg):
        a = lib.tensor([1, -8], dtype=lib.int8)
        alias = a
        a <<= lib.tensor([2, 1])
        assert a is alias and a.dtype == lib.int8 and a.tolist() == [4, -16]
        a >>= 2
        assert a is alias and a.tolist() == [1, -4]


def test_shifts_refuse_what_torch_refuses():
    for name in sorted(SHIFTS):
        fn = SHIFTS[name]
        for a, b in [(FLOATS, np.array(1)), (VALUES, np.array(1.0))]:
            err = check_raises(fn, a, b)
            assert isinstance(err, NotImplementedError) and "not implemented for" in str(err)
        check_raises(fn, np.array([True]), np.array([True]))
        check_raises(fn, VALUES, VALUES[:3])
        check_raises(lambda L, a, fn=fn: fn(L, a, 1.5), VALUES)
    assert isinstance(check_raises(lambda L: L.bitwise_left_shift(2, 3)), TypeError)


# ------------------------------------------------------------------- bincount
BINS = np.array([0, 1, 1, 3, 3, 3, 7])


@pytest.mark.parametrize("minlength", [0, 3, 8, 12])
def test_bincount_counts_match_torch(minlength):
    check(lambda L, x: L.bincount(x, minlength=minlength), BINS)
    check(lambda L, x: x.bincount(minlength=minlength), BINS.astype("uint8"))
    check(lambda L, x: L.bincount(x, None, minlength), BINS.astype("int8"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_bincount_weights_set_the_dtype_as_torch(dtype):
    w = rng.uniform(-2, 2, size=BINS.shape)
    if dtype == "bool":
        w = w > 0
    check(lambda L, x, w: L.bincount(x, weights=w), BINS, w.astype(dtype), backward=False)
    check(lambda L, x, w: x.bincount(w, 10), BINS, w.astype(dtype), backward=False)


def test_bincount_of_an_empty_input_is_int64_zeros_as_torch():
    empty = np.array([], dtype="int64")
    for minlength in (0, 4):
        check(lambda L, x, n=minlength: L.bincount(x, minlength=n), empty)
        for w in (np.array([]), np.array([], dtype="float32"), np.array([1.0, 2.0])):
            check(lambda L, x, w, n=minlength: L.bincount(x, w, n), empty, w, backward=False)


def test_bincount_with_weights_that_require_grad_has_no_derivative_as_torch():
    w = rng.uniform(size=BINS.shape)
    for lib in (torch, tg):
        weights = lib.tensor(w, requires_grad=True)
        out = lib.bincount(lib.tensor(BINS), weights=weights * 2)
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*bincount is not implemented"):
            out.sum().backward()
        with lib.no_grad():
            assert not lib.bincount(lib.tensor(BINS), weights=weights).requires_grad


def test_bincount_refuses_what_torch_refuses():
    cases = [
        (lambda L, x: L.bincount(x), np.array([1, -1, 2]), RuntimeError),
        (lambda L, x: L.bincount(x), np.array([[1, 2]]), RuntimeError),
        (lambda L, x: L.bincount(x), np.array(2), RuntimeError),
        (lambda L, x: L.bincount(x), np.array([1.0, 2.0]), NotImplementedError),
        (lambda L, x: L.bincount(x), np.array([True]), NotImplementedError),
        (lambda L, x: L.bincount(x, minlength=-1), BINS, RuntimeError),
        (lambda L, x: L.bincount(x, minlength=2.5), BINS, TypeError),
        (lambda L, x: L.bincount(x, L.ones(3)), BINS, RuntimeError),
        (lambda L, x: L.bincount(x, L.ones(7, 1)), BINS, RuntimeError),
        (lambda L, x: L.bincount(x, [1.0] * 7), BINS, TypeError),
        (lambda L, x: L.bincount(x.tolist()), BINS, TypeError),
    ]
    for fn, x, kind in cases:
        assert isinstance(check_raises(fn, x), kind)


# ----------------------------------------------------------------------- isin
ELEMENTS = np.array([[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("assume_unique", [False, True])
def test_isin_matches_torch(invert, assume_unique):
    def fn(L, e, t):
        return L.isin(e, t, assume_unique=assume_unique, invert=invert)

    check(fn, ELEMENTS, np.array([2, 5, 9]))
    check(fn, ELEMENTS, np.array([[6], [1]]))
    check(fn, ELEMENTS * 1.5, np.array([3.0, 4.5, 0.1]), grad=False)
    check(fn, ELEMENTS, np.array([], dtype="int64"))
    check(fn, np.array([], dtype="float32"), ELEMENTS)
    check(lambda L, e: L.isin(e, 4, invert=invert), ELEMENTS)
    check(lambda L, t: L.isin(4, t, invert=invert), ELEMENTS)
    check(lambda L, t: L.isin(7, t, invert=invert), ELEMENTS)


def test_isin_of_repeated_values_with_assume_unique_matches_torch():
    check(
        lambda L, e, t: L.isin(e, t, assume_unique=True), np.array([1, 2, 2, 3]), np.array([2, 2])
    )


def test_isin_compares_in_the_promoted_dtype_as_torch():
    check(lambda L, e, t: L.isin(e, t), np.array([0.1], dtype="float32"), np.array([0.1]))
    check(lambda L, e: L.isin(e, 0.1), np.array([0.1], dtype="float32"))
    check(lambda L, e: L.isin(e, -1), np.array([255], dtype="uint8"))
    check(lambda L, e: L.isin(e, 2.5), ELEMENTS)
    check(lambda L, e: L.isin(e, 2.0), ELEMENTS)
    check(lambda L, e, t: L.isin(e, t), np.array([1, 2], dtype="int8"), np.array([257, 2]))
    check(lambda L, e, t: L.isin(e, t), np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    check(lambda L, e, t: L.isin(e, t), np.array(3), np.array([3]))
    check(lambda L, e, t: L.isin(e, t), np.array([1.0, 2.5]), np.array([2.5]))  # (requires grad)


def test_isin_refuses_what_torch_refuses():
    bools = np.array([True, False])
    assert isinstance(check_raises(lambda L, e: L.isin(e, e), bools), RuntimeError)
    assert isinstance(check_raises(lambda L, e: L.isin(e, True), ELEMENTS), RuntimeError)
    assert isinstance(check_raises(lambda L, e: L.isin(e, [1, 2]), ELEMENTS), TypeError)
    assert isinstance(check_raises(lambda L, e: L.isin(e, 1, invert=1), ELEMENTS), TypeError)
    assert isinstance(check_raises(lambda L: L.isin(2, 3)), TypeError)
