"""Pooling and resampling vs PyTorch: values, indices, gradients and second
derivatives in float64 across the options (strides, padding, dilation,
ceil_mode, count_include_pad, divisor_override, align_corners, scale
factors), ties and NaN, odd sizes, and float32 index rules of interpolate."""

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(11)
X = rng.standard_normal((2, 3, 7, 9))
TIES = rng.integers(0, 3, size=(2, 3, 7, 9)).astype(np.float64)


def second_derivative(fn, x, rtol=1e-9, atol=1e-11):
    """``d/dx <v, d/dx sum(w fn(x)^2)>`` in both libraries (the backward
    pass differentiated again)."""
    r = np.random.default_rng(5)
    v = r.standard_normal(x.shape)
    results = []
    for lib in (torch, tg):
        t = lib.tensor(x, requires_grad=True)
        y = fn(lib, t)
        w = lib.tensor(np.random.default_rng(6).standard_normal(tuple(y.shape)))
        (g,) = lib.autograd.grad((y * y * w).sum(), t, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), t)
        results.append(h.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=rtol, atol=atol)


MAX_POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1), ceil_mode=True),
    dict(kernel_size=3, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=1, dilation=2),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),
    dict(kernel_size=4, stride=2, padding=2, dilation=1),
]


@pytest.mark.parametrize("kw", MAX_POOLS, ids=str)
def test_max_pool2d_matches_torch(kw):
    def fn(L, x):
        return L.nn.functional.max_pool2d(x, **kw, return_indices=True)

    check(fn, X, rtol=1e-12)
    check(fn, TIES, rtol=1e-12)
    check(lambda L, x: L.nn.functional.max_pool2d(x, **kw), X[0], rtol=1e-12)  # unbatched
    check(lambda L, x: L.nn.functional.max_pool2d(x, **kw), X.astype(np.float32))
    second_derivative(lambda L, x: L.nn.functional.max_pool2d(x, **kw), X)


def test_max_pool2d_with_nan_matches_torch():
    x = X.copy()
    x[0, 0, 0, :3] = np.nan
    x[1, 2, 3:5, 4] = np.nan
    for kw in MAX_POOLS:
        check(
            lambda L, x, kw=kw: L.nn.functional.max_pool2d(x, **kw, return_indices=True),
            x,
            backward=False,
        )


def test_infinities_and_nan_stay_where_torch_puts_them():
    x = X.copy()
    x[0, 0, 2, 3], x[1, 1, 5, 0] = np.inf, np.nan

    def fn(L, x):
        F = L.nn.functional
        return (
            F.avg_pool2d(x, 2),
            F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
            F.adaptive_avg_pool2d(x, (3, 4)),
            F.interpolate(x, scale_factor=2, mode="bilinear"),
            F.interpolate(x, size=(5, 6), mode="bicubic", align_corners=True),
            F.interpolate(x, scale_factor=1.5, mode="nearest"),
            F.max_pool2d(x, 3, 2, 1),
        )

    check(fn, x, backward=False)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2, stride=1, dilation=3),
        dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    ],
    ids=str,
)
def test_max_pool1d_matches_torch(kw):
    x = X.reshape(2, 3, 63)
    check(lambda L, x: L.nn.functional.max_pool1d(x, **kw, return_indices=True), x, rtol=1e-12)
    check(lambda L, x: L.max_pool1d(x[0], **kw), x, rtol=1e-12)
    check(lambda L, x: L.max_pool1d_with_indices(x, **kw), TIES.reshape(2, 3, 63))
    second_derivative(lambda L, x: L.nn.functional.max_pool1d(x, **kw), x)


def test_max_pool_of_integers_matches_torch():
    x = rng.integers(-5, 5, size=(2, 2, 5, 6))
    check(lambda L, x: L.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), x)


AVG_POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(3, 1), padding=(1, 1), count_include_pad=False),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 0), ceil_mode=True, divisor_override=4),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=True),
]


@pytest.mark.parametrize("kw", AVG_POOLS, ids=str)
def test_avg_pool2d_matches_torch(kw):
    check(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), X, rtol=1e-12)
    check(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), X[1], rtol=1e-12)
    check(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), X.astype(np.float32))
    second_derivative(lambda L, x: L.nn.functional.avg_pool2d(x, **kw), X)


@pytest.mark.parametrize("kw", [k for k in AVG_POOLS if "divisor_override" not in k], ids=str)
def test_avg_pool1d_matches_torch(kw):
    kw = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    x = X.reshape(2, 3, 63)
    check(lambda L, x: L.nn.functional.avg_pool1d(x, **kw), x, rtol=1e-12)
    check(lambda L, x: L.avg_pool1d(x, **kw), x[0], rtol=1e-12)


