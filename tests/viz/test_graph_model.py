"""The neutral graph model extracted from a tensor's history."""

import pytest
from vizhelpers import DY_DX, DY_DZ, Y

import tapegrad as tg
from tapegrad.viz.graph import FreedGraphError, build_graph


def test_program_names_follow_the_slide_in_program_order(program_graph):
    _, g = program_graph
    assert [v.name for v in g.vars] == ["x", "z", "a", "b", "c", "d", "e", "f", "v1", "y"]


def test_unnamed_variables_are_numbered_in_forward_order(expression_output):
    y, _, _ = expression_output
    g = build_graph(y)
    unnamed = [v.name for v in g.vars if v.name not in ("x", "z")]
    assert unnamed[:-1] == [f"v{i}" for i in range(1, len(unnamed))]
    assert g.vars[g.output] is g.vars[-1]


def test_arguments_keep_their_order_and_repeats():
    a = tg.tensor(3.0, requires_grad=True, name="a")
    b = tg.tensor(4.0, requires_grad=True, name="b")
    q = a / b
    sq = a * a
    gq, gs = build_graph(q), build_graph(sq)
    assert [gq.vars[i].name for i in gq.vars[gq.output].args] == ["a", "b"]
    assert gs.vars[gs.output].args == [0, 0]
    assert len(gs.edges()) == 2


def test_values_and_gradients_without_calling_backward(expression_output):
    y, x, z = expression_output
    g = build_graph(y, values=True, grads=True)
    assert float(g.vars[g.output].value) == pytest.approx(Y, rel=1e-12)
    assert float(g.by_name("x").grad) == pytest.approx(DY_DX, rel=1e-12)
    assert float(g.by_name("z").grad) == pytest.approx(DY_DZ, rel=1e-12)
    assert x.grad is None and z.grad is None  # the user's .grad is untouched
    y.backward()  # and the graph is still usable afterwards
    assert x.grad.item() == pytest.approx(DY_DX, rel=1e-12)


def test_partials_come_from_the_primitive_table(program_graph):
    _, g = program_graph
    assert g.by_name("e").partials == ("1/b", "-a/b**2")
    assert g.by_name("d").partials == ("exp(a)",)


def test_constants_are_nodes_without_gradient():
    x = tg.tensor(2.0, requires_grad=True, name="x")
    g = build_graph(x * 3.0, grads=True)
    const = [v for v in g.vars if v.kind == "constant"]
    assert len(const) == 1 and const[0].grad is None and float(const[0].value) == 3.0


def test_freed_graph_raises_a_clear_error():
    x = tg.tensor(2.0, requires_grad=True)
    y = tg.exp(x) * 2.0
    y.backward()
    with pytest.raises(FreedGraphError, match="retain_graph"):
        build_graph(y)


def test_thousand_node_chain_builds_without_recursion_error():
    x = tg.tensor(0.5, dtype=tg.float64, requires_grad=True, name="x")
    y = x
    for _ in range(1200):
        y = tg.sin(y) + 0.001
    g = build_graph(y, grads=True)
    assert len(g.vars) > 2000
    assert g.by_name("x").grad is not None


def test_names_mapping_labels_parameters():
    from tapegrad import nn

    tg.manual_seed(0)
    model = nn.Linear(2, 1)
    x = tg.tensor([[1.0, 2.0]], name="x")
    g = build_graph(model(x).sum(), names=dict(model.named_parameters()))
    assert {"weight", "bias", "x"} <= {v.name for v in g.vars}
