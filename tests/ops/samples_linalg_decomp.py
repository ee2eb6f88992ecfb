"""Gradcheck samples of the matrix functions and decompositions
(``tapegrad.ops.linalg_decomp``).

Matrices are fixed and well conditioned so that finite differences are
accurate: ``B B^T + n I`` for positive-definite input, ``Q diag(d) Q^T``
with well separated ``d`` where eigenvalues (singular values) must be
distinct; batched and unbatched, tall, wide and square.  ``qr``, ``eigh`` and
``svd`` output their factors packed side by side (see the module).
"""

from __future__ import annotations

import numpy as np

try:
    from sampling import Arg, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import Arg, case

_RNG = np.random.default_rng(1234)


def M(value):
    """A fixed float64 matrix argument that requires grad."""
    return Arg((), grad=True, value=np.asarray(value, dtype=np.float64))


def _random(*shape):
    return _RNG.uniform(-1.0, 1.0, size=shape)


def _well_conditioned(*shape):
    """Square matrices ``R + n I`` (``R`` in [-1, 1)): far from singular."""
    n = shape[-1]
    return _random(*shape) + n * np.eye(n)


def _positive_definite(*shape):
    b = _random(*shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def _orthogonal(n):
    return np.linalg.qr(_random(n, n))[0]


def _with_spectrum(d, rows=None, cols=None):
    """``U diag(d) V^T`` (``rows x cols``; square symmetric ``Q diag(d) Q^T``
    when only ``d`` is given)."""
    if rows is None:
        q = _orthogonal(len(d))
        return q @ np.diag(d) @ q.T
    u, v = _orthogonal(rows)[:, : len(d)], _orthogonal(cols)[:, : len(d)]
    return u @ np.diag(d) @ v.T


def _square_cases(make):
    return [
        case(M(make(3, 3)), label="3x3"),
        case(M(make(2, 4, 4)), label="batch 2 of 4x4"),
        case(M(make(1, 2, 2, 2)), label="batch (1, 2) of 2x2"),
    ]


SAMPLES = {
    "inv": _square_cases(_well_conditioned),
    "det": _square_cases(_well_conditioned),
    "logabsdet": _square_cases(_well_conditioned)
    + [case(M(-_well_conditioned(3, 3)), label="negative determinant")],
    "solve": [
        case(M(_well_conditioned(3, 3)), M(_random(3, 2)), label="3x3, 3x2"),
        case(M(_well_conditioned(2, 3, 3)), M(_random(3, 1)), label="batch A, broadcast B"),
        case(M(_well_conditioned(3, 3)), M(_random(2, 3, 4)), label="broadcast A, batch B"),
    ],
    "cholesky": _square_cases(_positive_definite),
    "qr": [
        case(M(_random(4, 3)), mode="reduced", label="tall 4x3"),
        case(M(_well_conditioned(2, 3, 3)), mode="reduced", label="batch of square"),
        case(M(_random(2, 3) + np.eye(2, 3) * 2), mode="reduced", label="wide 2x3"),
        case(M(_well_conditioned(3, 3)), mode="complete", label="complete square"),
    ],
    "eigh": [
        case(M(_with_spectrum([-1.0, 0.5, 2.0])), label="3x3"),
        case(M(np.stack([_with_spectrum([1.0, 2.5]), _with_spectrum([-3.0, 1.0])])), label="batch"),
    ],
    "svd": [
        case(M(_with_spectrum([3.0, 1.5, 0.5], 4, 3)), full_matrices=False, label="tall 4x3"),
        case(M(_with_spectrum([2.0, 1.0], 2, 3)), full_matrices=False, label="wide 2x3"),
        case(
            M(np.stack([_with_spectrum([2.0, 0.7, 0.3], 3, 3), _with_spectrum([1, 2, 4], 3, 3)])),
            full_matrices=False,
            label="batch of square",
        ),
    ],
}
