"""Adamax: Adam with the infinity norm in place of the root-mean-square."""

from __future__ import annotations

from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import (
    Optimizer,
    ParamsT,
    bump_step,
    check_hyperparameters,
    step_tensor,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (``torch.optim.Adamax``), from the Adam paper::

        m_t = beta_1 m_{t-1} + (1 - beta_1) g_t                  (exp_avg)
        u_t = max(beta_2 u_{t-1}, |g_t| + eps)                   (exp_inf)
        theta_t = theta_{t-1} - gamma / (1 - beta_1^t) m_t / u_t

    ``u`` is a decaying maximum of ``|g|``, the limit of Adam's
    ``(beta_2 v + (1 - beta_2) |g|^p)^(1/p)`` as ``p`` grows; it needs no
    bias correction.  ``g_t`` is ``-g_t`` with ``maximize`` and gets
    ``+ weight_decay * theta``.  State: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "exp_avg" not in state:
            state["step"] = step_tensor()
            state["exp_avg"] = tg.zeros_like(param)
            state["exp_inf"] = tg.zeros_like(param)
        if hp["maximize"]:
            grad = -grad
        step = bump_step(state)
        if hp["weight_decay"] != 0:
            grad = grad.add(param, alpha=hp["weight_decay"])
        beta1, beta2 = (float(b) for b in hp["betas"])
        m, u = state["exp_avg"], state["exp_inf"]
        m.lerp_(grad, 1.0 - beta1)
        u.copy_(tg.maximum(u.mul_(beta2), grad.abs().add_(hp["eps"])))
        clr = hp["lr"] / (1.0 - beta1**step)
        param.addcdiv_(m, u, value=-clr)
