"""Optimizer base: groups, zero_grad, in-place no-graph updates, state dicts, errors."""

import pytest

import tapegrad as tg
from tapegrad import optim
from tapegrad.backend import host as np
from tapegrad.tensor import from_numpy

ALL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.EMAMomentum, dict(lr=0.1)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.RMSprop, dict(centered=True, momentum=0.5)),
    (optim.Adagrad, dict()),
]
IDS = [c.__name__ for c, _ in ALL]


def _params(dtype=tg.float32):
    return [
        tg.randn(3, 2, dtype=dtype, requires_grad=True),
        tg.randn(2, dtype=dtype, requires_grad=True),
    ]


def _loss(params):
    w, b = params
    x = tg.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], dtype=w.dtype)
    return ((x @ w + b) ** 2).sum()


def _train(opt, params, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        _loss(params).backward()
        opt.step()


@pytest.mark.parametrize("cls,kw", ALL, ids=IDS)
def test_step_keeps_float32_updates_in_place_and_records_no_graph(cls, kw):
    tg.manual_seed(0)
    params = _params()
    arrays = [p.detach().numpy() for p in params]
    opt = cls(params, **kw)
    _train(opt, params)
    for p, arr in zip(params, arrays):
        assert p.detach().numpy() is arr
        assert p.dtype == tg.float32
        assert p.grad_fn is None and p.requires_grad and p.is_leaf
        # one write per step; AdamW's decoupled decay is a second write, as in PyTorch
        assert p._version == (6 if cls is optim.AdamW else 3)
    for state in opt.state.values():
        for key, value in state.items():
            assert value.dtype == tg.float32, key


@pytest.mark.parametrize("cls,kw", ALL, ids=IDS)
def test_parameters_without_grad_are_skipped(cls, kw):
    a, b = _params()
    before = b.detach().numpy().copy()
    opt = cls([a, b], **kw)
    (a**2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.data, before)
    assert b not in opt.state or "step" not in opt.state[b] or float(opt.state[b]["step"]) == 0


def test_zero_grad_sets_none_by_default_and_zeros_in_place_on_request():
    params = _params()
    opt = optim.SGD(params)
    _loss(params).backward()
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad
    np.testing.assert_array_equal(grad.data, 0)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_returns_the_closure_loss():
    params = _params()
    opt = optim.SGD(params, lr=0.01)

    def closure():
        opt.zero_grad()
        loss = _loss(params)
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.requires_grad  # the closure ran with grad enabled


def test_parameter_groups_take_defaults_for_missing_options():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"] == [b]


def test_add_param_group_adds_a_group():
    a, b = _params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)


def test_a_parameter_in_two_groups_is_an_error():
    a, b = _params()
    opt = optim.SGD([a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a, b]})


def test_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])


def test_a_single_tensor_instead_of_an_iterable_is_an_error():
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(tg.zeros(2, requires_grad=True))


def test_non_leaf_parameter_is_an_error():
    a = tg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2])


@pytest.mark.parametrize(
    "cls,kw,msg",
    [
        (optim.SGD, dict(lr=-1), "learning rate"),
        (optim.SGD, dict(nesterov=True), "Nesterov"),
        (optim.Adam, dict(betas=(1.0, 0.9)), "beta parameter at index 0"),
        (optim.RMSprop, dict(alpha=-0.1), "alpha"),
        (optim.Adagrad, dict(eps=-1), "epsilon"),
        (optim.EMAMomentum, dict(beta=1.0), "beta"),
    ],
)
def test_invalid_hyperparameters_are_rejected(cls, kw, msg):
    with pytest.raises(ValueError, match=msg):
        cls(_params(), **kw)


@pytest.mark.parametrize("cls,kw", ALL, ids=IDS)
def test_state_dict_round_trip_continues_the_same_run(cls, kw):
    tg.manual_seed(1)
    params = _params()
    opt = cls(params, **kw)
    _train(opt, params)
    twin = [from_numpy(p.detach().numpy().copy()).requires_grad_() for p in params]
    opt2 = cls(twin, **{**kw, "lr": 123.0})
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _train(opt, params)
    _train(opt2, twin)
    for p, q in zip(params, twin):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_numbers_parameters_across_groups():
    a, b = _params()
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    _loss([a, b]).backward()
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sorted(sd["state"]) == [0, 1]
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq"}
    assert float(sd["state"][1]["step"]) == 1.0


def test_load_state_dict_copies_the_buffers():
    params = _params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    _train(opt, params, 1)
    sd = opt.state_dict()
    opt2 = optim.SGD(params, lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    assert (
        opt2.state[params[0]]["momentum_buffer"].numpy()
        is not sd["state"][0]["momentum_buffer"].numpy()
    )


def test_load_state_dict_with_wrong_group_count_is_an_error():
    a, b = _params()
    sd = optim.SGD([{"params": [a]}, {"params": [b]}]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([a, b]).load_state_dict(sd)


def test_load_state_dict_with_wrong_group_size_is_an_error():
    a, b = _params()
    sd = optim.SGD([a]).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a, b]).load_state_dict(sd)


def test_load_state_dict_with_wrong_buffer_shape_names_key_and_shapes():
    params = _params()
    opt = optim.Adam(params)
    _train(opt, params, 1)
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = tg.zeros(4)
    with pytest.raises(ValueError, match=r"state\[0\]\['exp_avg'\] has shape \(4,\).*\(3, 2\)"):
        optim.Adam(params).load_state_dict(sd)


def test_load_state_dict_of_something_else_is_an_error():
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optim.SGD(_params()).load_state_dict({"weight": tg.zeros(2)})


def test_load_state_dict_with_unknown_parameter_index_is_an_error():
    params = _params()
    opt = optim.SGD(params, momentum=0.9)
    _train(opt, params, 1)
    sd = opt.state_dict()
    sd["state"][7] = sd["state"].pop(0)
    with pytest.raises(ValueError, match="state entry 7 names no parameter"):
        optim.SGD(params, momentum=0.9).load_state_dict(sd)
