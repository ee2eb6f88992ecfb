"""erf, erfc, erfinv on arrays (tapegrad.special_math) against the C library.

The suite checks 20,000 points; the one-off million-point check is
``python tests/ops/test_special_math.py 1000000`` (figures in
docs/sequence-models.md)."""

import math
import sys

import numpy as np

from tapegrad import special_math as SM

TINY = np.finfo(np.float64).tiny


def points(n: int, seed: int = 0) -> np.ndarray:
    """Arguments over the whole line: the centre, the tails up to underflow,
    tiny and subnormal magnitudes, both signs."""
    rng = np.random.default_rng(seed)
    k = n // 4
    return np.concatenate(
        [
            rng.standard_normal(k),
            rng.uniform(-28.0, 28.0, k),
            rng.uniform(-1.0, 1.0, k) * 0.6,
            np.exp(rng.uniform(-745.0, 3.3, n - 3 * k)) * rng.choice([-1.0, 1.0], n - 3 * k),
        ]
    )


def ulps(got, want) -> np.ndarray:
    """|got - want| in units of the spacing at ``want`` (the smallest normal's
    spacing in the subnormal range)."""
    return np.abs(got - want) / np.spacing(np.maximum(np.abs(want), TINY))


def errors(n: int) -> dict:
    x = points(n)
    out = {}
    for name, ref in (("erf", math.erf), ("erfc", math.erfc)):
        want = np.frompyfunc(ref, 1, 1)(x).astype(np.float64)
        out[name] = ulps(getattr(SM, name)(x), want)
    x = x[np.abs(x) < 5.0]
    y = SM.erf(x)  # erfinv(erf(x)) = x, up to what the rounding of y explains
    back = SM.erfinv(y)
    slope = 2 / math.sqrt(math.pi) * np.exp(-(x * x))
    explained = np.abs(np.spacing(y)) / 2 / slope / np.abs(np.spacing(np.maximum(np.abs(x), TINY)))
    out["erfinv"] = np.maximum(ulps(back, x) - explained, 0)
    return out


def test_erf_and_erfc_within_a_few_ulps_of_the_c_library():
    errs = errors(20_000)
    assert errs["erf"].max() <= 4
    assert errs["erfc"].max() <= 8
    assert errs["erfinv"].max() <= 4


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(SM.erf(x), [0.0, -0.0, 1.0, -1.0, np.nan])
    assert np.signbit(SM.erf(x)[1])
    np.testing.assert_array_equal(SM.erfc(x), [1.0, 1.0, 0.0, 2.0, np.nan])
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.0 + 1e-15, -3.0, np.nan])
    np.testing.assert_array_equal(
        SM.erfinv(y), [0.0, -0.0, np.inf, -np.inf, np.nan, np.nan, np.nan]
    )


def test_dtypes_and_shapes_are_kept():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    for f in (SM.erf, SM.erfc):
        assert f(x.astype(np.float32)).dtype == np.float32
        assert f(x).shape == (3, 4)
        assert f(np.float64(0.5)).shape == ()
    assert SM.erfinv(x.astype(np.float32) / 3).dtype == np.float32
    assert SM.erf(np.arange(3)).dtype == np.float64


def test_float32_normal_cdf_is_float32_accurate():
    x = np.linspace(-8, 8, 4001).astype(np.float32)
    want = SM.erfc(x.astype(np.float64) * -(0.5**0.5)) / 2
    got = SM.normal_cdf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=5e-7, atol=1e-7)  # (1 + tanh cancels left)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for name, e in errors(n).items():
        print(f"{name}: {n} points, max {e.max():.2f} ulp, mean {e.mean():.3f} ulp")