@pytest.mark.parametrize("size", [(3, 4), 1, (7, 9), (10, 13), (None, 2), (5, None), (4, 17)])
def test_adaptive_pools_match_torch(size):
    def avg(L, x):
        return L.nn.functional.adaptive_avg_pool2d(x, size)

    def mx(L, x):
        return L.nn.functional.adaptive_max_pool2d(x, size, return_indices=True)

    check(avg, X, rtol=1e-12)
    check(mx, X, rtol=1e-12)
    check(mx, TIES, rtol=1e-12)
    check(avg, X[0].astype(np.float32))
    second_derivative(avg, X)
    second_derivative(lambda L, x: L.nn.functional.adaptive_max_pool2d(x, size), X)


@pytest.mark.parametrize("size", [3, 1, 9, 20])
def test_adaptive_pools_1d_match_torch(size):
    x = X.reshape(2, 3, 63)[..., :9]
    check(lambda L, x: L.nn.functional.adaptive_avg_pool1d(x, size), x, rtol=1e-12)
    check(lambda L, x: L.nn.functional.adaptive_max_pool1d(x, size, return_indices=True), x)
    check(lambda L, x: L.adaptive_max_pool1d(x, size), TIES[0, :, 0])
    check(lambda L, x: L.adaptive_avg_pool1d(x, size), x[0], rtol=1e-12)


def test_adaptive_max_pool_with_nan_matches_torch():
    x = X.copy()
    x[0, 0, 1, :4] = np.nan
    check(
        lambda L, x: L.nn.functional.adaptive_max_pool2d(x, (3, 2), return_indices=True),
        x,
        backward=False,
    )


@pytest.mark.parametrize(
    "kw,size",
    [(dict(kernel_size=2), (7, 9)), (dict(kernel_size=3, stride=2, padding=1), (8, 8))],
)
def test_max_unpool_matches_torch(kw, size):
    # (indices address the plane they came from: an input of the default unpooled size)
    x = X[:, :, :6, :8] if kw["kernel_size"] == 2 else X[:, :, :7, :7]

    def fn(L, x):
        F = L.nn.functional
        y, idx = F.max_pool2d(x, **kw, return_indices=True)
        return F.max_unpool2d(y * 2, idx, **kw), F.max_unpool2d(y, idx, **kw, output_size=size)

    check(fn, x)
    second_derivative(
        lambda L, x: L.nn.functional.max_unpool2d(
            *L.nn.functional.max_pool2d(x, **kw, return_indices=True), **kw
        ),
        x,
    )

    def fn1(L, x):
        F = L.nn.functional
        y, idx = F.max_pool1d(x, 3, return_indices=True)
        return F.max_unpool1d(y, idx, 3)

    check(fn1, X.reshape(2, 3, 63)[..., :60])


INTERPOLATIONS = [
    dict(size=(5, 13)),
    dict(size=(7, 9)),
    dict(size=(1, 1)),
    dict(scale_factor=2),
    dict(scale_factor=3),
    dict(scale_factor=1.7),
    dict(scale_factor=0.5),
    dict(scale_factor=(0.6, 2.3)),
    dict(scale_factor=1.7, recompute_scale_factor=True),
    dict(scale_factor=(0.45, 1.1), recompute_scale_factor=False),
]
MODES = [
    ("nearest", None),
    ("nearest-exact", None),
    ("bilinear", False),
    ("bilinear", True),
    ("bicubic", False),
    ("bicubic", True),
    ("area", None),
]


@pytest.mark.parametrize("mode,align_corners", MODES, ids=str)
@pytest.mark.parametrize("kw", INTERPOLATIONS, ids=str)
def test_interpolate_matches_torch(mode, align_corners, kw):
    def fn(L, x):
        return L.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **kw)

    check(fn, X, rtol=1e-11, atol=1e-12)
    check(fn, X.astype(np.float32), rtol=2e-5, atol=2e-6)
    second_derivative(fn, X[:1])


