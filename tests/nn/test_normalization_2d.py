"""Normalisation and channel-dropout layers for (N, C, ...) inputs: BatchNorm1d/2d/3d,
InstanceNorm1d/2d, GroupNorm, Dropout1d/2d/3d and their functional forms."""

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

rng = np.random.default_rng(5)


def _x(*shape, requires_grad=False):
    return tg.tensor(rng.standard_normal(shape) * 2 + 1, requires_grad=requires_grad)


def _standardised(a, axes, eps=1e-5):
    mean = a.mean(axis=axes, keepdims=True)
    return (a - mean) / np.sqrt(a.var(axis=axes, keepdims=True) + eps)


# ------------------------------------------------------------ batch norm
def test_batchnorm2d_normalises_each_channel_over_batch_and_positions():
    bn = nn.BatchNorm2d(3).double()
    x = _x(4, 3, 5, 6)
    y = bn(x).detach().numpy()
    np.testing.assert_allclose(y, _standardised(x.numpy(), (0, 2, 3)), rtol=1e-10, atol=1e-12)


def test_batchnorm2d_is_one_fused_node_with_weight_and_bias_gradients():
    bn = nn.BatchNorm2d(2).double()
    x = _x(3, 2, 4, 4, requires_grad=True)
    y = bn(x)
    assert y.grad_fn.prim.name == "batch_norm"
    (y * tg.tensor(rng.standard_normal(y.shape))).sum().backward()
    assert x.grad.shape == x.shape
    assert bn.weight.grad.shape == (2,) and bn.bias.grad.shape == (2,)


def test_batchnorm2d_running_stats_use_the_unbiased_variance():
    bn = nn.BatchNorm2d(2, momentum=0.25).double()
    x = _x(3, 2, 2, 5)
    bn(x)
    a = x.numpy()
    n = 3 * 2 * 5
    mean, var = a.mean((0, 2, 3)), a.var((0, 2, 3)) * n / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.75 + 0.25 * var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == tg.int64


def test_momentum_none_gives_the_cumulative_average_of_the_batch_statistics():
    bn = nn.BatchNorm2d(3, momentum=None).double()
    xs = [_x(2, 3, 3, 3) for _ in range(3)]
    for x in xs:
        bn(x)
    means = np.mean([x.numpy().mean((0, 2, 3)) for x in xs], axis=0)
    variances = np.mean([x.numpy().var((0, 2, 3), ddof=1) for x in xs], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), means, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), variances, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3


def test_eval_mode_normalises_with_the_running_statistics_and_leaves_them():
    bn = nn.BatchNorm2d(2).double()
    with tg.no_grad():
        bn.running_mean.copy_(tg.tensor([1.0, -2.0], dtype=tg.float64))
        bn.running_var.copy_(tg.tensor([4.0, 0.25], dtype=tg.float64))
        bn.weight.fill_(3.0)
        bn.bias.fill_(0.5)
    bn.eval()
    x = _x(2, 2, 3, 3)
    y = bn(x).detach().numpy()
    a = x.numpy()
    mean = np.array([1.0, -2.0])[:, None, None]
    var = np.array([4.0, 0.25])[:, None, None]
    np.testing.assert_allclose(y, 3 * (a - mean) / np.sqrt(var + 1e-5) + 0.5, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -2.0])
    assert bn.num_batches_tracked.item() == 0


def test_eval_mode_gradient_is_the_per_channel_scale():
    bn = nn.BatchNorm2d(2).double().eval()
    x = _x(2, 2, 2, 2, requires_grad=True)
    bn(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(x.shape, 1 / math.sqrt(1 + 1e-5)))


def test_untracked_batchnorm_uses_batch_statistics_in_both_modes():
    bn = nn.BatchNorm2d(3, track_running_stats=False).double()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    x = _x(2, 3, 2, 2)
    train = bn(x).detach().numpy()
    np.testing.assert_allclose(bn.eval()(x).detach().numpy(), train)


