"""Gradcheck samples of the fused neural-network primitives (``tapegrad.ops.nn_ops``).

Each case is a call of the primitive itself: ``PRIMITIVES[name](*args, **params)``.
"""

from __future__ import annotations

try:
    from sampling import C, U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import C, U, case

_CE = dict(ignore_index=-100, label_smoothing=0.0)

SAMPLES = {
    "cross_entropy": [
        case(U((4, 3)), C([0, 2, 1, 2]), reduction="mean", **_CE, label="mean"),
        case(U((4, 3)), C([0, 2, 1, 2]), reduction="sum", **_CE, label="sum"),
        case(U((4, 3)), C([0, 2, 1, 2]), reduction="none", **_CE, label="none"),
        case(
            U((4, 3)),
            C([0, 2, 1, 2]),
            C([0.2, 1.0, 3.0]),
            reduction="mean",
            **_CE,
            label="weighted mean",
        ),
        case(
            U((4, 3)),
            C([0, -100, 1, 2]),
            C([0.2, 1.0, 3.0]),
            reduction="mean",
            ignore_index=-100,
            label_smoothing=0.2,
            label="weighted, ignored, smoothed",
        ),
        case(
            U((2, 3, 2)),
            C([[0, 1], [2, 1]]),
            reduction="none",
            ignore_index=1,
            label_smoothing=0.1,
            label="(N, C, d) with ignore_index=1",
        ),
    ],
    "layer_norm": [
        case(
            U((3, 4)),
            U((4,)),
            U((4,)),
            n_norm=1,
            eps=1e-5,
            has_weight=True,
            has_bias=True,
            label="affine",
        ),
        case(
            U((2, 3, 4)),
            n_norm=2,
            eps=1e-5,
            has_weight=False,
            has_bias=False,
            label="two dims, no affine",
        ),
        case(
            U((5,)),
            U((5,)),
            n_norm=1,
            eps=1e-3,
            has_weight=True,
            has_bias=False,
            label="1-D, weight only",
        ),
    ],
    "binary_cross_entropy": [
        case(U((5,), 0.05, 0.95), U((5,), 0.0, 1.0), label="(5,)"),
        case(U((2, 3), 0.05, 0.95), U((2, 3), 0.0, 1.0), label="(2, 3)"),
    ],
}