@pytest.mark.parametrize(
    "n,scale", [(7, 1.7), (10, 0.3), (13, 2.5), (5, 1 / 3), (9, 2.1), (9, 1.05), (6, 2.0)]
)
def test_nearest_index_rule_matches_torch_in_float32(n, scale):
    x = np.arange(2 * n, dtype=np.float32).reshape(1, 2, n)
    out = int(np.floor(n * scale))
    # PyTorch's 1-D backward copies (or halves) where an output of n (or 2n)
    # elements was asked for by a scale factor, but its forward does not:
    # there tapegrad's gradient is its own forward's adjoint, not PyTorch's.
    adjoint = out not in (n, 2 * n)
    for mode in ("nearest", "nearest-exact"):
        check(
            lambda L, x, mode=mode: L.nn.functional.interpolate(x, scale_factor=scale, mode=mode),
            x,
            backward=adjoint or mode == "nearest-exact",
        )
        check(
            lambda L, x, mode=mode: L.nn.functional.interpolate(
                x[None], scale_factor=(1.0, scale), mode=mode
            ),
            x,
        )
        for m in (out, out + 1, 2 * n + 1):
            check(lambda L, x, m=m, mode=mode: L.nn.functional.interpolate(x, size=m, mode=mode), x)


@pytest.mark.parametrize("align_corners", [False, True])
def test_linear_and_trilinear_match_torch(align_corners):
    def lin(L, x):
        return L.nn.functional.interpolate(
            x, scale_factor=1.6, mode="linear", align_corners=align_corners
        )

    def tri(L, x):
        return L.nn.functional.interpolate(
            x, size=(3, 5, 4), mode="trilinear", align_corners=align_corners
        )

    check(lin, X.reshape(2, 3, 63), rtol=1e-11)
    check(tri, X[:, :, :4, :9].reshape(2, 3, 4, 3, 3), rtol=1e-11)
    second_derivative(lin, X.reshape(2, 3, 63))
    check(
        lambda L, x: L.nn.functional.interpolate(x, size=(2, 5, 3), mode="nearest"),
        X.reshape(2, 3, 7, 3, 3),
    )


def test_upsampling_modules_match_torch():
    def fn(L, x):
        nn = L.nn
        return (
            nn.Upsample(scale_factor=2, mode="bilinear")(x),
            nn.UpsamplingBilinear2d(size=(4, 11))(x),
            nn.UpsamplingNearest2d(scale_factor=1.5)(x),
            nn.Upsample(size=5, mode="bicubic", align_corners=True)(x),
        )

    check(fn, X, rtol=1e-11)


def test_pixel_shuffle_matches_torch():
    x = rng.standard_normal((2, 18, 3, 4))
    check(lambda L, x: (L.pixel_shuffle(x, 3), L.nn.functional.pixel_shuffle(x, 1)), x)
    check(lambda L, x: L.nn.PixelUnshuffle(3)(L.nn.PixelShuffle(3)(x)), x)
    check(lambda L, x: L.nn.functional.pixel_unshuffle(x, 2), rng.standard_normal((3, 2, 4, 6)))
    check(lambda L, x: L.pixel_shuffle(x, 2), rng.standard_normal((2, 3, 8, 2, 2)))


def test_padding_modules_match_torch():
    def fn(L, x):
        nn = L.nn
        return (
            nn.ZeroPad2d((1, 2, 0, 3))(x),
            nn.ConstantPad2d(2, 0.5)(x),
            nn.ReflectionPad2d((2, 1, 1, 2))(x),
            nn.ReplicationPad2d(3)(x),
            nn.CircularPad2d(1)(x),
            nn.ReflectionPad1d(2)(x[0]),
            nn.ReplicationPad1d((0, 2))(x[0]),
            nn.ConstantPad1d((1, 0), -1.0)(x[0]),
            nn.ZeroPad1d(1)(x[0]),
            nn.Unflatten(2, (7, 1))(x),
        )

    check(fn, X)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.nn.functional.max_pool2d(x, 2, padding=2),
        lambda L, x: L.nn.functional.max_pool2d(x, 8),
        lambda L, x: L.nn.functional.max_pool2d(x, 2, stride=0),
        lambda L, x: L.nn.functional.avg_pool2d(x, 3, padding=2),
        lambda L, x: L.nn.functional.avg_pool2d(x, 2, divisor_override=0),
        lambda L, x: L.nn.functional.interpolate(x, size=4, scale_factor=2),
        lambda L, x: L.nn.functional.interpolate(x, size=4, mode="linear"),
        lambda L, x: L.nn.functional.interpolate(x, size=4, align_corners=True),
        lambda L, x: L.nn.functional.interpolate(x, scale_factor=0.1),
        lambda L, x: L.nn.functional.pixel_shuffle(x, 2),
        lambda L, x: L.nn.functional.pixel_unshuffle(x, 2),
        lambda L, x: L.nn.functional.max_unpool2d(x, x.long(), 2, output_size=(20, 20)),
    ],
)
def test_both_libraries_reject(call):
    check_raises(call, X)
