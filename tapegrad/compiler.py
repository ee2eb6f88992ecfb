"""``tapegrad.compile`` and ``tapegrad.compiler``: ``torch.compile``'s names.

``torch.compile`` only changes how fast a model runs, never what it
computes, and PyTorch programs use it as ``model = torch.compile(model)``
(or ``@torch.compile`` on a function) and then carry on with the result as
with the model.  tapegrad has no compiler, so ``compile`` returns the model
unchanged (it runs eagerly) with a ``UserWarning`` that says so, rather
than stopping a program whose results would be the same; the one visible
difference is that the result is the model itself, not a wrapper whose
``state_dict`` keys start with ``_orig_mod.``.
"""

from __future__ import annotations

import functools
import warnings

_EAGER = "tapegrad.compile: tapegrad has no compiler; the model runs as it is (eagerly)"


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic=None,
    backend=None,
    mode=None,
    options=None,
    name=None,
    disable: bool = False,
    **kwargs,
):
    """``model``, unchanged, after a warning that nothing is compiled; with
    no ``model``, a decorator that does the same (``@compile(mode=...)``).
    The options of ``torch.compile`` are accepted and have no effect."""
    if model is None:
        return functools.partial(compile, disable=disable)
    if not callable(model):
        raise TypeError(f"compile: expected a module or a function, got {type(model).__name__}")
    if not disable:
        warnings.warn(_EAGER, UserWarning, stacklevel=2)
    return model


def is_compiling() -> bool:
    """False: tapegrad never runs code under a compiler."""
    return False


def disable(fn=None, recursive: bool = True, *, reason=None):
    """``@compiler.disable``: the function, unchanged (nothing is compiled)."""
    if fn is None:
        return lambda f: f
    return fn
