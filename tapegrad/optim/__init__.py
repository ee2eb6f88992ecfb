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
]
