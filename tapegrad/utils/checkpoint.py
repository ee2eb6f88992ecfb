"""Activation checkpointing, as ``torch.utils.checkpoint``: memory traded
for compute.

``checkpoint(f, x)`` gives ``f(x)``, but keeps none of the intermediate
tensors that backward would need: ``f`` runs without recording, and only
its arguments are kept.  When the backward pass reaches the result, ``f``
runs again on those arguments, this time recording, under the random state
of the first run (so dropout draws the same masks), and the gradient
arriving at the result is backpropagated through that fresh graph.  The
gradients are those of ``f(x)`` itself; the cost is a second forward pass
of ``f``, and the memory of its intermediates is held only while its own
backward runs.  ``checkpoint_sequential`` does this for consecutive
segments of a ``Sequential``, keeping just each segment's input.

The recomputed graph is differentiated by a ``backward()`` inside the
backward pass (PyTorch's *reentrant* kind), for both values of
``use_reentrant``: gradients of tensors passed as arguments flow on through
the outer graph, and gradients of the parameters that ``f`` uses go into
their ``.grad``, whichever call started the backward pass.  So train a
checkpointed model with ``loss.backward()``: ``tapegrad.autograd.grad``
reaches only the arguments, and ``create_graph=True`` is refused.  What
``use_reentrant=False`` adds, as in PyTorch: keyword arguments for ``f``,
and gradients for those parameters even when no argument requires grad
(with ``True``, or left out, such a checkpoint gives no gradients and warns,
as PyTorch's default does).
"""

from __future__ import annotations

import contextlib
import warnings

import tapegrad as tg
from tapegrad.autograd import Function
from tapegrad.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(
    function, *args, use_reentrant: bool | None = None, preserve_rng_state: bool = True, **kwargs
):
    """``function(*args, **kwargs)``, recomputed in backward instead of kept
    (see the module's docs).  ``function`` returns a tensor or a tuple of
    values (floating-point tensors in it carry gradients; other values pass
    through); ``preserve_rng_state=False`` skips restoring the random state
    for the recomputation.  ``kwargs`` need ``use_reentrant=False``."""
    reentrant = use_reentrant is None or bool(use_reentrant)
    if kwargs and reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    segment = _Segment(function, args, kwargs, reentrant, preserve_rng_state)
    inputs = args + tuple(kwargs.values())
    if tg.is_grad_enabled() and not any(_needs_grad(a) for a in inputs):
        if reentrant:
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None",
                UserWarning,
                stacklevel=2,
            )
        else:  # (so that the parameters inside get their gradients all the same)
            inputs += (tg.empty(0, requires_grad=True),)
    return segment.rebuild(CheckpointFunction.apply(segment, *inputs))


def checkpoint_sequential(
    functions, segments: int, input, use_reentrant: bool | None = None, **kwargs
):
    """``functions`` (a ``Sequential`` or a list of modules or functions)
    applied in turn to ``input``, in ``segments`` consecutive pieces of
    ``len(functions) // segments`` (the last takes the rest): every piece but
    the last is ``checkpoint``-ed, so only its input is kept.  The only
    keyword argument is ``preserve_rng_state``."""
    preserve_rng_state = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(functions, tg.nn.Sequential):
        functions = list(functions.children())
    functions = list(functions)
    if not 1 <= segments <= len(functions):
        raise ValueError(
            f"checkpoint_sequential: segments must be from 1 to the number of functions "
            f"({len(functions)}), got {segments}"
        )
    size = len(functions) // segments
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(
            _run_in_turn(functions[start : start + size]),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve_rng_state,
        )
    return _run_in_turn(functions[size * (segments - 1) :])(input)


def _run_in_turn(functions):
    def run(x):
        for f in functions:
            x = f(x)
        return x

    return run


def _needs_grad(value) -> bool:
    return isinstance(value, Tensor) and value.requires_grad


def _differentiable(value) -> bool:
    return isinstance(value, Tensor) and value.is_floating_point()


class _Segment:
    """What a checkpoint needs to run ``function`` again: the function, its
    keyword names (their values ride along with the arguments), the random
    state before the first run, and the shape of what it returned (which
    items are tensors the graph carries; the rest pass through as they were)."""

    def __init__(self, function, args, kwargs, reentrant: bool, preserve_rng_state: bool):
        self.function = function
        self.n_args = len(args)
        self.keywords = tuple(kwargs)
        self.reentrant = reentrant
        self.rng_state = tg.get_rng_state() if preserve_rng_state else None
        self.output = None

    def run(self, inputs):
        """``function`` on the arguments and keyword values of ``inputs`` (an
        anchor that ``checkpoint`` may add after them is not passed on)."""
        args = inputs[: self.n_args]
        values = inputs[self.n_args : self.n_args + len(self.keywords)]
        return self.function(*args, **dict(zip(self.keywords, values)))

    def carried(self, output) -> tuple:
        """The floating-point tensors of ``output``, in order."""
        items = output if isinstance(output, (tuple, list)) else (output,)
        return tuple(o for o in items if _differentiable(o))

    def rebuild(self, carried):
        """The first run's output, with the tensors the graph carries in place
        (and no longer held here)."""
        output, self.output = self.output, None
        if not isinstance(output, (tuple, list)):
            return carried if _differentiable(output) else output
        carried = iter(carried if isinstance(carried, tuple) else (carried,))
        return type(output)(next(carried) if _differentiable(o) else o for o in output)

    @contextlib.contextmanager
    def random_state_of_first_run(self):
        """Run a block under the random state the first run started from, and
        leave the generator as it was before the block."""
        if self.rng_state is None:
            yield
            return
        now = tg.get_rng_state()
        tg.set_rng_state(self.rng_state)
        try:
            yield
        finally:
            tg.set_rng_state(now)


class CheckpointFunction(Function):
    """The checkpointed call as one node of the graph: its inputs are the
    arguments, its outputs the floating-point tensors ``function`` returned."""

    @staticmethod
    def forward(ctx, segment: _Segment, *inputs):
        ctx.segment = segment
        ctx.tensors_at = [i for i, a in enumerate(inputs) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in inputs]
        ctx.save_for_backward(*(inputs[i] for i in ctx.tensors_at))
        segment.output = segment.run(inputs)
        carried = segment.carried(segment.output)
        if not carried:  # (a Function returns tensors; nothing here needs a gradient)
            return tg.empty(0)
        return carried[0] if len(carried) == 1 else carried

    @staticmethod
    def backward(ctx, *grads):
        if tg.is_grad_enabled():  # (the engine records a backward only for create_graph)
            raise RuntimeError(
                "checkpoint: a backward pass with create_graph=True (gradients of gradients) "
                "cannot go through a checkpointed segment; call the function without checkpoint"
            )
        segment = ctx.segment
        inputs = list(ctx.others)
        for i, t in zip(ctx.tensors_at, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        with segment.random_state_of_first_run(), tg.enable_grad():
            outputs = segment.carried(segment.run(inputs))
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad]
        if pairs:
            tg.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        elif segment.reentrant:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        return (None,) + tuple(a.grad if isinstance(a, Tensor) else None for a in inputs)
