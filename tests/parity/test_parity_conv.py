"""Convolutions vs PyTorch in float64: values, gradients and second
derivatives of conv1d/2d/3d, conv_transpose1d/2d/3d, unfold and fold across
strides, paddings ('same' and 'valid' too), dilations, groups and odd sizes;
the layers' padding modes, reprs and initialisation."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as tnn

from .helpers import check, check_raises

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.torch,
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel"),
]

rng = np.random.default_rng(11)


def _fn(L):
    return L.nn.functional


def _first_and_second(conv):
    """``fn(L, *tensors)`` returning the output and the gradient of
    ``sum(out^2)`` with respect to every input (recorded): ``check`` compares
    them and then backpropagates through them (second derivatives)."""

    def fn(L, *xs):
        out = conv(L, *xs)
        grads = L.autograd.grad((out * out).sum(), xs, create_graph=True)
        return (out, *grads)

    return fn


# (x shape, weight shape, stride, padding, dilation, groups)
CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 8, 9), (5, 3, 3, 2), 2, 1, 1, 1),
    ((1, 4, 9, 7), (6, 2, 3, 3), (2, 1), (1, 2), (1, 2), 2),
    ((2, 3, 6, 6), (6, 1, 3, 3), 1, 1, 1, 3),
    ((1, 2, 7, 5), (3, 2, 4, 2), 1, "same", 1, 1),
    ((1, 2, 7, 8), (2, 2, 3, 4), 1, "same", (2, 1), 1),
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, "valid", 2, 1),
    ((1, 2, 10, 11), (4, 1, 3, 3), 3, 0, 1, 2),
    ((3, 1, 5, 4), (2, 1, 1, 1), 1, 0, 1, 1),
    ((1, 4, 6, 6), (4, 2, 5, 5), 1, 2, 1, 2),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV2D, ids=str)
def test_conv2d_values_gradients_and_second_derivatives(xs, ws, stride, padding, dilation, groups):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])

    def conv(L, x, w, b):
        return _fn(L).conv2d(x, w, b, stride, padding, dilation, groups)

    check(conv, x, w, b, rtol=1e-9, atol=1e-10)
    check(_first_and_second(conv), x, w, b, rtol=1e-8, atol=1e-9)


CONV1D = [
    ((2, 3, 9), (4, 3, 3), 1, 0, 1, 1),
    ((1, 4, 12), (6, 2, 4), 3, 2, 2, 2),
    ((2, 2, 7), (2, 2, 4), 1, "same", 1, 1),
    ((1, 3, 8), (3, 1, 3), 2, 1, 1, 3),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", CONV1D, ids=str)
def test_conv1d_matches_torch(xs, ws, stride, padding, dilation, groups):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])

    def conv(L, x, w, b):
        return _fn(L).conv1d(x, w, b, stride, padding, dilation, groups)

    check(conv, x, w, b, rtol=1e-9, atol=1e-10)
    check(_first_and_second(conv), x, w, b, rtol=1e-8, atol=1e-9)


def test_conv3d_matches_torch():
    x, w, b = rng.standard_normal((1, 2, 5, 4, 6)), rng.standard_normal((4, 1, 2, 3, 2)), None

    def conv(L, x, w):
        return _fn(L).conv3d(x, w, b, (1, 2, 1), (1, 0, 1), (2, 1, 1), 2)

    check(conv, x, w, rtol=1e-9, atol=1e-10)
    check(_first_and_second(conv), x, w, rtol=1e-8, atol=1e-9)


# (x shape, weight shape, stride, padding, output_padding, groups, dilation)
TRANSPOSED = [
    ((2, 3, 4, 5), (3, 2, 3, 3), 1, 0, 0, 1, 1),
    ((1, 4, 3, 4), (4, 3, 3, 2), 2, 1, 1, 1, 1),
    ((2, 4, 3, 3), (4, 2, 3, 3), (2, 3), (0, 1), (1, 2), 2, 1),
    ((1, 2, 4, 3), (2, 2, 2, 3), 1, 1, (1, 0), 1, 2),
    ((1, 3, 5, 5), (3, 1, 3, 3), 2, 1, 0, 3, (1, 2)),
]


@pytest.mark.parametrize("xs,ws,stride,padding,extra,groups,dilation", TRANSPOSED, ids=str)
def test_conv_transpose2d_matches_torch(xs, ws, stride, padding, extra, groups, dilation):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * groups)

    def conv(L, x, w, b):
        return _fn(L).conv_transpose2d(x, w, b, stride, padding, extra, groups, dilation)

    check(conv, x, w, b, rtol=1e-9, atol=1e-10)
    check(_first_and_second(conv), x, w, b, rtol=1e-8, atol=1e-9)


def test_conv_transpose1d_and_3d_match_torch():
    x, w = rng.standard_normal((2, 4, 5)), rng.standard_normal((4, 3, 3))

    def conv1(L, x, w):
        return _fn(L).conv_transpose1d(x, w, None, 3, 1, 2, 1, 1)

    check(conv1, x, w, rtol=1e-9, atol=1e-10)
    check(_first_and_second(conv1), x, w, rtol=1e-8, atol=1e-9)
    x3, w3 = rng.standard_normal((1, 2, 3, 2, 3)), rng.standard_normal((2, 2, 2, 2, 2))

    def conv3(L, x, w):
        return _fn(L).conv_transpose3d(x, w, None, (2, 1, 1), (0, 1, 0), (1, 0, 0))

    check(conv3, x3, w3, rtol=1e-9, atol=1e-10)


def test_unbatched_convolutions_match_torch():
    x, w = rng.standard_normal((3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    check(lambda L, x, w: _fn(L).conv2d(x, w, padding=1), x, w, rtol=1e-9)
    check(lambda L, x, w: _fn(L).conv_transpose2d(x, w.transpose(0, 1)), x[:4], w, rtol=1e-9)


BLOCKS = [
    ((2, 3, 6, 7), (2, 3), 1, 0, 1),
    ((1, 2, 7, 7), 3, (1, 2), 1, 2),
    ((2, 1, 8, 6), (3, 2), 2, (1, 0), (2, 3)),
]


@pytest.mark.parametrize("xs,k,dilation,padding,stride", BLOCKS, ids=str)
def test_unfold_and_fold_match_torch(xs, k, dilation, padding, stride):
    x = rng.standard_normal(xs)

    def unfold(L, x):
        return _fn(L).unfold(x, k, dilation, padding, stride)

    cols = check(unfold, x, rtol=1e-12)[0].detach().numpy()
    check(_first_and_second(lambda L, x: unfold(L, x).sin()), x, rtol=1e-9, atol=1e-10)

    def fold(L, c):
        return _fn(L).fold(c, xs[2:], k, dilation, padding, stride)

    check(fold, rng.standard_normal(cols.shape), rtol=1e-12)
    check(_first_and_second(lambda L, c: fold(L, c).sin()), cols, rtol=1e-9, atol=1e-10)


def test_float32_convolution_matches_torch():
    x = rng.standard_normal((4, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    check(lambda L, x, w: _fn(L).conv2d(x, w, padding=1), x, w, rtol=1e-4, atol=1e-4)


ERRORS = [
    lambda L, x: _fn(L).conv2d(x, L.ones(4, 3, 3, 3, dtype=L.float64)),
    lambda L, x: _fn(L).conv2d(x, L.ones(4, 5, 9, 9, dtype=L.float64)),
    lambda L, x: _fn(L).conv2d(x, L.ones(3, 5, 3, 3, dtype=L.float64), groups=2),
    lambda L, x: _fn(L).conv2d(x, L.ones(4, 5, 3, 3, dtype=L.float64), padding="same", stride=2),
    lambda L, x: _fn(L).conv2d(x, L.ones(4, 5, 3, 3, dtype=L.float64), stride=0),
    lambda L, x: _fn(L).conv_transpose2d(x, L.ones(5, 2, 3, 3, dtype=L.float64), output_padding=1),
    lambda L, x: _fn(L).unfold(x, 9),
    lambda L, x: _fn(L).fold(x[0], (8, 8), 3),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_both_refuse_the_same_arguments(fn):
    check_raises(fn, rng.standard_normal((1, 5, 8, 8)))


# ------------------------------------------------------------------ layers
LAYERS = [
    ("Conv1d", (3, 4, 3), {}),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="circular", groups=2)),
    ("Conv2d", (1, 32, 3, 1), {}),
    ("Conv2d", (4, 8, (3, 5)), dict(stride=2, padding=(1, 2), dilation=2, groups=2, bias=False)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="reflect")),
    ("Conv2d", (2, 3, (2, 3)), dict(padding=(1, 2), padding_mode="replicate")),
    ("Conv2d", (2, 3, 4), dict(padding="same", padding_mode="circular")),
    ("Conv2d", (4, 8, 3), dict(padding="same", dilation=2)),
    ("Conv2d", (4, 8, 3), dict(padding="valid")),
    ("Conv3d", (2, 2, 3), dict(padding=1, padding_mode="reflect")),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, output_padding=1, groups=2)),
    ("ConvTranspose2d", (4, 8, 3), dict(stride=2, padding=1, output_padding=1, dilation=1)),
    ("ConvTranspose2d", (2, 4, (2, 3)), dict(dilation=2, bias=False)),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=(1, 2, 1))),
]


def _pair_of_layers(name, args, kwargs):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args, **kwargs).double()
    g = getattr(tnn, name)(*args, **kwargs).double()
    g.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, g


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_layers_match_torch(name, args, kwargs):
    t, g = _pair_of_layers(name, args, kwargs)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert g._reversed_padding_repeated_twice == list(t._reversed_padding_repeated_twice)
    dims = int(name[-2])
    x = rng.standard_normal((2, args[0]) + (7, 6, 5)[:dims])
    xt, xg = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    out_t, out_g = t(xt), g(xg)
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), rtol=1e-9)
    cot = rng.standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(cot)).sum().backward()
    (out_g * tg.tensor(cot)).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (k, pt), (_, pg) in zip(t.named_parameters(), g.named_parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-9, err_msg=k)


def test_conv_transpose_output_size_matches_torch():
    t, g = _pair_of_layers("ConvTranspose2d", (2, 3, 3), dict(stride=3, padding=1))
    x = rng.standard_normal((1, 2, 4, 4))
    for size in [(10, 10), (11, 12), [1, 3, 12, 10]]:
        want = t(torch.tensor(x), output_size=size).detach().numpy()
        got = g(tg.tensor(x), output_size=size).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9)
    with pytest.raises(ValueError):
        t(torch.tensor(x), output_size=(13, 13))
    with pytest.raises(ValueError):
        g(tg.tensor(x), output_size=(13, 13))


def test_block_layers_reprs_match_torch():
    for name, args, kwargs in [
        ("Unfold", (3,), {}),
        ("Unfold", ((2, 3),), dict(dilation=2, padding=1, stride=(1, 2))),
        ("Fold", ((4, 5), 2), {}),
    ]:
        assert repr(getattr(tnn, name)(*args, **kwargs)) == repr(
            getattr(torch.nn, name)(*args, **kwargs)
        )


@pytest.mark.parametrize(
    "name,args",
    [("Conv2d", (16, 64, 3)), ("Conv1d", (8, 48, 5, 1, 0, 1, 2)), ("ConvTranspose2d", (32, 8, 3))],
)
def test_init_ranges_match_torch(name, args):
    torch.manual_seed(0)
    tg.manual_seed(0)
    t, g = getattr(torch.nn, name)(*args), getattr(tnn, name)(*args)
    fan_in = t.weight.shape[1] * math.prod(t.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for pt, pg in [(t.weight, g.weight), (t.bias, g.bias)]:
        a, b = pt.detach().numpy(), pg.detach().numpy()
        assert a.shape == b.shape and b.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
    assert abs(g.weight.detach().numpy().std() - t.weight.detach().numpy().std()) < 0.1 * bound
