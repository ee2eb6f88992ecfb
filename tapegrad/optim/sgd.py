"""Stochastic gradient descent: PyTorch's ``SGD`` and the lecture's moving-average momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tapegrad import backend as B
from tapegrad.autograd.graph import no_grad
from tapegrad.optim.optimizer import Optimizer, ParamsT, axpy_, zeros_state
from tapegrad.tensor import _make, bump_version

_add = B.xp.add

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
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter that has a gradient (see the class
        docstring).  Groups with plain (heavy-ball) momentum or none take a
        short loop on the arrays: ``b *= mu; b += g; theta -= gamma b``."""
        if closure is not None or type(self)._update is not SGD._update:
            return super().step(closure)
        for group in self.param_groups:
            if not _plain(group):
                with no_grad():
                    self._step_group(group)
                continue
            lr, momentum = float(group["lr"]), float(group["momentum"])
            state = self.state
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                param = p._array
                grad = g._array
                if grad.dtype != param.dtype:
                    grad = grad.astype(param.dtype)
                if momentum:
                    st = state.get(p)
                    buf = st.get("momentum_buffer") if st is not None else None
                    if buf is None:
                        buf = grad.copy()
                        if st is None:
                            state[p] = {"momentum_buffer": _make(buf)}
                        else:
                            st["momentum_buffer"] = _make(buf)
                    else:
                        buf = buf._array
                        buf *= momentum
                        _add(buf, grad, out=buf)
                    grad = buf
                param -= lr * grad
                bump_version(p)
        return None

    def _update(self, param, grad, state: dict[str, Any], hp: dict[str, Any]) -> None:
        if hp["maximize"]:
            grad = -grad
        if hp["weight_decay"] != 0:
            grad = grad + hp["weight_decay"] * param
        momentum = hp["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = _make(grad.copy())
            else:
                buf._array *= momentum
                axpy_(buf._array, 1.0 - hp["dampening"], grad)
            grad = grad + momentum * buf._array if hp["nesterov"] else buf._array
        axpy_(param, -hp["lr"], grad)


def _plain(group: dict[str, Any]) -> bool:
    """Whether a group's update is ``b = mu b + g; theta -= gamma b`` (or plain
    SGD) with numbers for options: no decay, dampening, nesterov or maximize."""
    lr, mu = group["lr"], group["momentum"]
    return (
        type(lr) in (float, int)
        and type(mu) in (float, int)
        and not group["weight_decay"]
        and not group["dampening"]
        and not group["nesterov"]
        and not group["maximize"]
    )


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
            grad = grad + hp["weight_decay"] * param
        m = state.get("exp_avg")
        if m is None:
            m = state["exp_avg"] = zeros_state(param)
        beta = hp["beta"]
        m._array *= beta
        axpy_(m._array, 1.0 - beta, grad)
        axpy_(param, -hp["lr"], m._array)
