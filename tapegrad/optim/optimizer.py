"""``Optimizer``: parameter groups, per-parameter state and their state dict.

An optimiser owns a list of *parameter groups*; each group is a dict with the
key ``"params"`` (a list of leaf tensors) and its own options (``"lr"``,
``"momentum"``, ...), filled from the optimiser's ``defaults`` where not given.
``state`` maps each parameter to a dict of its buffers (momentum, moving
averages, the step count).  Subclasses write one method, ``_update``: the
update of one parameter from its gradient, as tensor arithmetic with
PyTorch's in-place methods (``buf.mul_(momentum).add_(grad)``), run under
``no_grad``.  Each in-place method bumps the version counter of what it
changes, so nothing is recorded and a graph that saved a parameter notices;
hyperparameters are numbers (Python or NumPy), which never promote a float32
tensor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import tapegrad as tg
from tapegrad.autograd.graph import enable_grad, no_grad
from tapegrad.tensor import Tensor

__all__ = ["Optimizer", "ParamsT"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of every optimiser (``torch.optim.Optimizer``).

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each
    holding ``"params"`` and options that override ``defaults`` for that group.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor (pass model.parameters() or [tensor])"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options
        take the optimiser's defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("param_group has no 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs; use a list instead"
            )
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but params[{i}] is a {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # --------------------------------------------------------------- step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to ``None`` (default), or fill
        it with zeros in place when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.grad_fn is not None:
                    p.grad = tg.zeros_like(p.grad)
                else:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """One update of every parameter that has a gradient.  ``closure``,
        if given, re-evaluates the loss (with grad enabled) and its value is
        returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params, grads = [], []
                for p in group["params"]:
                    g = p.grad
                    if g is not None:
                        params.append(p)
                        grads.append(g if g.dtype is p.dtype else g.to(p.dtype))
                if params:
                    self._update_group(params, grads, group)
        return loss

    def _update_group(self, params: list, grads: list, hp: dict[str, Any]) -> None:
        """Update ``params`` in place from ``grads`` (under ``no_grad``) with
        the options ``hp`` of their group: ``_update`` on each with its state
        dict, or one update for the list (``SGD``)."""
        state = self.state
        for p, g in zip(params, grads):
            self._update(p, g, state[p], hp)

    def _update(
        self, param: Tensor, grad: Tensor, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        """Update ``param`` in place from ``grad`` (under ``no_grad``)."""
        raise NotImplementedError

    # -------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: value}}, "param_groups": [...]}`` in
        PyTorch's layout: parameters are numbered in the order of the groups,
        each group lists its parameters' numbers under ``"params"``.  The
        tensors are the live buffers (not copies), as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and buffers from ``state_dict()`` of an optimiser
        of the same kind over parameters of the same shapes.  Buffers are
        copied and cast to their parameter's dtype (the step count excepted)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else None
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with keys 'state' and "
                f"'param_groups', got {got if got is not None else type(state_dict).__name__}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has a different number of parameter "
                f"groups ({len(saved_groups)}) than the optimizer ({len(self.param_groups)})"
            )
        id_to_param: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{name}.load_state_dict: param_groups[{i}] has no 'params'")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group "
                    f"({i}) of {len(saved['params'])} parameters that doesn't match the size of "
                    f"optimizer's group ({len(group['params'])} parameters)"
                )
            for idx, p in zip(saved["params"], group["params"]):
                id_to_param[int(idx)] = p
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, buffers in state_dict["state"].items():
            try:
                p = id_to_param[int(key)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(
                    f"{name}.load_state_dict: state entry {key!r} names no parameter of the "
                    f"param_groups (indices {sorted(id_to_param)})"
                ) from None
            new_state[p] = {k: _cast_buffer(p, k, v, key, name) for k, v in buffers.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {k: _like(group.get(k), v) for k, v in saved.items() if k != "params"}
            for k, v in self.defaults.items():
                new_group.setdefault(k, v)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.state = defaultdict(dict, new_state)
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _cast_buffer(p: Tensor, key: str, value, index, name: str):
    """A copy of one saved state entry, as a tensor of ``p``'s dtype when it is
    a floating buffer (the step count stays float32, as in PyTorch)."""
    if not isinstance(value, Tensor) and not hasattr(value, "__array_interface__"):
        if key == "step" and isinstance(value, (int, float)):
            return step_tensor(value)
        return value
    t = tg.tensor(value)
    if key == "step":
        return t.to(tg.float32).reshape(())
    if t.ndim and t.shape != p.shape:
        raise ValueError(
            f"{name}.load_state_dict: state[{index!r}][{key!r}] has shape {tuple(t.shape)} "
            f"but its parameter has shape {tuple(p.shape)}"
        )
    return t.to(p.dtype) if t.is_floating_point() and p.is_floating_point() else t


def _like(current, saved):
    """A saved option in the type of the current one (a list back to a tuple)."""
    if isinstance(current, tuple) and isinstance(saved, list):
        return tuple(saved)
    return saved


# ------------------------------------------------------- hyperparameters
def check_hyperparameters(lr=None, eps=None, betas=None, **at_least_zero) -> None:
    """PyTorch's checks of an optimiser's arguments, with its messages:
    ``lr``, ``eps`` and each keyword given (``weight_decay``, ``momentum``,
    ...) must be >= 0; each of ``betas`` in [0, 1)."""
    if lr is not None and lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i, beta in enumerate(betas or ()):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    for name, value in at_least_zero.items():
        if value < 0.0:
            raise ValueError(f"Invalid {name} value: {value}")


# ------------------------------------------------------------ state helpers
def step_tensor(value: float = 0.0) -> Tensor:
    """The step count as PyTorch keeps it: a float32 scalar tensor."""
    return tg.tensor(float(value), dtype=tg.float32)


def bump_step(state: dict[str, Any]) -> float:
    """Add one to ``state["step"]`` (created at 0) and return it as a float."""
    step = state.get("step")
    if step is None:
        step = state["step"] = step_tensor()
    step.add_(1.0)
    return step.item()
