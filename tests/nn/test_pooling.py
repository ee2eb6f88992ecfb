"""Pooling, resampling, padding and reshaping layers: values against
loop-by-loop references of PyTorch's rules, ties and NaN, gradients,
errors that name what is wrong, and PyTorch's reprs."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

rng = np.random.default_rng(0)


# ------------------------------------------------------------ references
def _windows(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return [[o * s - p + i * d for i in range(k)] for o in range(out)]


def max_pool_reference(x, k, s, p, d, ceil_mode):
    """PyTorch's CPU loop: scan each window row-major, take a value when it
    is greater than the best so far or NaN, start at the first position
    inside the input."""
    rows = _windows(x.shape[-2], k[0], s[0], p[0], d[0], ceil_mode)
    cols = _windows(x.shape[-1], k[1], s[1], p[1], d[1], ceil_mode)
    h, w = x.shape[-2:]
    lead = x.shape[:-2]
    vals = np.empty(lead + (len(rows), len(cols)))
    idx = np.empty(lead + (len(rows), len(cols)), dtype=np.int64)
    for n in np.ndindex(*lead):
        for i, rw in enumerate(rows):
            for j, cw in enumerate(cols):
                inside = [(r, c) for r in rw for c in cw if 0 <= r < h and 0 <= c < w]
                best, at = -math.inf, inside[0][0] * w + inside[0][1]
                for r, c in inside:
                    v = x[n + (r, c)]
                    if v > best or math.isnan(v):
                        best, at = v, r * w + c
                vals[n + (i, j)], idx[n + (i, j)] = best, at
    return vals, idx


def avg_pool_reference(x, k, s, p, ceil_mode, count_include_pad, divisor_override=None):
    h, w = x.shape[-2:]
    out_rows = _windows(h, k[0], s[0], p[0], 1, ceil_mode)
    out_cols = _windows(w, k[1], s[1], p[1], 1, ceil_mode)
    res = np.empty(x.shape[:-2] + (len(out_rows), len(out_cols)))
    for i, rw in enumerate(out_rows):
        for j, cw in enumerate(out_cols):
            r0, c0 = rw[0], cw[0]
            r1, c1 = min(r0 + k[0], h + p[0]), min(c0 + k[1], w + p[1])
            rs, cs = range(max(r0, 0), min(r1, h)), range(max(c0, 0), min(c1, w))
            total = x[..., rs.start : rs.stop, cs.start : cs.stop].sum(axis=(-2, -1))
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = (r1 - r0) * (c1 - c0)
            else:
                div = len(rs) * len(cs)
            res[..., i, j] = total / div
    return res


def _adaptive(n, m):
    return [(i * n // m, -(-(i + 1) * n // m)) for i in range(m)]


POOLS = [
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 2), (2, 1), (1, 1), (1, 2), True),
    ((2, 3), (3, 2), (1, 0), (2, 1), True),
    ((3, 3), (1, 1), (0, 0), (1, 1), False),
    ((1, 1), (2, 3), (0, 0), (1, 1), True),
]


# ------------------------------------------------------------ max pooling
@pytest.mark.parametrize("k,s,p,d,ceil_mode", POOLS)
def test_max_pool2d_follows_pytorchs_scan_with_ties(k, s, p, d, ceil_mode):
    x = rng.integers(0, 3, size=(2, 3, 7, 8)).astype(np.float64)  # many ties
    out, idx = F.max_pool2d(tg.tensor(x), k, s, p, d, ceil_mode, return_indices=True)
    vals, ref = max_pool_reference(x, k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(out.numpy(), vals)
    np.testing.assert_array_equal(idx.numpy(), ref)
    assert idx.dtype == tg.int64
    np.testing.assert_array_equal(F.max_pool2d(tg.tensor(x), k, s, p, d, ceil_mode).numpy(), vals)


def test_max_pool2d_nan_wins_at_its_last_position():
    x = rng.standard_normal((1, 2, 6, 6))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two in the first 2x2 window
    x[0, 1, 4, 5] = np.nan
    for k, s, p, d, c in POOLS[:3]:
        out, idx = F.max_pool2d(tg.tensor(x), k, s, p, d, c, return_indices=True)
        vals, ref = max_pool_reference(x, k, s, p, d, c)
        np.testing.assert_array_equal(out.numpy(), vals)
        np.testing.assert_array_equal(idx.numpy(), ref)
    assert F.max_pool2d(tg.tensor(x), 2, return_indices=True)[1].numpy()[0, 0, 0, 0] == 6


def test_windows_of_minus_infinity_point_at_their_first_position_inside():
    x = tg.full((1, 1, 3, 3), -math.inf)
    out, idx = F.max_pool2d(x, 2, padding=1, return_indices=True)
    assert idx.numpy().ravel().tolist() == [0, 1, 3, 4]
    assert np.isneginf(out.numpy()).all()


def test_max_pool2d_gradient_goes_to_the_first_maximum():
    x = tg.tensor([[[[1.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert F.max_pool2d(x, 2).grad_fn.prim.name == "max_pool2d"


def test_max_pool2d_gradient_adds_up_where_windows_overlap():
    a = np.arange(16.0).reshape(1, 1, 4, 4)
    a[0, 0, 1, 1] = 100  # in all four 3x3 windows
    x = tg.tensor(a, requires_grad=True)
    F.max_pool2d(x, 3, stride=1).sum().backward()
    assert x.grad.numpy()[0, 0, 1, 1] == 4 and x.grad.numpy().sum() == 4


def test_infinite_gradients_stay_at_the_maximum():
    x = tg.tensor(rng.permutation(16).reshape(1, 1, 4, 4).astype(float), requires_grad=True)
    y = F.max_pool2d(x, 2)
    y.backward(tg.tensor([[[[math.inf, 1.0], [math.nan, 2.0]]]]))
    g = x.grad.numpy()
    assert np.isinf(g).sum() == 1 and np.isnan(g).sum() == 1 and (g == 0).sum() == 12


def test_infinite_gradients_stay_at_the_maximum_where_windows_overlap():
    x = tg.tensor(rng.permutation(25).reshape(1, 1, 5, 5).astype(float), requires_grad=True)
    y = F.max_pool2d(x, 3, stride=1)
    g = np.ones(y.shape)
    g[0, 0, 0, 0] = math.inf
    y.backward(tg.tensor(g))
    assert np.isinf(x.grad.numpy()).sum() == 1 and np.isfinite(x.grad.numpy()).sum() == 24


def test_an_infinity_stays_in_the_windows_that_hold_it():
    a = rng.standard_normal((1, 1, 8, 8))
    a[0, 0, 1, 1] = math.inf
    out = F.avg_pool2d(tg.tensor(a), 2).numpy()
    assert np.isinf(out[0, 0, 0, 0]) and np.isfinite(out).sum() == 15
    out = F.adaptive_avg_pool2d(tg.tensor(a), 3).numpy()
    assert np.isinf(out[0, 0, 0, 0]) and np.isfinite(out).sum() == 8


def test_max_pool2d_float32_gradients_and_second_order():
    x = tg.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.dtype == tg.float32
    (gx,) = tg.autograd.grad((y * y).sum(), x, create_graph=True)
    assert gx.dtype == tg.float32 and gx.requires_grad
    (h,) = tg.autograd.grad(gx.sum(), x)  # d/dx sum(2 pool(x) at argmax) = 2 at each argmax
    assert np.allclose(h.numpy(), 2 * (gx.detach().numpy() != 0))


def test_in_place_change_of_the_input_is_caught():
    x = tg.randn(1, 1, 4, 4, requires_grad=True)
    a = x * 1
    y = F.max_pool2d(a, 2)
    a.add_(1)
    with pytest.raises(RuntimeError, match="max_pool2d"):
        y.sum().backward()


def test_max_pool_of_integers_and_unbatched_inputs():
    x = tg.tensor(np.arange(16).reshape(1, 4, 4))
    out = F.max_pool2d(x, 2, padding=1)
    assert out.dtype == tg.int64 and out.shape == (1, 3, 3)
    assert out.numpy().ravel().tolist() == [0, 2, 3, 8, 10, 11, 12, 14, 15]
    assert F.max_pool2d(tg.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)


def test_pooling_reads_inputs_of_any_layout():
    base = rng.standard_normal((6, 5, 2, 3))
    x = tg.tensor(base).permute(2, 3, 0, 1)  # (2, 3, 6, 5), not contiguous
    dense = np.ascontiguousarray(base.transpose(2, 3, 0, 1))
    for k, s, p, d, c in POOLS:
        got = F.max_pool2d(x, k, s, p, d, c, return_indices=True)
        vals, ref = max_pool_reference(dense, k, s, p, d, c)
        np.testing.assert_array_equal(got[0].numpy(), vals)
        np.testing.assert_array_equal(got[1].numpy(), ref)
    for k, s, p, d, c in POOLS:  # gradients laid out as the input, the same numbers
        leaf = tg.tensor(base, requires_grad=True)
        dense_leaf = tg.tensor(dense, requires_grad=True)
        for t in (leaf.permute(2, 3, 0, 1), dense_leaf):
            out = F.max_pool2d(t, k, s, p, d, c)
            (out * tg.tensor(np.arange(out.numel()).reshape(out.shape))).sum().backward()
        got = leaf.grad.numpy().transpose(2, 3, 0, 1)
        np.testing.assert_array_equal(got, dense_leaf.grad.numpy())
    np.testing.assert_allclose(
        F.avg_pool2d(x, 3, 2, 1).numpy(),
        avg_pool_reference(dense, (3, 3), (2, 2), (1, 1), False, True),
    )


def test_max_pool1d_is_the_plane_of_height_one():
    x = rng.standard_normal((2, 3, 11))
    out, idx = F.max_pool1d(tg.tensor(x), 3, 2, 1, 1, True, return_indices=True)
    vals, ref = max_pool_reference(x[:, :, None, :], (1, 3), (1, 2), (0, 1), (1, 1), True)
    np.testing.assert_array_equal(out.numpy(), vals[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), ref[:, :, 0])
    assert tg.max_pool1d(tg.tensor(x[0]), 4).shape == (3, 2)
    assert F.max_pool1d_with_indices(tg.tensor(x), 2)[1].shape == (2, 3, 5)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda x: F.max_pool2d(x, 2, padding=2), "padding.*half the kernel size"),
        (lambda x: F.max_pool2d(x, 0), "kernel_size must be positive"),
        (lambda x: F.max_pool2d(x, 2, stride=0), "stride must be positive"),
        (lambda x: F.max_pool2d(x, 2, dilation=0), "dilation must be positive"),
        (lambda x: F.max_pool2d(x, (2, 3, 4)), "kernel_size must be an int or a tuple of 2"),
        (lambda x: F.max_pool2d(x, 5), r"output size would be 0x0 for input size 4x4"),
        (lambda x: F.max_pool2d(x[0, 0], 2), r"3-D \(C, H, W\) or 4-D"),
        (lambda x: F.max_pool1d(x[0], 5), "output size would be 0 for input size 4"),
        (lambda x: F.avg_pool2d(x, 3, padding=2), "half the kernel size"),
        (lambda x: F.avg_pool2d(x, 2, divisor_override=0), "divisor_override must be non-zero"),
        (lambda x: F.adaptive_avg_pool2d(x, -1), "output_size must be a non-negative int"),
    ],
)
def test_errors_name_what_is_wrong(call, match):
    x = tg.ones(1, 1, 4, 4)
    with pytest.raises((ValueError, RuntimeError), match=match):
        call(x)


def test_output_size_error_names_every_argument():
    with pytest.raises(RuntimeError) as info:
        F.max_pool2d(tg.ones(2, 3, 2, 5), 3, stride=1, dilation=1)
    text = str(info.value)
    assert "max_pool2d" in text and "2x5" in text and "kernel_size=(3, 3)" in text


def test_pooling_rejects_types_it_cannot_average():
    with pytest.raises(TypeError, match="floating-point"):
        F.avg_pool2d(tg.ones(1, 1, 4, 4, dtype=tg.int64), 2)
    with pytest.raises(TypeError):
        F.max_pool2d(tg.ones(1, 1, 4, 4, dtype=tg.bool), 2)


# ------------------------------------------------------------ average pooling
@pytest.mark.parametrize("k,s,p,_,ceil_mode", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_the_reference(k, s, p, _, ceil_mode, count_include_pad):
    x = rng.standard_normal((2, 3, 7, 8))
    out = F.avg_pool2d(tg.tensor(x), k, s, p, ceil_mode, count_include_pad)
    ref = avg_pool_reference(x, k, s, p, ceil_mode, count_include_pad)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)


def test_avg_pool_divisor_override_and_1d():
    x = rng.standard_normal((2, 7, 8))
    out = F.avg_pool2d(tg.tensor(x), 3, 2, 1, True, True, divisor_override=5)
    ref = avg_pool_reference(x, (3, 3), (2, 2), (1, 1), True, True, 5)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    one = F.avg_pool1d(tg.tensor(x), 3, 2, 1, True, False)
    ref = avg_pool_reference(x[:, None], (1, 3), (1, 2), (0, 1), True, False)[:, 0]
    np.testing.assert_allclose(one.numpy(), ref, rtol=1e-12)


def test_avg_pool_gradient_is_the_transposed_map():
    x = tg.tensor(rng.standard_normal((1, 2, 5, 6)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((1, 2, 3, 3)))
    y = F.avg_pool2d(x, 3, 2, 1)
    (g,) = tg.autograd.grad((y * w).sum(), x)
    # <A x, w> = <x, A^T w> for the linear map A
    lhs = (y * w).sum().item()
    assert abs(lhs - (x * g).sum().item()) < 1e-12
    assert y.grad_fn.prim.name == "resample"


# ------------------------------------------------------------ adaptive pooling
@pytest.mark.parametrize("out", [(3, 4), (1, 1), (7, 8), (10, 3)])
def test_adaptive_pools_use_pytorchs_windows(out):
    x = rng.integers(0, 4, size=(2, 2, 7, 8)).astype(np.float64)
    avg = F.adaptive_avg_pool2d(tg.tensor(x), out).numpy()
    mx, idx = F.adaptive_max_pool2d(tg.tensor(x), out, return_indices=True)
    for i, (r0, r1) in enumerate(_adaptive(7, out[0])):
        for j, (c0, c1) in enumerate(_adaptive(8, out[1])):
            win = x[..., r0:r1, c0:c1]
            np.testing.assert_allclose(avg[..., i, j], win.mean(axis=(-2, -1)), rtol=1e-12)
            flat = win.reshape(2, 2, -1)
            first = flat.argmax(axis=-1)
            r, c = first // (c1 - c0) + r0, first % (c1 - c0) + c0
            np.testing.assert_array_equal(idx.numpy()[..., i, j], r * 8 + c)
            np.testing.assert_array_equal(mx.numpy()[..., i, j], flat.max(axis=-1))


def test_adaptive_output_size_none_keeps_the_input_size():
    x = tg.randn(1, 2, 5, 6)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (1, 2, 5, 2)
    assert F.adaptive_max_pool1d(tg.randn(2, 3, 7), 3).shape == (2, 3, 3)
    assert F.adaptive_avg_pool1d(tg.randn(3, 7), 2).shape == (3, 2)
    assert F.adaptive_avg_pool2d(x, 0).shape == (1, 2, 0, 0)
    values, indices = tg.adaptive_max_pool1d(tg.randn(2, 3, 7), 2)  # torch's returns both
    assert values.shape == indices.shape == (2, 3, 2)


# ------------------------------------------------------------ max unpooling
def test_max_unpool_puts_values_back_and_checks_indices():
    x = tg.tensor(rng.standard_normal((2, 3, 4, 6)), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    back = F.max_unpool2d(y, idx, 2)
    kept = back.detach().numpy() != 0
    np.testing.assert_array_equal(back.detach().numpy()[kept], x.detach().numpy()[kept])
    assert kept.sum() == y.numel()
    back.sum().backward()
    assert x.grad.numpy().sum() == y.numel()
    assert F.max_unpool2d(y, idx, 2, output_size=(5, 7)).shape == (2, 3, 5, 7)
    with pytest.raises(ValueError, match="within a stride"):
        F.max_unpool2d(y, idx, 2, output_size=(7, 7))
    with pytest.raises(IndexError, match="out of range"):
        F.max_unpool2d(y, idx * 10, 2)
    y1, i1 = F.max_pool1d(x[0], 3, return_indices=True)
    assert nn.MaxUnpool1d(3)(y1, i1).shape == (3, 4, 6)


# ------------------------------------------------------------ interpolation
def test_interpolate_nearest_and_bilinear_small_cases():
    x = tg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    near = F.interpolate(x, scale_factor=2)
    assert near.numpy()[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    corners = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).numpy()[0, 0]
    assert corners.tolist() == [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]
    half = F.interpolate(x, size=(4, 4), mode="bilinear").numpy()[0, 0]
    assert half[0].tolist() == [1, 1.25, 1.75, 2]
    area = F.interpolate(tg.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), size=2, mode="area")
    assert area.numpy()[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]


def test_interpolate_nearest_keeps_integers():
    x = tg.tensor(np.arange(6, dtype=np.uint8).reshape(1, 1, 2, 3))
    y = F.interpolate(x, scale_factor=2, mode="nearest-exact")
    assert y.dtype == tg.uint8 and y.shape == (1, 1, 4, 6)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(size=4, scale_factor=2), ValueError, "only one of size or scale_factor"),
        (dict(), ValueError, "either size or scale_factor"),
        (dict(size=4, align_corners=True), ValueError, "align_corners can only be set"),
        (dict(size=4, mode="linear"), NotImplementedError, "needs a 3-D input"),
        (dict(size=4, mode="bogus"), NotImplementedError, "mode 'bogus'"),
        (dict(size=(4,)), ValueError, "has 1 entries for an input with 2 spatial"),
        (dict(scale_factor=0.1), ValueError, r"output size \(0, 0\) must be positive"),
        (dict(size=4, recompute_scale_factor=True), ValueError, "not meaningful"),
        (dict(size=4, mode="bilinear", antialias=True), NotImplementedError, "antialias"),
    ],
)
def test_interpolate_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        F.interpolate(tg.ones(1, 1, 4, 4), **kwargs)


def test_resampling_gradient_is_the_adjoint():
    x = tg.tensor(rng.standard_normal((2, 1, 3, 5)), requires_grad=True)
    for mode, kw in [("bilinear", {}), ("bicubic", dict(align_corners=True)), ("nearest", {})]:
        y = F.interpolate(x, scale_factor=(1.5, 0.7), mode=mode, **kw)
        w = tg.tensor(rng.standard_normal(y.shape))
        (g,) = tg.autograd.grad((y * w).sum(), x)
        assert abs((y * w).sum().item() - (x * g).sum().item()) < 1e-12, mode


def test_deprecated_upsample_functions_warn():
    with pytest.warns(UserWarning, match="deprecated"):
        y = F.upsample_bilinear(tg.randn(1, 1, 2, 2), scale_factor=2)
    assert y.shape == (1, 1, 4, 4)


# ------------------------------------------------------------ pixel shuffle
def test_pixel_shuffle_places_channels_and_round_trips():
    x = tg.tensor(np.arange(2 * 8 * 2 * 3.0).reshape(2, 8, 2, 3), requires_grad=True)
    y = F.pixel_shuffle(x, 2)
    assert y.shape == (2, 2, 4, 6)
    # out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w]
    assert y.detach().numpy()[1, 1, 3, 4] == x.detach().numpy()[1, 1 * 4 + 1 * 2 + 0, 1, 2]
    np.testing.assert_array_equal(F.pixel_unshuffle(y, 2).detach().numpy(), x.detach().numpy())
    y.sum().backward()
    assert (x.grad.numpy() == 1).all()
    assert tg.pixel_shuffle(tg.ones(3, 9, 2, 2), 3).shape == (3, 1, 6, 6)
    with pytest.raises(ValueError, match="not divisible by upscale_factor"):
        F.pixel_shuffle(tg.ones(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="not divisible by downscale_factor"):
        F.pixel_unshuffle(tg.ones(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.pixel_shuffle(tg.ones(4, 4), 2)


# ------------------------------------------------------------ modules
REPRS = [
    (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (
        nn.MaxPool2d((2, 3), 1, 1, 2, True, True),
        "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)",
    ),
    (nn.MaxPool1d(3), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    (nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (nn.AvgPool2d(3, 2, 1, True, False, 2), "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
    (nn.AvgPool1d(2), "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (nn.AdaptiveAvgPool2d((2, None)), "AdaptiveAvgPool2d(output_size=(2, None))"),
    (nn.AdaptiveMaxPool2d(3, True), "AdaptiveMaxPool2d(output_size=3)"),
    (nn.AdaptiveAvgPool1d(2), "AdaptiveAvgPool1d(output_size=2)"),
    (nn.AdaptiveMaxPool1d(2), "AdaptiveMaxPool1d(output_size=2)"),
    (nn.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (nn.MaxUnpool1d(2, 1, 1), "MaxUnpool1d(kernel_size=(2,), stride=(1,), padding=(1,))"),
    (nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
    (nn.Upsample(size=(3, 4), mode="bilinear"), "Upsample(size=(3, 4), mode='bilinear')"),
    (nn.Upsample(scale_factor=(2, 3)), "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"),
    (
        nn.UpsamplingNearest2d(scale_factor=2),
        "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')",
    ),
    (nn.UpsamplingBilinear2d(size=4), "UpsamplingBilinear2d(size=4, mode='bilinear')"),
    (nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
    (nn.PixelUnshuffle(3), "PixelUnshuffle(downscale_factor=3)"),
    (nn.ZeroPad2d(2), "ZeroPad2d((2, 2, 2, 2))"),
    (nn.ZeroPad2d((1, 2, 3, 4)), "ZeroPad2d((1, 2, 3, 4))"),
    (nn.ZeroPad1d((1, 2)), "ZeroPad1d((1, 2))"),
    (nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (nn.ConstantPad2d((1, 2, 3, 4), 1), "ConstantPad2d(padding=(1, 2, 3, 4), value=1)"),
    (nn.ReflectionPad1d(2), "ReflectionPad1d((2, 2))"),
    (nn.ReflectionPad2d((1, 2, 3, 4)), "ReflectionPad2d((1, 2, 3, 4))"),
    (nn.ReplicationPad1d(1), "ReplicationPad1d((1, 1))"),
    (nn.ReplicationPad2d(3), "ReplicationPad2d((3, 3, 3, 3))"),
    (nn.CircularPad2d((1, 2, 3, 4)), "CircularPad2d((1, 2, 3, 4))"),
    (nn.Unflatten(1, (2, 3)), "Unflatten(dim=1, unflattened_size=(2, 3))"),
]


@pytest.mark.parametrize("module,text", REPRS, ids=[t for _, t in REPRS])
def test_module_reprs_are_pytorchs(module, text):
    assert repr(module) == text
    assert list(module.parameters()) == []


def test_modules_call_their_functions():
    x = tg.randn(2, 4, 6, 6)
    net = nn.Sequential(
        nn.ZeroPad2d(1),
        nn.MaxPool2d(2),
        nn.AvgPool2d(2, count_include_pad=False),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.PixelUnshuffle(2),
        nn.PixelShuffle(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Unflatten(1, (2, 2)),
    )
    assert net(x).shape == (2, 2, 2)
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert nn.MaxUnpool2d(2)(y, idx).shape == x.shape
    assert nn.ReflectionPad2d(2)(x).shape == (2, 4, 10, 10)
    assert nn.ReplicationPad1d((1, 2))(x[0]).shape == (4, 6, 9)
    assert nn.ConstantPad1d(1, 2.0)(x[0]).numpy()[0, 0, 0] == 2.0
    assert nn.AdaptiveMaxPool2d((2, 3))(x).shape == (2, 4, 2, 3)
    assert nn.AvgPool1d(2)(x[0]).shape == (4, 6, 3)
    assert nn.MaxPool1d(2, return_indices=True)(x[0])[1].shape == (4, 6, 3)
