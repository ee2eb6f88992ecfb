"""Gradcheck samples for ``atan2`` and ``hypot`` (tapegrad/ops/elementwise.py):
every broadcasting pair, drawn away from the origin (where atan2's gradient
is 0 by convention and hypot's is NaN, as in PyTorch)."""

from sampling import binary_cases

SAMPLES = {
    "atan2": binary_cases(lo=0.2, hi=2.0, lo_b=-2.0, hi_b=2.0),
    "hypot": binary_cases(lo=-2.0, hi=2.0, lo_b=0.2, hi_b=2.0),
}
