"""Curve fitting with L-BFGS as PyTorch users write it: a model with named
scalar parameters (y = a exp(-b x) + c) and a small tanh network, each fitted
by ``optim.LBFGS`` with a closure and the strong-Wolfe line search (only the
data comes from the caller)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Decay(nn.Module):
    """y = a * exp(-b * x) + c"""

    def __init__(self, a=1.0, b=0.5, c=0.0):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a, dtype=torch.float64))
        self.b = nn.Parameter(torch.tensor(b, dtype=torch.float64))
        self.c = nn.Parameter(torch.tensor(c, dtype=torch.float64))

    def forward(self, x):
        return self.a * torch.exp(-self.b * x) + self.c


def mlp(hidden=8):
    return nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1)).double()


def fit(model, x, y, steps=4, line_search_fn="strong_wolfe", lr=1, max_iter=20):
    """Runs ``steps`` calls of ``optimizer.step(closure)``; returns the loss
    each call returned, the number of closure evaluations, and the final
    loss."""
    optimizer = optim.LBFGS(
        model.parameters(),
        lr=lr,
        max_iter=max_iter,
        history_size=10,
        line_search_fn=line_search_fn,
    )
    evaluations = 0
    losses = []

    def closure():
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        return loss

    for _ in range(steps):
        loss = optimizer.step(closure)
        losses.append(loss.item())
    with torch.no_grad():
        final = F.mse_loss(model(x), y).item()
    return losses, evaluations, final
