r"""Stochastic weight averaging and exponential moving averages of a model
(``torch.optim.swa_utils``).

* ``AveragedModel(model)`` keeps a copy of ``model`` whose parameters (and,
  with ``use_buffers``, buffers) are running averages of ``model``'s:
  ``update_parameters(model)`` first copies them, then averages with
  ``avg_fn`` (one tensor at a time) or ``multi_avg_fn`` (in place, on lists
  of tensors of one dtype); by default the equal-weight SWA mean
  ``W_avg <- W_avg + (W - W_avg) / (n + 1)`` after ``n`` models.  Its state
  dict holds ``n_averaged`` and the copy's entries as ``module.*``.
* ``SWALR`` anneals each group's rate to its ``swa_lr`` over
  ``anneal_epochs`` epochs, by a cosine or a linear ramp, then keeps it.
* ``update_bn(loader, model)`` recomputes the running statistics of every
  batch norm of ``model`` in one pass over ``loader``.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import tapegrad as tg
from tapegrad.autograd.graph import no_grad
from tapegrad.nn.module import Module
from tapegrad.nn.normalization import _BatchNorm
from tapegrad.optim.optimizer import Optimizer
from tapegrad.optim.scheduler_base import LRScheduler, format_param
from tapegrad.tensor import Tensor

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


# ------------------------------------------------------------ averaging rules
def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """The in-place EMA over lists of tensors:
    ``W_ema <- decay W_ema + (1 - decay) W`` (a ``lerp`` for floats)."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _) -> None:
        if ema_param_list[0].is_floating_point():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The in-place SWA mean over lists of tensors after ``num_averaged``
    models: ``W_avg <- W_avg + (W - W_avg) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        if averaged_param_list[0].is_floating_point():
            weight = 1 / (num_averaged + 1)
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.lerp_(p_model, weight)
            return
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            diff = p_model - p_avg
            if isinstance(num_averaged, Tensor):  # (integer division: refused, as PyTorch)
                p_avg.addcdiv_(diff, num_averaged + 1)
            else:
                p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """The EMA of one tensor: ``decay W_ema + (1 - decay) W``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """The SWA mean of one tensor: ``W_avg + (W - W_avg) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


# ------------------------------------------------------------ averaged model
class AveragedModel(Module):
    """A copy of ``model`` (``self.module``) holding running averages of its
    parameters (and buffers, with ``use_buffers``); calling it calls the
    copy.  Give at most one of ``avg_fn(avg, current, n)`` (returns the new
    average of one tensor) and ``multi_avg_fn(avgs, currents, n)`` (updates
    a list of tensors of one dtype in place); neither: the SWA mean.  The
    buffer ``n_averaged`` (int64) counts the models averaged.  Without
    ``use_buffers`` the copy's buffers are kept equal to ``model``'s."""

    def __init__(
        self,
        model: Module,
        device=None,
        avg_fn: Callable | None = None,
        multi_avg_fn: Callable | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tg.tensor(0, dtype=tg.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module) -> tuple[list[Tensor], list[Tensor]]:
        """The tensors averaged, detached: this model's and ``model``'s, in pairs."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        pairs = [(a.detach(), b.detach()) for a, b in zip(mine, theirs)]
        return [a for a, _ in pairs], [b for _, b in pairs]

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current parameters into this one (the first
        call copies them), then count one more model."""
        averaged, current = self._averaged_tensors(model)
        n = self.n_averaged
        if int(n) == 0:
            for a, b in zip(averaged, current):
                a.copy_(b)
        elif self.multi_avg_fn is not None:
            for group_averaged, group_current in _grouped_by_dtype(averaged, current):
                self.multi_avg_fn(group_averaged, group_current, n)
        else:
            avg_fn = self.avg_fn or get_swa_avg_fn()
            for a, b in zip(averaged, current, strict=True):
                a.copy_(avg_fn(a, b, n))
        if not self.use_buffers:  # keep the copy's buffers in sync with the model
            for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_avg.detach().copy_(b_model.detach())
        self.n_averaged += 1


def _grouped_by_dtype(averaged: list, current: list) -> list[tuple[list, list]]:
    """The pairs split into lists of one dtype each, in order of appearance
    (a ``multi_avg_fn`` works on tensors of one dtype)."""
    groups: dict = {}
    for a, b in zip(averaged, current, strict=True):
        mine, theirs = groups.setdefault(a.dtype, ([], []))
        mine.append(a)
        theirs.append(b)
    return list(groups.values())


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute the running mean and variance of every batch norm of
    ``model`` by one pass over ``loader`` in training mode, as a cumulative
    average over the batches (momentum ``None`` during the pass).  A batch
    is a tensor or a list or tuple whose first element is the input."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


# ------------------------------------------------------------------ SWALR
class SWALR(LRScheduler):
    r"""Anneal each group's rate from its value at the start to its
    ``swa_lr`` (one for all groups or one per group) over ``anneal_epochs``
    epochs, then keep it there::

        lr_t = swa_lr * alpha(t) + lr_start * (1 - alpha(t)),
        t = min(1, epoch / anneal_epochs)

    with ``alpha(t) = (1 - cos(pi t)) / 2`` (``"cos"``) or ``t``
    (``"linear"``).  As in PyTorch, each step recovers ``lr_start`` from the
    group's current rate and the previous ``alpha``, so a rate changed by
    another scheduler carries on."""

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float,
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """``lr_start`` from ``lr = swa_lr alpha + lr_start (1 - alpha)``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def _fraction(self, step: int) -> float:
        """``t`` of the class docstring at ``step``, clipped to ``[0, 1]``."""
        return max(0, min(1, step / max(1, self.anneal_epochs)))

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(self._fraction(step - 1))
        alpha = self.anneal_func(self._fraction(step))
        groups = self.optimizer.param_groups
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        return [
            g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, starts, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimiser and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
