"""Stochastic gradient descent: PyTorch's ``SGD`` and the lecture's moving-average momentum."""

from __future__ import annotations

from typing import Any

import tapegrad as tg
from tapegrad.optim.optimizer import Optimizer, ParamsT

__all__ = ["SGD", "EMAMomentum"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    With gradient ``g_t`` (``-g_t`` when ``maximize``), weight decay ``lambda``,
    momentum ``mu``, dampening ``tau`` and learning rate ``gamma``::

        g_t <- g_t + lambda theta_t                  (weight_decay != 0)
        b_1 = g_1;  b_t = mu b_{t-1} + (1 - tau) g_t  (momentum != 0)
        g_t <- g_t + mu b_t  (nesterov)  or  g_t <- b_t
        theta_{t+1} = theta_t - gamma g_t

    The buffer starts at the first gradient itself (no dampening on step 1),
    exactly as PyTorch; :class:`EMAMomentum` is the lecture's form instead.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update_group(self, params: list, grads: list, hp: dict[str, Any]) -> None:
        """The update above for the whole group, with PyTorch's multi-tensor ops."""
        if hp["maximize"]:
            grads = [-g for g in grads]
        if hp["weight_decay"] != 0:
            grads = [g.add(p, alpha=hp["weight_decay"]) for g, p in zip(grads, params)]
        momentum = hp["momentum"]
        if momentum != 0:
            state = self.state
            bufs = [state[p].get("momentum_buffer") for p in params]
            if all(buf is not None for buf in bufs):
                tg._foreach_mul_(bufs, momentum)
                tg._foreach_add_(bufs, grads, alpha=1.0 - hp["dampening"])
            else:  # (the first step: a buffer starts at its gradient)
                for i, (p, buf, g) in enumerate(zip(params, bufs, grads)):
                    if buf is None:
                        bufs[i] = state[p]["momentum_buffer"] = g.clone()
                    else:
                        buf.mul_(momentum).add_(g, alpha=1.0 - hp["dampening"])
            grads = (
                [g.add(b, alpha=momentum) for g, b in zip(grads, bufs)] if hp["nesterov"] else bufs
            )
        tg._foreach_add_(params, grads, alpha=-hp["lr"])


class EMAMomentum(Optimizer):
    r"""The lecture's momentum: an exponential moving average of the gradient.

    ::

        m_0 = 0
        m_{t+1} = beta m_t + (1 - beta) g_t
        theta_{t+1} = theta_t - gamma m_{t+1}

    (``g_t`` gets ``+ weight_decay * theta_t`` first when ``weight_decay`` is set.)

    How it differs from ``SGD(momentum=beta)``: PyTorch keeps
    ``b_t = beta b_{t-1} + (1 - dampening) g_t`` with no ``(1 - beta)`` factor and
    starts with ``b_1 = g_1``.  Here ``m_1 = (1 - beta) g_1`` (the average starts
    at zero, so early steps are small: the "transient" Adam's bias correction
    removes), and for a constant gradient ``g`` the steady state is ``m = g``
    while PyTorch's is ``b = g / (1 - beta)``.  So
    ``EMAMomentum(lr=gamma, beta)`` moves like ``SGD(lr=gamma * (1 - beta),
    momentum=beta)`` except for the start-up: its steady-state step is
    ``1 / (1 - beta)`` times smaller than ``SGD(lr=gamma, momentum=beta)``'s
    (10x for ``beta = 0.9``).  ``SGD(lr=gamma, momentum=beta, dampening=beta)``
    has the same recursion but starts from ``b_1 = g_1`` instead of
    ``(1 - beta) g_1``.  State per parameter: ``"exp_avg"`` (``m``).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        beta: float = 0.9,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta value: {beta} (must be in [0, 1))")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, beta=beta, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if hp["maximize"]:
            grad = -grad
        if hp["weight_decay"] != 0:
            grad = grad.add(param, alpha=hp["weight_decay"])
        m = state.get("exp_avg")
        if m is None:
            m = state["exp_avg"] = tg.zeros_like(param)
        beta = hp["beta"]
        m.mul_(beta).add_(grad, alpha=1.0 - beta)
        param.add_(m, alpha=-hp["lr"])
