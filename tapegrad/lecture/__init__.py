"""The lecture's worked examples and experiments as functions returning data.

Each function is deterministic given its arguments (and ``seed``) and returns
a dataclass of plain Python numbers and lists, which the ``tapegrad lecture``
command prints as tables and plots (``tapegrad.lecture.commands``).

* :func:`worked_example` -- reverse-mode autodiff of the slide's ``y = f(x, z)``
* :func:`relu_network` -- the 1-2-3-1 ReLU network, autograd vs the matrix recursion
* :func:`activations` -- every activation function and its derivative, by backward
* :func:`finite_differences` -- forward and central differences vs backprop, float32 and float64
* :func:`vanishing_gradients` -- 50 sigmoid layers; ``residual=True`` for the fix
* :func:`gradient_statistics` -- moving averages of noisy gradients
* :func:`optimizers_comparison` -- SGD, momentum, RMSprop, Adam
* :func:`optimizer_paths` -- the optimisers' paths on a 2-D function (Rosenbrock, Beale)
* :func:`worked_example_pictures`, :func:`relu_network_pictures` -- their Graphviz pictures
* :func:`early_stopping_demo` -- past the minimum of the validation loss and back
* :func:`regularisation_demo` -- L2 penalty and dropout
* :func:`normalization` -- a deep sigmoid MLP without normalisation, with layer norm, batch norm
"""

from __future__ import annotations

import importlib

# name -> submodule; loaded on first use so that ``tapegrad lecture --help``
# (which imports ``tapegrad.lecture.commands``) stays light.  No submodule is
# named like a function: importing it would set the package's attribute of
# that name to the module.
_WHERE = {
    "ReluNetwork": "examples",
    "WorkedExample": "examples",
    "relu_network": "examples",
    "worked_example": "examples",
    "Activations": "activation_functions",
    "activations": "activation_functions",
    "FiniteDifferences": "difference_quotients",
    "finite_differences": "difference_quotients",
    "GradientStatistics": "experiments",
    "VanishingGradients": "experiments",
    "gradient_statistics": "experiments",
    "vanishing_gradients": "experiments",
    "EarlyStoppingDemo": "training",
    "OptimizersComparison": "training",
    "RegularisationDemo": "training",
    "early_stopping_demo": "training",
    "optimizers_comparison": "training",
    "OptimizerPaths": "training",
    "optimizer_paths": "training",
    "Pictures": "pictures",
    "relu_network_graph": "pictures",
    "relu_network_pictures": "pictures",
    "worked_example_graph": "pictures",
    "worked_example_pictures": "pictures",
    "regularisation_demo": "training",
    "Normalization": "normalize",
    "normalization": "normalize",
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
