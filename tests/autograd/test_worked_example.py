"""The lecture's first worked example: y = e^(xz) + xz/ln(x) + sin(ln(x))/(xz)
at x = 2, z = 3, with the slide's intermediates a..f and adjoints."""

import math

import pytest

import tapegrad as tg

Y = 412.19145728412116
DY_DX = 1208.3812151266095
DY_DZ = 809.707479218564


def program():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True, name="x")
    z = tg.tensor(3.0, dtype=tg.float64, requires_grad=True, name="z")
    a = x * z
    b = tg.log(x)
    c = tg.sin(b)
    d = tg.exp(a)
    e = a / b
    f = c / a
    y = d + e + f
    for t in (a, b, c, d, e, f):
        t.retain_grad()
    return locals()


def test_value_and_gradients_match_the_slide_to_1e12():
    v = program()
    v["y"].backward()
    assert v["y"].item() == pytest.approx(Y, rel=1e-12)
    assert v["x"].grad.item() == pytest.approx(DY_DX, rel=1e-12)
    assert v["z"].grad.item() == pytest.approx(DY_DZ, rel=1e-12)


def test_intermediates_are_the_slides():
    v = program()
    assert v["a"].item() == 6.0
    assert v["b"].item() == pytest.approx(math.log(2), rel=1e-15)


def test_adjoints_through_retain_grad():
    v = program()
    v["y"].backward()
    assert v["d"].grad.item() == v["e"].grad.item() == v["f"].grad.item() == 1.0
    assert v["c"].grad.item() == pytest.approx(1 / 6, rel=1e-14)
    a, b, c = 6.0, math.log(2), math.sin(math.log(2))
    g_b = -a / b**2 + (1 / a) * math.cos(b)
    assert v["b"].grad.item() == pytest.approx(g_b, rel=1e-13)
    assert v["b"].grad.item() == pytest.approx(-12.36001, abs=1e-5)
    g_a = -c / a**2 + 1 / b + math.exp(a)
    assert v["a"].grad.item() == pytest.approx(g_a, rel=1e-13)
    assert v["a"].grad.item() == pytest.approx(404.85374, abs=1e-5)
    # g_z = g_a x
    assert v["z"].grad.item() == pytest.approx(g_a * 2.0, rel=1e-13)


def test_one_expression_gives_the_same_numbers():
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    z = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    y = tg.exp(x * z) + x * z / tg.log(x) + tg.sin(tg.log(x)) / (x * z)
    y.backward()
    assert (y.item(), x.grad.item(), z.grad.item()) == pytest.approx((Y, DY_DX, DY_DZ), rel=1e-12)


def test_names_are_kept():
    v = program()
    assert v["x"].name == "x"
    v["a"].name = "a"
    assert v["a"].name == "a"
