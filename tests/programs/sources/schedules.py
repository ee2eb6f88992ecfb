"""Training loops with learning-rate schedules, as PyTorch recipes write
them: one-cycle per batch, linear warmup then cosine decay (SequentialLR),
cosine warm restarts stepped with fractional epochs, and reduce-on-plateau
stepped with the validation loss.  Each logs ``scheduler.get_last_lr()``
every step (only the data comes from the caller)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    LinearLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
)


def regressor(n_in=4, hidden=8):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def _step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_one_cycle(model, batches, epochs=3):
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    scheduler = OneCycleLR(optimizer, max_lr=0.1, epochs=epochs, steps_per_epoch=len(batches))
    losses, lrs, momenta = [], [], []
    for _ in range(epochs):
        for x, y in batches:
            losses.append(_step(model, optimizer, x, y))
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
            momenta.append(optimizer.param_groups[0]["momentum"])
    return losses, lrs, momenta


def _adam_one_cycle(model, total_steps):
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = OneCycleLR(
        optimizer, max_lr=0.05, total_steps=total_steps, three_phase=True, anneal_strategy="linear"
    )
    return optimizer, scheduler


def train_resumed(model, batches, epochs=3, stop_after=1):
    """One-cycle Adam (its betas cycle too), stopped after ``stop_after``
    epochs and resumed from the state dicts in a fresh optimizer and
    scheduler, as a job restarted from its checkpoint would."""
    total = epochs * len(batches)
    optimizer, scheduler = _adam_one_cycle(model, total)
    losses, lrs = [], []
    for epoch in range(epochs):
        if epoch == stop_after:
            checkpoint = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
            }
            model.load_state_dict(checkpoint["model"])
            optimizer, scheduler = _adam_one_cycle(model, total)
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
        for x, y in batches:
            losses.append(_step(model, optimizer, x, y))
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
    return losses, lrs, [group["betas"][0] for group in optimizer.param_groups]


def train_warmup_cosine(model, batches, epochs=3, warmup=3):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") else decay).append(p)
    optimizer = optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=3e-3,
        betas=(0.9, 0.95),
    )
    total = epochs * len(batches)
    warm = LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=warmup)
    cosine = CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=1e-4)
    scheduler = SequentialLR(optimizer, schedulers=[warm, cosine], milestones=[warmup])
    losses, lrs = [], []
    for _ in range(epochs):
        for x, y in batches:
            losses.append(_step(model, optimizer, x, y))
            scheduler.step()
            lrs.append(scheduler.get_last_lr())
    return losses, lrs


def train_warm_restarts(model, batches, epochs=4):
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=1, T_mult=2, eta_min=1e-3)
    iters = len(batches)
    losses, lrs = [], []
    for epoch in range(epochs):
        for i, (x, y) in enumerate(batches):
            losses.append(_step(model, optimizer, x, y))
            scheduler.step(epoch + i / iters)
            lrs.append(scheduler.get_last_lr()[0])
    return losses, lrs


def train_plateau(model, batches, val, epochs=8):
    optimizer = optim.SGD(model.parameters(), lr=0.3)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0, threshold=0.05)
    val_x, val_y = val
    losses, lrs = [], []
    for _ in range(epochs):
        model.train()
        for x, y in batches:
            losses.append(_step(model, optimizer, x, y))
        model.eval()
        with torch.no_grad():
            val_loss = F.mse_loss(model(val_x), val_y)
        scheduler.step(val_loss)
        lrs.append(scheduler.get_last_lr()[0])
    return losses, lrs, scheduler.state_dict()["num_bad_epochs"]
