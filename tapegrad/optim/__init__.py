"""Optimisers (``torch.optim`` names): each ``step()`` changes the parameters
in place from their ``.grad``, without recording graph."""

from tapegrad.optim import lr_scheduler
from tapegrad.optim.adadelta import Adadelta
from tapegrad.optim.adagrad import Adagrad
from tapegrad.optim.adam import Adam, AdamW
from tapegrad.optim.adamax import Adamax
from tapegrad.optim.lbfgs import LBFGS
from tapegrad.optim.nadam import NAdam
from tapegrad.optim.optimizer import Optimizer
from tapegrad.optim.radam import RAdam
from tapegrad.optim.rmsprop import RMSprop
from tapegrad.optim.sgd import SGD, EMAMomentum

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "EMAMomentum",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "lr_scheduler",
    "swa_utils",
]


def __getattr__(name: str):
    # ``swa_utils`` averages whole models (``nn.Module``): loaded on first use,
    # so the optimisers themselves stay below ``nn``.
    if name == "swa_utils":
        import importlib

        return importlib.import_module("tapegrad.optim.swa_utils")
    raise AttributeError(f"module 'tapegrad.optim' has no attribute {name!r}")
