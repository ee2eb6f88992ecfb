"""A whole script in the style of PyTorch's "Learning PyTorch with Examples"
tutorial, meant to run unchanged (``python polynomial_script.py``): fit
sin(x) on [-pi, pi] by a cubic, once with ``nn.Sequential`` and RMSprop
(saved to a checkpoint and resumed from it), once with a custom
``autograd.Function`` (a Legendre polynomial) and a hand-written update.
The initial weights are set, not drawn, so every run prints the same JSON
line."""

import json
import math
import os
import tempfile

import torch

dtype = torch.float
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
torch.set_float32_matmul_precision("high")


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with P3'(x) = 1.5 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


def fit_sequential(x, y, steps, checkpoint_path):
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).to(device)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, -0.2, 0.1]]))
        model[0].bias.fill_(0.05)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if t == steps // 2:
            torch.save(
                {"step": t, "model": model.state_dict(), "optimizer": optimizer.state_dict()},
                checkpoint_path,
            )
    resumed = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    checkpoint = torch.load(checkpoint_path)
    resumed.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.RMSprop(resumed.parameters(), lr=1e-3)
    optimizer.load_state_dict(checkpoint["optimizer"])
    for _ in range(checkpoint["step"] + 1, steps):
        loss = loss_fn(resumed(xx), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    return {
        "losses": losses[:: steps // 10],
        "model": [linear_layer.bias.item()] + linear_layer.weight[:, :].flatten().tolist(),
        "resumed": torch.cat([resumed[0].bias, resumed[0].weight.flatten()]).tolist(),
    }


def fit_legendre(x, y, steps, learning_rate=5e-6):
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    losses = []
    for _ in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for param in (a, b, c, d):
                param -= learning_rate * param.grad
                param.grad = None
    return {
        "losses": losses[:: steps // 10],
        "result": f"y = {a.item():.6f} + {b.item():.6f} * P3({c.item():.6f} + {d.item():.6f} x)",
    }


def main(steps=200):
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    with tempfile.TemporaryDirectory() as folder:
        sequential = fit_sequential(x, y, steps, os.path.join(folder, "checkpoint.pt"))
    legendre = fit_legendre(x, y, steps)
    return {
        "library": torch.__name__,
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "sequential": sequential,
        "legendre": legendre,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
