"""The lecture's explicit L2 penalty ``Omega(W(1), ..., W(L)) = sum_l sum_ij (w_ij(l))^2``.

The augmented cost is ``C + lambda * Omega``: multiply the penalty by
``lambda`` yourself, ``loss = loss_fn(y, t) + lam * nn.l2_penalty(model)``.
(An optimiser's ``weight_decay`` adds ``lambda * w`` to the gradient instead,
which is the gradient of ``lambda/2 * Omega``.)
"""

from __future__ import annotations

from tapegrad.ops import reduce as R
from tapegrad.tensor import Tensor


def l2_penalty(module, weights_only: bool = True) -> Tensor:
    """``sum over weights of w**2`` as a differentiable scalar.

    ``weights_only=True``: only the weight matrices (parameters with at least
    two dimensions: ``Linear.weight``, ``Embedding.weight``), not biases nor
    normalisation gains and shifts, as the lecture's Omega; ``False``: every
    parameter."""
    total = None
    for p in module.parameters():
        if weights_only and p.ndim < 2:
            continue
        term = R.sum(p * p)
        total = term if total is None else total + term
    if total is None:
        from tapegrad.factories import zeros

        return zeros(())
    return total
