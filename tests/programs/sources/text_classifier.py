"""A transformer encoder classifier for padded token sequences, written for
PyTorch: embeddings and learned positions, nn.TransformerEncoder with
batch_first and a key padding mask, mean pooling over the real tokens, a
Linear head, CrossEntropyLoss and Adam."""

import math

import torch
import torch.nn as nn
import torch.optim as optim


class TransformerClassifier(nn.Module):
    def __init__(
        self,
        vocab_size,
        num_classes,
        d_model=32,
        nhead=4,
        num_layers=2,
        dim_feedforward=64,
        dropout=0.1,
        pad_idx=0,
        max_len=32,
    ):
        super().__init__()
        self.d_model = d_model
        self.pad_idx = pad_idx
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=pad_idx)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d_model))
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, dropout, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, tokens):
        pad = tokens == self.pad_idx  # (N, S), True where padding
        x = self.embed(tokens) * math.sqrt(self.d_model) + self.pos[:, : tokens.size(1)]
        h = self.encoder(x, src_key_padding_mask=pad)  # (N, S, E)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.head(pooled)


def train(model, batches, lr=1e-3):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for tokens, labels in batches:
        optimizer.zero_grad()
        loss = criterion(model(tokens), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, tokens, labels):
    model.eval()
    with torch.no_grad():
        logits = model(tokens)
        loss = nn.functional.cross_entropy(logits, labels).item()
        correct = (logits.argmax(dim=1) == labels).sum().item()
    return loss, correct
