"""Finite differences vs backprop: truncation, rounding, float32 vs float64."""

import math

import pytest

import tapegrad as tg
from tapegrad.lecture import FiniteDifferences, commands, finite_differences
from tapegrad.lecture.commands import main


@pytest.fixture(scope="module")
def res() -> FiniteDifferences:
    return finite_differences(seed=0)


def test_shape_of_the_result(res):
    assert res.sizes == [3, 4, 1] and res.n_params == 21
    assert res.methods == ["forward", "central"] and res.precisions == ["float32", "float64"]
    assert len(res.eps) == 25 and res.eps == sorted(res.eps, reverse=True)
    assert res.eps[0] == pytest.approx(1e-1) and res.eps[-1] == pytest.approx(1e-13)
    for m in res.methods:
        for p in res.precisions:
            errs = res.errors[m][p]
            assert len(errs) == 25 and all(math.isfinite(e) and e > 0 for e in errs)
            assert res.min_error[m][p] == min(errs)
            assert res.best_eps[m][p] == res.eps[errs.index(min(errs))]
    assert res.backprop_error["float64"] == 0.0
    assert 0 < res.backprop_error["float32"] < 1e-4


def test_central_float64_is_the_most_accurate(res):
    err = res.min_error
    assert err["central"]["float64"] < 1e-8
    assert err["central"]["float64"] == min(err[m][p] for m in err for p in err[m])
    assert 1e-7 <= res.best_eps["central"]["float64"] <= 1e-4


def test_forward_differences_are_no_better_than_about_1e_7(res):
    # the optimum ~ sqrt(machine eps |L L''|); asserted with a wide margin
    assert res.min_error["forward"]["float64"] > 1e-8
    assert res.min_error["forward"]["float32"] > 1e-4
    assert res.min_error["forward"]["float64"] > 100 * res.min_error["central"]["float64"]


def test_float32_central_bottoms_out_far_above_float64(res):
    assert res.min_error["central"]["float32"] > 100 * res.min_error["central"]["float64"]
    assert res.best_eps["central"]["float32"] > res.best_eps["central"]["float64"]


def test_truncation_slopes_are_the_orders_of_the_methods(res):
    for p in res.precisions:
        assert res.truncation_slope["forward"][p] == pytest.approx(1.0, abs=0.15)
        assert res.truncation_slope["central"][p] == pytest.approx(2.0, abs=0.15)


def test_rounding_side_falls_like_one_over_eps(res):
    for m in res.methods:
        assert res.rounding_slope[m]["float64"] == pytest.approx(-1.0, abs=0.15)
        assert -1.3 < res.rounding_slope[m]["float32"] < -0.3
    assert res.machine_eps == {"float32": 2.0**-23, "float64": 2.0**-52}


def test_float32_steps_below_its_resolution_give_a_zero_estimate(res):
    # theta + 1e-13 == theta in float32: FD = 0, so the error is max |grad|
    assert res.errors["central"]["float32"][-1] == pytest.approx(res.grad_max, rel=1e-6)


def test_deterministic_and_restores_the_global_seed():
    eps = (1e-2, 1e-5, 1e-8)
    tg.manual_seed(123)
    expected = tg.rand(3).tolist()
    tg.manual_seed(123)
    a = finite_differences(seed=3, eps=eps)
    assert tg.rand(3).tolist() == expected
    assert finite_differences(seed=3, eps=eps) == a
    assert finite_differences(seed=4, eps=eps).errors != a.errors


def test_eps_must_be_positive():
    with pytest.raises(ValueError, match="eps must be > 0"):
        finite_differences(eps=(1e-3, 0.0))


def test_runner_names_the_slide():
    assert commands.RUNNERS["finite-differences"].slides == "Derivatives: intuition"
    assert commands.RUNNERS["finite-differences"].draws


def test_package_exports_it():
    import tapegrad.lecture as lecture

    assert "finite_differences" in lecture.__all__ and "FiniteDifferences" in lecture.__all__
    assert lecture.FiniteDifferences is FiniteDifferences


def test_command_prints_the_table(capsys):
    assert main(["finite-differences"]) == 0
    out = capsys.readouterr().out
    assert "best eps" in out and "smallest error" in out and "trunc. slope" in out
    lines = [ln.split() for ln in out.splitlines()]
    rows = {(ln[0], ln[1]) for ln in lines if len(ln) >= 2 and ln[1].startswith("float")}
    assert rows == {(m, p) for m in ("forward", "central") for p in ("float32", "float64")}
    assert "gradcheck takes\ncentral differences in float64" in out


def test_command_out_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["finite-differences", "--out", str(tmp_path)]) == 0
    png = tmp_path / "lecture-finite-differences.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [png.name]
