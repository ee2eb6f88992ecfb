"""``nn.summary`` (torchinfo's table) and ``viz.draw_model`` (the layer graph)."""

import shutil

import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
from tapegrad.viz import draw_model, model_to_dot


class Net(nn.Module):
    """Layers and functions mixed, as PyTorch programs write them."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.bn = nn.BatchNorm1d(32)
        self.head = nn.Sequential(nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10))

    def forward(self, x):
        x = tg.flatten(x, 1)
        x = F.relu(self.bn(self.fc1(x)))
        return F.log_softmax(self.head(x), dim=1)


def test_summary_rows_shapes_and_counts():
    s = nn.summary(Net(), (2, 8, 8), verbose=0)
    rows = s.rows()
    assert rows[0] == ("Net", "[2, 10]", "--")
    assert rows[1] == ("├─Linear: 1-1", "[2, 32]", "2,080")
    assert rows[2] == ("├─BatchNorm1d: 1-2", "[2, 32]", "64")
    assert rows[3] == ("└─Sequential: 1-3", "[2, 10]", "--")
    assert rows[4] == ("    ├─Linear: 2-1", "[2, 16]", "528")
    assert rows[5] == ("    ├─Tanh: 2-2", "[2, 16]", "--")
    assert rows[6] == ("    └─Linear: 2-3", "[2, 10]", "170")
    assert s.total_params == s.trainable_params == 2080 + 64 + 528 + 170
    assert s.param_bytes == 4 * s.total_params
    assert s.input_bytes == 2 * 64 * 4


def test_summary_prints_the_table(capsys):
    nn.summary(Net(), (2, 8, 8))
    out = capsys.readouterr().out
    assert "Layer (type:depth-idx)" in out and "Total params: 2,842" in out
    assert "Non-trainable params: 0" in out and "Estimated Total Size (MB)" in out


def test_summary_depth_folds_containers():
    rows = nn.summary(Net(), (2, 8, 8), depth=1, verbose=0).rows()
    assert rows[-1] == ("└─Sequential: 1-3", "[2, 10]", "698")
    assert len(rows) == 4


def test_summary_counts_frozen_parameters_and_leaves_the_model_as_it_was():
    net = Net()
    net.fc1.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    s = nn.summary(net, (4, 8, 8), verbose=0)
    assert s.total_params - s.trainable_params == 64 * 32
    assert net.training
    for k, v in net.state_dict().items():  # running statistics untouched
        assert tg.equal(v, before[k]), k


def test_summary_of_a_shape_the_model_cannot_take_names_shape_and_layer():
    with pytest.raises(ValueError, match=r"input of shape \[2, 7, 7\] fails in fc1"):
        nn.summary(Net(), (2, 7, 7), verbose=0)


def test_summary_needs_an_input():
    with pytest.raises(TypeError, match="input_size"):
        nn.summary(Net())


def test_model_graph_follows_the_data_and_names_the_functions_between_layers():
    dot = model_to_dot(Net(), (2, 8, 8))
    assert 'in0 [label="input\\n[2, 8, 8]"' in dot
    assert 'in0 -> l0 [label="reshape\\n[2, 64]"]' in dot
    assert 'l0 -> l1 [label="[2, 32]"]' in dot
    assert 'l1 -> l2 [label="relu\\n[2, 32]"]' in dot  # bn -> head.0 through F.relu
    assert 'l4 -> out [label="logsoftmax\\n[2, 10]"]' in dot
    assert "head.1: Tanh" in dot and "fc1: Linear\\n2,080 params" in dot


def test_model_graph_joins_branches():
    class TwoWays(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)
            self.b = nn.Linear(4, 3)
            self.c = nn.Linear(3, 2)

        def forward(self, x):
            return self.c(self.a(x) + self.b(x))

    dot = model_to_dot(TwoWays(), (5, 4))
    assert 'l0 -> l2 [label="add\\n[5, 3]"]' in dot
    assert 'l1 -> l2 [label="add\\n[5, 3]"]' in dot
    assert 'in0 -> l0 [label="[5, 4]"]' in dot and 'in0 -> l1 [label="[5, 4]"]' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_draw_model_writes_an_svg(tmp_path):
    path = draw_model(Net(), (1, 8, 8), path=tmp_path / "net.svg")
    text = path.read_text()
    assert text.lstrip().startswith("<?xml") and "fc1: Linear" in text
