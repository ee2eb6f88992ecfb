"""Layers with parameters or state: ``Linear``, ``Dropout``, ``LayerNorm``,
``Embedding``, and the lecture's residual blocks and ``MLP`` (``BatchNorm1d``
lives in ``normalization``, with the other normalisation layers)."""

from __future__ import annotations

import copy
import math

import tapegrad as tg
from tapegrad.autograd.graph import no_grad
from tapegrad.nn import functional as F
from tapegrad.nn import init
from tapegrad.nn.activations import ACTIVATIONS
from tapegrad.nn.containers import Sequential
from tapegrad.nn.module import Module, Parameter
from tapegrad.nn.normalization import BatchNorm1d
from tapegrad.tensor import Tensor


def _empty(shape, dtype) -> Tensor:
    return tg.empty(shape, dtype=dtype)


class Linear(Module):
    """The affine layer ``y = x W^T + b``: ``x (..., in_features)`` ->
    ``y (..., out_features)``; ``weight (out_features, in_features)``,
    ``bias (out_features,)``.  PyTorch's initialisation: weight and bias from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) (``kaiming_uniform_`` with
    ``a = sqrt(5)`` for the weight).  One fused node per call."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        params = self._parameters  # (faster than two lookups through Module.__getattr__)
        if "weight" in params and "bias" in params:
            return F.linear(input, params["weight"], params["bias"])
        return F.linear(input, self.weight, self.bias)  # (reparametrised: weight_norm, ...)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the
    rest by ``1/(1-p)``; the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class LayerNorm(Module):
    """The lecture's layer norm over the last dims ``normalized_shape``:
    ``g * (a - mean a) / sqrt(var a + eps) + b`` (biased variance); gain
    ``weight`` starts at ones, ``bias`` at zeros."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = F._shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(init.ones_(_empty(self.normalized_shape, dtype)))
            if bias:
                self.bias = Parameter(init.zeros_(_empty(self.normalized_shape, dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: integer ``input (...)`` -> ``weight[input] (..., embedding_dim)``;
    ``weight`` drawn from N(0, 1), its ``padding_idx`` row zero and never updated.
    ``max_norm``, ``norm_type`` and ``scale_grad_by_freq`` as in
    ``nn.functional.embedding``; ``sparse=True`` is refused (no sparse
    gradients in tapegrad)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        if sparse:
            raise NotImplementedError(
                "Embedding: sparse=True needs sparse gradients, which tapegrad does not have; "
                "use sparse=False (a dense gradient for the whole table)"
            )
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(_empty((num_embeddings, embedding_dim), dtype), not _freeze)
            init.normal_(self.weight)
            if padding_idx is not None:
                with no_grad():
                    self.weight[padding_idx] = 0
        else:
            self.weight = Parameter(_weight, not _freeze)

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s


# ================================================================ residual
def _activation(activation) -> Module:
    """A fresh activation module from a class, an instance (copied) or a name."""
    if isinstance(activation, str):
        key = activation.lower()
        if key in ("identity", "linear", "none"):
            from tapegrad.nn.containers import Identity

            return Identity()
        if key not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[key]()
    if isinstance(activation, Module):
        return copy.deepcopy(activation)
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    raise TypeError(f"activation must be a Module class, instance or name, got {activation!r}")


class Residual(Module):
    """``forward(x) = x + block(x)`` (a skip connection around ``block``)."""

    def __init__(self, block: Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, input):
        return input + self.block(input)


class ResidualMLPBlock(Module):
    """The lecture's residual block ``o = o_prev + V sigma(W o_prev + c) + b``.

    Attributes: ``W = Linear(d, hidden)`` (its bias is ``c``), ``activation``
    (sigma), ``V = Linear(hidden, d)`` (its bias is ``b``); so the state-dict
    keys are ``W.weight, W.bias, V.weight, V.bias``.  Shapes ``(..., d) -> (..., d)``."""

    def __init__(self, d: int, hidden: int, activation=None) -> None:
        super().__init__()
        from tapegrad.nn.activations import ReLU

        self.W = Linear(d, hidden)
        self.activation = _activation(ReLU if activation is None else activation)
        self.V = Linear(hidden, d)

    def forward(self, input):
        return input + self.V(self.activation(self.W(input)))


class MLP(Sequential):
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    Layer ``i`` is ``Linear(sizes[i], sizes[i+1])``; after every Linear but the
    last come, in this order, the normalisation (``norm='layer'``:
    ``LayerNorm``, ``'batch'``: ``BatchNorm1d``), the activation (a class, an
    instance that is copied, or a name such as ``'relu'``) and ``Dropout(dropout)``
    when ``dropout > 0``.  No activation follows the last Linear.

    With ``residual=True``, each such hidden group whose Linear maps a hidden
    width to the same hidden width (``sizes[i] == sizes[i+1]``, ``0 < i`` and
    ``i + 1 < len(sizes) - 1``) becomes ``Residual(Sequential(Linear, norm,
    activation, dropout))``, i.e. ``o = o + dropout(act(norm(W o + b)))``.
    The modules are the items of this ``Sequential`` (``mlp[0]`` is the first
    Linear); ``modules()`` lists every ``Linear`` in order.
    """

    def __init__(
        self,
        sizes,
        activation=None,
        residual: bool = False,
        norm: str | None = None,
        dropout: float = 0.0,
    ) -> None:
        from tapegrad.nn.activations import ReLU

        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if norm not in (None, "layer", "batch"):
            raise ValueError(f"MLP: norm must be None, 'layer' or 'batch', got {norm!r}")
        activation = ReLU if activation is None else activation
        super().__init__()
        self.sizes = tuple(sizes)
        last = len(sizes) - 2
        for i in range(len(sizes) - 1):
            group = [Linear(sizes[i], sizes[i + 1])]
            if i < last:
                if norm == "layer":
                    group.append(LayerNorm(sizes[i + 1]))
                elif norm == "batch":
                    group.append(BatchNorm1d(sizes[i + 1]))
                group.append(_activation(activation))
                if dropout > 0:
                    group.append(Dropout(dropout))
            if residual and 0 < i < last and sizes[i] == sizes[i + 1]:
                self.append(Residual(Sequential(*group)))
            else:
                for m in group:
                    self.append(m)
