"""Probability distributions with PyTorch's names (``torch.distributions``):
``Categorical`` and ``Normal``, sampled from tapegrad's generator."""

from tapegrad.distributions.categorical import Categorical
from tapegrad.distributions.distribution import Distribution
from tapegrad.distributions.normal import Normal

__all__ = ["Categorical", "Distribution", "Normal"]
