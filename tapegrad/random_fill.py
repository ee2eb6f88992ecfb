"""The distributions the in-place random methods draw from: ``x.normal_()``,
``x.uniform_()``, ``x.bernoulli_()``, ``x.random_()``, ``x.exponential_()``,
``x.geometric_()``, ``x.cauchy_()`` and ``x.log_normal_()``, with PyTorch's
parameters, defaults, dtype rules and checks.

Each is ``law(rng, x, *parameters)``: an array of ``x``'s shape drawn from
``rng`` (the NumPy generator behind ``tg.manual_seed``, or a
``generator=``); ``tapegrad._methods`` casts it to ``x``'s dtype and writes
it into ``x`` through the one in-place door, so the same seed gives the
same values.
"""

from __future__ import annotations

import warnings

from tapegrad import backend as B

xp = B.xp
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _continuous(x, law: str) -> None:
    """A continuous law fills floating tensors only, as in PyTorch."""
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{law}: a continuous distribution fills floating point tensors only, "
            f"got dtype {x.dtype}"
        )


def _probability(p, law: str, low: str = "[", high: str = "]") -> float:
    """``p`` as a float, checked to lie in the interval ``low 0, 1 high``."""
    p = float(p)
    if not ((0 <= p if low == "[" else 0 < p) and (p <= 1 if high == "]" else p < 1)):
        raise RuntimeError(f"{law} expects p to be in {low}0, 1{high}, but got p={p:g}")
    return p


# ------------------------------------------------------------ continuous
def normal_(rng, x, mean=0.0, std=1.0):
    """Normal: ``mean + std * z``, ``z ~ N(0, 1)`` (``std >= 0``)."""
    _continuous(x, "normal_")
    mean, std = float(mean), float(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return rng.normal(mean, std, size=x.shape)


def uniform_(rng, x, low=0.0, /, to=1.0):
    """Uniform on ``[from, to)`` (PyTorch's ``uniform_(from=0, to=1)``)."""
    _continuous(x, "uniform_")
    low, to = float(low), float(to)
    limits = xp.finfo(x.dtype)
    for name, bound in (("from", low), ("to", to)):
        if not limits.min <= bound <= limits.max:
            raise RuntimeError(f"uniform_: {name} is out of bounds for {x.dtype}")
    if low > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={to:g}"
        )
    return rng.uniform(low, to, size=x.shape)


def exponential_(rng, x, lambd=1.0):
    """Exponential with rate ``lambd > 0``: density ``lambd exp(-lambd v)``."""
    _continuous(x, "exponential_")
    lambd = float(lambd)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return rng.exponential(1.0 / lambd, size=x.shape)


def cauchy_(rng, x, median=0.0, sigma=1.0):
    """Cauchy: density ``1 / (pi sigma (1 + ((v - median) / sigma)^2))``."""
    _continuous(x, "cauchy_")
    median, sigma = float(median), float(sigma)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return median + sigma * rng.standard_cauchy(size=x.shape)


def log_normal_(rng, x, mean=1.0, std=2.0):
    """Log-normal: ``exp(v)`` for ``v ~ N(mean, std^2)`` (``std > 0``)."""
    _continuous(x, "log_normal_")
    mean, std = float(mean), float(std)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return rng.lognormal(mean, std, size=x.shape)


# --------------------------------------------------------------- discrete
def bernoulli_(rng, x, p=0.5):
    """1 with probability ``p``, else 0; ``p`` a number or a floating tensor
    that broadcasts to ``x`` (one probability per element)."""
    if not hasattr(p, "shape"):
        return rng.random(x.shape) < _probability(p, "bernoulli_")
    if p.dtype.kind != "f":
        raise RuntimeError(f"bernoulli_: p must be a floating point tensor, got dtype {p.dtype}")
    probabilities = xp.asarray(p.detach().numpy() if hasattr(p, "detach") else p)
    if ((probabilities < 0) | (probabilities > 1)).any():
        raise RuntimeError("bernoulli_ expects all elements of p to be in [0, 1]")
    try:
        probabilities = xp.broadcast_to(probabilities, x.shape)
    except ValueError:
        raise RuntimeError(
            f"bernoulli_: p of shape {tuple(p.shape)} does not broadcast to the shape "
            f"{tuple(x.shape)} of the tensor filled"
        ) from None
    return rng.random(x.shape) < probabilities


def geometric_(rng, x, p):
    """The number of Bernoulli(``p``) trials up to the first success:
    ``P(k) = (1 - p)^(k - 1) p`` for ``k = 1, 2, ...``."""
    if x.dtype.kind == "b":
        raise RuntimeError("geometric_: not implemented for bool tensors")
    return rng.geometric(_probability(p, "geometric_", "(", ")"), size=x.shape)


def random_(rng, x, *bounds, to=None):
    """Integers uniform on ``[from, to - 1]``: ``random_()`` over all the
    integers ``x``'s dtype holds (for floats ``[0, 2^mantissa]``, every one
    exact), ``random_(to)`` from 0, ``random_(from, to)``, ``random_(from,
    None)`` up to the dtype's largest."""
    low, high = _random_range(x.dtype, bounds, to)
    return rng.integers(low, high, size=x.shape, endpoint=True, dtype=xp.int64)


def _random_range(dtype, bounds: tuple, to) -> tuple:
    """The inclusive ``(low, high)`` of ``random_``'s arguments for ``dtype``."""
    if len(bounds) > 2 or (len(bounds) == 2 and to is not None):
        raise TypeError("random_() takes (), (to) or (from, to) as arguments")
    if any(isinstance(b, float) for b in (*bounds, to)):
        raise TypeError("random_(): from and to must be integers")
    smallest, largest = _exact_integers(dtype)
    if len(bounds) == 2:
        low, to = bounds
    elif bounds:
        low, to = 0, bounds[0]
    else:
        low = 0
        if to is None:
            return 0, largest
    if to is not None and low >= to:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={to}"
        )
    high = largest if to is None else to - 1
    for name, value in (("from", low), ("to - 1", high)):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise RuntimeError(f"random_: {name} = {value} does not fit in int64")
        if not smallest <= value <= largest:
            _out_of_bounds(dtype, name, smallest, largest)
    return int(low), int(high)


def _exact_integers(dtype) -> tuple:
    """The range of integers a dtype holds exactly: its whole range for
    integers and bool, ``[-2^digits, 2^digits]`` for floats."""
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind == "f":
        digits = xp.finfo(dtype).nmant + 1
        return -(2**digits), 2**digits
    limits = xp.iinfo(dtype)
    return int(limits.min), int(limits.max)


def _out_of_bounds(dtype, name: str, smallest: int, largest: int) -> None:
    """An integer dtype refuses a bound it cannot hold; a float dtype warns
    (its integers are exact only within ``[-2^digits, 2^digits]``), as
    PyTorch does."""
    if dtype.kind != "f":
        raise RuntimeError(f"random_: {name} is out of bounds for {dtype}")
    warnings.warn(
        f"random_: {name} is out of bounds [{smallest}, {largest}]; {dtype} holds integers "
        "exactly only within this range",
        UserWarning,
        stacklevel=4,
    )
