"""The lecture's worked examples: exact numbers against closed forms."""

import math

import pytest

from tapegrad.lecture import relu_network, worked_example

X, Z = 2.0, 3.0
LN = math.log(X)
Y = math.exp(X * Z) + X * Z / LN + math.sin(LN) / (X * Z)
DY_DX = (
    Z * math.exp(X * Z)
    + Z / LN
    - Z / LN**2
    + math.cos(LN) / (X * X * Z)
    - math.sin(LN) / (X * X * Z)
)
DY_DZ = X * math.exp(X * Z) + X / LN - math.sin(LN) / (X * Z * Z)
G_B = -X * Z / LN**2 + math.cos(LN) / (X * Z)
G_A = -math.sin(LN) / (X * Z) ** 2 + 1 / LN + math.exp(X * Z)


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=0)


def test_worked_example_forward_values_match_the_closed_form():
    v = worked_example().values
    assert close(v["y"], Y) and close(v["y"], 412.19145728412)
    assert v["a"] == 6.0
    assert close(v["b"], math.log(2.0))
    assert close(v["c"], math.sin(LN)) and close(v["d"], math.exp(6.0))
    assert close(v["e"], 6.0 / LN) and close(v["f"], math.sin(LN) / 6.0)


def test_worked_example_adjoints_match_the_closed_form():
    g = worked_example().adjoints
    assert g["g_y"] == g["g_d"] == g["g_e"] == g["g_f"] == 1.0
    assert close(g["g_c"], 1 / 6)
    assert close(g["g_b"], G_B) and g["g_b"] == pytest.approx(-12.36001, abs=1e-5)
    assert close(g["g_a"], G_A) and g["g_a"] == pytest.approx(404.85374, abs=1e-5)
    assert close(g["g_x"], DY_DX) and g["g_x"] == pytest.approx(1208.3812151266, rel=1e-12)
    assert close(g["g_z"], DY_DZ) and g["g_z"] == pytest.approx(809.70747921856, rel=1e-12)


def test_worked_example_tape_gives_the_same_adjoints_as_the_slide_equations():
    r = worked_example()
    assert list(r.tape) == list(r.adjoints)
    for k, v in r.adjoints.items():
        assert close(r.tape[k], v), k


def test_worked_example_rows_list_every_quantity_with_its_formula():
    rows = worked_example().rows()
    assert [n for n, _, _ in rows][:3] == ["x", "z", "a"]
    assert ("g_c", "g_f (1/a)", pytest.approx(1 / 6)) in rows
    assert len(rows) == 9 + 9


def test_worked_example_rejects_x_where_ln_x_is_zero():
    with pytest.raises(ValueError, match="x != 1"):
        worked_example(x=1.0)


def test_relu_network_forward_pass_matches_the_slides():
    r = relu_network()
    assert r.s == {1: [3.0, -1.0], 2: [-1.0, -2.0, 3.0], 3: [6.0]}
    assert r.o == {0: [1.0], 1: [3.0, 0.0], 2: [0.0, 0.0, 3.0], 3: [6.0]}
    assert r.y == 6.0 and r.loss == 12.5


def test_relu_network_autograd_gradients_are_exact():
    g = relu_network().grads_autograd
    assert g["W3"] == [[0.0, 0.0, 15.0]] and g["b3"] == [5.0]
    assert g["W2"] == [[0.0, 0.0], [0.0, 0.0], [5.0, 0.0]]
    assert g["b2"] == [0.0, 0.0, pytest.approx(5 / 3, rel=1e-15)]
    assert g["W1"] == [[pytest.approx(5 / 3, rel=1e-15)], [0.0]]
    assert g["b1"] == [pytest.approx(5 / 3, rel=1e-15), 0.0]


def test_relu_network_matrix_recursion_agrees_with_autograd():
    r = relu_network()
    assert r.agree
    assert set(r.grads_recursion) == set(r.grads_autograd)
    assert r.r == {3: [5.0], 2: [0.0, 0.0, pytest.approx(5 / 3)], 1: [pytest.approx(5 / 3), 0.0]}


def test_relu_network_other_input_and_target_still_agree():
    r = relu_network(x=-2.0, t=0.5)
    assert r.agree
    assert r.loss == pytest.approx(0.5 * (r.y - 0.5) ** 2)
