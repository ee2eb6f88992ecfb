"""Recurrent layers against PyTorch: the same weights (float64, copied
through NumPy), the same inputs; outputs, final states and the gradients of
the input, the initial states and every parameter compared.  Covers stacked
and bidirectional layers, batch_first, initial states, unbatched input,
proj_size, packed sequences (sorted and unsorted) and the cells; second
derivatives of the cell primitives through their recorded vjps."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as tnn
from tapegrad.nn.utils import rnn as trnn

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as prnn  # noqa: E402

RTOL, ATOL = 1e-9, 1e-10


def _pair(kind, *args, **kwargs):
    """The torch module and a tapegrad one with the same float64 weights."""
    torch.manual_seed(0)
    mod_t = getattr(torch.nn, kind)(*args, **kwargs).double()
    mod_g = getattr(tnn, kind)(*args, **kwargs).double()
    state = {k: tg.tensor(v.detach().numpy().copy()) for k, v in mod_t.state_dict().items()}
    mod_g.load_state_dict(state)
    return mod_t, mod_g


def _leaves(arrays):
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = [tg.tensor(a, requires_grad=True) for a in arrays]
    return t, g


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    if isinstance(out, (prnn.PackedSequence, trnn.PackedSequence)):
        return [out.data]
    return [out]


def _compare(mod_t, mod_g, out_t, out_g, leaves_t, leaves_g, seed=1):
    flat_t, flat_g = _flat(out_t), _flat(out_g)
    assert len(flat_t) == len(flat_g)
    rng = np.random.default_rng(seed)
    loss_t, loss_g = 0, 0
    for a, b in zip(flat_t, flat_g):
        assert tuple(b.shape) == tuple(a.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), RTOL, ATOL)
        w = rng.standard_normal(tuple(a.shape))
        loss_t = loss_t + (a * torch.tensor(w)).sum()
        loss_g = loss_g + (b * tg.tensor(w)).sum()
    loss_t.backward()
    loss_g.backward()
    for a, b in zip(leaves_t, leaves_g):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), RTOL, ATOL)
    grads_t = {k: p.grad for k, p in mod_t.named_parameters()}
    for k, p in mod_g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[k].numpy(), RTOL, ATOL, err_msg=k)


LAYERS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"proj_size": 3}),
    ("GRU", {}),
]
SETTINGS = [
    dict(num_layers=1),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=3, batch_first=True, bias=False),
    dict(num_layers=2, bidirectional=True, batch_first=True),
]


def _ids(params):
    return "-".join(f"{k}={v}" for k, v in params.items()) or "default"


@pytest.mark.parametrize("kind,extra", LAYERS, ids=[k + _ids(e) for k, e in LAYERS])
@pytest.mark.parametrize("setting", SETTINGS, ids=_ids)
@pytest.mark.parametrize("initial", [False, True], ids=["zero state", "initial state"])
def test_layer_matches_torch(kind, extra, setting, initial):
    mod_t, mod_g = _pair(kind, 4, 5, **extra, **setting)
    rng = np.random.default_rng(2)
    batch, steps = 3, 6
    shape = (batch, steps, 4) if setting.get("batch_first") else (steps, batch, 4)
    arrays = [rng.standard_normal(shape)]
    layers = setting["num_layers"] * (2 if setting.get("bidirectional") else 1)
    if initial:
        arrays.append(rng.standard_normal((layers, batch, extra.get("proj_size", 5))))
        if kind == "LSTM":
            arrays.append(rng.standard_normal((layers, batch, 5)))
    lt, lg = _leaves(arrays)
    hx_t = hx_g = None
    if initial:
        hx_t = tuple(lt[1:]) if kind == "LSTM" else lt[1]
        hx_g = tuple(lg[1:]) if kind == "LSTM" else lg[1]
    _compare(mod_t, mod_g, mod_t(lt[0], hx_t), mod_g(lg[0], hx_g), lt, lg)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_torch(kind):
    mod_t, mod_g = _pair(kind, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((5, 3)), rng.standard_normal((4, 4))]
    if kind == "LSTM":
        arrays.append(rng.standard_normal((4, 4)))
    lt, lg = _leaves(arrays)
    hx_t = tuple(lt[1:]) if kind == "LSTM" else lt[1]
    hx_g = tuple(lg[1:]) if kind == "LSTM" else lg[1]
    _compare(mod_t, mod_g, mod_t(lt[0], hx_t), mod_g(lg[0], hx_g), lt, lg)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_input_matches_torch(kind, enforce_sorted, bidirectional):
    mod_t, mod_g = _pair(kind, 3, 4, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(4)
    lengths = [5, 4, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4, 3]
    layers = 2 * (2 if bidirectional else 1)
    arrays = [rng.standard_normal((5, 5, 3)), rng.standard_normal((layers, 5, 4))]
    if kind == "LSTM":
        arrays.append(rng.standard_normal((layers, 5, 4)))
    lt, lg = _leaves(arrays)
    pt = prnn.pack_padded_sequence(lt[0], lengths, enforce_sorted=enforce_sorted)
    pg = trnn.pack_padded_sequence(lg[0], lengths, enforce_sorted=enforce_sorted)
    assert pg.batch_sizes.tolist() == pt.batch_sizes.tolist()
    if enforce_sorted:
        assert pg.sorted_indices is None and pg.unsorted_indices is None
    else:
        assert pg.sorted_indices.tolist() == pt.sorted_indices.tolist()
        assert pg.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    hx_t = tuple(lt[1:]) if kind == "LSTM" else lt[1]
    hx_g = tuple(lg[1:]) if kind == "LSTM" else lg[1]
    out_t, h_t = mod_t(pt, hx_t)
    out_g, h_g = mod_g(pg, hx_g)
    assert isinstance(out_g, trnn.PackedSequence)
    pad_t = prnn.pad_packed_sequence(out_t, batch_first=True, padding_value=-1.0)
    pad_g = trnn.pad_packed_sequence(out_g, batch_first=True, padding_value=-1.0)
    assert pad_g[1].tolist() == pad_t[1].tolist()
    _compare(mod_t, mod_g, (pad_t[0], h_t), (pad_g[0], h_g), lt, lg)


@pytest.mark.parametrize("kind,extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                        ("LSTMCell", {}), ("GRUCell", {}),
                                        ("GRUCell", {"bias": False})])  # fmt: skip
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(kind, extra, batched):
    mod_t, mod_g = _pair(kind, 3, 4, **extra)
    rng = np.random.default_rng(5)
    lead = (2,) if batched else ()
    arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (4,))]
    if kind == "LSTMCell":
        arrays.append(rng.standard_normal(lead + (4,)))
    lt, lg = _leaves(arrays)
    hx_t = tuple(lt[1:]) if kind == "LSTMCell" else lt[1]
    hx_g = tuple(lg[1:]) if kind == "LSTMCell" else lg[1]
    _compare(mod_t, mod_g, mod_t(lt[0], hx_t), mod_g(lg[0], hx_g), lt, lg)


def test_pad_and_pack_sequence_match_torch():
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 5, 1)]
    lt, lg = _leaves(arrays)
    for batch_first in (False, True):
        for side in ("right", "left"):
            a = prnn.pad_sequence(lt, batch_first, 7.0, side)
            b = trnn.pad_sequence(lg, batch_first, 7.0, side)
            np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())
    pt, pg = prnn.pack_sequence(lt, enforce_sorted=False), trnn.pack_sequence(lg, False)
    np.testing.assert_array_equal(pg.data.detach().numpy(), pt.data.detach().numpy())
    pad_t, len_t = prnn.pad_packed_sequence(pt, total_length=7)
    pad_g, len_g = trnn.pad_packed_sequence(pg, total_length=7)
    assert len_g.tolist() == len_t.tolist() and len_g.dtype == tg.int64
    _compare_grads = [(pad_t * torch.arange(pad_t.numel()).reshape(pad_t.shape)).sum(),
                      (pad_g * tg.arange(pad_g.numel()).reshape(pad_g.shape)).sum()]  # fmt: skip
    _compare_grads[0].backward()
    _compare_grads[1].backward()
    for a, b in zip(lt, lg):
        np.testing.assert_array_equal(b.grad.numpy(), a.grad.numpy())
    for a, b in zip(prnn.unpack_sequence(pt), trnn.unpack_sequence(pg)):
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_second_derivatives_match_torch(kind):
    """A gradient penalty through a layer: d/dW of |d loss / dx|^2."""
    mod_t, mod_g = _pair(kind, 3, 4, bidirectional=True)
    rng = np.random.default_rng(7)
    lt, lg = _leaves([rng.standard_normal((4, 2, 3))])
    penalties = []
    for lib, mod, x in ((torch, mod_t, lt[0]), (tg, mod_g, lg[0])):
        out, _ = mod(x)
        (gx,) = lib.autograd.grad((out**2).sum(), [x], create_graph=True)
        penalty = (gx**2).sum()
        penalty.backward()
        penalties.append(penalty.item())
    np.testing.assert_allclose(penalties[1], penalties[0], RTOL)
    np.testing.assert_allclose(lg[0].grad.numpy(), lt[0].grad.numpy(), RTOL, ATOL)
    grads_t = {k: p.grad for k, p in mod_t.named_parameters()}
    for k, p in mod_g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[k].numpy(), RTOL, ATOL, err_msg=k)
