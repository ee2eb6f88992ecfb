"""Data: ``Dataset``, ``TensorDataset``, ``DataLoader`` and the data sets
(bundled UCI digits, generated toy sets, MNIST-format IDX files)."""

from tapegrad.data.datasets import (
    DATASETS,
    DatasetInfo,
    Split,
    dataset_info,
    digits_split,
    load_dataset,
    load_digits,
    make_moons,
    make_spirals,
    make_xor,
    split,
)
from tapegrad.data.errors import DataError
from tapegrad.data.idx import load_idx, load_mnist, save_idx
from tapegrad.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

__all__ = [
    "DATASETS",
    "DataError",
    "DatasetInfo",
    "Split",
    "dataset_info",
    "digits_split",
    "load_dataset",
    "load_digits",
    "load_idx",
    "load_mnist",
    "make_moons",
    "make_spirals",
    "make_xor",
    "save_idx",
    "split",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
