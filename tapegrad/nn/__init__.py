"""Neural networks (``torch.nn``): ``Module`` and ``Parameter``, layers,
activations, losses, ``init``, ``utils``, ``functional``, and the lecture's
residual blocks, ``MLP`` and explicit ``l2_penalty``."""

from tapegrad.nn import functional, init, utils
from tapegrad.nn.activations import (
    ELU,
    CosineSimilarity,
    GELU,
    GLU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PairwiseDistance,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
)
from tapegrad.nn.layers import (
    MLP,
    BatchNorm1d,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    Residual,
    ResidualMLPBlock,
)
from tapegrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from tapegrad.nn.containers import Flatten, Identity, ModuleDict, ModuleList, Sequential
from tapegrad.nn.module import IncompatibleKeys, Module, Parameter
from tapegrad.nn.penalty import l2_penalty

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss", "Dropout", "ELU",
    "Embedding", "Flatten", "GELU", "Hardtanh", "HuberLoss", "Identity", "IncompatibleKeys",
    "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MLP", "MSELoss", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Residual",
    "ResidualMLPBlock", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus",
    "Tanh", "functional", "init", "l2_penalty", "utils",
]  # fmt: skip
