"""The safe expression parser: what it accepts and what it rejects."""

import pytest
from vizhelpers import DY_DX, DY_DZ, PROGRAM, Y

from tapegrad.viz import expr


def test_expression_gives_the_worked_example_value_and_gradients():
    import tapegrad as tg

    y, inputs, _ = expr.run(
        expr.parse("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"), {"x": 2, "z": 3}
    )
    gx, gz = tg.autograd.grad(y, [inputs["x"], inputs["z"]])
    assert y.item() == pytest.approx(Y, rel=1e-12)
    assert gx.item() == pytest.approx(DY_DX, rel=1e-12)
    assert gz.item() == pytest.approx(DY_DZ, rel=1e-12)


def test_program_output_is_the_last_assignment_and_names_stick():
    p = expr.parse(PROGRAM)
    assert p.output == "y"
    assert p.inputs == ["x", "z"]
    y, _, env = expr.run(p, {"x": 2, "z": 3})
    assert y.name == "y"
    assert [env[n].name for n in "abcdef"] == list("abcdef")


def test_bare_expression_is_named_y():
    assert expr.parse("x + 1").output == "y"


@pytest.mark.parametrize(
    "text, words",
    [
        ("x.__class__", "attribute"),
        ("import os", "import"),
        ("__import__('os')", "unknown function"),
        ("open('f')", "unknown function"),
        ("eval('1')", "unknown function"),
        ("x[0]", "Subscript"),
        ("lambda: 1", "Lambda"),
        ("exp(x, y)", "exactly one"),
        ("exp(x=1)", "exactly one"),
        ("'text'", "numbers"),
        ("x if x else z", "IfExp"),
        ("x < z", "Compare"),
        ("x @ z", "MatMult"),
        ("exp", "function"),
    ],
)
def test_parser_rejects_with_a_one_line_error(text, words):
    with pytest.raises(expr.ExprError) as info:
        expr.parse(text)
    msg = str(info.value)
    assert "\n" not in msg
    assert words.lower() in msg.lower()


def test_over_long_input_is_rejected():
    with pytest.raises(expr.ExprError, match="too long"):
        expr.parse("x+" * 1001 + "x")


def test_missing_and_extra_values_are_named():
    p = expr.parse("x*z")
    with pytest.raises(expr.ExprError, match="z"):
        expr.run(p, {"x": 1})
    with pytest.raises(expr.ExprError, match="w"):
        expr.run(p, {"x": 1, "z": 2, "w": 3})


def test_bindings_parse_name_value_pairs():
    assert expr.parse_bindings(["x=2", "z=3.5"]) == {"x": 2.0, "z": 3.5}
    with pytest.raises(expr.ExprError, match="name=value"):
        expr.parse_bindings(["x"])
    with pytest.raises(expr.ExprError, match="not a number"):
        expr.parse_bindings(["x=two"])


def test_deeply_nested_expression_evaluates_without_recursion_in_the_evaluator():
    p = expr.parse("+".join(["x"] * 600))
    y, _, _ = expr.run(p, {"x": 1.0})
    assert y.item() == 600.0


def test_evaluate_number_uses_the_same_whitelist():
    assert expr.evaluate_number("-a/b**2", {"a": 6.0, "b": 2.0}) == -1.5
    with pytest.raises(expr.ExprError):
        expr.evaluate_number("[a>0]", {"a": 1.0})
