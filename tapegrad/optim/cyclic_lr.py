r"""Cyclic learning-rate schedules, stepped once per batch
(``torch.optim.lr_scheduler``'s ``CyclicLR``, ``OneCycleLR`` and
``CosineAnnealingWarmRestarts``).  The first two also cycle the momentum
(``momentum``, or ``betas[0]`` for Adam and its kin) against the rate."""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from tapegrad.optim.optimizer import Optimizer
from tapegrad.optim.scheduler_base import (
    LRScheduler,
    check_optimizer,
    format_param,
    set_momentum,
    uses_beta1,
)

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]


class CyclicLR(LRScheduler):
    r"""The rate cycles between ``base_lr`` and ``max_lr`` (Smith, 2017):
    up over ``step_size_up`` steps, down over ``step_size_down`` (default: the
    same).  At step ``e`` of cycle ``c = floor(1 + e / total_size)``, with
    ``x = 1 + e / total_size - c`` the position in the cycle::

        h = x / step_ratio                  (rising, x <= step_ratio)
        h = (x - 1) / (step_ratio - 1)      (falling)
        lr = base_lr + (max_lr - base_lr) h scale_fn(c or e)

    ``mode`` picks ``scale_fn``: ``'triangular'`` 1, ``'triangular2'``
    ``1 / 2^(c - 1)`` (each cycle half as high), ``'exp_range'``
    ``gamma ** e``; a custom ``scale_fn`` takes the cycle or the step
    (``scale_mode``).  With ``cycle_momentum`` the momentum moves the other
    way: ``max_momentum - (max_momentum - base_momentum) h scale_fn(...)``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = format_param("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = uses_beta1(optimizer)
            self.base_momentums = format_param("base_momentum", optimizer, base_momentum)
            self.max_momentums = format_param("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                _start_momentum(optimizer, self.max_momentums, self.base_momentums, self.use_beta1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        """The built-in modes scale by the cycle, but ``'exp_range'`` by the step."""
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude of the cycle at cycle (or step) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        if self.cycle_momentum:
            for group, lo, hi in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums
            ):
                set_momentum(group, hi - (hi - lo) * height * scale, self.use_beta1)
        return [lo + (hi - lo) * height * scale for lo, hi in zip(self.base_lrs, self.max_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the base, with a custom ``scale_fn`` saved only when it is a
        callable object (its ``__dict__``)."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        keep = fn is not None and not isinstance(fn, types.FunctionType)
        state["_scale_fn_custom"] = fn.__dict__.copy() if keep else None
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved_fn = state_dict["_scale_fn_custom"]
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        if saved_fn is not None:
            self._scale_fn_custom.__dict__.update(saved_fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith and Topin, 2018), stepped once per batch for
    ``total_steps`` (or ``epochs * steps_per_epoch``) steps: the rate rises
    from ``initial_lr = max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of the steps, then falls to ``min_lr = initial_lr /
    final_div_factor``; momentum moves the other way between
    ``max_momentum`` and ``base_momentum``.  With ``three_phase`` the rate
    comes back to ``initial_lr`` symmetrically before a last fall to
    ``min_lr``.  Within a phase from ``a`` to ``b`` at fraction ``p``::

        cos:     b + (a - b) (1 + cos(pi p)) / 2
        linear:  a + (b - a) p
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        self._schedule_phases = _one_cycle_phases(pct_start, self.total_steps, three_phase)
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = uses_beta1(optimizer)
            highs = format_param("max_momentum", optimizer, max_momentum)
            lows = format_param("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                _start_momentum(optimizer, highs, lows, self.use_beta1)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _phase_at(self, step: int) -> tuple[dict[str, Any], float]:
        """The phase holding ``step`` (the last phase past its end) and the
        fraction of it done."""
        start = 0.0
        *earlier, last = self._schedule_phases
        for phase in earlier:
            if step <= phase["end_step"]:
                return phase, (step - start) / (phase["end_step"] - start)
            start = phase["end_step"]
        return last, (step - start) / (last["end_step"] - start)

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        phase, pct = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = self._anneal(
                    group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                )
                set_momentum(group, momentum, self.use_beta1)
        return lrs


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter)::

        lr = eta_min + (base_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2

    ``T_cur`` counts the epochs since the last restart; a restart comes
    after ``T_i`` epochs, the first after ``T_0``, each next ``T_mult`` times
    longer.  ``step(epoch)`` takes a fractional epoch (``epoch + i / iters``
    within an epoch) and finds its cycle in closed form.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lo = self.eta_min
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [lo + (b - lo) * cosine for b in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (fractional allowed)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self._advance_one_epoch()
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            self._go_to(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

    def _advance_one_epoch(self) -> None:
        self.T_cur = self.T_cur + 1
        if self.T_cur >= self.T_i:
            self.T_cur = self.T_cur % self.T_i
            self.T_i = self.T_i * self.T_mult

    def _go_to(self, epoch: float) -> None:
        """``T_i`` and ``T_cur`` at ``epoch``: cycle ``n`` starts at
        ``T_0 (T_mult^n - 1) / (T_mult - 1)`` (at ``n T_0`` when
        ``T_mult = 1``)."""
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n


# ------------------------------------------------------------------- helpers
def _start_momentum(optimizer: Optimizer, highs: list, lows: list, use_beta1: bool) -> None:
    """A momentum cycle starts at its top; each group records both ends."""
    for group, high, low in zip(optimizer.param_groups, highs, lows):
        set_momentum(group, high, use_beta1)
        group["max_momentum"] = high
        group["base_momentum"] = low


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None):
    """``total_steps``, or ``epochs * steps_per_epoch``, checked as PyTorch does."""
    if total_steps is not None:
        if total_steps <= 0 or not isinstance(total_steps, int):
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
    return epochs * steps_per_epoch


def _phase(end_step: float, lr: tuple[str, str], momentum: tuple[str, str]) -> dict[str, Any]:
    """One phase of the 1cycle policy: where it ends and the group entries its
    rate and momentum go between (PyTorch's layout, saved in state dicts)."""
    return {
        "end_step": end_step,
        "start_lr": lr[0],
        "end_lr": lr[1],
        "start_momentum": momentum[0],
        "end_momentum": momentum[1],
    }


def _one_cycle_phases(pct_start: float, total_steps: int, three_phase: bool) -> list:
    up_end = float(pct_start * total_steps) - 1
    last = total_steps - 1
    rise = _phase(up_end, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum"))
    if not three_phase:
        fall = _phase(last, ("max_lr", "min_lr"), ("base_momentum", "max_momentum"))
        return [rise, fall]
    back = _phase(
        float(2 * pct_start * total_steps) - 2,
        ("max_lr", "initial_lr"),
        ("base_momentum", "max_momentum"),
    )
    tail = _phase(last, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum"))
    return [rise, back, tail]
