"""Convolutions: F.conv1d/2d/3d, F.conv_transpose*, F.unfold/fold and the
layers, against direct sums in NumPy (no PyTorch needed); errors, reprs,
initialisation, state_dict keys, second derivatives."""

import itertools
import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

RNG = np.random.default_rng(0)


def _t(shape, grad=True):
    return tg.tensor(RNG.standard_normal(shape), requires_grad=grad)


def _direct_conv(x, w, b, stride, padding, dilation, groups):
    """The convolution as the textbook sum, one output element at a time."""
    d = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    n, c = x.shape[:2]
    o, ci, *k = w.shape
    out_sp = [(xp.shape[2 + i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(d)]
    out = np.zeros((n, o, *out_sp))
    oc = o // groups
    for idx in itertools.product(range(n), range(o), *(range(s) for s in out_sp)):
        b_, o_, pos = idx[0], idx[1], idx[2:]
        g = o_ // oc
        total = 0.0
        for cc in range(ci):
            for q in itertools.product(*(range(kk) for kk in k)):
                at = tuple(p * s + qq * dl for p, s, qq, dl in zip(pos, stride, q, dilation))
                total += w[(o_, cc) + q] * xp[(b_, g * ci + cc) + at]
        out[idx] = total + (b[o_] if b is not None else 0.0)
    return out


CASES = [
    # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 3, 7), (4, 3, 3), (1,), (0,), (1,), 1),
    ((1, 2, 9), (4, 1, 2), (2,), (1,), (2,), 2),
    ((2, 4, 5, 6), (6, 2, 3, 2), (2, 1), (1, 0), (1, 2), 2),
    ((1, 3, 5, 5), (6, 1, 3, 3), (1, 1), (1, 1), (1, 1), 3),
    ((1, 2, 4, 3, 4), (2, 2, 2, 2, 2), (1, 2, 1), (1, 0, 1), (1, 1, 1), 1),
]
CONVS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TRANSPOSED = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES)
def test_conv_is_the_direct_sum(xs, ws, stride, padding, dilation, groups):
    x, w, b = RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])
    conv = CONVS[len(xs) - 2]
    out = conv(tg.tensor(x), tg.tensor(w), tg.tensor(b), stride, padding, dilation, groups)
    want = _direct_conv(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CASES)
def test_conv_transpose_is_the_adjoint_of_conv(xs, ws, stride, padding, dilation, groups):
    """<y, conv(x, w)> = <conv_transpose(y, w), x>, with output_padding
    filling the rows the strided windows leave out."""
    d = len(xs) - 2
    x, w = _t(xs, False), _t(ws, False)
    y = _t(CONVS[d](x, w, None, stride, padding, dilation, groups).shape, False)
    extra = tuple(
        (n + 2 * p - dl * (k - 1) - 1) % s
        for n, p, dl, k, s in zip(xs[2:], padding, dilation, ws[2:], stride)
    )
    back = TRANSPOSED[d](y, w, None, stride, padding, extra, groups, dilation)
    assert back.shape == x.shape
    lhs = float((y * CONVS[d](x, w, None, stride, padding, dilation, groups)).sum())
    np.testing.assert_allclose(float((back * x).sum()), lhs, rtol=1e-10)


def test_conv_gradients_are_the_transposed_conv_and_the_correlation():
    x, w, b = _t((2, 3, 6, 5)), _t((4, 3, 3, 3)), _t((4,))
    out = F.conv2d(x, w, b, stride=2, padding=1)
    g = RNG.standard_normal(out.shape)
    (out * tg.tensor(g)).sum().backward()
    gx = F.conv_transpose2d(tg.tensor(g), w.detach(), stride=2, padding=1, output_padding=(1, 0))
    np.testing.assert_allclose(x.grad.numpy(), gx.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, 2, 3)), rtol=1e-10)
    assert out.grad_fn.prim.name == "conv"


def test_unfold_then_matmul_is_conv2d():
    x, w = _t((2, 3, 6, 7), False), _t((5, 3, 2, 3), False)
    cols = F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    out = (w.reshape(5, -1) @ cols).reshape(2, 5, 4, 5)
    want = F.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_fold_is_the_adjoint_of_unfold_and_counts_overlaps():
    x = _t((2, 3, 5, 6), False)
    cols = F.unfold(x, 3, padding=1)
    c = _t(cols.shape, False)
    lhs = float((F.unfold(x, 3, padding=1) * c).sum())
    np.testing.assert_allclose(float((F.fold(c, (5, 6), 3, padding=1) * x).sum()), lhs)
    ones = tg.ones(1, 1, 4, 4, dtype=tg.float64)
    counts = F.fold(F.unfold(ones, 2), (4, 4), 2).numpy()[0, 0]
    np.testing.assert_array_equal(counts[0], [1, 2, 2, 1])
    np.testing.assert_array_equal(counts[1], [2, 4, 4, 2])


def test_unfold_and_fold_take_unbatched_input():
    x = _t((3, 5, 5), False)
    cols = F.unfold(x, 2)
    assert cols.shape == (12, 16)
    np.testing.assert_allclose(cols.numpy(), F.unfold(x.unsqueeze(0), 2).numpy()[0])
    assert F.fold(cols, (5, 5), 2).shape == (3, 5, 5)


@pytest.mark.parametrize("k,dilation", [(3, 1), (4, 1), (2, 3), ((4, 3), (1, 2))])
def test_same_padding_keeps_the_size_with_the_odd_zero_after(k, dilation):
    x, w = _t((1, 2, 7, 6), False), _t((3, 2) + ((k, k) if isinstance(k, int) else k), False)
    out = F.conv2d(x, w, padding="same", dilation=dilation)
    assert out.shape == (1, 3, 7, 6)
    dl = (dilation, dilation) if isinstance(dilation, int) else dilation
    totals = [d_ * (kk - 1) for d_, kk in zip(dl, w.shape[2:])]
    pads = [t // 2 for t in totals]
    manual = F.conv2d(
        F.pad(x, (pads[1], totals[1] - pads[1], pads[0], totals[0] - pads[0])), w, dilation=dl
    )
    np.testing.assert_allclose(out.numpy(), manual.numpy(), rtol=1e-10)
    np.testing.assert_array_equal(F.conv2d(x, w, padding="valid").numpy(), F.conv2d(x, w).numpy())


def test_unbatched_input_gives_unbatched_output():
    x, w = _t((3, 6, 6), False), _t((4, 3, 3, 3), False)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (4, 6, 6)
    np.testing.assert_allclose(out.numpy(), F.conv2d(x.unsqueeze(0), w, padding=1).numpy()[0])
    assert F.conv_transpose2d(x, _t((3, 2, 2, 2), False)).shape == (2, 7, 7)


def test_dtypes_follow_the_inputs():
    x = tg.randn(1, 2, 5, 5)
    conv = nn.Conv2d(2, 3, 3)
    assert conv(x).dtype == tg.float32
    assert F.conv2d(x, conv.weight.double()).dtype == tg.float64


def test_channels_last_output_behaves_as_any_tensor():
    out = F.conv2d(_t((2, 3, 6, 6), False), _t((4, 3, 3, 3), False))
    flat = out.reshape(2, -1)
    np.testing.assert_array_equal(flat.numpy(), out.numpy().reshape(2, -1))
    np.testing.assert_array_equal(out.contiguous().numpy(), out.numpy())
    assert out.contiguous().is_contiguous()


def test_gradient_penalty_through_a_convolution_backpropagates():
    """|d out/dx|^2 differentiated again: the input gradient is a
    conv_transpose, whose weight gradient is a conv_weight; gradcheck checks
    the second derivatives."""
    x = _t((1, 2, 5, 5))

    def penalty(w, b):
        out = F.conv2d(x, w, b, stride=2, padding=1, groups=2)
        (gx,) = tg.autograd.grad((out * out).sum(), x, create_graph=True)
        return (gx * gx).sum()

    assert tg.gradcheck(penalty, (_t((4, 1, 3, 3)), _t((4,))))
    w = nn.Parameter(tg.tensor(RNG.standard_normal((4, 1, 3, 3))))
    out = F.conv2d(x, w, stride=2, padding=1, groups=2)
    (gx,) = tg.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    gx.pow(2).sum().backward()
    assert w.grad is not None and np.isfinite(w.grad.numpy()).all()


def test_hessian_vector_products_through_transposed_conv_and_unfold():
    w = _t((2, 3, 2, 2), False)

    def f(y):
        return F.unfold(F.conv_transpose2d(y, w, stride=2), 2).tanh().sum()

    y = _t((1, 2, 3, 3))
    (g,) = tg.autograd.grad(f(y), y, create_graph=True)
    assert g.requires_grad
    assert tg.gradcheck(lambda y: tg.autograd.grad(f(y), y, create_graph=True)[0].sum(), (y,))


# ------------------------------------------------------------------ errors
def _raises(match, fn):
    with pytest.raises((ValueError, RuntimeError, TypeError)) as info:
        fn()
    assert match in str(info.value), str(info.value)
    return info.value


X8 = tg.randn(1, 5, 8, 8)
W8 = tg.randn(4, 5, 3, 3)
SHAPE_ERRORS = [
    (
        "expected input[1, 5, 8, 8] to have 3 channels, but got 5",
        lambda: F.conv2d(X8, tg.randn(4, 3, 3, 3)),
    ),
    (
        "divisible by 2 at dimension 0",
        lambda: F.conv2d(tg.randn(1, 6, 8, 8), tg.randn(3, 3, 3, 3), groups=2),
    ),
    (
        "Kernel size can't be greater than actual input size",
        lambda: F.conv2d(tg.randn(1, 5, 2, 2), W8),
    ),
    (
        "padded input size per channel: (4 x 2)",
        lambda: F.conv2d(tg.randn(1, 5, 2, 2), W8, padding=(1, 0)),
    ),
    ("Kernel size: (5 x 5)", lambda: F.conv2d(tg.randn(1, 1, 4, 4), W8[:1, :1], dilation=2)),
    (
        "expected bias to be 1-dimensional with 4 elements, but got bias of size [5]",
        lambda: F.conv2d(X8, W8, tg.randn(5)),
    ),
    (
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]",
        lambda: F.conv2d(tg.randn(2, 3), W8),
    ),
    ("weight of size [4, 5, 3] should be 4-D", lambda: F.conv2d(X8, tg.randn(4, 5, 3))),
    ("list of 2 values", lambda: F.conv2d(X8, W8, stride=(1, 1, 1))),
    ("to have 4 channels, but got 5", lambda: F.conv_transpose2d(X8, tg.randn(4, 2, 3, 3))),
    (
        "Output size is too small",
        lambda: F.conv_transpose2d(X8, tg.randn(5, 2, 3, 3), padding=5),
    ),
    ("3D or 4D", lambda: F.unfold(tg.randn(1, 2, 5, 5, 5), 3)),
    (
        "calculated shape of the array of sliding blocks as (0, 0)",
        lambda: F.unfold(tg.randn(1, 2, 2, 2), 3),
    ),
    ("input.size(1)=17 and kernel_size=(3, 3)", lambda: F.fold(tg.randn(1, 17, 9), (5, 5), 3)),
    (
        "sliding blocks 3 * 3 = 9, but got input.size(2)=8",
        lambda: F.fold(tg.randn(1, 18, 8), (5, 5), 3),
    ),
]


