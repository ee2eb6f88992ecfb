"""nan_to_num, histc, tril/triu_indices, nn.init.dirac_/sparse_,
nn.utils.get_total_norm/clip_grads_with_norm_ and optim.swa_utils against
PyTorch: values, dtypes, gradients, learning rates step by step."""

import copy

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
SPECIAL = np.array([NAN, INF, -INF, 1.5, -0.25, 0.0, 3.0, -INF])


# ------------------------------------------------------------------ nan_to_num
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize(
    "args", [{}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, {"neginf": 5}, {"nan": 1e300}]
)
def test_nan_to_num_values_and_gradient(dtype, args):
    check(lambda lib, x: lib.nan_to_num(x, **args), SPECIAL.astype(dtype))
    check(lambda lib, x: x.nan_to_num(**args) * 2, SPECIAL.reshape(2, 4).astype(dtype))


def test_nan_to_num_integers_in_place_and_out():
    check(lambda lib, x: lib.nan_to_num(x, 3.7), np.array([1, 2, 3]))

    def in_place(lib, x):
        y = x * 1
        return y.nan_to_num_(4.0, neginf=-1.0)

    check(in_place, SPECIAL)

    def into_out(lib, x):
        out = lib.empty(3)
        lib.nan_to_num(x, out=out)
        return out

    check(into_out, SPECIAL[:8].astype("float32"), grad=False)
    check_raises(lambda lib, x: lib.nan_to_num(x, out=lib.empty(8)), SPECIAL, grad=True)
    check_raises(lambda lib, x: lib.nan_to_num(x, nan="a"), SPECIAL)


# ----------------------------------------------------------------------- histc
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "bins,lo,hi", [(100, 0, 0), (7, 0, 0), (10, -1.0, 1.0), (3, 0.25, 0.5), (5, 2, 2)]
)
def test_histc_counts(dtype, bins, lo, hi):
    data = np.random.default_rng(bins).normal(size=(40, 3)).astype(dtype)
    data[0, 0] = 1.0  # an edge of several of the ranges
    check(lambda lib, x: lib.histc(x, bins, lo, hi), data, grad=False)
    check(lambda lib, x: x.histc(bins=bins, min=lo, max=hi), np.linspace(-1, 1, 41), grad=False)


@pytest.mark.parametrize(
    "data,kwargs",
    [
        (np.array([1.0, 2.0]), {"bins": 0}),
        (np.array([1.0, 2.0]), {"bins": 2, "min": 3, "max": 1}),
        (np.array([1.0, INF]), {"bins": 2}),
        (np.array([1.0, NAN]), {"bins": 2}),
        (np.array([1, 2]), {"bins": 2}),
    ],
)
def test_histc_errors(data, kwargs):
    check_raises(lambda lib, x: lib.histc(x, **kwargs), data)


# ----------------------------------------------------- tril_indices, triu_indices
@pytest.mark.parametrize("rows,cols", [(3, 3), (4, 3), (3, 5), (0, 2), (1, 1)])
@pytest.mark.parametrize("offset", [-4, -1, 0, 1, 2, 6])
def test_triangle_indices(rows, cols, offset):
    check(lambda lib: lib.tril_indices(rows, cols, offset), grad=False)
    check(lambda lib: lib.triu_indices(rows, cols, offset, dtype=lib.int32), grad=False)


def test_triangle_indices_errors():
    check_raises(lambda lib: lib.tril_indices(-1, 2))
    check_raises(lambda lib: lib.triu_indices(2, 2, dtype=lib.float32))


# ------------------------------------------------------------------- nn.init
@pytest.mark.parametrize(
    "shape,groups", [((4, 4, 3), 1), ((3, 5, 2, 4), 1), ((6, 2, 3, 3, 3), 3), ((4, 1, 5), 2)]
)
def test_dirac(shape, groups):
    check(lambda lib: lib.nn.init.dirac_(lib.empty(*shape), groups), grad=False)


def test_sparse_zero_counts():
    zeros_t = (torch.nn.init.sparse_(torch.empty(9, 50), 0.3) == 0).sum(0)
    zeros_g = (tg.nn.init.sparse_(tg.empty(9, 50), 0.3) == 0).sum(0)
    assert zeros_g.tolist() == zeros_t.tolist()


# ------------------------------------------------------ total norm and clipping
GRADS = [np.array([3.0, -1.0, 0.5]), np.array([[0.0, 4.0], [12.0, -2.0]])]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, "inf", -float("inf"), 0])
def test_get_total_norm(norm_type):
    check(lambda lib, a, b: lib.nn.utils.get_total_norm([a, b], norm_type), *GRADS, grad=False)


