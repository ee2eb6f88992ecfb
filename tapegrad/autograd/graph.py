"""The recorded graph: one ``Node`` per op applied to tensors that need grad,
and the grad mode that decides whether nodes are recorded at all.

A node keeps what the backward pass needs and nothing more:

* ``prim``     the primitive (or user ``Function``) that produced the output;
* ``inputs``   the input tensors, in argument order (``a*a`` holds ``a`` twice);
* ``parents``  one edge per argument: the input's own node, the input itself
               when it is a leaf that requires grad, or ``None`` (no gradient
               flows there);
* ``params``   the op's static arguments (``dim``, ``shape``, ...);
* ``seq``      its creation number (consumers are always created later);
* ``ans``      for vjps written in terms of the output (``d exp(a) = exp(a) da``):
               the output's array, and ``ans_vc`` its version counter (set
               only then: no tuple per node); else ``None``;
* ``extra``    ``None``, or the rarely used ``hooks`` and ``retained`` (a
               tensor's ``retain_grad``) in a small holder: one slot to set
               when recording and one to test in the backward loop.

An in-place change of a tensor the vjps read (the inputs the primitive
``saves``, the output with ``saves_output``) after the node was recorded is
caught at backward time: every tensor's version counter ``_vc`` is
``[version, creation number of its latest change]`` (``tensor.change``), and
a change numbered after the node's ``seq`` came after the recording.

After a backward without ``retain_graph`` the node is *freed*: ``inputs``,
``ans`` and ``params`` are dropped (``inputs is None``).  Nodes are made
with their output by ``tapegrad.tensor.new_tensor`` and nowhere else.
"""

from __future__ import annotations

import functools
import itertools

from tapegrad.utils.hooks import add_hook


class _GradMode:
    """Whether ops record a graph (``tg.is_grad_enabled()``): ``GradMode.enabled``.

    An object's attribute, not a class's: setting a class attribute changes
    the class's version, and every place that reads it then loses Python's
    cached lookup (measurably, for the two switches of each backward pass)."""

    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


GradMode = _GradMode()


def is_grad_enabled() -> bool:
    return GradMode.enabled


class _GradModeContext:
    """Base of ``no_grad``/``enable_grad``/``set_grad_enabled``: a context
    manager that is also a decorator, as in PyTorch."""

    mode = True

    def __enter__(self):
        self._prev = GradMode.enabled
        GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Inside ``with tg.no_grad():`` (or a function decorated with it) no
    graph is recorded: results have ``requires_grad=False``."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` region."""

    mode = True


class inference_mode(_GradModeContext):
    """``torch.inference_mode(mode=True)``: here the same as ``no_grad`` (no
    graph is recorded); ``inference_mode(False)`` leaves the grad mode as it
    is.  A context manager and a decorator (``@tg.inference_mode()``)."""

    def __init__(self, mode: bool = True):
        self.inference = bool(mode)

    def __enter__(self):
        self._prev = GradMode.enabled
        if self.inference:
            GradMode.enabled = False
        return self

    def __call__(self, fn):
        inference = self.inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(inference):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeContext):
    """``with tg.set_grad_enabled(flag):`` records exactly when ``flag`` is true."""

    def __init__(self, mode: bool = True):
        self._prev = GradMode.enabled
        self.mode = bool(mode)
        GradMode.enabled = self.mode  # takes effect at once, as in PyTorch

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = GradMode.enabled
            GradMode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                GradMode.enabled = prev

        return wrapper


next_seq = itertools.count().__next__  # creation order of nodes: a topological order


class Node:
    """One recorded application of a primitive (PyTorch's ``grad_fn``).

    Made only by ``tapegrad.tensor.new_tensor``, with the tensor it
    produced.  After a backward pass without ``retain_graph``, the engine
    drops ``inputs``, ``ans`` and ``params`` (``freed``); the structure
    (``parents``, ``prim``) stays for error messages and diagrams."""

    __slots__ = (
        "prim",
        "inputs",
        "parents",
        "params",
        "ans",
        "ans_vc",
        "seq",
        "extra",
        "__weakref__",
    )

    def name(self) -> str:
        """PyTorch-style name of the backward function, e.g. ``MulBackward``."""
        return self.prim.backward_name

    @property
    def op(self) -> str:
        return self.prim.name

    @property
    def freed(self) -> bool:
        """Whether a backward without ``retain_graph`` released what it saved."""
        return self.inputs is None

    @property
    def hooks(self):
        """The hooks registered on this node's output (a dict by handle id), or ``None``."""
        return None if self.extra is None else self.extra.hooks

    @property
    def retained(self):
        """A weak reference to the output whose ``.grad`` is kept
        (``retain_grad``), or ``None``."""
        return None if self.extra is None else self.extra.retained

    @retained.setter
    def retained(self, ref) -> None:
        self._extra().retained = ref

    def _extra(self) -> _NodeExtra:
        if self.extra is None:
            self.extra = _NodeExtra()
        return self.extra

    @property
    def next_functions(self):
        """``((parent, 0), ...)`` in argument order, as PyTorch shows it: the
        parent's node, an ``AccumulateGrad`` for a leaf, or ``None``."""
        out = []
        for p in self.parents:
            if p is None or isinstance(p, Node):
                out.append((p, 0))
            else:
                out.append((AccumulateGrad(p), 0))
        return tuple(out)

    def __call__(self, grad):
        """The gradients of this node's inputs for the gradient ``grad`` of its
        output (``None`` where no gradient flows): a tuple, or the gradient
        itself for a node of one input, as calling a ``grad_fn`` does in
        PyTorch.  Recorded when grad mode is on."""
        if self.inputs is None:
            raise RuntimeError(f"{self.name()}: the values it saved were freed by a backward pass")
        grads = tuple(self.prim.vjp(self, grad, None, False))
        return grads[0] if len(grads) == 1 else grads

    def register_hook(self, fn):
        """``fn(grad) -> grad or None`` runs on the gradient arriving here."""
        extra = self._extra()
        if extra.hooks is None:
            extra.hooks = {}
        return add_hook(extra.hooks, fn)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


class _NodeExtra:
    """What few nodes carry: hooks on the output's gradient, and a weak
    reference to the output when it retains its ``.grad``."""

    __slots__ = ("hooks", "retained")

    def __init__(self):
        self.hooks = None
        self.retained = None


class AccumulateGrad:
    """The edge into a leaf tensor, as PyTorch shows it in ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"
