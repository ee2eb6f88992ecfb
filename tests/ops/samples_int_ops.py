"""Gradcheck samples for ``fmod`` and ``remainder`` (tapegrad/ops/division.py).

Both are piecewise smooth: ``a / b`` is kept inside one integer interval
(``a`` in [2.2, 2.8], ``|b|`` in [1.0, 1.05], so ``|a / b|`` in about
[2.1, 2.8]), away from the jumps; every sign of ``a`` and ``b`` is taken,
where ``trunc`` and ``floor`` of ``a / b`` differ.
"""

from sampling import binary_cases

SIGNS = [(1, 1), (-1, 1), (1, -1), (-1, -1)]


def _remainder_cases():
    cases = []
    for sa, sb in SIGNS:
        a_range = sorted((2.2 * sa, 2.8 * sa))
        b_range = sorted((1.0 * sb, 1.05 * sb))
        cases += binary_cases(*a_range, *b_range)
    return cases


SAMPLES = {"fmod": _remainder_cases(), "remainder": _remainder_cases()}
