"""Gradcheck samples of ``median`` over all elements (tapegrad/ops/order_stats.py):
odd and even counts, ``nanmedian``'s form skipping a NaN, and a 0-d input.
Random draws have no ties, so the gradient is the one-hot of the median."""

import numpy as np
from sampling import Arg, U, case

SAMPLES = {
    "median": [
        case(U((5,)), ignore_nan=False, label="odd"),
        case(U((3, 4)), ignore_nan=False, label="even"),
        case(U((2, 3, 2)), ignore_nan=True),
        case(U(()), ignore_nan=False, label="0-d"),
        case(Arg((), value=np.array([0.5, np.nan, -1.25, 2.0])), ignore_nan=True, label="a NaN"),
    ],
}
