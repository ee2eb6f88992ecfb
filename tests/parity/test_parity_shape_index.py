"""Shape ops, indexing, gather/scatter and padding: values and gradients vs PyTorch."""

import numpy as np
import pytest

from tapegrad.ops.shape import pad as tg_pad

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(2)
X = rng.standard_normal((2, 3, 4))

SHAPE_OPS = {
    "reshape": lambda L, x: x.reshape(4, 6),
    "reshape_tuple": lambda L, x: L.reshape(x, (-1, 2)),
    "view": lambda L, x: x.view(6, -1),
    "flatten": lambda L, x: x.flatten(),
    "flatten_1": lambda L, x: L.flatten(x, 1),
    "flatten_0_1": lambda L, x: x.flatten(0, 1),
    "transpose": lambda L, x: x.transpose(0, 2),
    "transpose_neg": lambda L, x: L.transpose(x, -1, -2),
    "permute": lambda L, x: x.permute(2, 0, 1),
    "permute_tuple": lambda L, x: L.permute(x, (1, 2, 0)),
    "T_2d": lambda L, x: x[0].T,
    "unsqueeze": lambda L, x: x.unsqueeze(1),
    "unsqueeze_neg": lambda L, x: L.unsqueeze(x, -1),
    "squeeze_none": lambda L, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda L, x: x[:, :1].squeeze(1),
    "squeeze_non1_dim": lambda L, x: x.squeeze(0),
    "squeeze_neg": lambda L, x: x[..., :1].squeeze(-1),
    "expand": lambda L, x: x[:, :1].expand(2, 5, 4),
    "expand_minus1": lambda L, x: x[None].expand(3, -1, -1, -1),
    "broadcast_to": lambda L, x: L.broadcast_to(x[:, :1], (5, 2, 3, 4)),
    "repeat": lambda L, x: x.repeat(2, 1, 3),
    "repeat_more_dims": lambda L, x: x.repeat(2, 1, 1, 2),
    "flip": lambda L, x: x.flip(0, 2),
    "flip_tuple": lambda L, x: L.flip(x, (1,)),
    "cat": lambda L, x: L.cat([x, x * 2, x[:, :1]], dim=1),
    "cat_neg": lambda L, x: L.cat((x, x), -1),
    "stack": lambda L, x: L.stack([x, x * 3], dim=1),
    "stack_last": lambda L, x: L.stack([x[0], x[1]], -1),
    "split_int": lambda L, x: x.split(2, dim=2),
    "split_list": lambda L, x: L.split(x, [1, 2], dim=1),
    "chunk": lambda L, x: x.chunk(2, dim=1),
    "chunk_uneven": lambda L, x: L.chunk(x, 3, -1),
    "narrow": lambda L, x: x.narrow(2, 1, 2),
    "unbind": lambda L, x: x.unbind(1),
    "select": lambda L, x: x.select(1, -1),
    "movedim": lambda L, x: x.movedim(0, -1),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_matches_torch(name):
    check(SHAPE_OPS[name], X)


KEYS = {
    "int": 1,
    "neg_int": -1,
    "slice": slice(1, None),
    "step_slice": (slice(None), slice(None, None, 2)),
    "none": (None, 0),
    "ellipsis": (Ellipsis, 1),
    "ellipsis_none": (0, Ellipsis, None),
    "int_array": [1, 0, 1],
    "repeated": ([0, 0, 1, 0],),
    "int_tensor_2d": (slice(None), np.array([[0, 2], [2, 2]])),
    "two_arrays": ([0, 1, 1], [2, 2, 0]),
    "array_slice_array": ([0, 1], slice(None), [3, 3]),
    "bool_mask": "mask",
    "bool_mask_row": "mask_row",
    "int_and_array": (1, [0, 0, 2]),
    "none_array": (None, [1, 1]),
    "ellipsis_array": (Ellipsis, [0, 3, 3]),
    "array_int_slice": ([1, 0], 2, slice(0, 3)),
}


def _key(L, x, k):
    if k == "mask":
        return x > 0
    if k == "mask_row":
        return L.tensor([True, False])
    if isinstance(k, tuple):
        return tuple(L.tensor(i) if isinstance(i, np.ndarray) else i for i in k)
    return k


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_matches_torch_and_accumulates_repeated_indices(name):
    check(lambda L, x: x[_key(L, x, KEYS[name])] * 2, X)


def test_index_with_long_tensor_matches_torch():
    idx = np.array([2, 0, 2, 2])
    check(lambda L, x, i: x[:, i], X, idx)
    check(lambda L, x, i: x[i[:2]], X[0], idx)


def test_gather_matches_torch():
    x = rng.standard_normal((3, 4))
    idx = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])
    check(lambda L, x, i: L.gather(x, 1, i), x, idx)
    check(lambda L, x, i: x.gather(0, i[:2] % 3), x, idx)


def test_scatter_add_matches_torch():
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((2, 4))
    idx = np.array([[0, 1, 2, 0], [0, 0, 2, 1]])
    check(lambda L, x, i, s: L.scatter_add(x, 0, i, s), x, idx, src)
    check(lambda L, x, i, s: x.scatter_add(1, i % 3, s), x, idx, src)


def test_scatter_add_with_smaller_index_than_src_matches_torch():
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((3, 4))
    idx = np.array([[0, 1], [2, 2]])
    check(lambda L, x, i, s: L.scatter_add(x, 0, i, s), x, idx, src, grad=False)


