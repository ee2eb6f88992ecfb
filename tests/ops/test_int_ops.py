"""fmod, remainder (``%``), floor_divide (``//``), bit shifts, bincount and
isin without PyTorch: values against NumPy formulas, dtypes, gradients by
finite differences in float64, and errors."""

import numpy as np
import pytest

import tapegrad as tg

A = np.array([7, -7, 7, -7, 0, 13, -13, -6, 6])
B = np.array([3, 3, -3, -3, 4, -5, 5, 2, -2])


def _values(t) -> np.ndarray:
    return t.detach().numpy()


# ------------------------------------------------------------ fmod, remainder, //
def test_fmod_takes_the_sign_of_the_dividend():
    out = tg.fmod(tg.tensor(A), tg.tensor(B))
    np.testing.assert_array_equal(_values(out), A - B * np.trunc(A / B).astype(int))
    assert out.dtype == tg.int64
    assert tg.fmod(tg.tensor(A), tg.tensor(B)).tolist()[:4] == [1, -1, 1, -1]


def test_remainder_and_the_percent_operator_take_the_sign_of_the_divisor():
    expected = A - B * np.floor(A / B).astype(int)  # Python's %
    for out in (tg.remainder(tg.tensor(A), tg.tensor(B)), tg.tensor(A) % tg.tensor(B)):
        np.testing.assert_array_equal(_values(out), expected)
        assert out.dtype == tg.int64
    assert tg.Tensor.__mod__ is tg.remainder  # one implementation


