"""RMSprop: divide the gradient by a moving root-mean-square of its history."""

from __future__ import annotations

from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import Optimizer, ParamsT, bump_step, step_tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (``torch.optim.RMSprop``).

    ::

        v_t = alpha v_{t-1} + (1 - alpha) g_t^2            (square_avg)
        centered:  gbar_t = alpha gbar_{t-1} + (1 - alpha) g_t,
                   d_t = sqrt(v_t - gbar_t^2) + eps
        else:      d_t = sqrt(v_t) + eps
        momentum:  b_t = mu b_{t-1} + g_t / d_t,  theta -= gamma b_t
        else:      theta -= gamma g_t / d_t

    ``g_t`` is ``-g_t`` with ``maximize`` and gets ``+ weight_decay * theta``.
    Unlike Adam there is no bias correction: ``v`` starts at zero, so the
    first steps are large (``g / sqrt(1 - alpha)``).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "square_avg" not in state:
            state["step"] = step_tensor()
            state["square_avg"] = tg.zeros_like(param)
            if hp["momentum"] > 0:
                state["momentum_buffer"] = tg.zeros_like(param)
            if hp["centered"]:
                state["grad_avg"] = tg.zeros_like(param)
        if hp["maximize"]:
            grad = -grad
        bump_step(state)
        if hp["weight_decay"] != 0:
            grad = grad.add(param, alpha=hp["weight_decay"])
        alpha = hp["alpha"]
        v = state["square_avg"]
        v.mul_(alpha).addcmul_(grad, grad, value=1.0 - alpha)
        if hp["centered"]:
            gbar = state["grad_avg"]
            gbar.lerp_(grad, 1.0 - alpha)
            avg = v.addcmul(gbar, gbar, value=-1.0).sqrt_().add_(hp["eps"])
        else:
            avg = v.sqrt().add_(hp["eps"])
        if hp["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(hp["momentum"]).addcdiv_(grad, avg)
            param.add_(buf, alpha=-hp["lr"])
        else:
            param.addcdiv_(grad, avg, value=-hp["lr"])
