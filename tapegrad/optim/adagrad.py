"""Adagrad: divide by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import Optimizer, ParamsT, bump_step, step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (``torch.optim.Adagrad``).

    ::

        gamma_t = gamma / (1 + (t - 1) lr_decay)
        s_t = s_{t-1} + g_t^2                 (s_0 = initial_accumulator_value)
        theta_t = theta_{t-1} - gamma_t g_t / (sqrt(s_t) + eps)

    ``g_t`` is ``-g_t`` with ``maximize`` and gets ``+ weight_decay * theta``.
    The state (``step`` = 0, ``sum`` = s_0) is created at construction, as in
    PyTorch.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state.setdefault(p, {}), group)

    @staticmethod
    def _init_state(param, state: dict[str, Any], group: dict[str, Any]) -> None:
        if "sum" not in state:
            state["step"] = step_tensor(0.0)
            state["sum"] = tg.full_like(param, float(group["initial_accumulator_value"]))

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        self._init_state(param, state, hp)
        step = bump_step(state)
        if hp["maximize"]:
            grad = -grad
        if hp["weight_decay"] != 0:
            grad = grad.add(param, alpha=hp["weight_decay"])
        clr = hp["lr"] / (1.0 + (step - 1.0) * hp["lr_decay"])
        s = state["sum"]
        s.addcmul_(grad, grad, value=1.0)
        param.addcdiv_(grad, s.sqrt().add_(hp["eps"]), value=-clr)
