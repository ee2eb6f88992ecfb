"""Normalisation layers vs PyTorch in float64: values, gradients and second
derivatives of F.batch_norm / instance_norm / group_norm across shapes and
options, and the modules' running statistics after several training steps."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(11)

SHAPES = [(5, 3), (4, 3, 6), (3, 4, 5, 2), (2, 2, 3, 2, 2)]


def _vec(c, lo=0.5, hi=1.5):
    return rng.uniform(lo, hi, size=(c,))


def _F(L):
    return L.nn.functional


def _affine_args(c, affine):
    return (_vec(c), rng.standard_normal(c)) if affine else (None, None)


# -------------------------------------------------------------- functionals
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    x = rng.standard_normal(shape) * 2 + 1
    w, b = _affine_args(shape[1], affine)
    check(lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True), x, w, b, rtol=1e-9)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batch_norm_with_running_stats_matches_torch(shape):
    c = shape[1]
    x, w, b = rng.standard_normal(shape), _vec(c), rng.standard_normal(c)
    mean, var = rng.standard_normal(c), _vec(c)

    def run(L, x, w, b):
        rm, rv = L.tensor(mean), L.tensor(var)
        return _F(L).batch_norm(x, rm, rv, w, b, False, 0.1, 1e-3)

    check(run, x, w, b, rtol=1e-9)


@pytest.mark.parametrize("shape", SHAPES[1:], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(shape, affine):
    x = rng.standard_normal(shape) * 3 - 1
    w, b = _affine_args(shape[1], affine)
    check(lambda L, x, w, b: _F(L).instance_norm(x, weight=w, bias=b), x, w, b, rtol=1e-9)


@pytest.mark.parametrize(
    "shape,groups",
    [((4, 6), 3), ((3, 6, 5), 2), ((2, 6, 3, 4), 3), ((2, 4, 3, 4), 1), ((2, 4, 3, 4), 4)],
    ids=str,
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    x = rng.standard_normal(shape)
    w, b = _affine_args(shape[1], affine)
    check(lambda L, x, w, b: _F(L).group_norm(x, groups, w, b, 1e-4), x, w, b, rtol=1e-9)


def _second_derivatives(fn, x, w, b):
    """d/d(x, w, b) of the squared norm of the first gradient (seeded with
    fixed weights), in both libraries; unused inputs count as zeros."""
    seed = rng.standard_normal(fn(torch, *map(torch.tensor, (x, w, b))).shape)
    out = {}
    for L in (torch, tg):
        ins = [L.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = fn(L, *ins)
        first = L.autograd.grad((y * L.tensor(seed)).sum(), ins, create_graph=True)
        total = sum((g * g).sum() for g in first)
        second = L.autograd.grad(total, ins, allow_unused=True)
        out[L] = [
            np.zeros_like(a) if g is None else g.detach().numpy() for g, a in zip(second, (x, w, b))
        ]
    return out[torch], out[tg]


SECOND_ORDER = {
    "batch_norm (N, C)": (lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True), (6, 3)),
    "batch_norm (N, C, H, W)": (
        lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True),
        (3, 2, 3, 2),
    ),
    "instance_norm": (lambda L, x, w, b: _F(L).instance_norm(x, weight=w, bias=b), (2, 3, 5)),
    "group_norm": (lambda L, x, w, b: _F(L).group_norm(x, 2, w, b), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    fn, shape = SECOND_ORDER[name]
    x, w, b = rng.standard_normal(shape), _vec(shape[1]), rng.standard_normal(shape[1])
    for want, got in zip(*_second_derivatives(fn, x, w, b)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_batch_norm_float32_matches_torch():
    x = rng.standard_normal((8, 4, 5, 5)).astype(np.float32)
    w, b = _vec(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    check(lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, True), x, w, b, rtol=1e-4)


# ----------------------------------------------------------------- modules
MODULES = {
    "BatchNorm1d (N, C)": (lambda L: L.nn.BatchNorm1d(3), (6, 3)),
    "BatchNorm1d (N, C, L)": (lambda L: L.nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    "BatchNorm2d": (lambda L: L.nn.BatchNorm2d(3), (4, 3, 2, 5)),
    "BatchNorm2d momentum=None": (lambda L: L.nn.BatchNorm2d(3, momentum=None), (4, 3, 2, 2)),
    "BatchNorm2d no affine": (lambda L: L.nn.BatchNorm2d(3, affine=False), (2, 3, 3, 3)),
    "BatchNorm2d no bias": (lambda L: L.nn.BatchNorm2d(3, bias=False), (2, 3, 3, 3)),
    "BatchNorm2d untracked": (
        lambda L: L.nn.BatchNorm2d(3, track_running_stats=False),
        (2, 3, 3, 3),
    ),
    "BatchNorm3d": (lambda L: L.nn.BatchNorm3d(2, eps=1e-3), (2, 2, 3, 2, 2)),
    "InstanceNorm1d": (lambda L: L.nn.InstanceNorm1d(3), (2, 3, 6)),
    "InstanceNorm2d affine tracked": (
        lambda L: L.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        (2, 3, 4, 4),
    ),
    "InstanceNorm2d tracked momentum=None": (
        lambda L: L.nn.InstanceNorm2d(3, momentum=None, track_running_stats=True),
        (2, 3, 4, 4),
    ),
    "InstanceNorm2d unbatched": (lambda L: L.nn.InstanceNorm2d(3, affine=True), (3, 4, 4)),
    "GroupNorm": (lambda L: L.nn.GroupNorm(2, 4), (3, 4, 2, 3)),
    "GroupNorm no affine": (lambda L: L.nn.GroupNorm(4, 4, affine=False), (3, 4, 5)),
}


def _pair(make):
    """The same module in both libraries, float64, with the same random
    affine parameters."""
    mt, mg = make(torch).double(), make(tg).double()
    with torch.no_grad():
        for p in mt.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, size=tuple(p.shape))))
    mg.load_state_dict({k: v.numpy() for k, v in mt.state_dict().items()})
    return mt, mg


def _compare_state(mt, mg):
    st, sg = mt.state_dict(), mg.state_dict()
    assert list(sg) == list(st)
    for k, v in st.items():
        got = sg[k].numpy()
        assert got.dtype == v.numpy().dtype, k
        np.testing.assert_allclose(got, v.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_training_steps_and_eval_match_torch(name):
    make, shape = MODULES[name]
    mt, mg = _pair(make)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        xt, xg = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
        yt, yg = mt(xt), mg(xg)
        np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        seed = rng.standard_normal(shape)
        (yt * torch.tensor(seed)).sum().backward()
        (yg * tg.tensor(seed)).sum().backward()
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        for (n, pt), (_, pg) in zip(mt.named_parameters(), mg.named_parameters()):
            np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-8, err_msg=n)
        _compare_state(mt, mg)
    mt.eval(), mg.eval()
    x = rng.standard_normal(shape)
    want = mt(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(mg(tg.tensor(x)).detach().numpy(), want, rtol=1e-9, atol=1e-12)
    _compare_state(mt, mg)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_repr_and_state_dict_keys_match_torch(name):
    make, _ = MODULES[name]
    mt, mg = make(torch), make(tg)
    assert repr(mg) == repr(mt)
    assert list(mg.state_dict()) == list(mt.state_dict())
    assert [n for n, _ in mg.named_buffers()] == [n for n, _ in mt.named_buffers()]


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.nn.Dropout1d(),
        lambda L: L.nn.Dropout2d(0.2),
        lambda L: L.nn.Dropout3d(0.7, inplace=True),
    ],
)
def test_dropout_module_reprs_match_torch(make):
    assert repr(make(tg)) == repr(make(torch))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout2d_keeps_or_drops_whole_channels_like_torch(p):
    x = np.ones((64, 16, 3, 3))
    out = {}
    for L in (torch, tg):
        xt = L.tensor(x, requires_grad=True)
        y = L.nn.functional.dropout2d(xt, p)
        y.sum().backward()
        out[L] = y.detach().numpy(), xt.grad.numpy()
    for y, grad in out.values():
        per_channel = y.reshape(64, 16, 9)
        assert np.all(per_channel == per_channel[..., :1])  # one draw per channel
        assert set(np.unique(y)) <= {0.0, 1 / (1 - p)}
        np.testing.assert_array_equal(grad, y)
        assert abs(np.mean(y == 0) - p) < 0.08


def test_dropout2d_warnings_match_torch():
    for shape in [(3, 4, 5), (2, 3, 4, 5, 6), (3, 4)]:
        with pytest.warns(UserWarning) as want:
            torch.nn.functional.dropout2d(torch.ones(shape))
        with pytest.warns(UserWarning) as got:
            tg.nn.functional.dropout2d(tg.ones(shape))
        assert [str(w.message) for w in got] == [str(w.message) for w in want]