def test_batchnorm_without_affine_or_bias_has_the_missing_parameters_as_none():
    plain = nn.BatchNorm2d(3, affine=False)
    assert plain.weight is None and plain.bias is None and not list(plain.parameters())
    no_bias = nn.BatchNorm2d(3, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_batchnorm_state_dict_keys_buffers_and_round_trip():
    a = nn.BatchNorm2d(2)
    a(_x(3, 2, 2, 2).float())
    assert list(a.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    b = nn.BatchNorm2d(2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.running_var.numpy(), a.running_var.numpy())
    assert b.num_batches_tracked.item() == 1


def test_double_keeps_the_batch_counter_an_integer():
    bn = nn.BatchNorm2d(2).double()
    assert bn.running_mean.dtype == tg.float64 and bn.num_batches_tracked.dtype == tg.int64


def test_reset_running_stats():
    bn = nn.BatchNorm2d(2)
    bn(_x(3, 2, 2, 2).float())
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1])
    assert bn.num_batches_tracked.item() == 0


def test_batchnorm1d_on_n_c_l_input_takes_statistics_over_n_and_l():
    bn = nn.BatchNorm1d(3).double()
    x = _x(4, 3, 5)
    np.testing.assert_allclose(bn(x).detach().numpy(), _standardised(x.numpy(), (0, 2)), rtol=1e-10)


