"""gradcheck catches wrong gradients and names where."""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops.registry import Primitive, apply

# a primitive with a deliberately wrong vjp, kept out of the table
BAD_SQUARE = Primitive(
    "bad_square",
    lambda a: a * a,
    (lambda g, out, a: g * a,),
    partials=("2*a",),
    saves=(0,),
    doc="out = a^2 with a wrong vjp (a instead of 2a)",
)


def test_passes_on_correct_gradients():
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    assert tg.gradcheck(lambda x: (tg.tanh(x) * x).sum(1), (x,))


def test_checks_in_float64_even_for_float32_inputs():
    x = tg.tensor([0.3, -0.7], requires_grad=True)
    assert x.dtype == tg.float32
    assert tg.gradcheck(lambda x: tg.exp(x) * tg.sin(x), (x,))


def test_error_names_input_element_and_both_values():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(tg.GradcheckError) as err:
        tg.gradcheck(lambda x: apply(BAD_SQUARE, x), (x,))
    msg = str(err.value)
    assert "input 0" in msg and "element (1,)" in msg  # the worst element
    assert "analytic gradient 2 " in msg and "numeric 4 " in msg


def test_report_names_the_first_failing_primitive_of_a_composite():
    x = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    report = tg.gradcheck_report(lambda x: tg.exp(apply(BAD_SQUARE, tg.sin(x))) * 2, (x,))
    assert not report.ok
    assert report.culprit == "bad_square"
    assert "bad_square" in str(report)


def test_fast_mode_checks_one_random_direction():
    x = tg.tensor(
        np.random.default_rng(1).standard_normal(500), dtype=tg.float64, requires_grad=True
    )
    assert tg.gradcheck(lambda x: (x * x).sum(), (x,), fast_mode=True)
    with pytest.raises(tg.GradcheckError, match="random direction"):
        tg.gradcheck(lambda x: apply(BAD_SQUARE, x).sum(), (x,), fast_mode=True)


def test_report_lists_errors_per_input():
    a = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([2.0], dtype=tg.float64, requires_grad=True)
    report = tg.gradcheck_report(lambda a, b: a * b, (a, b))
    assert report.ok and [r.index for r in report.inputs] == [0, 1]
    assert all(r.max_abs_error < 1e-8 for r in report.inputs)
