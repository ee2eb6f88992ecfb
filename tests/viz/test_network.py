"""Network diagrams and their conversion into computation graphs."""

import pytest
from vizhelpers import needs_dot, svg_root

import tapegrad as tg
from tapegrad import nn
from tapegrad.viz import build_graph, network


@pytest.fixture
def lecture():
    return network.lecture_network()


def test_lecture_network_forward_and_loss(lecture):
    model, x, t = lecture
    y = model(tg.tensor([x]))
    assert y.item() == pytest.approx(6.0)
    loss = network.network_to_graph(model, x, t)
    assert loss.item() == pytest.approx(12.5)


def test_diagram_has_one_circle_per_unit_and_no_loss(lecture):
    model, _, _ = lecture
    text = network.draw_network(model, format="dot")
    units = [line for line in text.splitlines() if line.strip().startswith("u")]
    circles = [line for line in units if "->" not in line]
    assert len(circles) == 1 + 2 + 3 + 1
    assert "ReLU" in text and "loss" not in text
    assert text.count("->") == 1 * 2 + 2 * 3 + 3 * 1
    assert 'pos="' in text  # pinned positions


def test_weights_label_the_edges(lecture):
    model, _, _ = lecture
    text = network.draw_network(model, format="dot")
    labels = [line for line in text.splitlines() if line.strip().startswith("w")]
    assert len(labels) == 11
    assert 'label="0.333"' in text and 'label="3"' in text


def test_wide_layers_are_faded_with_a_note():
    tg.manual_seed(0)
    model = nn.MLP([4, 30, 2])
    text = network.draw_network(model, format="dot", max_units=12)
    assert "faded and unlabelled" in text and "30 units" in text
    assert "more" in text
    assert "penwidth=0.4" in text


def test_rejects_what_is_not_a_stack_of_linear_layers():
    with pytest.raises(ValueError, match="LayerNorm"):
        network.draw_network(nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)), format="dot")


def test_scalar_graph_has_every_weight_feature_label_and_bias_as_a_node(lecture):
    model, x, t = lecture
    g = build_graph(network.network_to_graph(model, x, t), grads=True)
    names = {v.name for v in g.vars}
    weights = {f"W1_{j}1" for j in (1, 2)} | {f"W2_{j}{i}" for j in (1, 2, 3) for i in (1, 2)}
    weights |= {f"W3_1{i}" for i in (1, 2, 3)}
    biases = {"b1_1", "b1_2", "b2_1", "b2_2", "b2_3", "b3_1"}
    assert weights | biases | {"x1", "t", "loss", "y"} <= names
    # gradients match the matrix form of backprop: dloss/dW3 = r o2^T with r = y - t = 5
    assert float(g.by_name("W3_13").grad) == pytest.approx(15.0)
    assert float(g.by_name("b3_1").grad) == pytest.approx(5.0)


def test_tensor_graph_for_larger_networks_matches_scalar_graph(lecture):
    model, x, t = lecture
    big = network.network_to_graph(model, x, t, scalar=False)
    small = network.network_to_graph(model, x, t, scalar=True)
    assert big.item() == pytest.approx(small.item())
    names = {v.name for v in build_graph(big).vars}
    assert {"W1", "b1", "W2", "b2", "W3", "b3", "loss"} <= names


@needs_dot
def test_network_svg_and_side_by_side(tmp_path, lecture):
    model, x, t = lecture
    root, ns = svg_root(network.draw_network(model))
    nodes = [g for g in root.iter(f"{ns}g") if g.get("class") == "node"]
    circles = [g for g in nodes if g.find(f"{ns}ellipse") is not None]
    assert len(circles) == 7
    path = network.draw_network(model, path=tmp_path / "side.svg", side_by_side=True, x=x, target=t)
    root, ns = svg_root(path.read_bytes())
    assert len(root.findall(f"{ns}svg")) == 2
