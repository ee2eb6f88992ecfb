"""``tapegrad.utils.data`` mirrors ``torch.utils.data``, so that
``from torch.utils.data import DataLoader, TensorDataset`` carries over as
``from tapegrad.utils.data import DataLoader, TensorDataset``."""

from tapegrad.utils import data

__all__ = ["data"]
