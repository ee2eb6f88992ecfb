"""Gradcheck samples for the special functions and GELU (tapegrad/ops/special.py)."""

from sampling import U, binary_cases, case, unary_cases

SAMPLES = {
    "erfc": unary_cases() + unary_cases(2.0, 5.0),
    "erfinv": unary_cases(-0.9, 0.9) + [case(U((4,), 0.95, 0.999))],
    "gelu": unary_cases(-4.0, 4.0),
    "gelu_tanh": unary_cases(-4.0, 4.0),
    "gelu_backward": binary_cases(-3.0, 3.0),
    "gelu_tanh_backward": binary_cases(-3.0, 3.0),
}
