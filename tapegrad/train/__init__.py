"""Training: ``fit`` returns a ``History``; callbacks stop early, backtrack
to the best epoch, track gradient statistics and schedule learning rates.
``DataLoader`` and ``TensorDataset`` (from ``tapegrad.data``) are here too,
as the API lists them with training."""

from tapegrad.data.loader import DataLoader, Dataset, Subset, TensorDataset, random_split
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
    "Callback",
    "DataLoader",
    "Dataset",
    "EarlyStopping",
    "FitState",
    "GradientStats",
    "History",
    "LearningRateScheduler",
    "Subset",
    "TensorDataset",
    "TerminationCriteria",
    "accuracy",
    "evaluate",
    "fit",
    "random_split",
]
