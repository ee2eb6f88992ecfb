"""Gradcheck samples of the recurrent primitives (``tapegrad.ops.rnn``).

Each case runs a cell over a short sequence in the packed layout: ``gx (N, G)``
with the rows of every step, ``s0 (B, S)``, ``w_hh``, then ``b_hh`` and (LSTM
with ``proj_size``) ``w_hr`` when present.  Full batches, shrinking batches
(packed sequences of different lengths), both directions, one step.
"""

from __future__ import annotations

try:
    from sampling import U, case
except ImportError:  # imported as a package module
    from tests.ops.sampling import U, case

H, P = 3, 2
_SCHEDULES = [
    ((2, 2, 2), False, "full batch"),
    ((3, 2, 2, 1), False, "packed"),
    ((3, 2, 2, 1), True, "packed, reverse"),
    ((2,), False, "one step"),
]


def _cases(gates: int, state: int, **kw) -> list:
    out = []
    for i, (sizes, reverse, label) in enumerate(_SCHEDULES):
        bias = i % 2 == 0
        args = [U((sum(sizes), gates * H)), U((sizes[0], state)), U((gates * H, H), -1, 1)]
        if bias:
            args.append(U((gates * H,)))
        params = dict(batch_sizes=sizes, reverse=reverse, bias=bias, **kw)
        out.append(case(*args, **params, label=label + (", bias" if bias else "")))
    return out


def _lstm_proj_cases() -> list:
    sizes = (3, 2, 1)
    args = (U((6, 4 * H)), U((3, P + H)), U((4 * H, P), -1, 1), U((4 * H,)), U((P, H), -1, 1))
    return [
        case(*args, batch_sizes=sizes, reverse=rev, bias=True, label=f"proj_size, reverse={rev}")
        for rev in (False, True)
    ]


SAMPLES = {
    "rnn_cell": _cases(1, H, nonlinearity="tanh") + _cases(1, H, nonlinearity="relu")[:2],
    "lstm_cell": _cases(4, 2 * H) + _lstm_proj_cases(),
    "gru_cell": _cases(3, H),
}
