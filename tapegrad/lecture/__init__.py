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

from tapegrad.lecture.examples import ReluNetwork, WorkedExample, relu_network, worked_example
from tapegrad.lecture.experiments import (
    GradientStatistics,
    VanishingGradients,
    gradient_statistics,
    vanishing_gradients,
)
from tapegrad.lecture.training import (
    EarlyStoppingDemo,
    OptimizersComparison,
    RegularisationDemo,
    early_stopping_demo,
    optimizers_comparison,
    regularisation_demo,
)

__all__ = [
    "EarlyStoppingDemo", "GradientStatistics", "OptimizersComparison", "RegularisationDemo",
    "ReluNetwork", "VanishingGradients", "WorkedExample", "early_stopping_demo",
    "gradient_statistics", "optimizers_comparison", "regularisation_demo", "relu_network",
    "vanishing_gradients", "worked_example",
]  # fmt: skip
