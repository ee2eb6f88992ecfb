"""Weight normalisation (``nn.utils.weight_norm``, its parametrization form)
and flattening parameters to a vector (``nn.utils.parameters_to_vector``)."""

import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.nn.utils import parametrizations, parametrize, remove_weight_norm, weight_norm
from tapegrad.nn.weight_norm import norm_except_dim, normalized_weight


def _weight_norm(module, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return weight_norm(module, **kwargs)


# ------------------------------------------------------------ classic form


def test_weight_becomes_g_and_v_in_parameters_and_state_dict():
    lin = nn.Linear(3, 2)
    w = lin.weight.detach().numpy().copy()
    assert _weight_norm(lin) is lin
    assert list(lin.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert lin.weight_g.shape == (2, 1) and lin.weight_v.shape == (2, 3)
    np.testing.assert_allclose(lin.weight_g.detach().numpy()[:, 0], np.linalg.norm(w, axis=1))
    np.testing.assert_array_equal(lin.weight_v.detach().numpy(), w)
    np.testing.assert_allclose(lin.weight.detach().numpy(), w, rtol=1e-6)  # g v/|v| = w
    assert not isinstance(lin.weight, nn.Parameter) and lin.weight.grad_fn is not None


def test_weight_norm_warns_as_pytorch_does():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        weight_norm(nn.Linear(2, 2))


@pytest.mark.parametrize("dim, g_shape", [(0, (4, 1, 1, 1)), (1, (1, 3, 1, 1)), (-2, (1, 1, 2, 1))])
def test_g_has_one_norm_per_slice_along_dim(dim, g_shape):
    conv = _weight_norm(nn.Conv2d(3, 4, 2), dim=dim)
    assert conv.weight_g.shape == g_shape
    v = conv.weight_v.detach().numpy()
    others = tuple(d for d in range(4) if d != dim % 4)
    want = np.sqrt((v**2).sum(axis=others, keepdims=True))
    np.testing.assert_allclose(conv.weight_g.detach().numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("dim", [None, -1])
def test_dim_none_or_minus_one_takes_one_norm_of_everything(dim):
    conv = _weight_norm(nn.Conv2d(3, 4, 2), dim=dim)
    assert conv.weight_g.shape == ()
    np.testing.assert_allclose(
        conv.weight_g.item(), np.linalg.norm(conv.weight_v.detach().numpy()), rtol=1e-6
    )


def test_the_pre_hook_recomputes_the_weight_from_g_and_v():
    lin = _weight_norm(nn.Linear(3, 2, bias=False))
    x = tg.randn(4, 3)
    before = lin(x).detach().numpy()
    with tg.no_grad():
        lin.weight_g.mul_(2.0)
    np.testing.assert_allclose(lin(x).detach().numpy(), 2 * before, rtol=1e-6)


def test_gradients_reach_g_and_v():
    lin = _weight_norm(nn.Linear(3, 2))
    lin(tg.randn(4, 3)).sum().backward()
    assert lin.weight_g.grad.shape == (2, 1) and lin.weight_v.grad.shape == (2, 3)
    # the direction's gradient is orthogonal to v row by row (scaling v changes nothing)
    v, gv = lin.weight_v.detach().numpy(), lin.weight_v.grad.numpy()
    np.testing.assert_allclose((v * gv).sum(axis=1), 0.0, atol=1e-6)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gradcheck_of_the_normalized_weight(dim):
    g_shape = {0: (3, 1), 1: (1, 4), -1: ()}[dim]
    v = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    g = tg.randn(g_shape, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda g, v: normalized_weight(v, g, dim), (g, v))


def test_norm_except_dim_of_a_vector_is_each_elements_size():
    v = tg.tensor([3.0, -4.0])
    np.testing.assert_array_equal(norm_except_dim(v, 2, 0).numpy(), [3.0, 4.0])
    assert norm_except_dim(v, 2, -1).item() == 5.0


def test_remove_weight_norm_folds_g_and_v_into_one_parameter():
    lin = _weight_norm(nn.Linear(3, 2))
    with tg.no_grad():
        lin.weight_g.mul_(3.0)
    want = lin.weight.detach().numpy() * 3.0
    assert remove_weight_norm(lin) is lin
    assert list(lin.state_dict()) == ["bias", "weight"] and isinstance(lin.weight, nn.Parameter)
    np.testing.assert_allclose(lin.weight.detach().numpy(), want, rtol=1e-6)
    x = tg.randn(2, 3)
    np.testing.assert_allclose(
        lin(x).detach().numpy(), x.numpy() @ want.T + lin.bias.detach().numpy(), rtol=1e-6
    )


def test_state_dict_round_trip_between_weight_normed_modules():
    a, b = _weight_norm(nn.Linear(3, 2)), _weight_norm(nn.Linear(3, 2))
    b.load_state_dict(a.state_dict())
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(b(x).detach().numpy(), a(x).detach().numpy())


def test_weight_norm_errors_name_what_was_wrong():
    lin = _weight_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on .* weight"):
        _weight_norm(lin)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        remove_weight_norm(nn.Linear(2, 2))
    with pytest.raises(IndexError, match=r"Dimension out of range .*\[-4, 3\], but got 5"):
        _weight_norm(nn.Conv2d(1, 1, 2), dim=5)
    with pytest.raises(AttributeError, match="foo"):
        _weight_norm(nn.Linear(2, 2), name="foo")
    bn = nn.BatchNorm1d(2)
    with pytest.raises(KeyError, match="running_mean"):
        _weight_norm(bn, name="running_mean")


# ------------------------------------------------------ parametrization form


def test_parametrization_form_keys_class_and_value():
    lin = nn.Linear(3, 2)
    w = lin.weight.detach().numpy().copy()
    assert parametrizations.weight_norm(lin) is lin
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)
    assert list(lin.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    assert parametrize.is_parametrized(lin) and parametrize.is_parametrized(lin, "weight")
    assert not parametrize.is_parametrized(lin, "bias")
    assert not parametrize.is_parametrized(nn.Linear(3, 2))  # (the class itself is untouched)
    np.testing.assert_allclose(lin.weight.detach().numpy(), w, rtol=1e-6)
    assert "(weight): ParametrizationList(\n      (0): _WeightNorm()" in repr(lin)


def test_parametrization_gradients_reach_the_originals():
    lin = parametrizations.weight_norm(nn.Linear(3, 2))
    lin(tg.randn(4, 3)).sum().backward()
    originals = lin.parametrizations.weight
    assert originals.original0.grad.shape == (2, 1) and originals.original1.grad.shape == (2, 3)


def test_assigning_the_weight_stores_its_right_inverse():
    lin = parametrizations.weight_norm(nn.Linear(2, 2))
    new = tg.tensor([[3.0, 4.0], [0.0, 2.0]])
    lin.weight = new
    np.testing.assert_allclose(
        lin.parametrizations.weight.original0.detach().numpy(), [[5.0], [2.0]]
    )
    np.testing.assert_allclose(lin.weight.detach().numpy(), new.numpy(), rtol=1e-6)


def test_remove_parametrizations_restores_the_plain_module():
    lin = parametrizations.weight_norm(nn.Linear(3, 2))
    with tg.no_grad():
        lin.parametrizations.weight.original0.mul_(2.0)
    want = lin.weight.detach().numpy()
    parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and list(lin.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(lin.weight.detach().numpy(), want)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(lin, "weight")


def test_register_parametrization_checks_shape_unless_unsafe():
    class Flatten(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape or dtype"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten())
    lin = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flatten(), unsafe=True)
    assert lin.weight.shape == (4,)
    lin = parametrizations.weight_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="may not change the shape or dtype"):
        parametrize.register_parametrization(lin, "weight", Flatten())  # (after another)
    assert len(lin.parametrizations.weight) == 1 and lin.weight.shape == (2, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(nn.Linear(2, 2), "nope", Flatten())


def test_parametrizations_chain_and_cache():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    lin = nn.Linear(2, 2)
    w = lin.weight.detach().numpy().copy()
    parametrize.register_parametrization(lin, "weight", Double())
    parametrize.register_parametrization(lin, "weight", Double())
    np.testing.assert_allclose(lin.weight.detach().numpy(), 4 * w)
    with parametrize.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight


# --------------------------------------------------------- parameters as vector


def test_vector_to_parameters_views_slices_of_the_vector():
    lin = nn.Linear(2, 3)
    vec = tg.arange(10.0, dtype=tg.float64)  # (one more element than parameters: unused)
    nn.utils.vector_to_parameters(vec, lin.parameters())
    assert lin.weight.dtype == tg.float64 and lin.weight.requires_grad and lin.weight.is_leaf
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6.0, 7.0, 8.0])
    flat = nn.utils.parameters_to_vector(lin.parameters())
    np.testing.assert_array_equal(flat.detach().numpy(), np.arange(9.0))
    with pytest.raises(TypeError, match="expected Tensor, but got: list"):
        nn.utils.vector_to_parameters([0.0] * 9, lin.parameters())
    with pytest.raises(RuntimeError, match="cannot take the shape"):
        nn.utils.vector_to_parameters(tg.arange(7.0), lin.parameters())


# ------------------------------------------------------------- against torch


def _linear_pair(torch, dtype=np.float32, in_f=3, out_f=2):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((out_f, in_f)).astype(dtype)
    b = rng.standard_normal(out_f).astype(dtype)
    pair = []
    for lib in (torch, tg):
        lin = lib.nn.Linear(in_f, out_f).to(getattr(lib, np.dtype(dtype).name))
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
        pair.append(lin)
    return pair


def _forward_backward(pair, x, torch):
    outs = []
    for lib, m in zip((torch, tg), pair):
        out = m(lib.tensor(x))
        (out**2).sum().backward()
        outs.append(out.detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    torch = pytest.importorskip("torch")
    pair = _linear_pair(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(pair[0], dim=dim)
        tg.nn.utils.weight_norm(pair[1], dim=dim)
    assert list(pair[1].state_dict()) == list(pair[0].state_dict())
    _forward_backward(pair, np.random.default_rng(1).standard_normal((4, 3)).astype("f"), torch)
    for name in ("weight_g", "weight_v"):
        t, g = getattr(pair[0], name), getattr(pair[1], name)
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
    torch.nn.utils.remove_weight_norm(pair[0])
    tg.nn.utils.remove_weight_norm(pair[1])
    assert list(pair[1].state_dict()) == list(pair[0].state_dict())
    np.testing.assert_allclose(
        pair[1].weight.detach().numpy(), pair[0].weight.detach().numpy(), rtol=1e-6
    )


@pytest.mark.torch
def test_weight_norm_state_dict_loads_from_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        t = torch.nn.utils.weight_norm(torch.nn.Conv2d(2, 3, 2), dim=1)
        g = _weight_norm(nn.Conv2d(2, 3, 2), dim=1)
    g.load_state_dict({k: tg.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4)).astype("f")
    np.testing.assert_allclose(
        g(tg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.torch
def test_parametrization_weight_norm_matches_torch():
    torch = pytest.importorskip("torch")
    pair = _linear_pair(torch)
    torch.nn.utils.parametrizations.weight_norm(pair[0])
    tg.nn.utils.parametrizations.weight_norm(pair[1])
    assert list(pair[1].state_dict()) == list(pair[0].state_dict())
    assert type(pair[1]).__name__ == type(pair[0]).__name__
    _forward_backward(pair, np.random.default_rng(1).standard_normal((4, 3)).astype("f"), torch)
    for i in (0, 1):
        t = getattr(pair[0].parametrizations.weight, f"original{i}")
        g = getattr(pair[1].parametrizations.weight, f"original{i}")
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
    torch.nn.utils.parametrize.remove_parametrizations(pair[0], "weight")
    tg.nn.utils.parametrize.remove_parametrizations(pair[1], "weight")
    np.testing.assert_allclose(
        pair[1].weight.detach().numpy(), pair[0].weight.detach().numpy(), rtol=1e-6
    )


@pytest.mark.torch
def test_parameters_vector_round_trip_matches_torch():
    torch = pytest.importorskip("torch")
    pair = _linear_pair(torch)
    vecs = [lib.nn.utils.parameters_to_vector(m.parameters()) for lib, m in zip((torch, tg), pair)]
    np.testing.assert_array_equal(vecs[1].detach().numpy(), vecs[0].detach().numpy())
    new = np.arange(9, dtype=np.float64)
    for lib, m in zip((torch, tg), pair):
        lib.nn.utils.vector_to_parameters(lib.tensor(new), m.parameters())
    for pt, pg in zip(pair[0].parameters(), pair[1].parameters()):
        assert str(pg.dtype).split(".")[-1] == str(pt.dtype).split(".")[-1] == "float64"
        np.testing.assert_array_equal(pg.detach().numpy(), pt.detach().numpy())
