"""PyTorch's deprecated ``size_average`` and ``reduce`` loss arguments
(``torch.nn._reduction``): given either, they decide the reduction."""

from __future__ import annotations

import warnings


def reduction_of(size_average, reduce, reduction: str) -> str:
    """``reduction``, unless ``size_average`` or ``reduce`` is given: then each
    missing one counts as True and the pair means 'none' when not ``reduce``,
    else 'sum' when not ``size_average``, else 'mean' (with PyTorch's warning)."""
    if size_average is None and reduce is None:
        return reduction
    averaged = True if size_average is None else size_average
    reduced = True if reduce is None else reduce
    legacy = "none" if not reduced else "mean" if averaged else "sum"
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{legacy}' instead.",
        stacklevel=3,
    )
    return legacy