@pytest.mark.parametrize("match,fn", SHAPE_ERRORS, ids=[m[:30] for m, _ in SHAPE_ERRORS])
def test_errors_name_the_shapes(match, fn):
    _raises(match, fn)


ARGUMENT_ERRORS = [
    (
        "padding='same' is not supported for strided convolutions",
        lambda: F.conv2d(X8, W8, padding="same", stride=2),
    ),
    ("invalid padding string 'foo'", lambda: F.conv2d(X8, W8, padding="foo")),
    ("negative padding", lambda: F.conv2d(X8, W8, padding=-1)),
    ("non-positive stride", lambda: F.conv2d(X8, W8, stride=0)),
    ("dilation should be greater than zero", lambda: F.conv2d(X8, W8, dilation=0)),
    ("non-positive groups", lambda: F.conv2d(X8, W8, groups=0)),
    (
        "output padding must be smaller than either stride or dilation",
        lambda: F.conv_transpose2d(X8, tg.randn(5, 2, 3, 3), output_padding=1),
    ),
    (
        "padding must be an int or a tuple",
        lambda: F.conv_transpose2d(X8, tg.randn(5, 2, 3, 3), padding="same"),
    ),
    ("in_channels must be divisible by groups", lambda: nn.Conv2d(3, 4, 3, groups=2)),
    ("out_channels must be divisible by groups", lambda: nn.Conv2d(4, 3, 3, groups=2)),
    ("padding_mode must be one of", lambda: nn.Conv2d(4, 4, 3, padding_mode="foo")),
    ("Invalid padding string 'foo'", lambda: nn.Conv2d(4, 4, 3, padding="foo")),
    ("strided convolutions", lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2)),
    ('Only "zeros" padding mode', lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")),
    ("groups must be a positive integer", lambda: nn.Conv2d(4, 4, 3, groups=0)),
]


@pytest.mark.parametrize("match,fn", ARGUMENT_ERRORS, ids=[m[:30] for m, _ in ARGUMENT_ERRORS])
def test_errors_name_the_bad_arguments(match, fn):
    _raises(match, fn)


def test_errors_are_raised_before_any_numpy_work():
    """The message is tapegrad's, never a NumPy one from inside the kernels."""
    err = _raises("conv2d", lambda: F.conv2d(tg.randn(1, 5, 8, 8), tg.randn(4, 3, 3, 3)))
    assert isinstance(err, tg.ShapeError) and "broadcast" not in str(err)


