"""atan2, hypot, diag_embed, flip's argument forms and Tensor.unfold against
PyTorch: values, dtypes, gradients (first and second order) and errors."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(5)
BROADCAST_PAIRS = [((3,), (3,)), ((), (4,)), ((2, 1, 3), (2, 5, 3)), ((2, 1), (5, 2, 3))]


def R(*shape, lo=-2.0, hi=2.0, dtype="float64"):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def same_error(fn, *inputs, message=True):
    """Both libraries raise the same exception type on ``fn`` (and, with
    ``message``, the same message, after tapegrad's "op: " prefix if any)."""
    with pytest.raises(Exception) as want:
        fn(torch, *[torch.tensor(x) for x in inputs])
    with pytest.raises(type(want.value)) as got:
        fn(tg, *[tg.tensor(x) for x in inputs])
    if message:
        assert str(got.value).endswith(str(want.value))


def second_order(op):
    """The first gradients of ``op(a, b).sum()``, recorded: their gradient is
    the second derivative."""
    return lambda L, a, b: L.autograd.grad(op(L, a, b).sum(), (a, b), create_graph=True)


# ---------------------------------------------------------- atan2 / hypot
BINARY = {
    "atan2": lambda L, a, b: L.atan2(a, b),
    "arctan2": lambda L, a, b: L.arctan2(a, b),
    "method_atan2": lambda L, a, b: a.atan2(b),
    "method_arctan2": lambda L, a, b: a.arctan2(b),
    "hypot": lambda L, a, b: L.hypot(a, b),
    "method_hypot": lambda L, a, b: a.hypot(b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("sa,sb", BROADCAST_PAIRS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_atan2_and_hypot_match_torch_with_broadcasting(name, sa, sb, dtype):
    a, b = R(*sa, dtype=dtype), R(*sb, dtype=dtype)
    check(BINARY[name], a, b, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7)


@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_second_derivatives_of_atan2_and_hypot_match_torch(name):
    check(second_order(BINARY[name]), R(2, 3, lo=0.3), R(3), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_atan2_and_hypot_at_zeros_and_infinities_match_torch(name):
    inf = np.inf
    a = np.array([0.0, -0.0, 0.0, -0.0, 1.0, inf, -inf, inf, 1e-200, 3e200])
    b = np.array([0.0, 0.0, -0.0, -0.0, inf, 1.0, inf, -inf, 0.0, 4e200])
    check(BINARY[name], a, b, rtol=1e-12)


@pytest.mark.parametrize("da,db", [("int64", "int64"), ("int32", "float32"), ("bool", "bool")])
def test_atan2_of_integers_and_mixed_dtypes_matches_torch(da, db):
    a = np.array([1, 0, 3, 2]).astype(da)
    b = np.array([2, 1, 0, 2]).astype(db)
    check(BINARY["atan2"], a, b)


def test_atan2_promotes_float32_with_float64_as_torch():
    check(BINARY["atan2"], R(3, dtype="float32"), R(3), rtol=1e-6)


def test_hypot_keeps_float16_and_mixes_dtypes_as_torch():
    check(BINARY["hypot"], R(4, dtype="float16"), R(4, dtype="float16"), rtol=2e-3, atol=1e-3)
    check(BINARY["hypot"], R(4, dtype="float32"), R(4), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_hypot_refuses_integer_inputs_as_torch(dtype):
    a = np.array([3, 1]).astype(dtype)
    same_error(BINARY["hypot"], a, a, message=False)


# -------------------------------------------------------------- diag_embed
@pytest.mark.parametrize("offset", [-3, -1, 0, 1, 2])
@pytest.mark.parametrize("dims", [(-2, -1), (-1, -2), (0, 1), (1, 0), (0, 3), (3, 1), (2, 0)])
def test_diag_embed_matches_torch(offset, dims):
    check(lambda L, x: L.diag_embed(x, offset, *dims), R(2, 3, 4), rtol=1e-12)


@pytest.mark.parametrize(
    "fn,x",
    [
        (lambda L, x: L.diag_embed(x), R(5)),
        (lambda L, x: x.diag_embed(offset=-2, dim1=1, dim2=0), R(3)),
        (lambda L, x: x.diag_embed(1, dim1=0), R(2, 3)),
        (lambda L, x: L.diag_embed(x, 2), R(2, 0)),
        (lambda L, x: L.diag_embed(x, -1), np.arange(6).reshape(2, 3)),
        (lambda L, x: L.diag_embed(x), np.array([True, False])),
        (lambda L, x: L.diag_embed(x * 2, 1).sin().sum(-1), R(2, 3)),
    ],
)
def test_diag_embed_forms_and_dtypes_match_torch(fn, x):
    check(fn, x, rtol=1e-12)


def test_diag_embed_second_derivative_matches_torch():
    def grad_of_cube(L, x):
        return L.autograd.grad((L.diag_embed(x, 1) ** 3).sum(), (x,), create_graph=True)

    check(grad_of_cube, R(2, 3), rtol=1e-12)


@pytest.mark.parametrize(
    "fn,x,message",
    [
        (lambda L, x: L.diag_embed(x, 0, 1, 1), R(2, 3), True),
        (lambda L, x: L.diag_embed(x, 0, -1, 2), R(2, 3), True),
        (lambda L, x: L.diag_embed(x, 0, 3, 1), R(2, 3), False),
        (lambda L, x: L.diag_embed(x, 0, 0, -4), R(2, 3), False),
        (lambda L, x: L.diag_embed(x), np.array(1.0), False),
        (lambda L, x: L.diag_embed(x, 1.0), R(3), False),
    ],
)
def test_diag_embed_errors_match_torch(fn, x, message):
    same_error(fn, x, message=message)


# -------------------------------------------------------------------- flip
FLIP_FORMS = {
    "function_tuple": lambda L, x: L.flip(x, (0, 2)),
    "function_list": lambda L, x: L.flip(x, [2, 0]),
    "function_keyword": lambda L, x: L.flip(x, dims=(0, 2)),
    "function_keyword_list": lambda L, x: L.flip(input=x, dims=[-1]),
    "function_empty": lambda L, x: L.flip(x, ()),
    "method_ints": lambda L, x: x.flip(0, 2),
    "method_int": lambda L, x: x.flip(-2),
    "method_tuple": lambda L, x: x.flip((0, 1)),
    "method_keyword": lambda L, x: x.flip(dims=(1, 2)),
    "method_all": lambda L, x: x.flip(0, 1, 2),
}


@pytest.mark.parametrize("name", sorted(FLIP_FORMS))
def test_flip_forms_match_torch(name):
    check(FLIP_FORMS[name], R(2, 3, 4), rtol=1e-12)


def test_flip_of_a_0d_tensor_and_of_integers_matches_torch():
    check(lambda L, x: L.flip(x, [0]), np.array(2.5))
    check(lambda L, x: x.flip(1), np.arange(6).reshape(2, 3))


def test_flip_is_a_copy_as_in_torch():
    def flip_then_change(L, x):
        y = x.flip(0)
        with L.no_grad():
            y.add_(1.0)
        return x + 0.0, y

    check(flip_then_change, R(3, 2), grad=False)


@pytest.mark.parametrize(
    "fn,message",
    [
        (lambda L, x: x.flip(0, 0), True),
        (lambda L, x: L.flip(x, (1, -2)), True),
        (lambda L, x: x.flip(3), False),
        (lambda L, x: x.flip(), True),
        (lambda L, x: L.flip(x), True),
        (lambda L, x: x.flip([0], 1), False),
    ],
)
def test_flip_errors_match_torch(fn, message):
    same_error(fn, R(2, 3, 4), message=message)


# ------------------------------------------------------------------ unfold
UNFOLD_ARGS = [
    (dim, size, step)
    for dim in (0, 1, 2, -1, -3)
    for size, step in ((1, 1), (2, 1), (2, 2), (3, 2), (0, 1), (2, 7), (4, 1))
]


@pytest.mark.parametrize("dim,size,step", UNFOLD_ARGS)
def test_unfold_matches_torch(dim, size, step):
    x = R(4, 5, 6)
    check(lambda L, x: x.unfold(dim, size, step), x, rtol=1e-12)


@pytest.mark.parametrize(
    "fn,x",
    [
        (lambda L, x: x.unfold(0, 1, 1), np.array(3.0)),
        (lambda L, x: x.unfold(-1, 0, 2), np.array(3.0)),
        (lambda L, x: x.unfold(dimension=1, size=2, step=1), R(2, 3)),
        (lambda L, x: x.unfold(0, 3, 1).unfold(1, 2, 1), R(6, 2)),
        (lambda L, x: x.unfold(1, 2, 1) * x.unfold(1, 2, 1), R(3, 5)),
        (lambda L, x: x.unfold(1, 0, 1), np.zeros((2, 0))),
        (lambda L, x: x.unfold(0, 2, 2), np.arange(7)),
        (lambda L, x: x.t().unfold(0, 2, 1), R(3, 4)),
    ],
)
def test_unfold_forms_and_dtypes_match_torch(fn, x):
    check(fn, x, rtol=1e-12)


def test_unfold_second_derivative_matches_torch():
    def grad_of_cube(L, x):
        return L.autograd.grad((x.unfold(0, 3, 1) ** 3).sum(), (x,), create_graph=True)

    check(grad_of_cube, R(6, 2), rtol=1e-12)


@pytest.mark.parametrize(
    "dim,size,step,message",
    [
        (1, 6, 1, True),
        (-1, 6, 1, True),
        (1, 6, 0, True),
        (1, -1, 1, True),
        (1, -1, 0, True),
        (1, 2, 0, True),
        (1, 2, -1, True),
        (2, 1, 1, False),
        (1, 2.0, 1, False),
        (1, 2, 1.0, False),
    ],
)
def test_unfold_errors_match_torch(dim, size, step, message):
    same_error(lambda L, x: x.unfold(dim, size, step), np.zeros((2, 5)), message=message)


def test_unfold_errors_of_a_0d_tensor_match_torch():
    same_error(lambda L, x: x.unfold(0, 2, 1), np.array(1.0))
    same_error(lambda L, x: x.unfold(1, 1, 1), np.array(1.0), message=False)