def _pad(L):
    return torch.nn.functional.pad if L is torch else tg_pad


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("widths", [(1, 2), (2, 1, 1, 0), (0, 1, 2, 1)], ids=str)
def test_pad_matches_torch_functional_pad(mode, widths):
    x = rng.standard_normal((2, 3, 4))
    check(lambda L, x: _pad(L)(x, widths, mode=mode), x)


def test_pad_constant_value_and_negative_widths_match_torch():
    x = rng.standard_normal((2, 3, 4))
    check(lambda L, x: _pad(L)(x, (1, 1, 2, 0), value=2.5), x)
    check(lambda L, x: _pad(L)(x, (-1, 2, 0, -1)), x)
    check(lambda L, x: _pad(L)(x, (1, 1, 1, 1, 1, 1)), x)


def test_index_select_and_masked_fill_match_torch():
    x = rng.standard_normal((3, 4))
    idx = np.array([2, 0, 2])
    check(lambda L, x, i: x.index_select(1, i) + L.index_select(x, 0, i)[:, :1], x, idx)
    check(lambda L, x: x.masked_fill(x > 0, 0.5), x)


@pytest.mark.parametrize(
    "fn, exc",
    [
        (lambda L, x: x[5], IndexError),
        (lambda L, x: x[:, [0, 9]], IndexError),
        (lambda L, x: x.sum(4), IndexError),
        (lambda L, x: L.cat([x, x[:, :, :2]], 1), RuntimeError),
        (lambda L, x: L.stack([x, x[0]]), RuntimeError),
        (lambda L, x: x.permute(0, 1), RuntimeError),
        (lambda L, x: x > x[0, :2], RuntimeError),
        (lambda L, x: x.item(), RuntimeError),
    ],
)
def test_errors_have_torch_exception_types(fn, exc):
    err = check_raises(fn, X)
    assert isinstance(err, exc)
    with pytest.raises(exc):
        fn(torch, torch.tensor(X))


def test_shape_errors_from_ops_are_runtime_errors_like_torch():
    for fn in [lambda L, x: x + x[:, :2], lambda L, x: x @ x, lambda L, x: x.reshape(5, 5)]:
        assert isinstance(check_raises(fn, X), RuntimeError)


ROUNDING_X = np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, 1.234, -3.7]])


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "frac", "round"])
def test_rounding_matches_torch(name):
    check(lambda L, x: getattr(L, name)(x) * 2.0, ROUNDING_X)
    check(lambda L, x: getattr(x, name)(), ROUNDING_X.astype(np.float32))


@pytest.mark.parametrize("decimals", [1, 2, -1])
def test_round_with_decimals_matches_torch(decimals):
    x = np.random.default_rng(3).standard_normal((4, 5)) * 10
    check(lambda L, t: L.round(t, decimals=decimals), x)


@pytest.mark.parametrize("diagonal", [-1, 0, 2])
def test_tril_triu_match_torch(diagonal):
    m = np.random.default_rng(4).standard_normal((2, 3, 4))
    check(lambda L, x: L.tril(x, diagonal) * 3.0, m)
    check(lambda L, x: x.triu(diagonal) * 3.0, m)


def test_roll_matches_torch():
    m = np.random.default_rng(5).standard_normal((3, 4))
    check(lambda L, x: L.roll(x, 1, 0) * L.tensor(np.arange(12.0).reshape(3, 4)), m)
    check(lambda L, x: x.roll((1, -2), (0, 1)) ** 2, m)
    check(lambda L, x: L.roll(x, 5) ** 2, m)


def test_sort_argsort_topk_match_torch():
    w = np.random.default_rng(6).standard_normal((3, 5))
    weights = np.arange(15.0).reshape(3, 5)
    check(lambda L, x: L.sort(x, dim=1).values * L.tensor(weights), w)
    check(lambda L, x: L.sort(x, dim=0, descending=True)[1], w, grad=False)
    check(lambda L, x: L.argsort(x, dim=1), w, grad=False)
    check(lambda L, x: L.topk(x, 2, dim=1).values * L.tensor(weights[:, :2]), w)
    check(lambda L, x: x.topk(2, dim=0, largest=False), w)


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_diag_matches_torch(k):
    check(lambda L, x: L.diag(x, k) * 2.0, np.array([1.0, -2.0, 3.0]))
    check(lambda L, x: L.diag(x, k) * 2.0, np.random.default_rng(7).standard_normal((3, 4)))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_tile_repeat_interleave_meshgrid_match_torch(indexing):
    m = np.random.default_rng(7).standard_normal((3, 4))
    check(lambda L, x: L.tile(x, (2, 1, 3)) ** 2, m)
    check(lambda L, x: x.repeat_interleave(2, dim=1) ** 2, m)
    check(lambda L, x: L.repeat_interleave(x, 3) ** 2, m)
    check(lambda L, x, y: L.meshgrid(x, y, indexing=indexing), m[:, 0], m[0])


def test_scatter_and_index_add_match_torch():
    rng = np.random.default_rng(9)
    a, src = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    index = np.array([[0, 1], [3, 2], [2, 0]])
    check(lambda L, x, i, s: L.scatter(x, 1, i, s) ** 2, a, index, src)
    check(lambda L, x, i: L.scatter(x, 1, i, value=2.5) ** 2, a, index)
    check(
        lambda L, x, s: L.index_add(x, 0, L.tensor([2, 0, 2]), s, alpha=2.0) ** 2,
        a,
        rng.standard_normal((3, 4)),
    )
    check(lambda L, x, s: x.index_add(1, L.tensor([1, 3]), s) ** 2, a, src)
