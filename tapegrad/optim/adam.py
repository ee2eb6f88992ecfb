"""Adam and AdamW: moving averages of the gradient and of its square."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, "adaptive moment estimation" (``torch.optim.Adam``).

    The lecture's form, with ``t`` counting steps from 1::

        m_t = beta_m m_{t-1} + (1 - beta_m) g_t          gradient mean
        v_t = beta_v v_{t-1} + (1 - beta_v) g_t^2        gradient second moment
        m^_t = m_t / (1 - beta_m^t),  v^_t = v_t / (1 - beta_v^t)   bias correction
        theta_t = theta_{t-1} - gamma m^_t / (sqrt(v^_t) + eps)

    ``betas = (beta_m, beta_v)``.  ``weight_decay`` adds ``lambda theta`` to
    ``g_t`` (coupled L2); with ``decoupled_weight_decay=True`` (AdamW) it scales
    ``theta <- theta (1 - gamma lambda)`` before the update instead.
    ``amsgrad`` divides by the running maximum of ``v^``'s numerator.  As in
    PyTorch the division by ``sqrt(1 - beta_v^t)`` is applied to ``sqrt(v_t)``
    before ``eps`` is added.  State: ``step``, ``exp_avg`` (m), ``exp_avg_sq``
    (v) and ``max_exp_avg_sq`` with amsgrad.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "exp_avg" not in state:
            state["step"] = step_tensor()
            state["exp_avg"] = tg.zeros_like(param)
            state["exp_avg_sq"] = tg.zeros_like(param)
            if hp["amsgrad"]:
                state["max_exp_avg_sq"] = tg.zeros_like(param)
        if hp["maximize"]:
            grad = -grad
        lr, wd, eps = hp["lr"], hp["weight_decay"], hp["eps"]
        beta1, beta2 = (float(b) for b in hp["betas"])
        step = bump_step(state)
        decay = wd != 0 and hp["decoupled_weight_decay"]
        if wd != 0 and not decay:
            grad = grad.add(param, alpha=wd)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1.0 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        bias_correction1 = 1.0 - beta1**step
        bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
        if hp["amsgrad"]:
            v = state["max_exp_avg_sq"].copy_(tg.maximum(state["max_exp_avg_sq"], v))
        denom = v.sqrt().div_(bias_correction2_sqrt).add_(eps)
        if decay:  # theta (1 - gamma lambda), then the step, as PyTorch
            param.mul_(1.0 - lr * wd)
        param.addcdiv_(m, denom, value=-(lr / bias_correction1))


class AdamW(Adam):
    r"""Adam with decoupled weight decay (``torch.optim.AdamW``)::

        theta <- theta (1 - gamma lambda)        then the Adam step of ``Adam``

    The decay does not pass through the moving averages, so every weight
    shrinks by the same factor whatever its gradient history.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
