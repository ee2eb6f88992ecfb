"""Weight normalisation (Salimans and Kingma, 2016), as
``torch.nn.utils.weight_norm``: a weight written as a length times a
direction,

    w = g * v / ||v||,

with the norm taken over every dimension but ``dim`` (one length per slice
along ``dim``; over all of ``v`` when ``dim`` is None), so that gradient
descent learns the length ``g`` and the direction ``v`` separately.

``weight_norm(module)`` replaces the parameter ``weight`` by the two
parameters ``weight_g`` (its norms, the shape of ``weight`` with every
dimension but ``dim`` 1) and ``weight_v`` (its values), which is what
``state_dict`` then holds, and recomputes ``module.weight`` from them in a
forward pre-hook before every call; ``remove_weight_norm(module)`` folds
them back into one parameter.  PyTorch prefers the parametrization form now
(``tapegrad.nn.utils.parametrizations.weight_norm``) and warns about this one
(``FutureWarning``); both stay, as there.
"""

from __future__ import annotations

import warnings

from tapegrad.nn.module import Module, Parameter
from tapegrad.tensor import Tensor

__all__ = ["WeightNorm", "norm_except_dim", "remove_weight_norm", "weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, kept as
    size-1 dimensions (shape ``(1, .., v.shape[dim], .., 1)``); ``dim=-1``
    means over all of ``v`` (a 0-d tensor), as in PyTorch."""
    if dim == -1:
        return v.norm(pow)
    dim = _dim_in_range(dim, v.ndim)
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:  # (a vector along dim: each element is its own slice)
        return v.abs()
    return v.norm(pow, dim=others, keepdim=True)


def normalized_weight(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``w = g * v / ||v||``, the norm over every dimension but ``dim``
    (all of ``v`` for ``dim=-1``); differentiable in ``g`` and ``v``."""
    return v * (g / norm_except_dim(v, 2, dim))


def _dim_in_range(dim: int, ndim: int) -> int:
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
            f"but got {dim})"
        )
    return dim % max(ndim, 1)


class WeightNorm:
    """The forward pre-hook that sets ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each call (``dim=-1``: one norm for all of it)."""

    def __init__(self, name: str, dim: int | None):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return normalized_weight(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        """Split ``module.<name>`` into ``<name>_g`` and ``<name>_v`` and
        register the hook that recombines them."""
        if _hook_of(module, name) is not None:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if not isinstance(weight, Parameter):
            raise KeyError(f"weight_norm: {name!r} is not a parameter of {type(module).__name__}")
        delattr(module, name)
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        """Fold ``<name>_g`` and ``<name>_v`` back into the parameter ``<name>``."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _hook_of(module: Module, name: str):
    """The key of ``module``'s ``WeightNorm`` hook for ``name``, or None."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            return key
    return None


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (see the module's
    docs); returns ``module``.  ``dim=None`` (or -1) takes one norm over the
    whole tensor."""
    warnings.warn(
        "`tapegrad.nn.utils.weight_norm` is deprecated in favor of "
        "`tapegrad.nn.utils.parametrizations.weight_norm` (as in PyTorch).",
        FutureWarning,
        stacklevel=2,
    )
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``module.<name>`` is one parameter again, holding
    the current ``g * v / ||v||``; returns ``module``."""
    key = _hook_of(module, name)
    if key is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    module._forward_pre_hooks.pop(key).remove(module)
    return module
