"""The lecture's worked examples and experiments as functions returning data.

Each function is deterministic given its arguments (and ``seed``) and returns
a dataclass of plain Python numbers and lists, which the ``tapegrad lecture``
command prints as tables and plots (``tapegrad.lecture.commands``).

* :func:`worked_example` -- reverse-mode autodiff of the slide's ``y = f(x, z)``
* :func:`relu_network` -- the 1-2-3-1 ReLU network, autograd vs the matrix recursion
* :func:`vanishing_gradients` -- 50 sigmoid layers; ``residual=True`` for the fix
* :func:`gradient_statistics` -- moving averages of noisy gradients
* :func:`optimizers_comparison` -- SGD, momentum, RMSprop, Adam
* :func:`early_stopping_demo` -- past the minimum of the validation loss and back
* :func:`regularisation_demo` -- L2 penalty and dropout
"""

from __future__ import annotations

import importlib

# name -> submodule; loaded on first use so that ``tapegrad lecture --help``
# (which imports ``tapegrad.lecture.commands``) stays light.
_WHERE = {
    "ReluNetwork": "examples",
    "WorkedExample": "examples",
    "relu_network": "examples",
    "worked_example": "examples",
    "GradientStatistics": "experiments",
    "VanishingGradients": "experiments",
    "gradient_statistics": "experiments",
    "vanishing_gradients": "experiments",
    "EarlyStoppingDemo": "training",
    "OptimizersComparison": "training",
    "RegularisationDemo": "training",
    "early_stopping_demo": "training",
    "optimizers_comparison": "training",
    "regularisation_demo": "training",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"tapegrad.lecture.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tapegrad.lecture' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
