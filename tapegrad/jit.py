"""``tapegrad.jit``: TorchScript's names.

tapegrad runs Python eagerly and has no TorchScript compiler, so the calls
that compile, trace, save or load TorchScript (``script``, ``trace``,
``trace_module``, ``save``, ``load``, ``freeze``) raise ``NotSupportedError``
naming the call: their results are ``ScriptModule``s with methods of their
own (``.save()``, ``.graph``, ``.code``) that the program would reach for
next, so handing back the eager module would only move the failure further
from its cause.  What only marks code for the compiler is harmless without
one: the decorators ``ignore``, ``unused`` and ``export`` return the
function unchanged, ``annotate`` returns the value, and ``is_scripting()``
and ``is_tracing()`` are False, so model code written with them runs.
"""

from __future__ import annotations

from tapegrad.unsupported import not_supported

_NO_TORCHSCRIPT = "tapegrad has no TorchScript compiler; call the module or function as it is"

script = not_supported("jit.script", _NO_TORCHSCRIPT)
trace = not_supported("jit.trace", _NO_TORCHSCRIPT)
trace_module = not_supported("jit.trace_module", _NO_TORCHSCRIPT)
freeze = not_supported("jit.freeze", _NO_TORCHSCRIPT)
save = not_supported(
    "jit.save", "tapegrad has no TorchScript; save a state_dict with tapegrad.save"
)
load = not_supported(
    "jit.load", "tapegrad cannot run TorchScript archives; load a state_dict with tapegrad.load"
)


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` or ``@jit.ignore(drop=True)``: the function, unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """``@jit.unused``: the function, unchanged."""
    return fn


def export(fn):
    """``@jit.export``: the function, unchanged."""
    return fn


def annotate(the_type, the_value):
    """``jit.annotate(type, value)``: the value (the type is for the compiler)."""
    return the_value


def is_scripting() -> bool:
    """False: code never runs under TorchScript in tapegrad."""
    return False


def is_tracing() -> bool:
    """False: code never runs under the TorchScript tracer in tapegrad."""
    return False
