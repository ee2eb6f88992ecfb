"""Training: ``fit`` returns a ``History``; callbacks stop early, backtrack
to the best epoch, track gradient statistics and schedule learning rates."""

from tapegrad.train.callbacks import (
    Callback,
    EarlyStopping,
    FitState,
    GradientStats,
    LearningRateScheduler,
    TerminationCriteria,
)
from tapegrad.train.fit import accuracy, evaluate, fit
from tapegrad.train.history import History

__all__ = [
    "Callback", "EarlyStopping", "FitState", "GradientStats", "History",
    "LearningRateScheduler", "TerminationCriteria", "accuracy", "evaluate", "fit",
]  # fmt: skip
