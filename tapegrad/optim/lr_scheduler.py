"""Learning-rate schedules (``torch.optim.lr_scheduler``).

A scheduler changes ``group["lr"]`` of every parameter group of an optimiser;
call ``scheduler.step()`` once per epoch (or per batch, for the cyclic
schedules) after the ``optimizer.step()`` calls; ``ReduceLROnPlateau.step
(metric)`` takes the monitored value.  Each schedule below is one closed form
in the epoch, stepped in PyTorch's chainable way (see
:class:`~tapegrad.optim.scheduler_base.ClosedFormLR`), so the rates agree with
``torch`` step by step and schedulers on one optimiser compose.  The cyclic
schedules live in :mod:`tapegrad.optim.cyclic_lr`, the combinations in
:mod:`tapegrad.optim.combined_lr`, the plateau rule in
:mod:`tapegrad.optim.plateau_lr`; all are importable from here.
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from tapegrad.optim.combined_lr import ChainedScheduler, SequentialLR
from tapegrad.optim.cyclic_lr import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from tapegrad.optim.optimizer import Optimizer
from tapegrad.optim.plateau_lr import ReduceLROnPlateau
from tapegrad.optim.scheduler_base import ClosedFormLR, LRScheduler, check_optimizer

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]


class _LRScheduler(LRScheduler):
    """The old name of :class:`LRScheduler`, kept as PyTorch keeps it."""


# ------------------------------------------------------------ closed forms
class StepLR(ClosedFormLR):
    """``lr <- lr * gamma`` every ``step_size`` epochs:
    ``lr_e = base_lr * gamma ** (e // step_size)``."""

    _keeps_rate_when_resumed = False

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class MultiStepLR(ClosedFormLR):
    """``lr <- lr * gamma`` at each milestone (twice at a milestone listed
    twice): ``lr_e = base_lr * gamma ** (number of milestones <= e)``."""

    _keeps_rate_when_resumed = False

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return self.gamma ** bisect_right(sorted(self.milestones.elements()), epoch)


class ConstantLR(ClosedFormLR):
    """The rate times ``factor`` for the first ``total_iters`` epochs, then
    the rate itself: ``lr_e = base_lr * (factor if e < total_iters else 1)``."""

    _keeps_rate_when_resumed = False

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return self.factor + (epoch >= self.total_iters) * (1 - self.factor)


class LinearLR(ClosedFormLR):
    """A factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up), then staying:
    ``lr_e = base_lr * (s + (f - s) min(e, total_iters) / total_iters)``."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        s, f, n = self.start_factor, self.end_factor, self.total_iters
        return s + (f - s) * min(n, epoch) / n


class ExponentialLR(ClosedFormLR):
    """``lr <- lr * gamma`` every epoch: ``lr_e = base_lr * gamma ** e``."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return self.gamma**epoch


class PolynomialLR(ClosedFormLR):
    """Polynomial decay to zero over ``total_iters`` epochs:
    ``lr_e = base_lr * (1 - min(e, total_iters) / total_iters) ** power``."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return (1.0 - min(self.total_iters, epoch) / self.total_iters) ** self.power


class CosineAnnealingLR(ClosedFormLR):
    r"""Cosine annealing from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs::

        lr_e = eta_min + (base_lr - eta_min) (1 + cos(pi e / T_max)) / 2

    stepped in the chainable form, as PyTorch does: the rate climbs back
    after ``T_max`` (a period of ``2 T_max``)."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _factor(self, epoch: int) -> float:
        return (1 + math.cos(math.pi * epoch / self.T_max)) / 2


# ---------------------------------------------------------- user functions
class _LambdaScheduler(LRScheduler):
    """A schedule from user functions of the epoch, one per parameter group
    (one function is shared by all).  A function's state is saved only when
    it is a callable object (its ``__dict__``), not a function or lambda."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ):
        check_optimizer(optimizer)
        groups = len(optimizer.param_groups)
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * groups
        elif len(lr_lambda) != groups:
            raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
        else:
            self.lr_lambdas = list(lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        lambdas_state = state_dict["lr_lambdas"]
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, saved in zip(self.lr_lambdas, lambdas_state):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    """``lr_e = base_lr * lr_lambda(e)``."""

    def get_lr(self) -> list[float]:
        return [b * fn(self.last_epoch) for fn, b in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """``lr <- lr * lr_lambda(e)`` at each step after the first:
    ``lr_e = base_lr * prod_{k=1..e} lr_lambda(k)``."""

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._lrs())]
