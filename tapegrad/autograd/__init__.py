"""Reverse-mode automatic differentiation: the recorded graph, the backward
engine, ``grad``, the functional API, user-defined ``Function`` and gradcheck."""

from tapegrad.autograd import functional
from tapegrad.autograd.engine import GraphFreedError, InPlaceError
from tapegrad.autograd.function import Function, FunctionCtx
from tapegrad.autograd.functional import backward, grad
from tapegrad.autograd.graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "FunctionCtx",
    "GraphFreedError",
    "InPlaceError",
    "backward",
    "enable_grad",
    "functional",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
