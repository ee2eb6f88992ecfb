"""The lecture's training experiments, each a function returning plain data.

* :func:`optimizers_comparison`: SGD, the lecture's momentum
  (``EMAMomentum``), RMSprop and Adam on the spirals ("Adam performance").
* :func:`optimizer_paths`: the same optimisers and PyTorch's momentum on a
  2-D non-convex function (Rosenbrock or Beale), each path from one start.
* :func:`early_stopping_demo`: "go a bit past the minimum and backtrack"
  with ``EarlyStopping(restore_best=True)``.
* :func:`regularisation_demo`: the L2 penalty ``lambda * Omega`` and dropout
  on an over-parameterised MLP.

Deterministic given ``seed``; tapegrad's global random state is restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import tapegrad as tg
from tapegrad import nn, optim
from tapegrad.data import DataLoader, TensorDataset, make_moons, make_spirals
from tapegrad.lecture.experiments import seeded
from tapegrad.train import EarlyStopping, evaluate, fit

__all__ = [
    "EarlyStoppingDemo",
    "OptimizerPaths",
    "OptimizersComparison",
    "RegularisationDemo",
    "early_stopping_demo",
    "optimizer_paths",
    "optimizers_comparison",
    "regularisation_demo",
]

OPTIMIZERS = ("SGD", "EMAMomentum", "RMSprop", "Adam")


def _make_optimizer(name: str, params, lr: float, beta: float):
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "EMAMomentum":
        return optim.EMAMomentum(params, lr=lr, beta=beta)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr)
    raise ValueError(f"optimizers_comparison: unknown optimizer {name!r}; use {OPTIMIZERS}")


# ---------------------------------------------------------------- optimisers
@dataclass
class OptimizersComparison:
    """``loss[name]`` / ``accuracy[name]``: per-epoch training cross-entropy
    (averaged over the epoch's minibatches) and accuracy, for each optimiser
    in ``names``; ``final_loss[name]``: the last epoch's loss."""

    names: list[str]
    lr: float
    beta: float
    epochs: int
    batch_size: int
    loss: dict[str, list[float]]
    accuracy: dict[str, list[float]]
    final_loss: dict[str, float]


def optimizers_comparison(
    seed: int = 0,
    epochs: int = 40,
    lr: float = 0.01,
    beta: float = 0.9,
    n: int = 400,
    hidden: int = 32,
    batch_size: int = 32,
    names: tuple[str, ...] = OPTIMIZERS,
) -> OptimizersComparison:
    """Train the same ``MLP([2, hidden, hidden, 2])`` (ReLU) on ``n`` spiral
    points with each optimiser, same initial weights, same minibatch order
    and the same learning rate ``gamma = lr``:

    * SGD: ``theta <- theta - gamma g``;
    * EMAMomentum (the lecture's momentum): ``m <- beta m + (1 - beta) g``,
      ``theta <- theta - gamma m``;
    * RMSprop: ``v <- alpha v + (1 - alpha) g^2``, ``theta <- theta - gamma g / (sqrt(v) + eps)``;
    * Adam: both moving averages, bias-corrected ``m_hat, v_hat``,
      ``theta <- theta - gamma m_hat / (sqrt(v_hat) + eps)``.
    """
    x, y = make_spirals(n=n, noise=0.05, seed=seed)
    data = TensorDataset(tg.tensor(x), tg.tensor(y))
    loss, acc = {}, {}
    for name in names:
        with seeded(seed):
            model = nn.MLP([2, hidden, hidden, 2])
            opt = _make_optimizer(name, model.parameters(), lr, beta)
            loader = DataLoader(data, batch_size=batch_size, shuffle=True, seed=seed)
            hist = fit(
                model,
                nn.CrossEntropyLoss(),
                opt,
                loader,
                epochs=epochs,
                progress=False,
                grad_stats=False,
            )
        loss[name], acc[name] = list(hist["loss"]), list(hist["accuracy"])
    return OptimizersComparison(
        names=list(names),
        lr=lr,
        beta=beta,
        epochs=epochs,
        batch_size=batch_size,
        loss=loss,
        accuracy=acc,
        final_loss={k: v[-1] for k, v in loss.items()},
    )


# ------------------------------------------------------- small noisy data
def _moons(seed: int, n_train: int, n_val: int, noise: float):
    """Few noisy training points (easy to overfit) and many validation ones."""
    x, y = make_moons(n=n_train + n_val, noise=noise, seed=seed)
    t = [tg.tensor(a) for a in (x[:n_train], y[:n_train], x[n_train:], y[n_train:])]
    return t[0], t[1], t[2], t[3]


# ----------------------------------------------------------- early stopping
@dataclass
class EarlyStoppingDemo:
    """``val_loss`` / ``train_loss``: per-epoch curves of the early-stopped
    run, which ends at ``stopped_epoch`` (``patience`` epochs after
    ``best_epoch``, unless ``max_epochs`` came first) and then restores the
    parameters of ``best_epoch`` (``restored_epoch``, None if the best was the
    last); ``restored_val_loss``: the validation loss of the restored model
    (equals ``best_val_loss``); ``full_val_loss``: the same run continued to
    ``max_epochs`` without stopping (what early stopping avoided)."""

    patience: int
    max_epochs: int
    train_loss: list[float]
    val_loss: list[float]
    best_epoch: int
    best_val_loss: float
    stopped_epoch: int
    restored_epoch: int | None
    restored_val_loss: float
    full_val_loss: list[float] = field(default_factory=list)


def early_stopping_demo(
    seed: int = 0,
    patience: int = 10,
    max_epochs: int = 80,
    hidden: int = 64,
    lr: float = 0.01,
    n_train: int = 60,
    n_val: int = 240,
    noise: float = 0.35,
) -> EarlyStoppingDemo:
    """Train an over-parameterised ``MLP([2, hidden, hidden, 2])`` with Adam on
    ``n_train`` noisy two-moons points, watching the cross-entropy on
    ``n_val`` validation points: it falls, reaches a minimum and rises as the
    network memorises the noise.  ``EarlyStopping(patience, restore_best=True)``
    goes ``patience`` epochs past the minimum, stops, and backtracks."""
    xt, yt, xv, yv = _moons(seed, n_train, n_val, noise)
    ce = nn.CrossEntropyLoss()
    val_loader = DataLoader(TensorDataset(xv, yv), batch_size=n_val)

    def run(callbacks, epochs):
        with seeded(seed):
            model = nn.MLP([2, hidden, hidden, 2])
            opt = optim.Adam(model.parameters(), lr=lr)
            loader = DataLoader(TensorDataset(xt, yt), batch_size=20, shuffle=True, seed=seed)
            hist = fit(
                model,
                ce,
                opt,
                loader,
                val_loader,
                epochs=epochs,
                callbacks=callbacks,
                progress=False,
                grad_stats=False,
            )
        return model, hist

    stopper = EarlyStopping(patience=patience, restore_best=True)
    model, hist = run([stopper], max_epochs)
    _, full = run([], max_epochs)
    return EarlyStoppingDemo(
        patience=patience,
        max_epochs=max_epochs,
        train_loss=list(hist["loss"]),
        val_loss=list(hist["val_loss"]),
        best_epoch=stopper.best_epoch,
        best_val_loss=stopper.best,
        stopped_epoch=hist.epochs[-1],
        restored_epoch=hist.restored_epoch,
        restored_val_loss=evaluate(model, ce, val_loader)["loss"],
        full_val_loss=list(full["val_loss"]),
    )


# ----------------------------------------------------------- regularisation
@dataclass
class RegularisationDemo:
    """One entry per setting in ``names`` (``"none"``, ``"L2"``,
    ``"dropout"``): per-epoch data cross-entropy on the training and
    validation sets (measured in eval mode, without the penalty),
    ``final_train`` / ``final_val`` after the last epoch, ``best_val`` (the
    minimum over epochs) and ``omega``: ``sum of squared weights`` at the end."""

    names: list[str]
    lam: float
    p: float
    epochs: int
    train_loss: dict[str, list[float]]
    val_loss: dict[str, list[float]]
    final_train: dict[str, float]
    final_val: dict[str, float]
    best_val: dict[str, float]
    omega: dict[str, float]


def _train_regularised(model, opt, loader, lam, xt, yt, xv, yv, epochs):
    """Minimise ``CE + lam * Omega`` (the lecture's augmented cost);
    per-epoch data losses (no penalty) in eval mode."""
    ce = nn.CrossEntropyLoss()
    train, val = [], []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = ce(model(xb), yb)
            if lam:
                loss = loss + lam * nn.l2_penalty(model)
            loss.backward()
            opt.step()
        model.eval()
        with tg.no_grad():
            train.append(ce(model(xt), yt).item())
            val.append(ce(model(xv), yv).item())
    return train, val


def regularisation_demo(
    seed: int = 0,
    epochs: int = 60,
    lam: float = 1e-3,
    p: float = 0.5,
    hidden: int = 64,
    lr: float = 0.01,
    n_train: int = 60,
    n_val: int = 240,
    noise: float = 0.35,
) -> RegularisationDemo:
    """The over-parameterised MLP of :func:`early_stopping_demo`, trained with
    Adam for ``epochs`` epochs three ways from the same initial weights: no
    regularisation; the augmented cost ``C + lam * Omega(W)`` with
    ``Omega = sum_l sum_ij (w_ij(l))^2`` (``nn.l2_penalty``); and dropout
    with probability ``p`` after each hidden activation (``MLP(dropout=p)``).
    Regularisation trades a higher training loss for a lower validation one."""
    xt, yt, xv, yv = _moons(seed, n_train, n_val, noise)
    settings = {"none": (0.0, 0.0), "L2": (lam, 0.0), "dropout": (0.0, p)}
    train, val, omega = {}, {}, {}
    for name, (lam_, p_) in settings.items():
        with seeded(seed):
            model = nn.MLP([2, hidden, hidden, 2], dropout=p_)
            opt = optim.Adam(model.parameters(), lr=lr)
            loader = DataLoader(TensorDataset(xt, yt), batch_size=20, shuffle=True, seed=seed)
            train[name], val[name] = _train_regularised(
                model, opt, loader, lam_, xt, yt, xv, yv, epochs
            )
        with tg.no_grad():
            omega[name] = nn.l2_penalty(model).item()
    return RegularisationDemo(
        names=list(settings),
        lam=lam,
        p=p,
        epochs=epochs,
        train_loss=train,
        val_loss=val,
        final_train={k: v[-1] for k, v in train.items()},
        final_val={k: v[-1] for k, v in val.items()},
        best_val={k: min(v) for k, v in val.items()},
        omega=omega,
    )


# ------------------------------------------------------- paths on a 2-D function
def rosenbrock(x, y):
    """``(1 - x)^2 + 100 (y - x^2)^2``: a curved valley, minimum 0 at ``(1, 1)``."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(x, y):
    """``(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2``: minimum 0
    at ``(3, 0.5)``."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2


PATH_OPTIMIZERS = ("SGD", "EMAMomentum", "SGD(momentum=0.9)", "RMSprop", "Adam")

# function -> (formula, minimum, default start, learning rates, plot extent x0, x1, y0, y1).
# SGD, EMAMomentum and PyTorch's momentum share one rate, a round one at which
# plain SGD follows the valley without blowing up, so that they differ only in how
# they use the gradient; RMSprop and Adam take steps of about lr in each coordinate
# and have rates of their own, picked from a coarse grid (0.01, 0.03, 0.1, 0.3) and
# kept moderate rather than the most aggressive that happens to work.
PATH_FUNCTIONS = {
    "rosenbrock": (
        rosenbrock,
        (1.0, 1.0),
        (-1.2, 1.0),
        {"SGD": 2e-3, "EMAMomentum": 2e-3, "SGD(momentum=0.9)": 2e-3, "RMSprop": 0.03, "Adam": 0.1},
        (-2.0, 2.0, -1.0, 3.0),
    ),
    "beale": (
        beale,
        (3.0, 0.5),
        (1.0, 1.5),
        {"SGD": 3e-3, "EMAMomentum": 3e-3, "SGD(momentum=0.9)": 3e-3, "RMSprop": 0.03, "Adam": 0.1},
        (-1.0, 4.0, -1.5, 2.0),
    ),
}


@dataclass
class OptimizerPaths:
    """Each optimiser's path on ``function`` from ``start``: ``paths[name]``
    is the list of ``(x, y)`` after 0, 1, ..., ``steps`` steps (shorter if
    the iterates left the finite numbers); ``final_loss[name]`` the function
    at the last point; ``distance[name]`` its distance to ``minimum``;
    ``lr[name]`` the learning rate used; ``extent``: ``(x0, x1, y0, y1)`` of
    the plot."""

    function: str
    start: tuple[float, float]
    minimum: tuple[float, float]
    steps: int
    beta: float
    names: list[str]
    lr: dict[str, float]
    paths: dict[str, list[tuple[float, float]]]
    final_loss: dict[str, float]
    distance: dict[str, float]
    extent: tuple[float, float, float, float]

    def values(self, x, y):
        """The function at numpy arrays ``x, y`` (for contour plots)."""
        import numpy as np

        f = PATH_FUNCTIONS[self.function][0]
        return f(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def _path_optimizer(name: str, params, lr: float, beta: float):
    if name == "SGD(momentum=0.9)":
        return optim.SGD(params, lr=lr, momentum=beta)
    return _make_optimizer(name, params, lr, beta)


def optimizer_paths(
    start: tuple[float, float] | None = None,
    steps: int = 500,
    function: str = "rosenbrock",
    lr: dict[str, float] | None = None,
    beta: float = 0.9,
    names: tuple[str, ...] = PATH_OPTIMIZERS,
) -> OptimizerPaths:
    """Minimise a 2-D non-convex ``function`` (``"rosenbrock"`` or
    ``"beale"``, written in tapegrad ops, float64) from the same ``start``
    for ``steps`` full-gradient steps with each optimiser: SGD, the lecture's
    momentum ``EMAMomentum(beta)`` (``m <- beta m + (1 - beta) g``),
    PyTorch's ``SGD(momentum=beta)`` (``b <- beta b + g``), RMSprop and Adam.
    The learning rates are fixed per function (``PATH_FUNCTIONS``);
    ``lr`` overrides some of them.  Deterministic (no randomness)."""
    if function not in PATH_FUNCTIONS:
        raise ValueError(
            f"optimizer_paths: unknown function {function!r}; use {list(PATH_FUNCTIONS)}"
        )
    f, minimum, default_start, rates, extent = PATH_FUNCTIONS[function]
    start = tuple(float(v) for v in (start if start is not None else default_start))
    rates = {**rates, **(lr or {})}
    paths, final, dist = {}, {}, {}
    for name in names:
        if name not in rates:
            raise ValueError(f"optimizer_paths: unknown optimizer {name!r}; use {PATH_OPTIMIZERS}")
        x = tg.tensor(start[0], dtype=tg.float64, requires_grad=True)
        y = tg.tensor(start[1], dtype=tg.float64, requires_grad=True)
        opt = _path_optimizer(name, [x, y], rates[name], beta)
        path = [start]
        for _ in range(steps):
            opt.zero_grad()
            f(x, y).backward()
            opt.step()
            point = (x.item(), y.item())
            if not all(map(math.isfinite, point)):
                break
            path.append(point)
        px, py = path[-1]
        paths[name] = path
        final[name] = float(f(px, py))
        dist[name] = math.hypot(px - minimum[0], py - minimum[1])
    return OptimizerPaths(
        function=function,
        start=start,
        minimum=minimum,
        steps=steps,
        beta=beta,
        names=list(names),
        lr={n: rates[n] for n in names},
        paths=paths,
        final_loss=final,
        distance=dist,
        extent=extent,
    )
