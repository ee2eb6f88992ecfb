"""An LSTM classifier that reads an MNIST image row by row (28 steps of 28
features), as written for PyTorch; Adam, cross-entropy (only the data comes
from the caller)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class RowLSTM(nn.Module):
    def __init__(self, input_size=28, hidden_size=32, num_layers=2, num_classes=10):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        x = x.reshape(-1, 28, 28)
        h0 = torch.zeros(self.lstm.num_layers, x.size(0), self.lstm.hidden_size)
        c0 = torch.zeros(self.lstm.num_layers, x.size(0), self.lstm.hidden_size)
        out, _ = self.lstm(x, (h0, c0))
        return self.fc(out[:, -1, :])


def train(model, batches, lr=1e-3):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for images, labels in batches:
        outputs = model(images)
        loss = F.cross_entropy(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test(model, images, labels):
    model.eval()
    with torch.no_grad():
        outputs = model(images)
        _, predicted = torch.max(outputs, 1)
        correct = (predicted == labels).sum().item()
    return F.cross_entropy(outputs, labels).item(), correct
