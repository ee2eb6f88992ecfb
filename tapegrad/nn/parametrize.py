"""Parametrizations, as ``torch.nn.utils.parametrize``: a tensor of a
module computed, each time it is read, from tensors that are learned in
its place.

``register_parametrization(module, "weight", P)`` moves the parameter
``weight`` into ``module.parametrizations.weight.original`` (or, when
``P.right_inverse`` returns several tensors, ``original0``, ``original1``,
...) and makes ``module.weight`` a property that returns ``P(original...)``;
assigning to ``module.weight`` stores ``P.right_inverse(value)``.  Further
parametrizations of the same tensor apply in turn to the previous one's
result.  The module's class becomes a subclass ``Parametrized<Class>`` that
carries the property, as in PyTorch, so ``state_dict`` keys read
``parametrizations.weight.original0`` and the like.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from tapegrad.autograd.graph import no_grad
from tapegrad.nn.containers import ModuleDict, ModuleList
from tapegrad.nn.module import Module, Parameter
from tapegrad.tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
]

_cache: dict | None = None  # (module id, tensor name) -> value, inside ``cached()``


@contextlib.contextmanager
def cached():
    """Inside the block each parametrized tensor is computed once, at its
    first read, and reused (for a module that reads its weight many times)."""
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer


def _original_like(original: Tensor, value: Tensor) -> Tensor:
    """``value`` as a parameter if ``original`` is one (learned as it was), else
    as a buffer tensor."""
    if isinstance(original, Parameter):
        return Parameter(value, original.requires_grad)
    return value


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in registration order, and
    the original tensor(s) the first one is applied to."""

    def __init__(self, modules, original: Tensor):
        super().__init__(modules)
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            original.data = new.detach()  # (the same tensor object stays the original)
            self._add_original("original", original)
        else:
            for i, t in enumerate(new):
                self._add_original(f"original{i}", _original_like(original, t.detach()))

    def _add_original(self, name: str, tensor: Tensor) -> None:
        if isinstance(tensor, Parameter):
            self.register_parameter(name, tensor)
        else:
            self.register_buffer(name, tensor)

    def originals(self) -> tuple:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self) -> Tensor:
        """The parametrized tensor: the first parametrization on the originals,
        then each further one on the result."""
        first, *rest = list(self)
        x = first(*self.originals())
        for module in rest:
            x = module(x)
        return x

    def right_inverse(self, value: Tensor) -> None:
        """Store originals that the parametrizations map to ``value``: each
        ``right_inverse``, last registered first."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                value = module.right_inverse(value)
            values = (value,) if self.is_tensor else value
            if not isinstance(values, Sequence) or len(values) != self.ntensors:
                raise ValueError(
                    f"'right_inverse' must return {self.ntensors} tensor(s), got {value!r}"
                )
            for original, v in zip(self.originals(), values):
                if v.dtype != original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {v.dtype} "
                        f"while the original has dtype {original.dtype}"
                    )
                original.data = v.detach()


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given)."""
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Compute ``module.<tensor_name>`` as ``parametrization(original)`` from
    now on (see the module's docs).  Unless ``unsafe``, the parametrized
    tensor must keep the original's shape and dtype.  Returns ``module``."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        return _chain(module, tensor_name, parametrization, unsafe)
    original = _own_tensor(module, tensor_name)
    shape, dtype = original.shape, original.dtype  # (before right_inverse changes them)
    parametrizations = ParametrizationList([parametrization], original)
    if not unsafe:
        with no_grad():
            _check_like(parametrizations(), shape, dtype, parametrization)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_new_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = parametrizations
    return module


def _chain(module: Module, tensor_name: str, parametrization: Module, unsafe: bool) -> Module:
    """Apply ``parametrization`` after those ``tensor_name`` already has."""
    if not unsafe:
        with no_grad():
            current = getattr(module, tensor_name)
            _check_like(parametrization(current), current.shape, current.dtype, parametrization)
    module.parametrizations[tensor_name].append(parametrization)
    return module


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Make ``module.<tensor_name>`` a plain parameter (or buffer) again: the
    current parametrized value with ``leave_parametrized``, else the original
    (possible only for a single original tensor).  Returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                original.data = getattr(module, tensor_name).detach()
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value.detach()
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
            "that is parametrized in terms of a sequence of tensors."
        )
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def _own_tensor(module: Module, name: str) -> Tensor:
    """``module``'s own parameter or buffer ``name``."""
    own = dict(module.named_parameters(recurse=False)) | dict(module.named_buffers(recurse=False))
    if name not in own:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized "
            f"element with name '{name}'"
        )
    return own[name]


def _check_like(value, shape: tuple, dtype, parametrization: Module) -> None:
    """A safe parametrization keeps the original's shape and dtype."""
    if not isinstance(value, Tensor):
        raise ValueError(
            f"A parametrization must return a tensor. Got {type(value).__name__}. "
            f"({type(parametrization).__name__})"
        )
    if value.shape != shape or value.dtype != dtype:
        raise ValueError(
            "Registering a parametrization may not change the shape or dtype of the tensor, "
            "unless `unsafe` flag is enabled.\n"
            f"unparametrized shape: {tuple(shape)}, dtype: {dtype}\n"
            f"parametrized shape: {tuple(value.shape)}, dtype: {value.dtype}"
        )


def _inject_new_class(module: Module) -> None:
    """Give ``module`` a class of its own, ``Parametrized<Class>``, to carry
    the properties (other instances of the class are untouched)."""
    cls = type(module)
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})


def _inject_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self) -> Tensor:
        if _cache is None:
            return self.parametrizations[tensor_name]()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = self.parametrizations[tensor_name]()
        return _cache[key]

    def set_original(self, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))
