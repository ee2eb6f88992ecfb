"""Fixtures of the viz tests: the lecture's worked example."""

import pytest
from vizhelpers import PROGRAM

import tapegrad as tg
from tapegrad.viz import expr


@pytest.fixture
def program_graph():
    """``(y, graph)`` of the slide's program with names a..f and y."""
    from tapegrad.viz.graph import build_graph

    y, _, env = expr.run(expr.parse(PROGRAM), {"x": 2.0, "z": 3.0})
    return y, build_graph(y, values=True, grads=True, order_hint=list(env.values()))


@pytest.fixture
def expression_output():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True, name="x")
    z = tg.tensor(3.0, dtype=tg.float64, requires_grad=True, name="z")
    return tg.exp(x * z) + x * z / tg.log(x) + tg.sin(tg.log(x)) / (x * z), x, z