# ------------------------------------------------------------------ layers
REPRS = [
    (lambda: nn.Conv2d(1, 32, 3, 1), "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"),
    (
        lambda: nn.Conv2d(4, 8, (3, 5), 2, (1, 2), 2, 2, False, "reflect"),
        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), "
        "groups=2, bias=False, padding_mode=reflect)",
    ),
    (
        lambda: nn.Conv2d(4, 8, 3, padding="same"),
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)",
    ),
    (
        lambda: nn.Conv1d(4, 8, 3, padding="valid"),
        "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=valid)",
    ),
    (
        lambda: nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1),
        "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))",
    ),
    (lambda: nn.Conv3d(2, 2, 3), "Conv3d(2, 2, kernel_size=(3, 3, 3), stride=(1, 1, 1))"),
    (lambda: nn.Unfold(3), "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)"),
    (
        lambda: nn.Fold((4, 5), 2),
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)",
    ),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[t.split("(")[0] for _, t in REPRS])
def test_reprs_are_pytorchs(make, text):
    assert repr(make()) == text


def test_parameters_shapes_and_state_dict_keys():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    up = nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)
    assert up.weight.shape == (4, 3, 3) and up.bias is None
    assert list(up.state_dict()) == ["weight"]
    assert list(nn.Unfold(2).state_dict()) == []


@pytest.mark.parametrize(
    "make,fan_in",
    [
        (lambda: nn.Conv2d(8, 32, 3), 72),
        (lambda: nn.Conv1d(6, 40, 5, groups=2), 15),
        (lambda: nn.ConvTranspose2d(8, 16, 3, groups=2), 72),
    ],
)
def test_init_is_pytorchs_uniform_one_over_sqrt_fan_in(make, fan_in):
    tg.manual_seed(0)
    conv = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound  # U(-a, a) has std a/sqrt(3)
    assert np.abs(w).max() > 0.8 * bound
    tg.manual_seed(0)
    np.testing.assert_array_equal(make().weight.detach().numpy(), w)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_pad_first(mode):
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = _t((1, 2, 5, 6), False)
    want = F.conv2d(F.pad(x, (2, 2, 1, 1), mode=mode), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).detach().numpy(), want.detach().numpy(), rtol=1e-12)


def test_same_padding_with_a_padding_mode_pads_the_odd_one_after():
    conv = nn.Conv1d(1, 1, 4, padding="same", padding_mode="circular", bias=False).double()
    assert conv._reversed_padding_repeated_twice == [1, 2]
    x = _t((1, 1, 6), False)
    assert conv(x).shape == (1, 1, 6)


def test_conv_transpose_output_size_picks_the_output_padding():
    up = nn.ConvTranspose2d(2, 3, 3, stride=2)
    x = tg.randn(1, 2, 4, 4)
    assert up(x).shape == (1, 3, 9, 9)
    assert up(x, output_size=(10, 10)).shape == (1, 3, 10, 10)
    assert up(x, output_size=[1, 3, 10, 9]).shape == (1, 3, 10, 9)
    _raises("valid sizes range from [9, 9] to [10, 10]", lambda: up(x, output_size=(12, 12)))


def test_a_small_cnn_learns():
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, groups=2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 2),
    )
    x = tg.randn(16, 1, 7, 7)
    y = tg.tensor((x.numpy()[:, 0, 3, 3] > 0).astype(np.int64))
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_inputs_of_any_layout_give_the_same_result():
    """Flipped (negative strides), transposed and broadcast inputs: the window
    views read them through their own strides."""
    base = RNG.standard_normal((2, 3, 6, 6))
    w = _t((4, 3, 3, 3), False)
    for view in (
        base[:, :, ::-1],
        base.transpose(0, 1, 3, 2),
        np.broadcast_to(base[:1], base.shape),
    ):
        got = F.conv2d(tg.tensor(view), w, padding=1, stride=(1, 2)).numpy()
        want = F.conv2d(tg.tensor(np.ascontiguousarray(view)), w, padding=1, stride=(1, 2))
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12)


def test_numpy_integers_are_accepted_as_arguments():
    x, w = _t((1, 2, 5, 5), False), _t((2, 1, 3, 3), False)
    out = F.conv2d(x, w, stride=np.int64(2), padding=(np.int64(1), 1), groups=np.int64(2))
    assert out.shape == (1, 2, 3, 3)


def test_the_weight_gradient_primitive_refuses_windows_that_do_not_fit():
    from tapegrad.ops.conv import CONV_WEIGHT

    geo = dict(stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    with pytest.raises(tg.ShapeError, match="conv_weight: .* windows do not fit"):
        CONV_WEIGHT.apply(tg.randn(1, 2, 5, 5), tg.randn(1, 3, 4, 4), kernel=(3, 3), **geo)
