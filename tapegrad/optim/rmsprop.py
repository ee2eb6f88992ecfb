"""RMSprop: divide the gradient by a moving root-mean-square of its history."""

from __future__ import annotations

from typing import Any

from tapegrad import backend as B
from tapegrad.optim.optimizer import (
    Optimizer,
    ParamsT,
    axpy_,
    bump_step,
    lerp_,
    step_tensor,
    zeros_state,
)

xp = B.xp

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
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
            weight_decay=weight_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if "square_avg" not in state:
            state["step"] = step_tensor()
            state["square_avg"] = zeros_state(param)
            if hp["momentum"] > 0:
                state["momentum_buffer"] = zeros_state(param)
            if hp["centered"]:
                state["grad_avg"] = zeros_state(param)
        if hp["maximize"]:
            grad = -grad
        bump_step(state)
        if hp["weight_decay"] != 0:
            grad = grad + hp["weight_decay"] * param
        alpha = hp["alpha"]
        v = state["square_avg"]._array
        v *= alpha
        v += (1.0 - alpha) * grad * grad
        if hp["centered"]:
            gbar = state["grad_avg"]._array
            lerp_(gbar, grad, 1.0 - alpha)
            avg = v - gbar * gbar
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(v)
        avg += hp["eps"]
        if hp["momentum"] > 0:
            buf = state["momentum_buffer"]._array
            buf *= hp["momentum"]
            buf += grad / avg
            axpy_(param, -hp["lr"], buf)
        else:
            axpy_(param, -hp["lr"], grad / avg)
