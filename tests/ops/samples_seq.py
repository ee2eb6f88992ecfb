"""Gradcheck samples of the cumulative and pairwise primitives of sequence
programs: ``cumprod`` (with zeros, whose gradient PyTorch defines), ``logcumsumexp``
and ``cdist`` for every kind of ``p``."""

import numpy as np
from sampling import Arg, U, case

INF = float("inf")

SAMPLES = {
    "cumprod": [
        case(U((5,), 0.5, 1.5), dim=0),
        case(U((3, 4)), dim=1),
        case(U((2, 3, 4)), dim=0),
        case(Arg((), value=np.array([1.5, 0.0, 2.0, 0.0, -1.0])), dim=0, label="two zeros"),
        case(Arg((), value=np.array([[0.0, 2.0, 3.0], [1.5, -2.0, 0.0]])), dim=1, label="zeros"),
    ],
    "logcumsumexp": [
        case(U((5,)), dim=0),
        case(U((3, 4), -30.0, 30.0), dim=1),
        case(U((2, 3, 4)), dim=0),
    ],
    "cdist": [
        case(U((4, 3)), U((5, 3)), p=2.0),
        case(U((2, 4, 3)), U((1, 5, 3)), p=2.0, label="batch broadcast"),
        case(U((3, 2)), U((4, 2)), p=1.0),
        case(U((3, 2)), U((4, 2)), p=3.0),
        case(U((3, 2)), U((4, 2)), p=0.5),
        case(U((3, 2)), U((4, 2)), p=1.5),
        case(U((3, 4)), U((2, 4)), p=INF),
        case(U((3, 2)), U((4, 2)), p=0.0),
    ],
}
