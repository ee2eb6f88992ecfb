"""Building blocks of the primitive table's gradcheck samples.

A sample is a ``Case``: the arguments of one call of a primitive (tensors in
float64; ``U`` ones require grad, ``C`` ones are constants) and its static
parameters.  ``test_primitive_table.py`` runs ``tg.gradcheck`` on every case
of every primitive; a primitive without cases fails that test.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import tapegrad as tg


@dataclasses.dataclass
class Arg:
    shape: tuple
    lo: float = -2.0
    hi: float = 2.0
    grad: bool = True
    value: object = None  # a fixed array (constants such as indices)

    def build(self, rng):
        if self.value is not None:
            arr = np.asarray(self.value)
            if arr.dtype.kind == "f":
                arr = arr.astype(np.float64)
            return tg.tensor(arr, requires_grad=self.grad and arr.dtype.kind == "f")
        arr = rng.uniform(self.lo, self.hi, size=self.shape)
        return tg.tensor(arr, dtype=tg.float64, requires_grad=self.grad)


def U(shape=(), lo=-2.0, hi=2.0):
    """A float64 argument drawn uniformly from [lo, hi) that requires grad."""
    return Arg(tuple(shape), lo, hi, True)


def C(value):
    """A constant argument (indices, masks, fixed values): no gradient."""
    return Arg((), grad=False, value=value)


def K(shape=(), lo=-2.0, hi=2.0):
    """A random float64 argument that does not require grad."""
    return Arg(tuple(shape), lo, hi, False)


@dataclasses.dataclass
class Case:
    args: tuple
    params: dict
    label: str = ""

    def build(self, rng):
        return [a.build(rng) for a in self.args], dict(self.params)


def case(*args, label="", **params) -> Case:
    return Case(args, params, label)


# the broadcasting pairs every binary elementwise op is checked on
BROADCAST_PAIRS = [((3,), (3,)), ((), (4,)), ((2, 1, 3), (2, 5, 3)), ((2, 1), (5, 2, 3))]


def binary_cases(lo=-2.0, hi=2.0, lo_b=None, hi_b=None):
    lo_b = lo if lo_b is None else lo_b
    hi_b = hi if hi_b is None else hi_b
    out = []
    for sa, sb in BROADCAST_PAIRS:
        out.append(case(U(sa, lo, hi), U(sb, lo_b, hi_b), label=f"{sa} with {sb}"))
        out.append(case(U(sb, lo, hi), U(sa, lo_b, hi_b), label=f"{sb} with {sa}"))
    return out


def unary_cases(lo=-2.0, hi=2.0, **params):
    return [case(U(s, lo, hi), label=str(s), **params) for s in [(), (5,), (2, 3, 4)]]