def test_batchnorm3d_on_five_d_input():
    bn = nn.BatchNorm3d(2).double()
    x = _x(2, 2, 3, 2, 2)
    y = bn(x).detach().numpy()
    np.testing.assert_allclose(y, _standardised(x.numpy(), (0, 2, 3, 4)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "layer,shape,expected",
    [
        (nn.BatchNorm1d(3), (2, 3, 4, 5), r"expected 2D or 3D input \(got 4D input"),
        (nn.BatchNorm2d(3), (2, 3, 4), r"expected 4D input \(got 3D input of shape \(2, 3, 4\)"),
        (nn.BatchNorm3d(3), (2, 3, 4, 4), "expected 5D input"),
    ],
)
def test_wrong_number_of_dimensions_is_an_error_naming_the_shape(layer, shape, expected):
    with pytest.raises(ValueError, match=expected):
        layer(tg.randn(*shape))


def test_wrong_number_of_channels_names_the_shape_and_num_features():
    with pytest.raises(ValueError, match=r"\(2, 4, 3, 3\).*num_features=3"):
        nn.BatchNorm2d(3)(tg.randn(2, 4, 3, 3))


def test_one_value_per_channel_in_training_is_an_error():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm2d(3)(tg.randn(1, 3, 1, 1))
    nn.BatchNorm2d(3).eval()(tg.randn(1, 3, 1, 1))  # fine with running statistics


def test_functional_batch_norm_errors_name_what_does_not_fit():
    x = tg.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"running_mean of shape \(4,\).*\(2, 3, 4\)"):
        F.batch_norm(x, tg.zeros(4), tg.ones(4), training=True)
    with pytest.raises(ValueError, match="evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="eps must be positive"):
        F.batch_norm(x, None, None, training=True, eps=0.0)


def test_functional_batch_norm_updates_the_running_statistics_in_place():
    x = _x(5, 2, 3)
    rm, rv = tg.zeros(2, dtype=tg.float64), tg.ones(2, dtype=tg.float64)
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.numpy().mean((0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.5 + 0.5 * x.numpy().var((0, 2), ddof=1))


def test_batch_norm_keeps_float32():
    bn = nn.BatchNorm2d(3)
    y = bn(tg.randn(4, 3, 2, 2))
    assert y.dtype == tg.float32 and bn.running_var.dtype == tg.float32


# ------------------------------------------------------------ instance norm
def test_instance_norm_defaults_are_pytorchs():
    m = nn.InstanceNorm2d(3)
    assert not m.affine and not m.track_running_stats and m.momentum == 0.1
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []


def test_instance_norm2d_normalises_each_sample_and_channel_over_positions():
    m = nn.InstanceNorm2d(3).double()
    x = _x(2, 3, 4, 5)
    y = m(x).detach().numpy()
    np.testing.assert_allclose(y, _standardised(x.numpy(), (2, 3)), rtol=1e-10, atol=1e-12)


def test_instance_norm1d_with_affine_scales_each_channel():
    m = nn.InstanceNorm1d(2, affine=True).double()
    with tg.no_grad():
        m.weight.copy_(tg.tensor([2.0, 3.0], dtype=tg.float64))
    x = _x(3, 2, 6)
    y = m(x).detach().numpy()
    want = _standardised(x.numpy(), (2,)) * np.array([2.0, 3.0])[:, None]
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)


def test_unbatched_instance_norm_is_a_batch_of_one():
    m = nn.InstanceNorm2d(3, affine=True)
    x = tg.randn(3, 4, 4)
    with tg.no_grad():
        np.testing.assert_allclose(m(x).numpy(), m(x.unsqueeze(0)).squeeze(0).numpy(), rtol=1e-6)


def test_tracked_instance_norm_averages_the_instance_statistics_and_uses_them_in_eval():
    m = nn.InstanceNorm1d(2, track_running_stats=True, momentum=0.5).double()
    x = _x(3, 2, 4)
    m(x)
    a = x.numpy()
    np.testing.assert_allclose(m.running_mean.numpy(), 0.5 * a.mean(2).mean(0), rtol=1e-12)
    np.testing.assert_allclose(
        m.running_var.numpy(), 0.5 + 0.5 * a.var(2, ddof=1).mean(0), rtol=1e-12
    )
    assert m.num_batches_tracked.item() == 0  # (PyTorch does not count instance-norm batches)
    m.eval()
    rm, rv = m.running_mean.numpy()[:, None], m.running_var.numpy()[:, None]
    want = (a - rm) / np.sqrt(rv + 1e-5)
    np.testing.assert_allclose(m(x).detach().numpy(), want, rtol=1e-12)


def test_instance_norm_errors_and_warning():
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        nn.InstanceNorm2d(3)(tg.randn(2, 3))
    with pytest.raises(ValueError, match=r"dim=1 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm2d(3, affine=True)(tg.randn(2, 4, 3, 3))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(3)(tg.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm2d(3)(tg.randn(2, 3, 1, 1))


# ------------------------------------------------------------ group norm
def test_group_norm_normalises_each_group_of_each_sample():
    m = nn.GroupNorm(2, 6).double()
    x = _x(3, 6, 2, 2)
    a = x.numpy().reshape(3, 2, 3, 2, 2)
    want = _standardised(a, (2, 3, 4)).reshape(x.shape)
    np.testing.assert_allclose(m(x).detach().numpy(), want, rtol=1e-10, atol=1e-12)


def test_group_norm_with_one_group_is_layer_norm_over_channels_and_positions():
    x = _x(2, 4, 3)
    one = F.group_norm(x, 1)
    ln = F.layer_norm(x, (4, 3))
    np.testing.assert_allclose(one.numpy(), ln.numpy(), rtol=1e-10, atol=1e-12)


def test_group_norm_with_a_group_per_channel_is_instance_norm():
    x = _x(2, 4, 3, 3)
    np.testing.assert_allclose(
        F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(), rtol=1e-10, atol=1e-12
    )


def test_group_norm_weight_and_bias_are_per_channel_and_get_gradients():
    m = nn.GroupNorm(2, 4).double()
    x = _x(2, 4, 5, requires_grad=True)
    y = m(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert m.weight.grad.shape == (4,)
    np.testing.assert_allclose(m.bias.grad.numpy(), np.full(4, 10.0))


def test_group_norm_is_the_same_in_eval_mode():
    m = nn.GroupNorm(3, 6)
    x = tg.randn(2, 6, 4)
    with tg.no_grad():
        np.testing.assert_array_equal(m(x).numpy(), m.eval()(x).numpy())


def test_group_norm_errors_name_the_shapes():
    with pytest.raises(
        ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"
    ):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"\(2, 6, 3\) \(6\) to be divisible by num_groups=4"):
        F.group_norm(tg.randn(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"weight of shape \(5,\)"):
        F.group_norm(tg.randn(2, 6, 3), 3, tg.ones(5))


# ------------------------------------------------------------ reprs
@pytest.mark.parametrize(
    "layer,text",
    [
        (
            nn.BatchNorm2d(3),
            "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)",
        ),
        (
            nn.BatchNorm1d(4, momentum=None, affine=False),
            "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
            "track_running_stats=True)",
        ),
        (
            nn.InstanceNorm2d(3),
            "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
            "track_running_stats=False)",
        ),
        (nn.GroupNorm(2, 4), "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"),
        (nn.Dropout2d(), "Dropout2d(p=0.5, inplace=False)"),
        (nn.Dropout1d(0.1, inplace=True), "Dropout1d(p=0.1, inplace=True)"),
    ],
)
def test_reprs_are_pytorchs(layer, text):
    assert repr(layer) == text


# ------------------------------------------------------------ channel dropout
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    tg.manual_seed(0)
    x = tg.ones(32, 8, 4, 4, requires_grad=True)
    y = nn.Dropout2d(0.25)(x)
    a = y.detach().numpy().reshape(32, 8, 16)
    assert np.all(a == a[..., :1])
    assert set(np.unique(a)) == {0.0, np.float32(1 / 0.75)}
    assert 0.15 < np.mean(a == 0) < 0.35
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout2d_is_reproducible_under_manual_seed():
    x = tg.ones(4, 6, 2, 2)
    tg.manual_seed(3)
    a = F.dropout2d(x).numpy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout2d(x).numpy(), a)


def test_dropout2d_is_the_identity_in_eval_and_for_p_zero():
    x = tg.randn(2, 3, 4, 4)
    assert nn.Dropout2d().eval()(x) is x
    assert F.dropout2d(x, 0.0) is x
    assert np.all(F.dropout2d(x, 1.0).numpy() == 0)


def test_dropout2d_on_c_h_w_input_warns_and_drops_rows_as_pytorch_does():
    tg.manual_seed(1)
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        y = F.dropout2d(tg.ones(6, 5, 4)).numpy()
    assert np.all(y == y[..., :1])  # one draw per (c, h): the last dim is the "channel"
    assert len(np.unique(y[..., 0])) == 2


def test_dropout2d_other_dimensions_warn_and_one_d_input_is_an_error():
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        F.dropout2d(tg.ones(2, 3, 2, 2, 2))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.dropout2d(tg.ones(6))


def test_dropout2d_inplace_changes_the_input():
    tg.manual_seed(2)
    x = tg.ones(4, 5, 2, 2)
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and np.any(x.numpy() == 0)


def test_invalid_dropout_probability_is_an_error():
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout1d(tg.ones(2, 3), -0.1)


def test_dropout1d_batched_and_unbatched():
    tg.manual_seed(4)
    y = F.dropout1d(tg.ones(8, 6, 5)).numpy()
    assert np.all(y == y[..., :1]) and len(np.unique(y)) == 2
    u = nn.Dropout1d()(tg.ones(6, 5)).numpy()
    assert np.all(u == u[:, :1])
    with pytest.raises(RuntimeError, match=r"Expected 2D or 3D input.*\(2, 3, 4, 5\)"):
        F.dropout1d(tg.ones(2, 3, 4, 5))


def test_dropout3d_batched_and_unbatched():
    tg.manual_seed(5)
    y = nn.Dropout3d()(tg.ones(4, 6, 2, 2, 2)).numpy().reshape(4, 6, 8)
    assert np.all(y == y[..., :1]) and len(np.unique(y)) == 2
    u = F.dropout3d(tg.ones(6, 2, 2, 2)).numpy().reshape(6, 8)
    assert np.all(u == u[:, :1])
