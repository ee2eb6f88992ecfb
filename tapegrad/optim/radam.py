"""RAdam: Adam whose adaptive step is switched on once its variance is tame."""

from __future__ import annotations

import math
from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import (
    Optimizer,
    ParamsT,
    bump_step,
    check_hyperparameters,
    step_tensor,
)

__all__ = ["RAdam"]

RECTIFY_ABOVE = 5.0  # PyTorch's threshold on rho_t (the paper's 4, made safer)


class RAdam(Optimizer):
    r"""RAdam, rectified Adam (``torch.optim.RAdam``)::

        m_t = beta_1 m_{t-1} + (1 - beta_1) g_t           (exp_avg)
        v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2         (exp_avg_sq)
        m^_t = m_t / (1 - beta_1^t)
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
        rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    theta_t = theta_{t-1} - gamma m^_t r_t sqrt(1 - beta_2^t) / (sqrt(v_t) + eps)
        otherwise:  theta_t = theta_{t-1} - gamma m^_t            (SGD with momentum)

    ``rho_t`` is the length of the moving average that ``v_t`` amounts to;
    while it is short, the adaptive denominator has a large variance, so the
    first steps (about five with the default betas) are plain momentum.
    ``g_t`` is ``-g_t`` with ``maximize``; ``weight_decay`` adds
    ``lambda theta`` to ``g_t``, or with ``decoupled_weight_decay`` scales
    ``theta <- theta (1 - gamma lambda)`` first.  State: ``step``,
    ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "exp_avg" not in state:
            state["step"] = step_tensor()
            state["exp_avg"] = tg.zeros_like(param)
            state["exp_avg_sq"] = tg.zeros_like(param)
        if hp["maximize"]:
            grad = -grad
        lr, wd = hp["lr"], hp["weight_decay"]
        beta1, beta2 = (float(b) for b in hp["betas"])
        step = bump_step(state)
        if wd != 0:
            if hp["decoupled_weight_decay"]:
                param.mul_(1.0 - lr * wd)
            else:
                grad = grad.add(param, alpha=wd)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1.0 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        bias_correction2 = 1.0 - beta2**step
        step_dir = (m / (1.0 - beta1**step)) * lr  # m^ gamma
        rho = rho_t(beta2, step)
        if rho > RECTIFY_ABOVE:
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            rect = math.sqrt(
                (rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)
            )
            adaptive = v.sqrt().add_(hp["eps"]).reciprocal().mul_(math.sqrt(bias_correction2))
            step_dir = step_dir.mul_(adaptive).mul_(rect)
        param.sub_(step_dir)


def rho_t(beta2: float, step: float) -> float:
    """The length of the simple moving average that ``v_t`` approximates:
    ``rho_inf - 2 t beta_2^t / (1 - beta_2^t)``, ``rho_inf = 2/(1 - beta_2) - 1``."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return rho_inf - 2.0 * step * beta2**step / (1.0 - beta2**step)
