"""Gradcheck samples for ``nan_to_num`` (tapegrad/ops/finite.py): on finite
inputs the gradient is ``g``; the zero gradient where a value is replaced is
checked in tests/test_missing_surface.py (finite differences cannot step
from an infinity)."""

from sampling import U, case, unary_cases

SAMPLES = {
    "nan_to_num": unary_cases(nan=0.0, posinf=None, neginf=None)
    + [case(U((2, 3)), nan=1.0, posinf=5.0, neginf=-5.0)],
}
