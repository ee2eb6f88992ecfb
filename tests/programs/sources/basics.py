"""A "PyTorch basics" classification script in the style of the older
tutorials: a hand-written linear layer with ``nn.Parameter(torch.Tensor(...))``
and ``reset_parameters``, the legacy tensor types, a ``TensorDataset`` read
through samplers, a manual SGD update on ``p.data`` and ``f"{loss:.4f}"``
logging (only the data comes from the caller)."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler, TensorDataset

torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class MyLinear(nn.Module):
    """y = x W^T + b, with a fixed 0/1 mask on W (a pruned layer)."""

    def __init__(self, in_features, out_features, bias=True):
        super(MyLinear, self).__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.Tensor(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.Tensor(out_features))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("mask", torch.ones(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.size(1)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def prune(self, threshold):
        self.mask.masked_fill_(self.weight.data.abs() < threshold, 0)

    def forward(self, input):
        return F.linear(input, self.weight * self.mask, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Classifier(nn.Module):
    def __init__(self, n_in, n_hidden, n_classes):
        super(Classifier, self).__init__()
        self.fc1 = MyLinear(n_in, n_hidden)
        self.fc2 = MyLinear(n_hidden, n_classes)
        # class 0 is never a valid answer in this toy task
        self.register_buffer("allowed", torch.BoolTensor([False] + [True] * (n_classes - 1)))

    def forward(self, x):
        x = x.view(x.size(0), -1)
        h = torch.tanh(self.fc1(x))
        logits = self.fc2(h)
        logits.masked_fill_(~self.allowed, -1e4)
        return logits


def make_dataset(features, labels):
    """``features``: a list of rows of floats; ``labels``: a list of ints."""
    X = torch.FloatTensor(features)
    y = torch.LongTensor(labels)
    return TensorDataset(X, y)


def train(model, dataset, epochs=3, batch_size=4, lr=0.1):
    model = model.to(device)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=SequentialSampler(dataset))
    losses, log = [], []
    for epoch in range(epochs):
        running = None
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss = F.cross_entropy(out, y)
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            running = loss.detach() if running is None else running + loss.detach()
            losses.append(loss.item())
        log.append(f"epoch {epoch}: loss {running / len(loader):.4f}")
    return losses, log


def evaluate(model, dataset, batch_size=3):
    """Summed loss, accuracy, Brier score (squared distance of the softmax
    probabilities from the one-hot labels), and the mean probability per
    class (accumulated into a tensor made by ``new_zeros``)."""
    sampler = BatchSampler(SequentialSampler(dataset), batch_size=batch_size, drop_last=False)
    loader = DataLoader(dataset, batch_sampler=sampler)
    model.eval()
    total_loss, correct, brier, seen, prob_sum = 0.0, 0, 0.0, 0, None
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total_loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).type_as(x).sum().item()
            probs = F.softmax(out, dim=1)
            one_hot = torch.zeros_like(probs).scatter_(1, y.unsqueeze(1), 1.0)
            brier += ((probs - one_hot) ** 2).sum().item()
            if prob_sum is None:
                prob_sum = probs.new_zeros(probs.size()[1:])
            prob_sum += probs.sum(0)
            seen += y.size(0)
    return total_loss, correct / seen, brier / seen, (prob_sum / seen).tolist()
