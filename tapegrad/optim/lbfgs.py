r"""L-BFGS (``torch.optim.LBFGS``): quasi-Newton steps from a short history.

All parameters are seen as one flat vector ``x`` with gradient ``g``.  Each
iteration of ``step(closure)`` moves ``x <- x + t d`` along

    d = -H g,

where ``H`` approximates the inverse Hessian from the last ``history_size``
pairs ``s_k = x_{k+1} - x_k``, ``y_k = g_{k+1} - g_k`` (a pair is kept only
when its curvature ``y_k . s_k > 1e-10``).  ``H g`` is the *two-loop
recursion* with ``rho_k = 1 / (y_k . s_k)`` and the initial scale
``gamma = (y . s) / (y . y)`` of the newest pair::

    q = -g;  for k newest to oldest:  a_k = rho_k s_k . q,  q -= a_k y_k
    r = gamma q;  for k oldest to newest:  b_k = rho_k y_k . r,  r += (a_k - b_k) s_k
    d = r

The step length ``t`` is ``lr`` (``min(1, 1 / |g|_1) lr`` on the very first
iteration), or, with ``line_search_fn='strong_wolfe'``, the point a
cubic-interpolation line search finds that satisfies the strong Wolfe
conditions (sufficient decrease ``c1 = 1e-4``, curvature ``c2 = 0.9``).
Iterations stop after ``max_iter``, after ``max_eval`` evaluations, when
``max |g| <= tolerance_grad``, or when the step or the loss change falls
below ``tolerance_change``.  Scalars are computed as PyTorch computes them
(0-d tensors of the parameters' dtype where PyTorch has tensors), so the
iterates agree with ``torch.optim.LBFGS`` step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tapegrad as tg
from tapegrad.autograd.graph import enable_grad, no_grad
from tapegrad.optim.line_search import strong_wolfe
from tapegrad.optim.optimizer import Optimizer, ParamsT
from tapegrad.tensor import Tensor

__all__ = ["LBFGS"]

# Pairs with less curvature than this are left out of the history (PyTorch's value).
MIN_CURVATURE = 1e-10


class LBFGS(Optimizer):
    """Limited-memory BFGS over one parameter group (see the module docstring).

    ``step(closure)`` runs up to ``max_iter`` iterations; ``closure()`` must
    recompute the loss, call ``backward()`` and return the loss.  ``max_eval``
    defaults to ``max_iter * 5 // 4``.  The state (history, last direction
    and step, evaluation counts) is kept under the first parameter, with
    PyTorch's keys.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------- the flat vector view
    def _gather_flat_grad(self) -> Tensor:
        """``g``: every parameter's gradient flattened and concatenated
        (zeros for a parameter without one)."""
        return tg.cat(
            [
                p.new_zeros(p.numel()) if p.grad is None else p.grad.reshape(-1)
                for p in self._params
            ],
            0,
        )

    def _add_grad(self, t, d: Tensor) -> None:
        """``x <- x + t d``, ``d`` cut back into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset : offset + n].view_as(p), alpha=t)
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, Tensor]:
        """Run ``closure`` with grad enabled: ``(its loss, the flat gradient)``."""
        with enable_grad():
            loss = closure()
        return loss, self._gather_flat_grad()

    def _directional_evaluate(self, closure, x: list[Tensor], t, d: Tensor):
        """``(f(x + t d), g(x + t d))``, the parameters put back to ``x`` after."""
        self._add_grad(t, d)
        loss, flat_grad = self._evaluate(closure)
        for p, saved in zip(self._params, x):
            p.copy_(saved)
        return float(loss), flat_grad

    # ------------------------------------------------------------ the step
    @no_grad()
    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Up to ``max_iter`` L-BFGS iterations; returns the loss ``closure()``
        gave at the starting point."""
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, flat_grad = self._evaluate(closure)
        loss, evals = float(orig_loss), 1
        state["func_evals"] += 1
        if flat_grad.abs().max() <= group["tolerance_grad"]:
            return orig_loss

        max_iter, max_eval = group["max_iter"], group["max_eval"]
        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            d = state["d"] = self._direction(state, flat_grad, group["history_size"])
            state["prev_flat_grad"], state["prev_loss"] = flat_grad.clone(), loss
            t = state["t"] = self._first_step_length(state, flat_grad, group["lr"])
            gtd = flat_grad.dot(d)  # the slope of the loss along d
            if gtd > -group["tolerance_change"]:
                break
            if group["line_search_fn"] is None:
                loss, flat_grad, ls_evals = self._fixed_step(
                    closure, t, d, loss, flat_grad, evaluate=n_iter < max_iter
                )
            else:
                loss, flat_grad, t, ls_evals = self._strong_wolfe_step(
                    closure, t, d, loss, flat_grad, gtd, max_evals=max_eval - evals
                )
                state["t"] = t
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n_iter == max_iter or evals >= max_eval:
                break
            if self._converged(group, flat_grad, t, d, loss, state["prev_loss"]):
                break
        return orig_loss

    def _direction(self, state: dict[str, Any], flat_grad: Tensor, history_size: int) -> Tensor:
        """``d = -H g``: steepest descent on the first iteration (the history
        starts empty, ``H = I``); else the history takes the last pair
        ``(y, s)`` and the two-loop recursion gives ``H g``."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return flat_grad.neg()
        y = flat_grad.sub(state["prev_flat_grad"])
        s = state["d"].mul(state["t"])
        _remember(state, y, s, history_size)
        return _two_loop_recursion(state, flat_grad, history_size)

    @staticmethod
    def _first_step_length(state: dict[str, Any], flat_grad: Tensor, lr):
        """``t = lr``; on the very first iteration ``min(1, 1 / |g|_1) lr``, so
        the first (steepest-descent) step has length at most ``lr``."""
        if state["n_iter"] == 1:
            return min(1.0, 1.0 / flat_grad.abs().sum()) * lr
        return lr

    def _fixed_step(self, closure, t, d, loss, flat_grad, evaluate: bool):
        """Move to ``x + t d``: ``(loss, flat_grad, evaluations)`` there, or
        the old loss and gradient unevaluated when ``evaluate`` is false (after
        the last iteration the value would go unused, as in PyTorch)."""
        self._add_grad(t, d)
        if not evaluate:
            return loss, flat_grad, 0
        new_loss, new_grad = self._evaluate(closure)
        return float(new_loss), new_grad, 1

    def _strong_wolfe_step(self, closure, t, d, loss, flat_grad, gtd, max_evals):
        """Move to ``x + t d`` with ``t`` from the strong-Wolfe line search:
        ``(loss, flat_grad, t, evaluations)`` there."""
        x = [p.clone() for p in self._params]

        def phi(step):
            return self._directional_evaluate(closure, x, step, d)

        loss, flat_grad, t, evals = strong_wolfe(phi, d, t, loss, flat_grad, gtd, max_ls=max_evals)
        self._add_grad(t, d)
        return loss, flat_grad, t, evals

    @staticmethod
    def _converged(group, flat_grad: Tensor, t, d: Tensor, loss: float, prev_loss: float) -> bool:
        """First-order optimal (``max |g| <= tolerance_grad``), or the step or
        the loss change below ``tolerance_change``."""
        tolerance_change = group["tolerance_change"]
        return bool(
            flat_grad.abs().max() <= group["tolerance_grad"]
            or d.mul(t).abs().max() <= tolerance_change
            or abs(loss - prev_loss) < tolerance_change
        )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state from ``state_dict()``.  The history lists
        and flat vectors are copied (cast to the parameters' dtype); their
        shapes are the flat vector's, not the first parameter's."""
        saved_state = state_dict.get("state") if isinstance(state_dict, dict) else None
        super().load_state_dict({**state_dict, "state": {}} if saved_state else state_dict)
        for key, entries in (saved_state or {}).items():
            p = self._param_at(key)
            self.state[p] = {k: _copy_entry(v, p.dtype) for k, v in entries.items()}

    def _param_at(self, key) -> Tensor:
        """The parameter a state dict numbers ``key``."""
        try:
            return self._params[int(key)]
        except (IndexError, ValueError, TypeError):
            raise ValueError(
                f"LBFGS.load_state_dict: state entry {key!r} names no parameter "
                f"(the group has {len(self._params)})"
            ) from None


