"""Gradcheck samples of the pooling and resampling primitives
(``tapegrad.ops.pool``, ``tapegrad.ops.resample``).

Max pooling is checked on inputs whose values are distinct by 0.1 (a
shuffled ramp), so no finite-difference step changes which value is a
window's maximum.  The maps of ``resample`` and the argmaxes of
``pool_scatter``/``pool_gather`` are static parameters, built here once.
"""

from __future__ import annotations

import numpy as np

try:
    from sampling import Arg, U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import Arg, U, case

from tapegrad.ops import pool as P
from tapegrad.ops import resample as RS

F64 = np.dtype("float64")


def distinct(shape, seed: int = 0) -> Arg:
    """A float64 input that requires grad, its values ``0.1`` apart."""
    n = int(np.prod(shape))
    ramp = np.random.default_rng(seed).permutation(n) * 0.1 - n * 0.05
    return Arg(tuple(shape), grad=True, value=ramp.reshape(shape))


def pool(kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False) -> dict:
    return dict(
        kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )


def _argmax(shape, **params) -> P.Argmax:
    """The argmax of max pooling on a fixed input of ``shape``."""
    a = np.random.default_rng(7).permutation(int(np.prod(shape))).reshape(shape).astype(F64)
    return P.window_argmax(a, **params)


_OVERLAP = _argmax((2, 2, 5, 6), **pool((3, 3), (2, 2), (1, 1), ceil_mode=True))
_TILES = _argmax((2, 3, 4, 6), **pool((2, 2), (2, 2)))
_ADAPTIVE = P.adaptive_argmax(
    np.random.default_rng(8).permutation(35).reshape(1, 1, 5, 7).astype(F64), (3, 4)
)
_UNPOOL = P.Argmax((2, 1, 4, 4), index=np.array([[[[0, 3], [9, 14]]], [[[5, 2], [12, 11]]]]))

SAMPLES = {
    "max_pool2d": [
        case(distinct((2, 3, 4, 6)), **pool((2, 2), (2, 2)), label="2x2 tiles"),
        case(distinct((1, 2, 5, 7), 1), **pool((2, 2), (2, 2)), label="2x2, odd sizes"),
        case(distinct((2, 2, 5, 6), 2), **pool((3, 3), (2, 2), (1, 1)), label="3x3/2, padding 1"),
        case(
            distinct((1, 2, 5, 7), 3),
            **pool((2, 3), (2, 1), (1, 1), (2, 1), ceil_mode=True),
            label="dilation, ceil_mode",
        ),
        case(distinct((2, 4, 5), 4), **pool((3, 3), (1, 1)), label="unbatched, stride 1"),
        case(
            distinct((2, 1, 1, 9), 5), **pool((1, 4), (1, 3), (0, 2), ceil_mode=True), label="1-D"
        ),
    ],
    "pool_scatter": [
        case(U(_OVERLAP.out_shape), where=_OVERLAP, accumulate=True, label="overlapping windows"),
        case(U(_TILES.out_shape), where=_TILES, accumulate=True, label="2x2 tiles"),
        case(U(_ADAPTIVE.out_shape), where=_ADAPTIVE, accumulate=True, label="adaptive windows"),
        case(U((2, 1, 2, 2)), where=_UNPOOL, accumulate=False, label="max_unpool"),
    ],
    "pool_gather": [
        case(U((2, 2, 5, 6)), where=_OVERLAP, label="overlapping windows"),
        case(U((2, 3, 4, 6)), where=_TILES, label="2x2 tiles"),
        case(U((1, 1, 5, 7)), where=_ADAPTIVE, label="adaptive windows"),
        case(U((2, 1, 4, 4)), where=_UNPOOL, label="max_unpool indices"),
    ],
    "resample": [
        case(
            U((2, 3, 5, 7)),
            maps=(
                (-1, RS.window_map(7, 4, 3, 2, 1, "window", F64)),
                (-2, RS.window_map(5, 3, 2, 2, 1, "valid", F64)),
            ),
            label="average pooling, padding, ceil_mode",
        ),
        case(
            U((2, 5, 7)),
            maps=((-1, RS.window_map(7, 3, 2, 2, 0, 3, F64)),),
            label="average pooling 1-D, divisor_override",
        ),
        case(
            U((1, 2, 5, 7)),
            maps=((-1, RS.adaptive_map(7, 3, F64)), (-2, RS.adaptive_map(5, 8, F64))),
            label="adaptive average pooling",
        ),
        case(
            U((1, 2, 3, 4)),
            maps=(
                (-1, RS.linear_map(4, 7, False, None, F64)),
                (-2, RS.linear_map(3, 5, True, None, F64)),
            ),
            label="bilinear, align_corners False/True",
        ),
        case(
            U((2, 1, 3, 4)),
            maps=(
                (-1, RS.cubic_map(4, 6, False, 1.5, F64)),
                (-2, RS.cubic_map(3, 2, True, None, F64)),
            ),
            label="bicubic",
        ),
        case(
            U((2, 2, 5)),
            maps=((-1, RS.nearest_map(5, 8, 1.7, False)),),
            label="nearest 1-D",
        ),
        case(
            U((1, 1, 4, 6)),
            maps=((-1, RS.nearest_map(6, 4, None, True)), (-2, RS.nearest_map(4, 8, None, False))),
            label="nearest-exact down, nearest 2x",
        ),
    ],
}
