"""``torch.utils.data``'s names, from ``tapegrad.data.loader``."""

from tapegrad.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
