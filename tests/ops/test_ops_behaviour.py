"""Behaviour of the ops without PyTorch: values against NumPy, result dtypes,
PyTorch's conventions (ties, boundaries, squeeze, max with dim) and errors."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops.shape import pad

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
P = rng.uniform(0.5, 2.0, (3, 4))


def T(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def close(t, want, rtol=1e-10):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=1e-12)


# ------------------------------------------------------------- elementwise
UNARY = {
    "exp": (np.exp, A),
    "log": (np.log, P),
    "log1p": (np.log1p, P),
    "expm1": (np.expm1, A),
    "sqrt": (np.sqrt, P),
    "rsqrt": (lambda a: 1 / np.sqrt(a), P),
    "abs": (np.abs, A),
    "sign": (np.sign, A),
    "sin": (np.sin, A),
    "cos": (np.cos, A),
    "tan": (np.tan, A * 0.5),
    "tanh": (np.tanh, A),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), A),
    "relu": (lambda a: np.maximum(a, 0), A),
    "reciprocal": (np.reciprocal, P),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_match_numpy(name):
    ref, a = UNARY[name]
    close(getattr(tg, name)(T(a)), ref(a))
    close(getattr(T(a), name)(), ref(a))


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"sign"}))
def test_unary_gradcheck(name):
    _, a = UNARY[name]
    assert tg.gradcheck(getattr(tg, name), (T(a + (a == 0) * 0.1, grad=True),))


def test_unary_keeps_float32():
    x = tg.tensor([0.5, 1.0])
    assert all(getattr(tg, n)(x).dtype == tg.float32 for n in UNARY)


def test_sigmoid_is_finite_for_huge_inputs():
    close(tg.sigmoid(T([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "shapes", [((3,), ()), ((2, 1, 3), (2, 5, 3)), ((2, 1), (5, 2, 3))], ids=str
)
def test_binary_broadcast_values_and_gradients(shapes):
    a = rng.uniform(0.5, 2, shapes[0])
    b = rng.uniform(0.5, 2, shapes[1])
    for f, ref in [
        (tg.add, np.add),
        (tg.sub, np.subtract),
        (tg.mul, np.multiply),
        (tg.div, np.divide),
        (tg.pow, np.power),
        (tg.maximum, np.maximum),
        (tg.minimum, np.minimum),
    ]:
        close(f(T(a), T(b)), ref(a, b))
        x, y = T(a, True), T(b, True)
        assert tg.gradcheck(f, (x, y))
        f(x, y).sum().backward()
        assert x.grad.shape == a.shape and y.grad.shape == b.shape


def test_maximum_minimum_ties_share_the_gradient():
    a, b = T([1.0, 2.0], True), T([1.0, 1.0], True)
    (tg.maximum(a, b) + tg.minimum(a, b) * 10).sum().backward()
    close(a.grad, [5.5, 1.0])
    close(b.grad, [5.5, 10.0])


def test_clamp_gradient_is_one_on_the_closed_interval():
    x = T([-1.0, -0.5, 0.0, 0.5, 1.0], True)
    tg.clamp(x, -0.5, 0.5).sum().backward()
    close(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    close(tg.clamp(T([-2.0, 2.0]), min=0.0), [0.0, 2.0])
    with pytest.raises(ValueError):
        tg.clamp(T([1.0]))


def test_pow_special_cases():
    close(T([0.0]) ** 0, [1.0])
    close(T([-2.0, -3.0]) ** 3, [-8.0, -27.0])
    x = T([0.0, -2.0], True)
    (x**2).sum().backward()
    close(x.grad, [0.0, -4.0])
    b = T([0.0, 1.0], True)
    (T([0.0, 0.0]) ** b).sum().backward()
    assert np.isfinite(b.grad.numpy()).all()


def test_where_selects_and_routes_gradient():
    a, b = T([1.0, 2.0, 3.0], True), T([10.0, 20.0, 30.0], True)
    out = tg.where(a > 1.5, a, b)
    close(out, [10.0, 2.0, 3.0])
    out.sum().backward()
    close(a.grad, [0.0, 1.0, 1.0])
    close(b.grad, [1.0, 0.0, 0.0])


def test_scalar_float32_stays_float32_and_int_division_is_float():
    x = tg.tensor([1.0, 2.0])
    assert (x * 2.5).dtype == tg.float32 and (2.5 + x).dtype == tg.float32
    assert (x + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float32
    assert (x + tg.tensor([1.0, 1.0], dtype=tg.float64)).dtype == tg.float64
    assert (tg.tensor([1, 2]) / tg.tensor([2, 4])).dtype == tg.float32


def test_binary_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"^add: shapes \(3,\) and \(4,\) do not fit"):
        tg.ones(3) + tg.ones(4)


# ------------------------------------------------------------- reductions
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_match_numpy(dim, keepdim):
    x = T(A)
    ax = dim
    close(x.sum(dim=dim, keepdim=keepdim), A.sum(axis=ax, keepdims=keepdim))
    close(x.mean(dim=dim, keepdim=keepdim), A.mean(axis=ax, keepdims=keepdim))
    close(tg.var(x, dim, keepdim=keepdim), A.var(axis=ax, ddof=1, keepdims=keepdim))
    close(tg.std(x, dim, keepdim=keepdim), A.std(axis=ax, ddof=1, keepdims=keepdim))
    close(tg.var(x, dim, unbiased=False, keepdim=keepdim), A.var(axis=ax, keepdims=keepdim))
    lse = np.log(np.exp(A).sum(axis=ax, keepdims=keepdim))
    close(tg.logsumexp(x, dim if dim is not None else (0, 1), keepdim=keepdim), lse)
    close(x.norm(dim=dim, keepdim=keepdim), np.sqrt((A**2).sum(axis=ax, keepdims=keepdim)))
    for f in (tg.sum, tg.mean, tg.var, tg.std, tg.norm):
        kw = {"dim": dim} if f is not tg.norm else {"dim": dim}
        assert tg.gradcheck(lambda t, f=f, kw=kw: f(t, keepdim=keepdim, **kw), (T(A, True),))


def test_prod_gradient_with_zeros():
    x = T([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]], True)
    x.prod(1).sum().backward()
    close(x.grad, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])
    assert tg.gradcheck(lambda t: t.prod(), (T([1.5, 0.0, 2.0], True),))


def test_max_with_dim_returns_values_and_indices():
    x = T([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]], True)
    values, indices = x.max(1)
    close(values, [5.0, 7.0])
    assert indices.tolist() == [1, 0] and indices.dtype == tg.int64
    values.sum().backward()
    close(x.grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    v, i = tg.min(x, dim=0, keepdim=True)
    assert v.shape == (1, 3) and i.tolist() == [[0, 1, 1]]


def test_max_without_dim_shares_gradient_between_ties():
    x = T([1.0, 3.0, 3.0], True)
    x.max().backward()
    close(x.grad, [0.0, 0.5, 0.5])


def test_argmax_argmin_have_no_gradient():
    x = T([[1.0, 5.0], [7.0, 0.0]], True)
    assert x.argmax().item() == 2 and x.argmin(1).tolist() == [0, 1]
    assert not x.argmax().requires_grad


def test_softmax_family_stable_at_large_and_infinite_logits():
    for scale in (1e4, -1e4):
        x = T([[1.0, 2.0, 3.0]], True)
        x.data *= scale
        s = tg.softmax(x, 1)
        (s[:, 0] + tg.log_softmax(x, 1)[:, 1] + tg.logsumexp(x, 1)).sum().backward()
        assert np.isfinite(s.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    x = T([[0.0, -np.inf, 1.0]], True)
    s = tg.softmax(x, 1)
    assert s.detach().numpy()[0, 1] == 0.0
    (s * T([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad.numpy()[0, 1] == 0.0 and np.isfinite(x.grad.numpy()).all()


# ------------------------------------------------------------------- shape
def test_shape_ops_match_numpy():
    x = T(rng.standard_normal((2, 3, 4)))
    a = x.numpy()
    close(x.reshape(4, 6), a.reshape(4, 6))
    close(x.view(-1), a.reshape(-1))
    close(x.flatten(1), a.reshape(2, 12))
    close(x.transpose(0, 2), a.transpose(2, 1, 0))
    close(x.permute(1, 2, 0), a.transpose(1, 2, 0))
    close(x.unsqueeze(-1), a[..., None])
    close(x.expand(5, 2, 3, 4), np.broadcast_to(a, (5, 2, 3, 4)))
    close(tg.broadcast_to(x[:, :1], (2, 3, 4)), np.broadcast_to(a[:, :1], (2, 3, 4)))
    close(x.repeat(1, 2, 1), np.tile(a, (1, 2, 1)))
    close(tg.cat([x, x], 1), np.concatenate([a, a], 1))
    close(tg.stack([x, x], -1), np.stack([a, a], -1))
    close(x.flip(0), a[::-1])
    assert [p.shape for p in x.split(3, dim=2)] == [(2, 3, 3), (2, 3, 1)]
    assert [p.shape for p in x.chunk(2, dim=1)] == [(2, 2, 4), (2, 1, 4)]


def test_squeeze_on_a_non_one_dim_leaves_the_tensor_as_is():
    x = tg.ones(2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze(1).shape == (2, 3) and x.squeeze().shape == (2, 3)


def test_shape_ops_gradcheck():
    x = T(rng.standard_normal((2, 3)), True)
    for f in [
        lambda t: t.reshape(3, 2) * T(np.arange(6.0).reshape(3, 2)),
        lambda t: t.T @ t,
        lambda t: t.unsqueeze(0).expand(4, 2, 3).sum(0) * t,
        lambda t: t.repeat(2, 2),
        lambda t: tg.cat([t, t * 2], 1),
        lambda t: t.flip(1) * t,
        lambda t: tg.stack([t, t.exp()]),
        lambda t: t.split(2, 1)[1],
    ]:
        assert tg.gradcheck(f, (x,))


def test_pad_modes_match_numpy():
    a = rng.standard_normal((2, 3, 4))
    x = T(a)
    close(pad(x, (1, 2)), np.pad(a, ((0, 0), (0, 0), (1, 2))))
    close(pad(x, (1, 2), value=3.0), np.pad(a, ((0, 0), (0, 0), (1, 2)), constant_values=3.0))
    close(pad(x, (2, 1, 1, 0), "reflect"), np.pad(a, ((0, 0), (1, 0), (2, 1)), "reflect"))
    close(pad(x, (2, 1, 1, 0), "replicate"), np.pad(a, ((0, 0), (1, 0), (2, 1)), "edge"))
    close(pad(x, (2, 1, 1, 0), "circular"), np.pad(a, ((0, 0), (1, 0), (2, 1)), "wrap"))
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert tg.gradcheck(lambda t, m=mode: pad(t, (1, 2, 1, 1), mode=m), (T(a, True),))


@pytest.mark.parametrize(
    "mode, widths, message",
    [("reflect", (3, 0), "less than its size 3"), ("circular", (4, 0), "more than once")],
)
def test_pad_widths_beyond_the_size_are_refused_as_pytorch(mode, widths, message):
    x = T(rng.standard_normal((1, 1, 3)))
    assert pad(x, (3, 0), "circular").shape == (1, 1, 6)  # one full wrap is allowed
    with pytest.raises(RuntimeError, match=message):
        pad(x, widths, mode)


# ---------------------------------------------------------------- indexing
@pytest.mark.parametrize(
    "key",
    [
        1,
        -1,
        slice(1, None),
        (None, 0),
        (Ellipsis, 1),
        [0, 0, 2],
        ([0, 1], [3, 3]),
        (slice(None), [1, 1, 0]),
        "mask",
    ],
    ids=str,
)
def test_getitem_values_and_scatter_gradient_match_numpy(key):
    x = T(A, True)
    k = x.detach() > 0 if key == "mask" else key
    nk = A > 0 if key == "mask" else key
    out = x[k]
    close(out, A[nk])
    out.sum().backward()
    want = np.zeros_like(A)
    np.add.at(want, nk, 1.0)
    close(x.grad, want)


def test_repeated_indices_accumulate_gradient():
    x = T([1.0, 2.0, 3.0], True)
    x[[0, 0, 2, 0]].sum().backward()
    close(x.grad, [3.0, 0.0, 1.0])


def test_out_of_range_index_raises_index_error():
    with pytest.raises(IndexError):
        tg.ones(3)[5]


def test_gather_and_scatter_add():
    x = T(A, True)
    idx = tg.tensor([[0, 0], [3, 1], [2, 2]])
    g = tg.gather(x, 1, idx)
    close(g, np.take_along_axis(A, idx.numpy(), 1))
    g.sum().backward()
    want = np.zeros_like(A)
    np.add.at(want, (np.arange(3)[:, None], idx.numpy()), 1.0)
    close(x.grad, want)
    src = T(np.ones((3, 2)))
    out = tg.scatter_add(T(np.zeros((3, 4))), 1, idx, src)
    close(out, want)
    assert tg.gradcheck(
        lambda a, s: tg.scatter_add(a, 1, idx, s), (T(A, True), T(src.numpy(), True))
    )


# ----------------------------------------------------------------- linalg
@pytest.mark.parametrize(
    "sa, sb",
    [
        ((3,), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (3, 4)),
        ((2, 3), (5, 3, 4)),
        ((1, 2, 3), (4, 3, 2)),
        ((5, 2, 3), (3,)),
    ],
)
def test_matmul_matches_numpy_and_gradchecks(sa, sb):
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    close(T(a) @ T(b), a @ b)
    assert tg.gradcheck(tg.matmul, (T(a, True), T(b, True)))


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(3, 4\) and \(5, 2\) do not fit"):
        tg.ones(3, 4) @ tg.ones(5, 2)


@pytest.mark.parametrize(
    "eq, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii->", [(3, 3)]),
        ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),
        ("i,j->ij", [(2,), (3,)]),
        ("bii->b", [(2, 3, 3)]),
    ],
)
def test_einsum_matches_numpy_and_gradchecks(eq, shapes):
    ops = [rng.standard_normal(s) for s in shapes]
    close(tg.einsum(eq, *[T(o) for o in ops]), np.einsum(eq, *ops))
    assert tg.gradcheck(lambda *ts: tg.einsum(eq, *ts), tuple(T(o, True) for o in ops))


def test_outer_and_dot():
    a, b = rng.standard_normal(3), rng.standard_normal(4)
    close(tg.outer(T(a), T(b)), np.outer(a, b))
    close(tg.dot(T(a), T(a)), a @ a)
    assert tg.gradcheck(tg.outer, (T(a, True), T(b, True)))
    with pytest.raises(ValueError, match="dot"):
        tg.dot(T(a), T(b))