@pytest.mark.parametrize("max_norm", [1.0, 100.0])
def test_clip_grads_with_norm_and_clip_grad_norm(max_norm):
    def clipped(lib, a, b):
        params = [lib.nn.Parameter(lib.zeros_like(a)), lib.nn.Parameter(lib.zeros_like(b))]
        params[0].grad, params[1].grad = a.clone(), b.clone()
        total = lib.nn.utils.get_total_norm([a, b])
        lib.nn.utils.clip_grads_with_norm_(params, max_norm, total)
        again = [p.grad.clone() for p in params]
        params[0].grad, params[1].grad = a.clone(), b.clone()
        total2 = lib.nn.utils.clip_grad_norm_(params, max_norm)
        return total, total2, again[0], again[1], params[0].grad, params[1].grad

    check(clipped, GRADS[0].astype("float32"), GRADS[1].astype("float32"), grad=False)


# ------------------------------------------------------------------- swa_utils
def _models():
    """The same small network in both libraries (tapegrad's given torch's weights)."""
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    g = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.BatchNorm1d(4), tg.nn.Linear(4, 2))
    g.load_state_dict({k: tg.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, g


def _step_both(t, g, seed):
    """Move both networks the same way: new weights, and a training forward
    pass that moves the batch norm's running statistics."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 3)).astype("float32")
    with torch.no_grad():
        for p in t.parameters():
            p.add_(torch.tensor(rng.normal(size=tuple(p.shape)).astype("float32")))
    g.load_state_dict({k: tg.tensor(v.numpy()) for k, v in t.state_dict().items()})
    t.train(), g.train()
    with torch.no_grad(), tg.no_grad():
        t(torch.tensor(x)), g(tg.tensor(x))


def _same_state(a, b, rtol=1e-6):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sb) == list(sa)
    for k in sa:
        assert str(sb[k].dtype).split(".")[-1] == str(sa[k].dtype).split(".")[-1], k
        np.testing.assert_allclose(sb[k].numpy(), sa[k].numpy(), rtol=rtol, atol=1e-6, err_msg=k)


@pytest.mark.parametrize(
    "rule", ["swa", "avg_fn_ema", "multi_ema", "multi_swa", "swa_buffers", "multi_ema_buffers"]
)
def test_averaged_model_follows_torch(rule):
    t, g = _models()
    use_buffers = rule.endswith("buffers")

    def build(lib, model):
        S = lib.optim.swa_utils
        fns = {
            "avg_fn_ema": {"avg_fn": S.get_ema_avg_fn(0.8)},
            "multi_ema": {"multi_avg_fn": S.get_ema_multi_avg_fn(0.8)},
            "multi_swa": {"multi_avg_fn": S.get_swa_multi_avg_fn()},
            "multi_ema_buffers": {"multi_avg_fn": S.get_ema_multi_avg_fn(0.8)},
        }
        return S.AveragedModel(model, use_buffers=use_buffers, **fns.get(rule, {}))

    avg_t, avg_g = build(torch, t), build(tg, g)
    for seed in range(4):
        _step_both(t, g, seed)
        avg_t.update_parameters(t)
        avg_g.update_parameters(g)
        _same_state(avg_t, avg_g, rtol=1e-5)
    x = np.random.default_rng(9).normal(size=(5, 3)).astype("float32")
    avg_t.eval(), avg_g.eval()
    with torch.no_grad():
        want = avg_t(torch.tensor(x)).numpy()
    np.testing.assert_allclose(avg_g(tg.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-6)


def test_averaged_model_state_dict_loads_into_torch():
    t, g = _models()
    avg_g = tg.optim.swa_utils.AveragedModel(g)
    avg_g.update_parameters(g)
    avg_t = torch.optim.swa_utils.AveragedModel(copy.deepcopy(t))
    avg_t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in avg_g.state_dict().items()})
    _same_state(avg_t, avg_g)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3, 10])
def test_swalr_step_by_step(strategy, anneal_epochs):
    def rates(lib):
        params = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
        groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}]
        opt = lib.optim.SGD(groups, lr=1.0)
        before = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        out = []
        for _ in range(3):  # another schedule first, as in an SWA run
            opt.step()
            before.step()
        swa = lib.optim.swa_utils.SWALR(opt, [0.05, 0.2], anneal_epochs, strategy)
        out.append(swa.get_last_lr())
        for _ in range(anneal_epochs + 3):
            opt.step()
            swa.step()
            out.append(swa.get_last_lr())
        return out

    np.testing.assert_allclose(rates(tg), rates(torch), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_update_bn_follows_torch(momentum):
    t, g = _models()
    t[1].momentum = g[1].momentum = momentum
    data = np.random.default_rng(1).normal(size=(20, 3)).astype("float32")
    batches_t = [(torch.tensor(data[i : i + 6]), 0) for i in range(0, 20, 6)]
    batches_g = [(tg.tensor(data[i : i + 6]), 0) for i in range(0, 20, 6)]
    t.eval(), g.eval()
    torch.optim.swa_utils.update_bn(batches_t, t)
    tg.optim.swa_utils.update_bn(batches_g, g)
    _same_state(t, g, rtol=1e-5)
    assert g[1].momentum == momentum and not g.training