# ------------------------------------------------------------- the history
def _remember(state: dict[str, Any], y: Tensor, s: Tensor, history_size: int) -> None:
    """Append the pair ``(y, s)`` and ``rho = 1 / (y . s)`` when its curvature
    ``y . s`` is positive enough (forgetting the oldest pair beyond
    ``history_size``), and rescale ``H_diag = (y . s) / (y . y)``."""
    ys = y.dot(s)
    if not ys > MIN_CURVATURE:  # (a NaN curvature is left out too)
        return
    if len(state["old_dirs"]) == history_size:
        for key in ("old_dirs", "old_stps", "ro"):
            state[key].pop(0)
    state["old_dirs"].append(y)
    state["old_stps"].append(s)
    state["ro"].append(1.0 / ys)
    state["H_diag"] = ys / y.dot(y)


def _two_loop_recursion(state: dict[str, Any], flat_grad: Tensor, history_size: int) -> Tensor:
    """``-H g`` by the two loops of the module docstring.  The coefficients
    ``a_k`` live in ``state["al"]``, as in PyTorch."""
    old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
    al = state.setdefault("al", [None] * history_size)
    q = flat_grad.neg()
    for i in reversed(range(len(old_dirs))):
        al[i] = old_stps[i].dot(q) * ro[i]
        q.add_(old_dirs[i], alpha=-al[i])
    r = q.mul(state["H_diag"])
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r.add_(old_stps[i], alpha=al[i] - be_i)
    return r


def _copy_entry(value, dtype):
    """A copy of one saved state entry: floating tensors cast to ``dtype``,
    lists entry by entry, numbers as they are."""
    if isinstance(value, list):
        return [_copy_entry(v, dtype) for v in value]
    if isinstance(value, Tensor):
        t = value.detach().clone()
    elif hasattr(value, "__array_interface__"):
        t = tg.tensor(value)
    else:
        return value
    return t.to(dtype) if t.is_floating_point() else t
