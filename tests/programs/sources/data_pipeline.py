"""A data pipeline as PyTorch programs build it: a custom ``Dataset`` whose
items are dicts of NumPy arrays, ints, floats, strings and tuples, collated
by the default collate function; a train/validation ``random_split`` with a
seeded generator; a ``ConcatDataset`` of two sources; loaders with worker
processes; and a linear classifier trained on the collated batches (only the
data comes from the caller)."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    get_worker_info,
    random_split,
)
from torch.utils.data.dataloader import default_collate


class Shapes(Dataset):
    """Items: {"image": float32 (1, 4, 4), "label": int, "weight": float,
    "name": str, "meta": (index, offset)}."""

    def __init__(self, images, labels, offset=0, transform=None):
        self.images = images
        self.labels = labels
        self.offset = offset
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = self.images[idx]
        if self.transform is not None:
            image = self.transform(image)
        return {
            "image": image,
            "label": int(self.labels[idx]),
            "weight": 1.0 + 0.5 * (idx % 2),
            "name": f"shape-{self.offset + idx}",
            "meta": (idx, self.offset),
        }


def normalize(image):
    return ((image - image.mean()) / (image.std() + 1e-6)).astype(np.float32)


def build(images_a, labels_a, images_b, labels_b):
    """Both sources, concatenated; the second one normalised."""
    first = Shapes(images_a, labels_a)
    second = Shapes(images_b, labels_b, offset=len(labels_a), transform=normalize)
    return ConcatDataset([first, second])


def split(dataset, fraction=0.75, seed=0):
    n_train = int(fraction * len(dataset))
    generator = torch.Generator().manual_seed(seed)
    return random_split(dataset, [n_train, len(dataset) - n_train], generator=generator)


def loader(dataset, batch_size=4, shuffle=False, num_workers=0, seed=0, context=None):
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        generator=generator,
        drop_last=False,
        multiprocessing_context=context,
    )


class Records(IterableDataset):
    """A stream of (index, features) records from ``start`` to ``end``, split
    between the loader's workers as PyTorch's IterableDataset docs show."""

    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        worker_info = get_worker_info()
        if worker_info is None:  # in the main process: the whole range
            lo, hi = self.start, self.end
        else:
            per_worker = int(math.ceil((self.end - self.start) / float(worker_info.num_workers)))
            lo = self.start + worker_info.id * per_worker
            hi = min(lo + per_worker, self.end)
        for i in range(lo, hi):
            yield i, np.full(2, i / 10, dtype=np.float32)


def stream(dataset, batch_size=3, num_workers=0, context=None):
    """The batches of an iterable data set: per batch, the indices and the
    feature sums."""
    data_loader = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, multiprocessing_context=context
    )
    return [(index.tolist(), features.sum(1).tolist()) for index, features in data_loader]


def describe(batch):
    """The structure of a collated batch: types, shapes and dtypes."""
    if isinstance(batch, dict):
        return {key: describe(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [type(batch).__name__] + [describe(item) for item in batch]
    if torch.is_tensor(batch):
        return ("tensor", tuple(batch.shape), str(batch.dtype).split(".")[-1])
    return type(batch).__name__


def batch_sums(batches):
    """Per batch: the image sum, the label sum, the weight sum, the names."""
    return [
        (
            b["image"].sum().item(),
            b["label"].sum().item(),
            b["weight"].sum().item(),
            list(b["name"]),
        )
        for b in batches
    ]


class Linear(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.fc = nn.Linear(16, n_classes)

    def forward(self, image):
        return self.fc(torch.flatten(image, 1))


def train(model, data_loader, epochs=2, lr=0.1):
    """Per-sample weighted cross-entropy on the collated batches."""
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        for batch in data_loader:
            per_sample = F.cross_entropy(model(batch["image"]), batch["label"], reduction="none")
            weight = batch["weight"].to(per_sample.dtype)
            loss = (per_sample * weight).sum() / weight.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def collate_pairs(samples):
    """What ``default_collate`` makes of (array, int) pairs."""
    return default_collate(samples)
