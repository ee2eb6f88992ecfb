"""The log-gamma function and its derivatives as primitives of the table.

``lgamma' = digamma``, ``digamma' = polygamma(1, .)`` and
``polygamma(n, .)' = polygamma(n + 1, .)``: each vjp is the next entry, so
derivatives of every order follow.  The arrays are computed by
``tapegrad.gamma_math`` (in float64, rounded back to the input's dtype).
"""

from __future__ import annotations

import operator

from tapegrad import dtypes
from tapegrad import gamma_math as GM
from tapegrad.ops.registry import as_tensor_arg, defprim
from tapegrad.tensor import Tensor, new_tensor

LGAMMA = defprim(
    "lgamma",
    GM.lgamma,
    "g * DIGAMMA.apply(a)",
    partials="digamma(a)",
    saves=(0,),
    elementwise=True,
    public="float",
    doc="out = ln|Gamma(a)|",
)
DIGAMMA = defprim(
    "digamma",
    GM.digamma,
    lambda g, out, a: g * POLYGAMMA.apply(a, n=1),  # (a function: POLYGAMMA has a parameter)
    partials="polygamma(1, a)",
    saves=(0,),
    elementwise=True,
    public="float",
    doc="out = psi(a) = Gamma'(a)/Gamma(a)",
)
POLYGAMMA = defprim(
    "polygamma",
    lambda a, n: GM.polygamma(n, a),
    lambda g, out, a, n: g * POLYGAMMA.apply(a, n=n + 1),
    partials="polygamma(n + 1, a)",
    saves=(0,),
    doc="out = psi^(n)(a), the n-th derivative of digamma",
)
lgamma, digamma = LGAMMA.function, DIGAMMA.function


def _order(n) -> int:
    """``n`` as the order of a polygamma, checked as PyTorch checks it."""
    try:
        order = operator.index(n)
    except TypeError:
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}") from None
    if order < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return order


@POLYGAMMA.public(methods=())
def polygamma(n: int, input) -> Tensor:
    """``psi^(n)(input)``, the ``n``-th derivative of ``digamma``, elementwise
    (``n = 0`` is ``digamma``); integer inputs give the default float dtype.
    Its gradient is ``polygamma(n + 1, input)``."""
    order = _order(n)
    x = as_tensor_arg(input)
    if x._array.dtype.kind != "f":
        x = new_tensor(x._array.astype(dtypes.get_default_dtype()))
    return DIGAMMA.apply(x) if order == 0 else POLYGAMMA.apply(x, n=order)


def polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)``: the tensor comes first, the order second."""
    return polygamma(n, self)


# For tapegrad/_methods.py: the method not made by the table's entries, and
# the in-place forms PyTorch has (``x.lgamma_()``, ``x.polygamma_(n)``).
METHODS = {"polygamma": polygamma_method}
INPLACE = {"lgamma_": lgamma, "digamma_": digamma, "polygamma_": polygamma_method}
