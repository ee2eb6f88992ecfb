"""explain_backward: the slide's adjoint equations, symbolically and in numbers."""

import pytest
from vizhelpers import DY_DX, DY_DZ

import tapegrad as tg
from tapegrad.viz import explain_backward
from tapegrad.viz.explain import display_partial


def _line(ex, name):
    return [d for d in ex.lines if d["name"] == name][0]


def test_slide_equations_appear_symbolically(program_graph):
    y, g = program_graph
    ex = explain_backward(y, g)
    assert _line(ex, "y")["symbolic"] == "g_y = dy/dy = 1"
    assert _line(ex, "c")["symbolic"] == "g_c = g_f (1/a)"
    assert _line(ex, "b")["symbolic"] == "g_b = g_e (-a/b^2) + g_c cos(b)"
    assert _line(ex, "a")["symbolic"] == "g_a = g_f (-c/a^2) + g_e (1/b) + g_d e^a"
    assert _line(ex, "z")["symbolic"] == "g_z = g_a x"
    assert "g_b = g_e (-a/b^2) + g_c cos(b)" in ex.text


def test_numbers_are_plugged_in(program_graph):
    y, g = program_graph
    ex = explain_backward(y, g)
    assert _line(ex, "c")["numeric"] == "1 × 0.166667 = 0.166667"
    assert _line(ex, "z")["numeric"].endswith("= 809.707")
    assert float(_line(ex, "x")["grad"]) == pytest.approx(DY_DX, rel=1e-12)
    assert float(_line(ex, "z")["grad"]) == pytest.approx(DY_DZ, rel=1e-12)


def test_order_is_reverse_topological(program_graph):
    y, g = program_graph
    names = [d["name"] for d in explain_backward(y, g).lines]
    assert names[0] == "y" and names[-2:] == ["x", "z"]
    pos = {n: i for i, n in enumerate(names)}
    for v in g.vars:  # every consumer is explained before what it consumes
        for a in v.args:
            if g.vars[a].requires_grad:
                assert pos[v.name] < pos[g.vars[a].name]


def test_latex_has_the_adjoints(program_graph):
    y, g = program_graph
    latex = explain_backward(y, g).latex
    assert latex.startswith("\\begin{aligned}")
    assert r"g_{b} &= g_{e} \left(-a/b^{2}\right) + g_{c} \cos(b)" in latex
    assert r"g_{a} &= g_{f} \left(-c/a^{2}\right) + g_{e} \left(1/b\right) + g_{d} e^{a}" in latex


def test_partial_names_substitute_in_one_pass():
    # an argument named like a placeholder must not be substituted twice
    assert display_partial("-a/b**2", ["b", "a"], "q") == "-b/a^2"
    assert display_partial("exp(a)", ["s1"], "o") == "e^s1"


def test_works_on_tensors_of_several_elements():
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    x = tg.tensor([1.0, -1.0], name="x")
    loss = (w @ x).sum()
    ex = explain_backward(loss)
    assert "g_W" in ex.text


def test_user_function_edges_are_named_by_their_derivative():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True, name="x")
    s = Square.apply(x)
    s.name = "s"
    ex = explain_backward(s * 3.0)
    line = [d for d in ex.lines if d["name"] == "x"][0]
    assert line["symbolic"] == "g_x = g_s (ds/dx)"
    assert line["numeric"] == "3 × 4 = 12"


def test_output_that_is_a_leaf_has_only_the_seed():
    x = tg.tensor(2.0, requires_grad=True, name="x")
    assert explain_backward(x).text == "g_x = dx/dx = 1\n"
