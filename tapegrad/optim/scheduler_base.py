r"""What every learning-rate scheduler shares (``torch.optim.lr_scheduler``'s
base classes): the step protocol, the state dict, and the chainable form of a
schedule given by a closed form.

A scheduler changes ``group["lr"]`` of each parameter group of an optimiser.
``last_epoch`` counts the ``step()`` calls; the constructor takes the first
step (epoch 0), so ``get_last_lr()`` is the rate of epoch 0 from the start.
"""

from __future__ import annotations

import warnings
from typing import Any

from tapegrad.optim.optimizer import Optimizer

__all__ = ["ClosedFormLR", "LRScheduler"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of the "
    "new chainable form, where available."
)


class LRScheduler:
    """Base class (``torch.optim.lr_scheduler.LRScheduler``): subclasses write
    ``get_lr()``, the rates of epoch ``last_epoch``.

    With ``last_epoch=-1`` each group's current ``lr`` becomes its
    ``initial_lr`` (unless it has one); a larger ``last_epoch`` resumes a
    schedule and needs ``initial_lr`` in every group (load the optimiser's
    state dict first).  ``base_lrs`` are the groups' ``initial_lr``.
    """

    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming a scheduler with last_epoch >= 0 (load the optimizer's "
                        "state dict first)"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the constructor's step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rate of each group at epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the last ``step()``."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch; ``step(epoch)`` (deprecated, as in PyTorch) jumps
        to ``epoch`` through the closed form where the schedule has one."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        self._set_lrs(values)

    def _set_lrs(self, values: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = self._lrs()

    def _lrs(self) -> list[float]:
        """The groups' current rates."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimiser (as PyTorch)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes ``state_dict()`` saved."""
        self.__dict__.update(state_dict)


class ClosedFormLR(LRScheduler):
    r"""A schedule given by one closed form in the epoch ``e``::

        lr_e = eta_min + (base_lr - eta_min) * factor(e)

    (``eta_min`` is 0 but for cosine annealing).  ``step()`` moves each
    group's *current* rate by the schedule's change over the epoch, PyTorch's
    chainable form::

        lr <- eta_min + (lr - eta_min) * factor(e) / factor(e - 1)

    (``factor(-1) = 1``: the first step scales the rate as given), so several
    schedulers on one optimiser compose; where ``factor(e - 1) = 0`` (a
    cosine restarting from ``eta_min``) the step adds the closed form's rise
    ``(base_lr - eta_min) (factor(e) - factor(e - 1))`` instead.
    ``step(epoch)`` sets the closed form itself.  Subclasses write
    ``_factor``.
    """

    eta_min: float = 0.0
    # PyTorch keeps the rates on the constructor's step when resuming
    # (``last_epoch >= 0``) except for StepLR, MultiStepLR and ConstantLR.
    _keeps_rate_when_resumed = True

    def _factor(self, epoch: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The chainable step to epoch ``last_epoch`` (see the class docstring)."""
        e, lo = self.last_epoch, self.eta_min
        if e > 0 and self._is_initial and self._keeps_rate_when_resumed:
            return self._lrs()
        before = self._factor(e - 1) if e > 0 else 1.0
        now = self._factor(e)
        if now == before:  # a flat stretch (also where both are 0: no 0/0)
            return self._lrs()
        if before == 0:
            return [lr + (b - lo) * (now - before) for b, lr in zip(self.base_lrs, self._lrs())]
        return [lo + (lr - lo) * (now / before) for lr in self._lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self._factor(self.last_epoch)
        return [self.eta_min + (b - self.eta_min) * factor for b in self.base_lrs]


# ------------------------------------------------------------------- helpers
def check_optimizer(optimizer) -> None:
    """PyTorch's check that a scheduler was given an optimiser."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def format_param(name: str, optimizer: Optimizer, value) -> list:
    """One value per parameter group: ``value`` repeated, or a list or tuple
    of exactly one value per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {groups}."
            )
        return list(value)
    return [value] * groups


def uses_beta1(optimizer: Optimizer) -> bool:
    """Whether a momentum-cycling schedule drives ``betas[0]`` (Adam and its
    kin) rather than ``momentum`` (SGD, RMSprop); neither is an error."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
        )
    return "betas" in optimizer.defaults


def set_momentum(group: dict[str, Any], momentum: float, use_beta1: bool) -> None:
    """Set a group's momentum: ``betas[0]`` or ``momentum``."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum
