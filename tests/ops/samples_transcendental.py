"""Gradcheck samples for tapegrad/ops/transcendental.py and tapegrad/ops/gamma.py,
each inside its function's domain (``acosh`` above 1, ``atanh`` inside
(-1, 1), ``logit`` inside its clamping interval and outside it, ``lgamma``
and the polygammas on both sides of zero, away from the poles)."""

from sampling import U, binary_cases, case, unary_cases

SAMPLES = {
    "acos": unary_cases(-0.9, 0.9),
    "asin": unary_cases(-0.9, 0.9),
    "atan": unary_cases(-3.0, 3.0),
    "sinh": unary_cases(),
    "cosh": unary_cases(),
    "acosh": unary_cases(1.1, 4.0),
    "asinh": unary_cases(-3.0, 3.0),
    "atanh": unary_cases(-0.9, 0.9),
    "log2": unary_cases(0.1, 3.0),
    "log10": unary_cases(0.1, 3.0),
    "exp2": unary_cases(),
    "deg2rad": unary_cases(-200.0, 200.0),
    "rad2deg": unary_cases(),
    "sinc": unary_cases(-2.4, 2.4) + unary_cases(0.1, 0.4),
    "logaddexp2": binary_cases(),
    "logit": unary_cases(0.05, 0.95, eps=None)
    + unary_cases(0.2, 0.8, eps=0.1)
    + [case(U((4,), 0.0, 0.08), eps=0.1), case(U((3,), 0.3, 0.7), eps=-0.5)],
    "lgamma": unary_cases(0.2, 6.0) + unary_cases(-2.9, -2.1) + unary_cases(12.0, 30.0),
    "digamma": unary_cases(0.2, 6.0) + unary_cases(-1.9, -1.1) + unary_cases(12.0, 30.0),
    "polygamma": unary_cases(0.3, 6.0, n=1)
    + unary_cases(-0.9, -0.1, n=1)
    + unary_cases(0.5, 15.0, n=2)
    + unary_cases(-2.8, -2.2, n=3),
}
