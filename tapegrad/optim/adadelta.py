"""Adadelta: a step sized by the ratio of two moving root-mean-squares."""

from __future__ import annotations

from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import Optimizer, ParamsT, bump_step, step_tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (``torch.optim.Adadelta``), Zeiler's update::

        v_t = rho v_{t-1} + (1 - rho) g_t^2                      (square_avg)
        d_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t        the step
        u_t = rho u_{t-1} + (1 - rho) d_t^2                      (acc_delta)
        theta_t = theta_{t-1} - gamma d_t

    The step carries the units of ``theta``: the root-mean-square of past
    steps over that of past gradients, so ``lr=1.0`` is the default.
    ``g_t`` is ``-g_t`` with ``maximize`` and gets ``+ weight_decay * theta``.
    State: ``step``, ``square_avg`` (v) and ``acc_delta`` (u), both from zero.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "square_avg" not in state:
            state["step"] = step_tensor()
            state["square_avg"] = tg.zeros_like(param)
            state["acc_delta"] = tg.zeros_like(param)
        bump_step(state)
        if hp["maximize"]:
            grad = -grad
        if hp["weight_decay"] != 0:
            grad = grad.add(param, alpha=hp["weight_decay"])
        rho, eps = hp["rho"], hp["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        v.mul_(rho).addcmul_(grad, grad, value=1.0 - rho)
        delta = u.add(eps).sqrt_().div_(v.add(eps).sqrt_()).mul_(grad)
        u.mul_(rho).addcmul_(delta, delta, value=1.0 - rho)
        param.add_(delta, alpha=-hp["lr"])
