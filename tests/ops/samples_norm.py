"""Gradcheck samples of the fused normalisation primitive (``tapegrad.ops.norm_ops``):
the axes of batch norm, instance norm and group norm, with and without the
affine inputs.  Each case is a call of the primitive itself."""

from __future__ import annotations

try:
    from sampling import U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import U, case


def _bn(*args, axes, has_weight=True, has_bias=True, eps=1e-5, label=""):
    return case(*args, axes=axes, eps=eps, has_weight=has_weight, has_bias=has_bias, label=label)


SAMPLES = {
    "batch_norm": [
        _bn(U((5, 3)), U((1, 3)), U((1, 3)), axes=(0,), label="batch (N, C)"),
        _bn(
            U((3, 2, 3, 2)),
            U((1, 2, 1, 1)),
            U((1, 2, 1, 1)),
            axes=(0, 2, 3),
            label="batch (N, C, H, W)",
        ),
        _bn(U((2, 3, 4)), U((1, 3, 1)), U((1, 3, 1)), axes=(2,), label="instance (N, C, L)"),
        _bn(
            U((2, 2, 3, 2)),
            U((1, 2, 1, 1)),
            axes=(2, 3),
            has_bias=False,
            label="instance (N, C, H, W), weight only",
        ),
        _bn(U((2, 2, 6)), axes=(2,), has_weight=False, has_bias=False, label="group (N, G, -1)"),
        _bn(U((4, 3, 2)), axes=(0, 2), has_weight=False, has_bias=False, label="no affine"),
        _bn(U((4, 3)), U((1, 3)), axes=(0,), has_bias=False, eps=1e-3, label="weight only"),
        _bn(U((4, 3)), U((1, 3)), axes=(0,), has_weight=False, label="bias only"),
    ],
}
