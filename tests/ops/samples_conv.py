"""Gradcheck samples of the convolution primitives (``tapegrad.ops.conv``).

Each case calls the primitive itself, with its internal geometry: ``padding``
as ``(lo, hi)`` per spatial dimension (``hi`` below ``lo`` for 'same' with
an even kernel, negative for a transposed convolution's output_padding).
Strides, paddings, dilations, groups (depthwise too), odd sizes, 1-D, 2-D
and 3-D.
"""

from __future__ import annotations

try:
    from sampling import U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import U, case


def _geo(stride, padding, dilation, groups=1) -> dict:
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _out(size, kernel, stride, padding, dilation) -> tuple:
    return tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(size, kernel, stride, padding, dilation)
    )


# (N, C, size, O, kernel, geometry, label)
_GEOMETRIES = [
    (2, 3, (7,), 4, (3,), _geo((1,), ((0, 0),), (1,)), "1-D"),
    (2, 2, (9,), 4, (2,), _geo((2,), ((1, 1),), (2,)), "1-D stride 2, pad 1, dilation 2"),
    (2, 4, (5, 6), 6, (3, 2), _geo((2, 1), ((1, 1), (0, 2)), (1, 2), 2), "2-D mixed, groups 2"),
    (1, 3, (5, 5), 6, (3, 3), _geo((1, 1), ((1, 1), (1, 1)), (1, 1), 3), "depthwise x2"),
    (1, 2, (5, 4), 3, (2, 4), _geo((1, 1), ((0, 1), (1, 2)), (1, 1)), "'same' even kernel"),
    (2, 2, (8, 7), 3, (2, 2), _geo((3, 3), ((0, 0), (0, 0)), (1, 1)), "stride 3, rows left over"),
    (1, 2, (4, 3, 4), 2, (2, 2, 2), _geo((1, 2, 1), ((1, 1), (0, 0), (1, 1)), (1, 1, 1)), "3-D"),
]


def _conv_cases():
    out = []
    for i, (n, c, size, o, k, geo, label) in enumerate(_GEOMETRIES):
        x, w = U((n, c, *size)), U((o, c // geo["groups"], *k))
        bias = (U((o,)),) if i % 2 == 0 else ()
        out.append(case(x, w, *bias, **geo, label=label + (", bias" if bias else "")))
    return out


def _transpose_cases():
    out = []
    for i, (n, c, size, o, k, geo, label) in enumerate(_GEOMETRIES):
        y_size = _out(size, k, geo["stride"], geo["padding"], geo["dilation"])
        y, w = U((n, o, *y_size)), U((o, c // geo["groups"], *k))
        bias = (U((c,)),) if i % 2 else ()
        out.append(case(y, w, *bias, size=size, **geo, label=label + (", bias" if bias else "")))
    # output_padding 1 at stride 2 (hi = pad - 1), and at stride 1 with dilation 2
    out.append(
        case(
            U((2, 3, 3)),
            U((3, 2, 3)),
            U((2,)),
            size=(8,),
            **_geo((2,), ((0, -1),), (1,)),
            label="output_padding 1, stride 2",
        )
    )
    out.append(
        case(
            U((1, 2, 3, 4)),
            U((2, 2, 2, 3)),
            size=(4, 9),
            **_geo((1, 1), ((1, 0), (0, -1)), (2, 2)),
            label="output_padding 1, dilation 2",
        )
    )
    return out


def _weight_cases():
    out = []
    for n, c, size, o, k, geo, label in _GEOMETRIES:
        y_size = _out(size, k, geo["stride"], geo["padding"], geo["dilation"])
        out.append(case(U((n, c, *size)), U((n, o, *y_size)), kernel=k, **geo, label=label))
    return out


_BLOCKS = [
    ((2, 2, 5, 4), (2, 3), (1, 2), ((1, 1), (0, 0)), (1, 1), "2x3, stride (1, 2), pad 1"),
    ((1, 3, 6, 6), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), "2x2 blocks, no overlap"),
    ((2, 1, 7, 5), (3, 2), (1, 1), ((1, 1), (2, 2)), (2, 1), "dilation 2"),
]


def _unfold_cases():
    return [
        case(U(shape), kernel=k, stride=s, padding=p, dilation=d, label=label)
        for shape, k, s, p, d, label in _BLOCKS
    ]


def _fold_cases():
    out = []
    for shape, k, s, p, d, label in _BLOCKS:
        blocks = _out(shape[2:], k, s, p, d)
        cols = U((shape[0], shape[1] * k[0] * k[1], blocks[0] * blocks[1]))
        out.append(
            case(cols, size=shape[2:], kernel=k, stride=s, padding=p, dilation=d, label=label)
        )
    return out


SAMPLES = {
    "conv": _conv_cases(),
    "conv_transpose": _transpose_cases(),
    "conv_weight": _weight_cases(),
    "unfold": _unfold_cases(),
    "fold": _fold_cases(),
}
