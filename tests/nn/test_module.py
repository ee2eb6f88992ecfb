"""Module and Parameter: registration, traversal, modes, state dicts, repr."""

import collections

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.bn = nn.BatchNorm1d(3)
        self.out = nn.Linear(3, 1)
        self.register_buffer("scale", tg.ones(1))
        self.register_buffer("tmp", tg.zeros(1), persistent=False)

    def forward(self, x):
        return self.out(F.relu(self.bn(self.fc(x)))) * self.scale


def test_parameter_requires_grad_by_default():
    p = nn.Parameter(tg.randn(3))
    assert p.requires_grad and p.is_leaf and isinstance(p, tg.Tensor)


def test_parameter_shares_the_array_of_its_tensor():
    t = tg.randn(3)
    assert nn.Parameter(t).detach().numpy() is t.numpy()


def test_ops_on_parameters_record_and_fill_grad():
    p = nn.Parameter(tg.randn(3, 2))
    x = tg.randn(2)
    W = nn.Parameter(tg.randn(4, 2))
    b = nn.Parameter(tg.randn(4))
    y = (p * 2).sum() + (p @ x).sum() + F.linear(tg.randn(5, 2), W, b).sum() + (b + 1).sum()
    y.backward()
    assert type(p * 2) is tg.Tensor
    np.testing.assert_allclose(p.grad.numpy(), 2 + np.broadcast_to(x.numpy(), (3, 2)), rtol=1e-6)
    assert W.grad.shape == (4, 2) and np.allclose(b.grad.numpy(), 6.0)


def test_parameter_repr_says_parameter_containing():
    assert repr(nn.Parameter(tg.zeros(2))).startswith("Parameter containing:\ntensor(")


def test_named_parameters_are_dotted_in_registration_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["fc.weight", "fc.bias", "bn.weight", "bn.bias", "out.weight", "out.bias"]


def test_named_parameters_prefix_and_no_recurse():
    net = Net()
    assert next(iter(net.named_parameters(prefix="m")))[0] == "m.fc.weight"
    assert list(net.named_parameters(recurse=False)) == []


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2


def test_buffers_and_state_dict_order_match_pytorch():
    sd = Net().state_dict()
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == [
        "scale",
        "fc.weight",
        "fc.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
        "out.weight",
        "out.bias",
    ]


def test_state_dict_values_are_detached():
    sd = Net().state_dict()
    assert not sd["fc.weight"].requires_grad and sd["fc.weight"].grad_fn is None


def test_named_buffers_include_non_persistent():
    assert [n for n, _ in Net().named_buffers()][:2] == ["scale", "tmp"]


def test_children_and_named_modules():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["fc", "bn", "out"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "bn", "out"]


def test_train_eval_set_every_module():
    net = Net().eval()
    assert not net.training and not net.bn.training
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_to_none_or_zero():
    net = Net()
    net(tg.randn(4, 2)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(b.fc.weight.detach().numpy(), a.fc.weight.detach().numpy())


def test_load_state_dict_missing_key_raises_naming_it():
    sd = Net().state_dict()
    del sd["fc.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "fc.bias"'):
        Net().load_state_dict(sd)


def test_load_state_dict_unexpected_key_raises_naming_it():
    sd = Net().state_dict()
    sd["extra.weight"] = tg.zeros(1)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "extra.weight"'):
        Net().load_state_dict(sd)


def test_load_state_dict_wrong_shape_names_key_and_both_shapes():
    sd = Net().state_dict()
    sd["fc.weight"] = tg.zeros(3, 3)
    with pytest.raises(RuntimeError) as err:
        Net().load_state_dict(sd, strict=False)
    msg = str(err.value)
    assert "size mismatch for fc.weight" in msg
    assert "shape (3, 3) from checkpoint" in msg and "current model is (3, 2)" in msg


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    sd = Net().state_dict()
    del sd["out.bias"]
    sd["junk"] = tg.zeros(1)
    net = Net()
    result = net.load_state_dict(sd, strict=False)
    assert result == nn.IncompatibleKeys(["out.bias"], ["junk"])
    assert result.missing_keys == ["out.bias"] and result.unexpected_keys == ["junk"]


def test_load_state_dict_copies_in_place_and_bumps_version():
    net = Net()
    w = net.fc.weight
    v = w._version
    net.load_state_dict({k: t * 0 for k, t in Net().state_dict().items()})
    assert net.fc.weight is w and w._version > v and np.all(w.detach().numpy() == 0)


def test_module_repr_is_nested_like_pytorch():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.2)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.2, inplace=False)\n"
        "  )\n"
        ")"
    )


def test_thousand_layer_sequential_forward_backward_and_traversal():
    seq = nn.Sequential(*[nn.Linear(4, 4) for _ in range(1000)])
    assert len(list(seq.modules())) == 1001
    with tg.no_grad():
        for lin in seq:
            lin.weight.copy_(tg.eye(4))
    x = tg.randn(2, 4, requires_grad=True)
    seq(x).sum().backward()
    assert x.grad.shape == (2, 4)
    assert len(seq.state_dict()) == 2000


def test_apply_visits_children_before_parent():
    seen = []
    nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU())).apply(
        lambda m: seen.append(type(m).__name__)
    )
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_converts_parameters_and_buffers():
    net = Net().double()
    assert net.fc.weight.dtype == tg.float64 and net.bn.running_mean.dtype == tg.float64
    assert net.bn.num_batches_tracked.dtype == tg.int64
    assert net.float().fc.weight.dtype == tg.float32


def test_requires_grad_false_freezes_parameters():
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_assigning_a_tensor_to_a_parameter_name_raises():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = tg.zeros(2, 2)


def test_missing_attribute_error_names_it():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        nn.Linear(1, 1).nope


def test_forward_hooks_run_and_can_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    lin(tg.randn(3, 2))
    h.remove()
    lin(tg.randn(3, 2))
    assert calls == [(3, 2)]


def test_sequential_indexing_slicing_and_len():
    seq = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert len(seq[1:]) == 2 and len(seq) == 3


def test_module_list_and_dict_register_parameters():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1)])
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    assert len(list(ml.parameters())) == 4 and [n for n, _ in md.named_parameters()] == [
        "a.weight",
        "a.bias",
    ]


def test_flatten_and_identity():
    x = tg.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Identity(54, unused="x")(x) is x


def test_thousand_deep_nesting_traverses_without_recursion():
    m = nn.Linear(2, 2)
    for _ in range(1000):
        m = nn.Residual(m)
    assert len(list(m.modules())) == 1001
    assert len(list(m.parameters())) == 2
    assert next(iter(m.state_dict())).endswith("block.weight")
    m.eval()
    assert not any(x.training for x in m.modules())


def test_linear_dtype_argument():
    lin = nn.Linear(2, 2, dtype=tg.float64)
    assert lin.weight.dtype == tg.float64 and lin.bias.dtype == tg.float64


def test_a_reassigned_parameter_keeps_its_place_in_the_state_dict():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(5, 3)
            self.decoder = nn.Linear(3, 5)
            self.decoder.weight = self.encoder.weight  # weight tying, as PyTorch programs do

    model = Tied()
    assert list(model.state_dict()) == ["encoder.weight", "decoder.weight", "decoder.bias"]
    assert model.decoder.weight is model.encoder.weight
    assert len(list(model.parameters())) == 2
