"""NAdam: Adam with Nesterov momentum, and a momentum that warms up."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (``torch.optim.NAdam``), Dozat's Nesterov-accelerated Adam::

        mu_t = beta_1 (1 - 0.5 * 0.96^(t psi))           momentum schedule (psi: momentum_decay)
        P_t = mu_1 mu_2 ... mu_t                          (mu_product)
        m_t = beta_1 m_{t-1} + (1 - beta_1) g_t           (exp_avg)
        v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2         (exp_avg_sq)
        d_t = sqrt(v_t / (1 - beta_2^t)) + eps
        theta_t = theta_{t-1} - gamma (1 - mu_t) / (1 - P_t) g_t / d_t
                              - gamma mu_{t+1} / (1 - P_t mu_{t+1}) m_t / d_t

    The second term looks one step ahead (Nesterov): the momentum the next
    step will use.  ``g_t`` is ``-g_t`` with ``maximize``; ``weight_decay``
    adds ``lambda theta`` to ``g_t``, or with ``decoupled_weight_decay``
    scales ``theta <- theta (1 - gamma lambda)`` first (as AdamW).  State:
    ``step``, ``mu_product`` (a float32 scalar, as PyTorch keeps it),
    ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        check_hyperparameters(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "exp_avg" not in state:
            state["step"] = step_tensor()
            state["mu_product"] = step_tensor(1.0)
            state["exp_avg"] = tg.zeros_like(param)
            state["exp_avg_sq"] = tg.zeros_like(param)
        if hp["maximize"]:
            grad = -grad
        lr, wd, psi = hp["lr"], hp["weight_decay"], hp["momentum_decay"]
        beta1, beta2 = (float(b) for b in hp["betas"])
        step = bump_step(state)
        if wd != 0:
            if hp["decoupled_weight_decay"]:
                param.mul_(1.0 - lr * wd)
            else:
                grad = grad.add(param, alpha=wd)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * psi))
        product = state["mu_product"].mul_(mu).item()
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1.0 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        denom = v.div(1.0 - beta2**step).sqrt_().add_(hp["eps"])
        param.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
        param.addcdiv_(m, denom, value=-lr * mu_next / (1.0 - product * mu_next))
