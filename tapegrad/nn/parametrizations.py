"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``:
``weight_norm`` as a parametrization (``tapegrad.nn.parametrize``)."""

from __future__ import annotations

from tapegrad.nn import parametrize
from tapegrad.nn.module import Module
from tapegrad.nn.weight_norm import norm_except_dim, normalized_weight

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    """``w = g * v / ||v||`` from ``(g, v)``; its ``right_inverse`` splits a
    weight into its norms ``g`` and itself ``v``."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return normalized_weight(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalisation of ``module.<name>`` as a parametrization:
    ``g`` is ``parametrizations.<name>.original0`` and ``v``
    ``parametrizations.<name>.original1``, and reading ``module.<name>``
    computes ``g * v / ||v||`` (the norm over every dimension but ``dim``;
    all of them for None).  Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module
