"""One random-graph builder for the engine's tests (tapegrad alone, and
against torch): the same code runs on either library's tensors."""

import numpy as np

_OPS = (
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a.tanh(),
    lambda a, b: (a * 0.3).exp(),
    lambda a, b: a.sigmoid(),
    lambda a, b: a / (b * b + 1.0),
    lambda a, b: a.sum(0, keepdim=True) * b if a.ndim else a * b,
    lambda a, b: a.relu() + b,
)


def random_dag(seed: int, leaves, n_ops: int):
    """A random DAG of elementwise ops and keepdim sums over ``leaves`` (fan-out,
    repeated arguments, 0-d tensors), its last three values squared and
    summed into one loss."""
    pick = np.random.default_rng(seed)
    pool = list(leaves)
    for _ in range(n_ops):
        op = _OPS[int(pick.integers(0, len(_OPS)))]
        a, b = pool[int(pick.integers(0, len(pool)))], pool[int(pick.integers(0, len(pool)))]
        pool.append(op(a, b))
    return sum((r * r).sum() for r in pool[-3:])
