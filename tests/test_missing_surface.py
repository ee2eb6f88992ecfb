"""nan_to_num, histc, tril/triu_indices, nn.init.dirac_/sparse_,
nn.utils.get_total_norm/clip_grads_with_norm_ and optim.swa_utils, without
PyTorch (tests/parity/test_parity_missing_surface.py compares with it)."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
from tapegrad.optim import swa_utils

NAN, INF = float("nan"), float("inf")
F32_MAX = float(np.finfo(np.float32).max)


# ------------------------------------------------------------------ nan_to_num
def test_nan_to_num_replaces_with_defaults_and_given_values():
    x = tg.tensor([NAN, INF, -INF, 1.5])
    assert tg.nan_to_num(x).tolist() == [0.0, F32_MAX, -F32_MAX, 1.5]
    assert x.nan_to_num(1.0, 2.0, -3.0).tolist() == [1.0, 2.0, -3.0, 1.5]
    assert tg.nan_to_num(x, nan=None, neginf=-7).tolist() == [0.0, F32_MAX, -7.0, 1.5]
    assert tg.nan_to_num(x, nan=tg.tensor(4.0)).tolist()[0] == 4.0
    assert tg.nan_to_num(x.double()).tolist()[1] == np.finfo(np.float64).max


def test_nan_to_num_keeps_dtype_and_copies_integers():
    ints = tg.tensor([1, 2])
    out = tg.nan_to_num(ints, 3.7)
    assert out.dtype == tg.int64 and out.tolist() == [1, 2]
    assert tg.nan_to_num(tg.tensor([NAN], dtype=tg.float32), nan=1e300).tolist() == [INF]
    assert tg.nan_to_num(tg.tensor([INF], dtype=tg.float16)).tolist() == [65504.0]


def test_nan_to_num_gradient_is_zero_where_replaced():
    x = tg.tensor([NAN, INF, -INF, 1.5, -2.0], requires_grad=True)
    tg.nan_to_num(x).backward(tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 4.0, 5.0]


def test_nan_to_num_gradcheck_on_finite_values():
    x = tg.tensor(np.linspace(-2, 2, 7), dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda t: tg.nan_to_num(t, 1.0, 2.0, 3.0) ** 2, (x,))


def test_nan_to_num_in_place_and_out():
    z = tg.tensor([NAN, 1.0])
    assert z.nan_to_num_(5.0) is z and z.tolist() == [5.0, 1.0]
    out = tg.empty(2)
    assert tg.nan_to_num(tg.tensor([1.0, NAN]), out=out) is out and out.tolist() == [1.0, 0.0]
    leaf = tg.tensor([NAN, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in place"):
        leaf.nan_to_num_()
    y = leaf * 1
    y.nan_to_num_(2.0)
    y.sum().backward()
    assert leaf.grad.tolist() == [0.0, 1.0]


def test_nan_to_num_errors():
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.nan_to_num([1.0])
    with pytest.raises(TypeError, match="'nan' must be float"):
        tg.nan_to_num(tg.tensor([1.0]), nan="a")
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tg.nan_to_num(tg.tensor([1.0], requires_grad=True), out=tg.empty(1))
    with pytest.raises(RuntimeError, match="dtype of out"):
        tg.nan_to_num(tg.tensor([1.0]), out=tg.empty(1, dtype=tg.float64))


# ----------------------------------------------------------------------- histc
def test_histc_counts_in_equal_bins():
    assert tg.histc(tg.tensor([1.0, 2, 1]), bins=4, min=0, max=3).tolist() == [0, 2, 1, 0]
    # outside the range and NaN are not counted; max itself is in the last bin
    x = tg.tensor([1.0, 2, 1, NAN, 5, -1, 3])
    assert tg.histc(x, 4, 0, 3).tolist() == [0, 2, 1, 1]
    ramp = tg.tensor([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert ramp.histc(10, 0, 1).tolist() == [1] * 9 + [2]


def test_histc_range_from_the_data_when_min_equals_max():
    assert tg.histc(tg.tensor([1.0, 2, 1, 3]), bins=4).tolist() == [2, 0, 1, 1]
    assert tg.histc(tg.tensor([1.0, 2, 3]), bins=3, min=5, max=5).tolist() == [1, 1, 1]
    assert tg.histc(tg.tensor([2.0, 2]), bins=4).tolist() == [0, 0, 2, 0]  # [1, 3]
    assert tg.histc(tg.tensor([]), bins=3).tolist() == [0, 0, 0]


def test_histc_dtype_and_no_gradient():
    x = tg.tensor([1.0, 2, 3], dtype=tg.float64, requires_grad=True)
    h = tg.histc(x, 3)
    assert h.dtype == tg.float64 and not h.requires_grad and h.tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"bins": 0}, RuntimeError, "bins must be > 0"),
        ({"bins": 3.5}, TypeError, "'bins' must be int"),
        ({"bins": 2, "min": 3, "max": 1}, RuntimeError, "max must be larger than min"),
        ({"bins": 2, "min": 1, "max": INF}, RuntimeError, "is not finite"),
        ({"bins": 2, "min": "a"}, TypeError, "'min' must be Number"),
    ],
)
def test_histc_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.histc(tg.tensor([1.0, 2.0]), **kwargs)


def test_histc_refuses_integers_and_infinite_data():
    with pytest.raises(NotImplementedError, match="histogram_cpu"):
        tg.histc(tg.tensor([1, 2, 3]), bins=3)
    with pytest.raises(RuntimeError, match="is not finite"):
        tg.histc(tg.tensor([1.0, INF]), bins=3)


# ----------------------------------------------------- tril_indices, triu_indices
def _triangle(rows, cols, keep):
    pairs = [(i, j) for i in range(rows) for j in range(cols) if keep(j - i)]
    return [[i for i, _ in pairs], [j for _, j in pairs]] if pairs else [[], []]


@pytest.mark.parametrize(
    "rows,cols,offset", [(3, 3, 0), (4, 3, 1), (3, 4, -1), (3, 4, -10), (3, 4, 10), (0, 4, 0)]
)
def test_triangle_indices_row_major(rows, cols, offset):
    low = tg.tril_indices(rows, cols, offset)
    up = tg.triu_indices(rows, cols, offset)
    assert low.dtype == tg.int64 and low.shape[0] == 2
    assert low.tolist() == _triangle(rows, cols, lambda d: d <= offset)
    assert up.tolist() == _triangle(rows, cols, lambda d: d >= offset)


def test_triangle_indices_dtype_and_errors():
    assert tg.tril_indices(3, 3, dtype=tg.int32).dtype == tg.int32
    with pytest.raises(NotImplementedError):
        tg.triu_indices(3, 3, dtype=tg.float32)
    with pytest.raises(RuntimeError, match="row must be non-negative"):
        tg.tril_indices(-1, 3)
    with pytest.raises(TypeError, match="'row' must be int"):
        tg.tril_indices(3.0, 3)
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tril_indices(3, 3, requires_grad=True)


# ------------------------------------------------------------------- nn.init
def test_dirac_makes_a_convolution_the_identity():
    w = nn.init.dirac_(tg.empty(4, 4, 3))
    x = tg.randn(2, 4, 7)
    np.testing.assert_allclose(F.conv1d(x, w, padding=1).numpy(), x.numpy(), rtol=1e-6)
    w2 = nn.init.dirac_(tg.empty(3, 2, 3, 3))  # more outputs than inputs: one is all zeros
    assert w2[:, :, 1, 1].tolist() == [[1, 0], [0, 1], [0, 0]] and w2.sum().item() == 2


def test_dirac_with_groups_is_the_identity_in_each_group():
    w = nn.init.dirac_(tg.empty(6, 2, 3, 3, 3), groups=3)
    centre = w[:, :, 1, 1, 1].tolist()
    assert centre == [[1, 0], [0, 1]] * 3 and w.sum().item() == 6
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.init.dirac_(tg.empty(5, 2, 3), groups=2)
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        nn.init.dirac_(tg.empty(3, 3))


def test_sparse_zeroes_a_fraction_of_each_column():
    w = nn.init.sparse_(tg.empty(10, 200), sparsity=0.25, std=2.0)
    zeros = (w == 0).sum(0)
    assert zeros.tolist() == [math.ceil(0.25 * 10)] * 200
    assert abs(w[w != 0].std().item() - 2.0) < 0.15
    tg.manual_seed(3)
    a = nn.init.sparse_(tg.empty(5, 4), 0.4).clone()
    tg.manual_seed(3)
    assert tg.equal(a, nn.init.sparse_(tg.empty(5, 4), 0.4))
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(tg.empty(3), 0.1)


# ------------------------------------------------------ total norm and clipping
def _with_grads(*grads):
    params = [nn.Parameter(tg.zeros(len(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = tg.tensor(g)
    return params


def test_get_total_norm_is_the_norm_of_the_norms():
    t = [tg.tensor([3.0, 0.0]), tg.tensor([0.0, 4.0, 12.0])]
    assert nn.utils.get_total_norm(t).item() == pytest.approx(13.0)
    assert nn.utils.get_total_norm(t, "inf").item() == 12.0
    assert nn.utils.get_total_norm(t, 1).item() == 19.0
    assert nn.utils.get_total_norm(tg.tensor([3.0, 4.0])).item() == pytest.approx(5.0)
    empty = nn.utils.get_total_norm([])
    assert empty.item() == 0.0 and empty.dtype == tg.get_default_dtype()
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.get_total_norm([tg.tensor([INF])], error_if_nonfinite=True)


def test_clip_grads_with_norm_scales_by_the_given_norm():
    params = _with_grads([2.0, 2.0], [2.0])
    nn.utils.clip_grads_with_norm_(params, 1.0, tg.tensor(5.0))
    assert params[0].grad.tolist() + params[1].grad.tolist() == pytest.approx([0.4] * 3, rel=1e-5)
    nn.utils.clip_grads_with_norm_(params, 10.0, tg.tensor(5.0))  # never scales up
    assert params[1].grad.item() == pytest.approx(0.4)
    with pytest.raises(TypeError, match="total_norm must be a Tensor"):
        nn.utils.clip_grads_with_norm_(params, 1.0, 5.0)


def test_clip_grad_norm_is_total_norm_then_clipping():
    params = _with_grads([3.0, 0.0], [4.0])
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    assert params[0].grad.tolist() == pytest.approx([3 * scale, 0.0])
    assert nn.utils.clip_grad_norm_(_with_grads([1.0]) + [nn.Parameter(tg.ones(1))], 2).item() == 1
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


# ------------------------------------------------------------------- swa_utils
def _net():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


def _perturbed(model, seed):
    tg.manual_seed(seed)
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(tg.randn(*p.shape))
        model[1].running_mean.copy_(tg.randn(2))
        model[1].num_batches_tracked.add_(3)


def test_averaged_model_is_the_running_mean():
    model = _net()
    swa = swa_utils.AveragedModel(model)
    seen = []
    for seed in range(3):
        _perturbed(model, seed)
        swa.update_parameters(model)
        seen.append(model[0].weight.detach().clone())
    mean = (seen[0] + seen[1] + seen[2]) / 3
    np.testing.assert_allclose(swa.module[0].weight.detach().numpy(), mean.numpy(), rtol=1e-5)
    assert swa.n_averaged.item() == 3 and swa.n_averaged.dtype == tg.int64
    # buffers follow the model when they are not averaged
    assert tg.equal(swa.module[1].running_mean, model[1].running_mean)
    assert list(swa.state_dict()) == ["n_averaged"] + [f"module.{k}" for k in model.state_dict()]
    x = tg.randn(4, 3)
    swa.eval(), model.eval()
    assert swa(x).shape == (4, 2)


def test_averaged_model_ema_rules_and_buffers():
    model = _net()
    ema = swa_utils.AveragedModel(
        model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9), use_buffers=True
    )
    single = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.9), use_buffers=True)
    _perturbed(model, 1)
    first = model[1].running_mean.clone()
    for m in (ema, single):
        m.update_parameters(model)
    _perturbed(model, 2)
    for m in (ema, single):
        m.update_parameters(model)
    want = 0.9 * first + 0.1 * model[1].running_mean
    for m in (ema, single):
        np.testing.assert_allclose(m.module[1].running_mean.numpy(), want.numpy(), rtol=1e-5)
        assert m.module[1].num_batches_tracked.item() == 3  # int(0.9 * 3 + 0.1 * 6)
    with pytest.raises(AssertionError, match="Only one"):
        swa_utils.AveragedModel(model, avg_fn=lambda *a: a[0], multi_avg_fn=lambda *a: None)
    with pytest.raises(ValueError, match="Invalid decay"):
        swa_utils.get_ema_avg_fn(1.5)


def test_swa_multi_avg_fn_matches_the_single_tensor_rule():
    avg = [tg.tensor([1.0, 2.0])]
    swa_utils.get_swa_multi_avg_fn()(avg, [tg.tensor([4.0, 8.0])], tg.tensor(2))
    want = swa_utils.get_swa_avg_fn()(tg.tensor([1.0, 2.0]), tg.tensor([4.0, 8.0]), 2)
    np.testing.assert_allclose(avg[0].numpy(), want.numpy())
    assert want.tolist() == [2.0, 4.0]


def _lrs(scheduler, optimizer, steps):
    out = [scheduler.get_last_lr()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def test_swalr_linear_reaches_swa_lr_and_stays():
    opt = tg.optim.SGD([nn.Parameter(tg.zeros(1))], lr=1.0)
    sched = swa_utils.SWALR(opt, swa_lr=0.2, anneal_epochs=4, anneal_strategy="linear")
    got = [lr[0] for lr in _lrs(sched, opt, 6)]
    assert got == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2])


def test_swalr_cosine_per_group_and_state_dict():
    groups = [{"params": [nn.Parameter(tg.zeros(1))], "lr": lr} for lr in (1.0, 0.5)]
    opt = tg.optim.SGD(groups, lr=1.0)
    sched = swa_utils.SWALR(opt, swa_lr=[0.1, 0.3], anneal_epochs=2)
    got = _lrs(sched, opt, 3)
    half = (1 - math.cos(math.pi / 2)) / 2
    assert got[1] == pytest.approx([0.1 * half + 1.0 * (1 - half), 0.3 * half + 0.5 * (1 - half)])
    assert got[2] == got[3] == pytest.approx([0.1, 0.3])
    state = sched.state_dict()
    assert "anneal_func" not in state and state["_anneal_strategy"] == "cos"
    again = swa_utils.SWALR(opt, swa_lr=0.7, anneal_strategy="linear")
    again.load_state_dict(state)
    assert again.anneal_func(0.5) == pytest.approx(0.5) and again.anneal_epochs == 2


def test_swalr_errors():
    opt = tg.optim.SGD([nn.Parameter(tg.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, 0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="same length"):
        swa_utils.SWALR(opt, [0.1, 0.2])


def test_update_bn_recomputes_the_running_statistics():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3, momentum=0.3))
    model.eval()
    data = tg.randn(12, 3, dtype=tg.float64).float()
    loader = tg.utils.data.DataLoader(tg.utils.data.TensorDataset(data, tg.zeros(12)), 4)
    swa_utils.update_bn(loader, model)
    with tg.no_grad():
        hidden = model[0](data)
    bn = model[1]
    batches = hidden.reshape(3, 4, 3)
    np.testing.assert_allclose(bn.running_mean.numpy(), batches.mean(1).mean(0).numpy(), rtol=1e-5)
    assert bn.momentum == 0.3 and not model.training and bn.num_batches_tracked.item() == 3
