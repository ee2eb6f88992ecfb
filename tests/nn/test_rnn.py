"""Recurrent layers and sequence packing: shapes, parameters, init, reprs,
errors and the packed layout (values against PyTorch are in
tests/parity/test_parity_rnn.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tapegrad.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.ops.registry import PRIMITIVES


def _x(*shape):
    return tg.randn(*shape)


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_output_and_state_shapes(kind):
    tg.manual_seed(0)
    m = kind(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    out, h = m(_x(3, 5, 4))
    assert out.shape == (3, 5, 12)
    states = h if kind is nn.LSTM else (h,)
    assert all(s.shape == (4, 3, 6) for s in states)


def test_unbatched_input_gives_unbatched_output():
    m = nn.GRU(4, 6, num_layers=2)
    out, h = m(_x(5, 4))
    assert out.shape == (5, 6) and h.shape == (2, 6)


def test_lstm_proj_size_shapes_and_parameters():
    m = nn.LSTM(4, 6, proj_size=3)
    out, (h, c) = m(_x(5, 2, 4))
    assert out.shape == (5, 2, 3) and h.shape == (1, 2, 3) and c.shape == (1, 2, 6)
    assert m.weight_hr_l0.shape == (3, 6) and m.weight_hh_l0.shape == (24, 3)


def test_parameter_names_and_shapes_follow_pytorch():
    m = nn.LSTM(4, 6, num_layers=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert list(shapes)[:5] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
    ]  # fmt: skip
    assert shapes["weight_ih_l1_reverse"] == (24, 12)
    assert shapes["weight_hh_l1"] == (24, 6) and shapes["bias_hh_l1_reverse"] == (24,)
    assert len(shapes) == 16
    assert not any("bias" in k for k in nn.GRU(4, 6, bias=False).state_dict())


def test_init_is_uniform_in_one_over_sqrt_hidden():
    tg.manual_seed(0)
    m = nn.GRU(30, 25)
    bound = 1 / math.sqrt(25)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.01


def test_reprs_follow_pytorch():
    assert repr(nn.LSTM(3, 4)) == "LSTM(3, 4)"
    assert (
        repr(nn.RNN(3, 4, 2, "relu", False, True, 0.5, True))
        == "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    )
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == (
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    )
    assert repr(nn.GRUCell(2, 3)) == "GRUCell(2, 3)"


def test_dropout_between_layers_only_in_training():
    tg.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = _x(5, 2, 3)
    m.eval()
    with tg.no_grad():
        a, _ = m(x)
        b, _ = m(x)
        m.train()
        c, _ = m(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


def test_flatten_parameters_is_a_no_op():
    m = nn.LSTM(3, 4)
    assert m.flatten_parameters() is None


def test_one_node_per_layer_and_direction():
    m = nn.LSTM(3, 4, bidirectional=True)
    out, _ = m(_x(50, 2, 3))
    seen, stack, kinds = set(), [out.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "prim"):
            continue
        seen.add(id(node))
        kinds.append(node.prim.name)
        stack.extend(p for p in node.parents if p is not None and hasattr(p, "parents"))
    assert kinds.count("lstm_cell") == 2
    assert len(kinds) < 15


def test_cells_have_one_table_entry_each():
    assert {"rnn_cell", "lstm_cell", "gru_cell"} <= set(PRIMITIVES)


@pytest.mark.parametrize("kind", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_shapes_batched_and_unbatched(kind):
    cell = kind(3, 5)
    out = cell(_x(2, 3))
    first = out[0] if kind is nn.LSTMCell else out
    assert first.shape == (2, 5)
    out = cell(_x(3))
    first = out[0] if kind is nn.LSTMCell else out
    assert first.shape == (5,)


def test_errors_name_the_shapes():
    m = nn.LSTM(4, 6)
    with pytest.raises(RuntimeError, match="Expected 4, got 3"):
        m(_x(5, 2, 3))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        m(_x(5, 2, 3, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 6\), got \[1, 3, 6\]"):
        m(_x(5, 2, 4), (_x(1, 3, 6), _x(1, 3, 6)))
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        nn.GRU(4, 6)(_x(5, 2, 4), _x(2, 6))
    with pytest.raises(RuntimeError, match=r"shape \(2, 2\) does not fit input of shape \(2, 3\)"):
        nn.GRUCell(3, 4)(_x(2, 3), _x(2, 2))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.LSTM(3, 4, dropout=2)


# ----------------------------------------------------------------- packing
def test_pad_sequence_shapes_and_padding_side():
    a, b = tg.ones(3, 2), tg.ones(1, 2)
    assert pad_sequence([a, b]).shape == (3, 2, 2)
    out = pad_sequence([a, b], batch_first=True, padding_value=-1.0, padding_side="left")
    assert out.shape == (2, 3, 2)
    assert out.numpy()[1, :, 0].tolist() == [-1.0, -1.0, 1.0]


def test_pack_padded_sequence_layout():
    x = tg.tensor(np.arange(12.0).reshape(4, 3, 1))  # (T, B, 1): x[t, b] = 3 t + b
    packed = pack_padded_sequence(x, [4, 2, 1])
    assert isinstance(packed, PackedSequence)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.data.numpy().ravel().tolist() == [0, 1, 2, 3, 4, 6, 9]
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    data, batch_sizes, sorted_indices, unsorted_indices = packed  # a 4-tuple, as PyTorch's


def test_pack_unsorted_and_back():
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 4, 3)))  # batch_first
    lengths = tg.tensor([2, 4, 1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    padded, lens = pad_packed_sequence(packed, batch_first=True, total_length=5)
    assert padded.shape == (3, 5, 3) and lens.tolist() == [2, 4, 1]
    xt = x.numpy()
    for b, n in enumerate([2, 4, 1]):
        np.testing.assert_array_equal(padded.numpy()[b, :n], xt[b, :n])
        assert not padded.numpy()[b, n:].any()


def test_pack_errors():
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(_x(3, 2, 1), [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(_x(3, 2, 1), [3, 0])
    with pytest.raises(ValueError, match="total_length"):
        pad_packed_sequence(pack_sequence([_x(3, 1)]), total_length=2)
    with pytest.raises(RuntimeError, match=r"\(3, 2\), \(2, 3\)"):
        pad_sequence([_x(3, 2), _x(2, 3)])


def test_layers_take_and_return_packed_sequences():
    m = nn.LSTM(2, 3, bidirectional=True)
    packed = pack_sequence([_x(2, 2), _x(4, 2), _x(1, 2)], enforce_sorted=False)
    out, (h, c) = m(packed)
    assert isinstance(out, PackedSequence) and out.data.shape == (7, 6)
    assert out.sorted_indices.tolist() == packed.sorted_indices.tolist()
    assert h.shape == (2, 3, 3)
    out.data.sum().backward()
    assert m.weight_ih_l0.grad is not None


def test_utils_rnn_imports_as_in_pytorch():
    import tapegrad.nn.utils.rnn as rnn_utils

    assert nn.utils.rnn is rnn_utils and rnn_utils.pad_sequence is pad_sequence
