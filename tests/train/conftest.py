"""Shared fixtures for the training tests: small data sets and models."""

import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.data import make_spirals
from tapegrad.data.loader import DataLoader, TensorDataset


def spiral_loaders(n=600, noise=0.0, seed=0, batch_size=32, val_fraction=0.0):
    x, y = make_spirals(n=n, noise=noise, seed=seed)
    n_val = int(n * val_fraction)
    train = TensorDataset(tg.tensor(x[n_val:]), tg.tensor(y[n_val:]))
    val = TensorDataset(tg.tensor(x[:n_val]), tg.tensor(y[:n_val])) if n_val else None
    train_loader = DataLoader(train, batch_size, shuffle=True, seed=seed)
    val_loader = DataLoader(val, batch_size=n_val) if val is not None else None
    return train_loader, val_loader


@pytest.fixture
def tiny():
    """A 2-8-2 MLP and a loader over 64 labelled points."""
    tg.manual_seed(0)
    train_loader, val_loader = spiral_loaders(n=80, noise=0.1, batch_size=16, val_fraction=0.2)
    return nn.MLP([2, 8, 2]), train_loader, val_loader


@pytest.fixture
def loaders():
    """``loaders(n, noise, seed, batch_size, val_fraction)`` -> (train, val) loaders."""
    return spiral_loaders
