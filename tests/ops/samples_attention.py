"""Gradcheck samples of ``scaled_dot_product_attention`` (``tapegrad.ops.attention``).

Each case calls the primitive itself, with its parameters in the table's
form: ``scale``, ``causal``, ``groups`` (query heads per key/value head),
``mask_kind`` (``None``, ``"bool"`` or ``"float"``: the 4th input) and
``dropout`` (the last input: dropout's factors).
"""

from __future__ import annotations

import numpy as np

try:
    from sampling import C, U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import C, U, case

_PLAIN = dict(causal=False, groups=1, mask_kind=None, dropout=False)
_BOOL = np.array(
    [[True, False, True, True], [False, False, False, False], [True, True, False, True]]
)
_FLOAT = np.array([[0.5, -np.inf, 0.0, 1.0], [-np.inf] * 4, [0.2, -0.3, 0.1, -np.inf]])
_DROP = np.array([[2.0, 0.0, 2.0, 2.0], [0.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 0.0]])

SAMPLES = {
    "scaled_dot_product_attention": [
        case(U((3, 2)), U((4, 2)), U((4, 3)), scale=0.7, **_PLAIN, label="2-D"),
        case(U((2, 2, 3, 2)), U((2, 2, 4, 2)), U((2, 2, 4, 3)), scale=0.5, **_PLAIN, label="heads"),
        case(
            U((2, 3, 2)),
            U((2, 4, 2)),
            U((2, 4, 3)),
            scale=0.6,
            causal=True,
            groups=1,
            mask_kind=None,
            dropout=False,
            label="causal",
        ),
        case(
            U((4, 3, 2)),
            U((2, 4, 2)),
            U((2, 4, 2)),
            scale=0.6,
            causal=True,
            groups=2,
            mask_kind=None,
            dropout=False,
            label="grouped query heads",
        ),
        case(
            U((2, 3, 2)),
            U((2, 4, 2)),
            U((2, 4, 3)),
            C(_BOOL),
            scale=0.6,
            causal=False,
            groups=1,
            mask_kind="bool",
            dropout=False,
            label="boolean mask with a dead row",
        ),
        case(
            U((2, 3, 2)),
            U((4, 2)),
            U((4, 3)),
            C(_FLOAT),
            scale=0.6,
            causal=False,
            groups=1,
            mask_kind="float",
            dropout=False,
            label="float mask with -inf, broadcast key",
        ),
        case(
            U((3, 2)),
            U((4, 2)),
            U((4, 3)),
            U((1, 4)),
            scale=0.6,
            causal=False,
            groups=1,
            mask_kind="float",
            dropout=False,
            label="float mask that requires grad",
        ),
        case(
            U((3, 2)),
            U((4, 2)),
            U((4, 3)),
            C(np.zeros(())),
            C(_DROP),
            scale=0.6,
            causal=False,
            groups=1,
            mask_kind=None,
            dropout=True,
            label="dropout",
        ),
    ],
}