def test_floor_divide_and_the_floor_division_operator_agree_with_python():
    expected = [a // b for a, b in zip(A.tolist(), B.tolist())]
    assert tg.floor_divide(tg.tensor(A), tg.tensor(B)).tolist() == expected
    assert (tg.tensor(A) // tg.tensor(B)).tolist() == expected
    assert tg.div(tg.tensor(A), tg.tensor(B), rounding_mode="floor").tolist() == expected
    assert tg.Tensor.__floordiv__ is tg.floor_divide  # one implementation


def test_quotient_and_remainder_rebuild_the_dividend():
    a, b = tg.tensor(A), tg.tensor(B)
    np.testing.assert_array_equal(_values(a // b * b + a % b), A)
    trunc = tg.div(a, b, rounding_mode="trunc")
    np.testing.assert_array_equal(_values(trunc * b + tg.fmod(a, b)), A)


def test_float_remainders_follow_the_c_and_python_formulas():
    a = np.array([5.5, -5.5, 7.25, -7.25, 3.0, -9.0])
    b = np.array([2.0, 2.0, -3.0, -3.0, 0.7, 2.5])
    np.testing.assert_allclose(_values(tg.fmod(tg.tensor(a), tg.tensor(b))), np.fmod(a, b))
    np.testing.assert_allclose(_values(tg.tensor(a) % tg.tensor(b)), np.mod(a, b))
    np.testing.assert_array_equal(_values(tg.tensor(a) // tg.tensor(b)), np.floor_divide(a, b))


def test_a_zero_remainder_keeps_the_sign_of_fmod():
    """PyTorch's remainder is fmod moved by the divisor where the signs
    differ, so -6 % 2 is -0.0 (NumPy's mod gives +0.0)."""
    out = tg.tensor([-6.0, 6.0, -0.0]) % tg.tensor([2.0, -2.0, 3.0])
    np.testing.assert_array_equal(np.signbit(_values(out)), [True, False, True])


def test_python_numbers_take_the_tensors_dtype():
    ints = tg.tensor(A, dtype=tg.int8)
    assert (ints % 3).dtype == tg.int8 and tg.fmod(ints, 3).dtype == tg.int8
    assert (ints // 3).dtype == tg.int8
    assert (ints % 2.5).dtype == tg.float32  # a float number makes the default float
    assert (tg.tensor([1.5], dtype=tg.float64) % 2).dtype == tg.float64
    assert (tg.tensor([True, False]) % 2).tolist() == [1, 0]
    np.testing.assert_allclose(_values(7.5 % tg.tensor([2, -2])), [1.5, -0.5])
    assert (7 // tg.tensor([2, -2])).tolist() == [3, -4]
    assert tg.remainder(7, tg.tensor([2, -2])).tolist() == [1, -1]


def test_tensors_of_two_dtypes_are_promoted():
    out = tg.fmod(tg.tensor([7, -7], dtype=tg.int8), tg.tensor([3, 3]))
    assert out.dtype == tg.int64
    out = tg.remainder(tg.tensor([7, -7], dtype=tg.int32), tg.tensor(3))  # 0-d: no promotion
    assert out.dtype == tg.int32 and out.tolist() == [1, 2]
    assert tg.fmod(tg.tensor([7]), tg.tensor([2.5])).dtype == tg.float32


def test_division_broadcasts():
    a = np.arange(-6, 6).reshape(2, 1, 6)
    b = np.array([[2], [-3], [5]])
    np.testing.assert_array_equal(_values(tg.tensor(a) % tg.tensor(b)), np.mod(a, b))
    np.testing.assert_array_equal(_values(tg.tensor(a) // tg.tensor(b)), a // b)


@pytest.mark.parametrize(
    "op",
    [
        tg.fmod,
        tg.remainder,
        tg.floor_divide,
        lambda a, b: tg.div(a, b, rounding_mode="trunc"),
        lambda a, b: a % b,
        lambda a, b: a // b,
    ],
)
def test_integer_division_by_zero_raises_zero_division_error(op):
    for zero in (0, tg.tensor(0), tg.tensor([3, 0, 1])):
        with pytest.raises(ZeroDivisionError, match="ZeroDivisionError"):
            op(tg.tensor([1, 2, 3]), zero)
        with pytest.raises(RuntimeError):  # (what PyTorch raises)
            op(tg.tensor([1, 2, 3]), zero)
    assert op(tg.tensor([], dtype=tg.int64), tg.tensor([0])).shape == (0,)


def test_float_division_by_zero_gives_inf_and_nan():
    x, zero = tg.tensor([1.5, -1.5, 0.0]), tg.tensor(0.0)
    assert np.isnan(_values(tg.fmod(x, zero))).all()
    assert np.isnan(_values(x % zero)).all()
    np.testing.assert_array_equal(_values(x // zero), [np.inf, -np.inf, np.nan])


def test_integer_rounded_division_is_exact_beyond_float_precision():
    big = tg.tensor([2**62 + 1, -(2**62) - 1])
    assert tg.div(big, 3, rounding_mode="trunc").tolist() == [(2**62 + 1) // 3, -((2**62 + 1) // 3)]
    assert (big // 1).tolist() == [2**62 + 1, -(2**62) - 1]


def test_division_refuses_bools_numbers_only_and_unfit_shapes():
    bools = tg.tensor([True, False])
    for op in (tg.fmod, tg.remainder, tg.floor_divide):
        with pytest.raises(NotImplementedError, match="not implemented for"):
            op(bools, bools)
        with pytest.raises(RuntimeError, match="shapes"):
            op(tg.tensor([1, 2, 3]), tg.tensor([1, 2]))
    with pytest.raises(TypeError, match="'input' to be a Tensor"):
        tg.fmod(7, tg.tensor([2]))
    with pytest.raises(TypeError, match="fmod"):
        tg.fmod(7, 3)
    with pytest.raises(TypeError, match="remainder"):
        tg.remainder(7, 3)
    with pytest.raises(TypeError, match="list"):
        tg.remainder(tg.tensor([1]), [2])
    assert tg.floor_divide(7, 2).tolist() == 3  # (two numbers: as PyTorch)


# ---------------------------------------------------------------- gradients
def _float64(values, requires_grad=True):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("op", [tg.fmod, tg.remainder])
def test_remainder_gradients_pass_gradcheck(op):
    rng = np.random.default_rng(0)
    for shape_a, shape_b in [((6,), (6,)), ((2, 1, 3), (4, 3)), ((), (5,))]:
        a = _float64(rng.uniform(2.2, 2.8, shape_a) * rng.choice([-1, 1], shape_a))
        b = _float64(rng.uniform(1.0, 1.05, shape_b) * rng.choice([-1, 1], shape_b))
        assert tg.gradcheck(op, (a, b))
        assert tg.gradcheck(lambda a: op(a, 1.3), (a,))


def test_remainder_gradients_are_one_and_minus_the_quotient():
    a, b = _float64([5.5, -5.5, 7.0, -7.0]), _float64([2.0, 2.0, -3.0, -3.0])
    ga, gb = tg.autograd.grad(tg.fmod(a, b).sum(), (a, b))
    np.testing.assert_array_equal(_values(ga), [1, 1, 1, 1])
    np.testing.assert_array_equal(_values(gb), -np.trunc(_values(a) / _values(b)))
    ga, gb = tg.autograd.grad((a % b).sum(), (a, b))
    np.testing.assert_array_equal(_values(ga), [1, 1, 1, 1])
    np.testing.assert_array_equal(_values(gb), -np.floor(_values(a) / _values(b)))


def test_the_remainder_gradient_uses_the_exact_floor_quotient():
    """1 % 0.1 is 0.0999...: the quotient is 9 (not the 10 of floor(1 / 0.1))."""
    a, b = _float64([1.0]), _float64([0.1])
    (gb,) = tg.autograd.grad(tg.remainder(a, b).sum(), (b,))
    assert gb.tolist() == [-9.0]


def test_quotients_are_recorded_without_a_derivative():
    x = _float64([5.5, -5.5])
    for out in (x // 2.0, tg.floor_divide(x, 2.0), 7.0 // x, 7.0 % x, tg.remainder(7.0, x)):
        assert out.requires_grad and out.grad_fn.name() == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
            out.sum().backward()
    with tg.no_grad():
        assert not (x // 2.0).requires_grad
    assert not tg.div(x, 2.0, rounding_mode="floor").requires_grad


# ------------------------------------------------------------------- in place
def test_in_place_division_changes_the_tensor():
    a = tg.tensor([7, -7, 5])
    alias = a
    a %= 3
    assert a is alias and a.tolist() == [1, 2, 2]
    a //= 2
    assert a is alias and a.tolist() == [0, 1, 1]
    b = tg.tensor([7, -7, 5], dtype=tg.int8)
    assert b.fmod_(3) is b and b.tolist() == [1, -1, 2]
    assert b.remainder_(-2).tolist() == [-1, -1, 0]
    assert b.floor_divide_(tg.tensor([1, 2, 3])).tolist() == [-1, -1, 0] and b.dtype == tg.int8
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.tensor([1, 2]).fmod_(0.5)


def test_in_place_fmod_on_a_non_leaf_keeps_the_gradient():
    x = _float64([5.5, -5.5, 7.25])
    y = x * 1.0
    y.fmod_(2.0)
    y.sum().backward()
    np.testing.assert_array_equal(_values(x.grad), [1.0, 1.0, 1.0])


# -------------------------------------------------------------------- shifts
VALUES = np.array([5, -5, 1, -1, 0, 31, -32])  # (times 4 still fits int8)


@pytest.mark.parametrize("dtype", [tg.int64, tg.int32, tg.int16, tg.int8])
def test_shifts_multiply_and_floor_divide_by_powers_of_two(dtype):
    x = tg.tensor(VALUES, dtype=dtype)
    for n in range(3):
        assert (x << n).tolist() == [v * 2**n for v in VALUES.tolist()]
        assert (x >> n).tolist() == [v // 2**n for v in VALUES.tolist()]
        assert tg.bitwise_left_shift(x, n).dtype == dtype
    assert tg.Tensor.__lshift__ is tg.bitwise_left_shift  # one implementation
    assert tg.Tensor.__rshift__ is tg.bitwise_right_shift


def test_shifts_by_a_tensor_broadcast_and_promote():
    x = tg.tensor(VALUES, dtype=tg.int8)
    n = tg.tensor([[0], [1], [2]])
    out = x << n
    assert out.dtype == tg.int64 and out.shape == (3, 7)
    np.testing.assert_array_equal(
        _values(out), VALUES.astype(np.int64) << np.array([[0], [1], [2]])
    )
    assert (x >> tg.tensor(1)).dtype == tg.int8  # a 0-d tensor does not promote
    assert (2 << tg.tensor([0, 3])).tolist() == [2, 16]
    assert (-64 >> tg.tensor([0, 3])).tolist() == [-64, -8]
    assert (tg.tensor([True, False]) << 2).tolist() == [4, 0]


def test_shifting_out_every_bit_leaves_zero_or_the_sign_fill():
    x = tg.tensor([5, -5])
    for n in (64, 65, 100, -1, -64):
        assert (x << n).tolist() == [0, 0]
        assert (x >> n).tolist() == [0, -1]
    assert (x << 63).tolist() == [-(2**63), -(2**63)]  # the low bit reaches the sign bit
    small = tg.tensor([1, -128], dtype=tg.int8)
    assert (small << 7).tolist() == [-128, 0] and (small >> 8).tolist() == [0, -1]
    assert (tg.tensor([200], dtype=tg.uint8) << 1).tolist() == [144]  # wraps
    assert (tg.tensor([200], dtype=tg.uint8) >> 8).tolist() == [0]
    assert (tg.tensor([1], dtype=tg.int16) << 300).tolist() == [0]


def test_in_place_shifts_change_the_tensor():
    x = tg.tensor([1, -8], dtype=tg.int8)
    alias = x
    x <<= tg.tensor([2, 1])
    assert x is alias and x.dtype == tg.int8 and x.tolist() == [4, -16]
    x >>= 2
    assert x is alias and x.tolist() == [1, -4]
    assert x.bitwise_left_shift_(3) is x and x.tolist() == [8, -32]
    assert x.bitwise_right_shift_(1).tolist() == [4, -16]


def test_shifts_refuse_floats_bools_and_unfit_shapes():
    with pytest.raises(NotImplementedError, match="lshift_cpu"):
        tg.tensor([1.5]) << 1
    with pytest.raises(NotImplementedError, match="rshift_cpu"):
        tg.tensor([1]) >> 1.5
    with pytest.raises(NotImplementedError, match="not implemented for"):
        tg.tensor([True]) << tg.tensor([True])
    with pytest.raises(RuntimeError, match="shapes"):
        tg.tensor([1, 2, 3]) << tg.tensor([1, 2])
    with pytest.raises(TypeError, match="bitwise_left_shift"):
        tg.bitwise_left_shift(2, 3)


# ------------------------------------------------------------------- bincount
def test_bincount_counts_each_value():
    x = np.array([0, 1, 1, 3, 3, 3, 7])
    out = tg.bincount(tg.tensor(x))
    assert out.dtype == tg.int64 and out.tolist() == np.bincount(x).tolist()
    assert (
        tg.tensor(x, dtype=tg.uint8).bincount(minlength=10).tolist()
        == np.bincount(x, minlength=10).tolist()
    )
    assert tg.bincount(tg.tensor(x), minlength=3).shape == (8,)


def test_bincount_sums_the_weights_in_their_float_dtype():
    x, w = np.array([0, 1, 1, 3]), np.array([0.5, 1.0, 2.0, 3.0])
    for dtype in (tg.float32, tg.float64):
        out = tg.bincount(tg.tensor(x), weights=tg.tensor(w, dtype=dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(_values(out), np.bincount(x, weights=w))
    for weights in (tg.tensor([1, 2, 3, 4]), tg.tensor([True, False, True, True])):
        assert tg.bincount(tg.tensor(x), weights).dtype == tg.float64
    np.testing.assert_array_equal(
        _values(tg.bincount(tg.tensor(x), tg.tensor([1, 2, 3, 4]))), [1, 5, 0, 4]
    )


def test_bincount_of_an_empty_input_is_int64_zeros():
    empty = tg.tensor([], dtype=tg.int64)
    assert tg.bincount(empty).shape == (0,)
    out = tg.bincount(empty, weights=tg.tensor([], dtype=tg.float64), minlength=3)
    assert out.dtype == tg.int64 and out.tolist() == [0, 0, 0]


def test_bincount_with_weights_that_require_grad_has_no_derivative():
    w = _float64([0.5, 1.0, 2.0])
    out = tg.bincount(tg.tensor([0, 2, 2]), weights=w * 2)
    assert out.requires_grad and out.tolist() == [1.0, 0.0, 6.0]
    with pytest.raises(RuntimeError, match="derivative for bincount is not implemented"):
        out.sum().backward()
    assert not tg.bincount(tg.tensor([0, 2, 2]), weights=w.detach()).requires_grad


def test_bincount_refuses_what_pytorch_refuses():
    ints = tg.tensor([0, 1])
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.bincount(tg.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="1-d"):
        tg.bincount(tg.tensor([[1, 2]]))
    with pytest.raises(NotImplementedError, match="bincount_cpu"):
        tg.bincount(tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="minlength"):
        tg.bincount(ints, minlength=-1)
    with pytest.raises(TypeError, match="minlength"):
        tg.bincount(ints, minlength=2.5)
    with pytest.raises(RuntimeError, match="same length"):
        tg.bincount(ints, tg.ones(3))
    with pytest.raises(TypeError, match="weights"):
        tg.bincount(ints, [1.0, 2.0])
    with pytest.raises(TypeError, match="input"):
        tg.bincount([0, 1])


# ----------------------------------------------------------------------- isin
def test_isin_tests_each_element():
    e, t = np.array([[1, 2, 3], [4, 5, 6]]), np.array([2, 5, 9])
    out = tg.isin(tg.tensor(e), tg.tensor(t))
    assert out.dtype == tg.bool and out.shape == (2, 3)
    np.testing.assert_array_equal(_values(out), np.isin(e, t))
    np.testing.assert_array_equal(
        _values(tg.isin(tg.tensor(e), tg.tensor(t), invert=True)), ~np.isin(e, t)
    )
    assert tg.isin(tg.tensor(e), 4).tolist() == [[False] * 3, [True, False, False]]
    assert tg.isin(4, tg.tensor(e)).tolist() is True and tg.isin(4, tg.tensor(e)).shape == ()
    assert tg.isin(tg.tensor(e), tg.tensor([], dtype=tg.int64)).sum().item() == 0


def test_isin_is_exact_for_repeated_values_even_with_assume_unique():
    out = tg.isin(tg.tensor([1, 2, 2, 3]), tg.tensor([2, 2]), assume_unique=True)
    assert out.tolist() == [False, True, True, False]


def test_isin_compares_in_the_promoted_dtype():
    tenth = tg.tensor([0.1], dtype=tg.float32)
    assert not tg.isin(tenth, tg.tensor([0.1], dtype=tg.float64)).item()
    assert tg.isin(tenth, 0.1).item()  # the number takes float32
    assert tg.isin(tg.tensor([255], dtype=tg.uint8), -1).item()  # and wraps, as PyTorch
    assert not tg.isin(tg.tensor([1, 2]), 2.5).any().item()
    assert not tg.isin(tg.tensor([np.nan]), tg.tensor([np.nan])).item()


def test_isin_refuses_bools_lists_and_two_numbers():
    with pytest.raises(RuntimeError, match="Bool"):
        tg.isin(tg.tensor([True]), tg.tensor([True]))
    with pytest.raises(RuntimeError, match="Bool"):
        tg.isin(tg.tensor([1]), True)
    with pytest.raises(TypeError, match="list"):
        tg.isin(tg.tensor([1]), [1, 2])
    with pytest.raises(TypeError, match="isin"):
        tg.isin(2, 3)
    with pytest.raises(TypeError, match="invert"):
        tg.isin(tg.tensor([1]), 1, invert=1)
