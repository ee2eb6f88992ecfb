"""A residual MLP that saves memory the way PyTorch programs do: its blocks
(initialised by ``trunc_normal_`` and ``orthogonal_``) run under
``torch.utils.checkpoint`` in training, its input and output layers are
weight-normalised (the old ``nn.utils.weight_norm`` and the new
``nn.utils.parametrizations.weight_norm``), gradients are clipped by their
global norm, and an exponential moving average of the weights is kept as one
flat vector (only the data comes from the caller)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.utils import clip_grad_norm_, parameters_to_vector, vector_to_parameters
from torch.utils.checkpoint import checkpoint, checkpoint_sequential


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)
        nn.init.trunc_normal_(self.fc1.weight, std=0.2, a=-0.4, b=0.4)
        nn.init.orthogonal_(self.fc2.weight, gain=0.5)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x, scale=1.0):
        return x + scale * self.fc2(F.gelu(self.fc1(self.norm(x))))


class Net(nn.Module):
    def __init__(self, n_in=6, width=8, depth=3, n_out=3, use_checkpoint=True):
        super().__init__()
        self.use_checkpoint = use_checkpoint
        self.inp = nn.utils.weight_norm(nn.Linear(n_in, width))
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.tail = nn.Sequential(Block(width), Block(width))
        self.head = nn.utils.parametrizations.weight_norm(nn.Linear(width, n_out))

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            if self.use_checkpoint and self.training:
                h = checkpoint(block, h, scale=0.5, use_reentrant=False)
            else:
                h = block(h, scale=0.5)
        if self.use_checkpoint and self.training:
            h = checkpoint_sequential(self.tail, 2, h, use_reentrant=False)
        else:
            h = self.tail(h)
        return self.head(h)


def train(model, batches, lr=0.05, max_norm=0.5, ema_decay=0.9):
    """SGD with momentum; returns the losses, the gradient norms before
    clipping, and the final EMA weights as a flat list."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    ema = parameters_to_vector(model.parameters()).detach().clone()
    losses, grad_norms = [], []
    model.train()
    for x, y in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        grad_norms.append(clip_grad_norm_(model.parameters(), max_norm).item())
        optimizer.step()
        with torch.no_grad():
            ema.mul_(ema_decay).add_(parameters_to_vector(model.parameters()), alpha=1 - ema_decay)
        losses.append(loss.item())
    return losses, grad_norms, ema


def load_ema(model, ema):
    """Writes the EMA vector into the model's parameters."""
    with torch.no_grad():
        vector_to_parameters(ema, model.parameters())
    return model
