"""What a model does to a batch, layer by layer: ``nn.summary`` prints the
table torchinfo users know (each layer with its output shape and its number
of parameters), and :func:`trace` returns the same calls as data, which
``tapegrad.viz.draw_model`` draws.

The model runs once on zeros of ``input_size`` (the batch size included, as
torchinfo takes it), in eval mode and without recording a graph unless
asked, so its parameters, running statistics and random state stay as they
were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tapegrad as tg
from tapegrad.nn.module import Module

__all__ = ["LayerCall", "ModelSummary", "summary", "trace"]


@dataclass
class LayerCall:
    """One call of a module during the traced forward pass.

    ``name``: its path in the model (``"features.0"``; ``""`` for the model);
    ``depth``: 0 for the model, 1 for its children, ...; ``index``: its
    position among its parent's calls (torchinfo's ``depth-idx``);
    ``inputs``/``output``: the tensors it took and returned (``output``
    ``None`` where it returned something else); ``params``: the parameters
    it holds itself and in its children, counted once each; ``trainable``:
    how many of those require grad; ``leaf``: whether it has no children."""

    name: str
    module: Module
    depth: int
    index: int
    inputs: list
    output: object
    params: int
    trainable: int
    leaf: bool
    children: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        return type(self.module).__name__

    @property
    def output_shape(self) -> list[int] | None:
        return None if self.output is None else list(self.output.shape)


def _count(module: Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def _zeros(model: Module, input_size, dtype):
    if dtype is None:
        first = next(iter(model.parameters()), None)
        dtype = first.dtype if first is not None and first.is_floating_point() else tg.float32
    sizes = [input_size] if isinstance(input_size[0], int) else list(input_size)
    return [tg.zeros(tuple(s), dtype=dtype) for s in sizes]


def trace(model: Module, input_size=None, *, input_data=None, dtype=None, graph=False):
    """Run ``model`` once and return ``(calls, output)``: ``calls`` the
    :class:`LayerCall` of the model itself (its ``children`` the calls of its
    submodules, in order of execution), ``output`` what the model returned.

    ``input_size``: a shape with the batch dimension, e.g. ``(1, 1, 28, 28)``,
    or a list of shapes for a model of several inputs; or ``input_data``:
    the tensor(s) themselves.  ``graph=True`` records the autograd graph
    (the inputs then require grad), which ``draw_model`` follows."""
    if input_data is None:
        if input_size is None:
            raise TypeError("summary: give input_size (with the batch dimension) or input_data")
        inputs = _zeros(model, input_size, dtype)
    else:
        inputs = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]
    if graph:
        inputs = [x.detach().requires_grad_() if x.is_floating_point() else x for x in inputs]
    root = LayerCall("", model, 0, 0, inputs, None, *_count(model), leaf=False)
    stack = [root]
    names = {id(m): n for n, m in model.named_modules()}
    handles = []

    def pre_hook(module, args):
        parent = stack[-1]
        params, trainable = _count(module)
        leaf = not any(True for _ in module.children())
        call = LayerCall(
            names.get(id(module), type(module).__name__),
            module,
            parent.depth + 1,
            len(parent.children) + 1,
            [a for a in args if isinstance(a, tg.Tensor)],
            None,
            params,
            trainable,
            leaf,
        )
        parent.children.append(call)
        stack.append(call)

    def post_hook(module, args, output):
        call = stack.pop()
        call.output = output if isinstance(output, tg.Tensor) else None

    for _, m in model.named_modules():
        if m is not model:
            handles.append(m.register_forward_pre_hook(pre_hook))
            handles.append(m.register_forward_hook(post_hook))
    was_training = model.training
    model.eval()
    try:
        with tg.enable_grad() if graph else tg.no_grad():
            output = model(*inputs)
    except (ValueError, RuntimeError, TypeError, IndexError) as exc:
        shapes = ", ".join(str(list(x.shape)) for x in inputs)
        where = stack[-1].name or type(model).__name__
        raise ValueError(f"summary: input of shape {shapes} fails in {where}: {exc}") from None
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    root.output = output if isinstance(output, tg.Tensor) else None
    return root, output


@dataclass
class ModelSummary:
    """The result of :func:`summary`; ``str()`` is the table.  ``calls``:
    the traced :class:`LayerCall` tree; ``total_params``,
    ``trainable_params``; sizes in bytes of the input, of the layers'
    outputs and their gradients (the forward/backward pass size, twice the
    outputs, as torchinfo counts it) and of the parameters; printed in
    megabytes of 10^6 bytes, as torchinfo prints them."""

    calls: LayerCall
    total_params: int
    trainable_params: int
    input_bytes: int
    activation_bytes: int
    param_bytes: int
    depth: int

    def rows(self) -> list[tuple[str, str, str]]:
        """(layer, output shape, param #) per call down to ``depth``."""
        out = [(self.calls.kind, _shape(self.calls), "--")]

        def walk(call, prefix):
            for i, child in enumerate(call.children):
                last = i == len(call.children) - 1
                branch = "└─" if last else "├─"
                label = f"{prefix}{branch}{child.kind}: {child.depth}-{child.index}"
                shown = child.leaf or child.depth == self.depth  # (else its rows below count)
                own = _thousands(child.params) if shown and child.params else "--"
                out.append((label, _shape(child), own))
                if child.depth < self.depth:
                    walk(child, prefix + ("    " if last else "│    "))

        walk(self.calls, "")
        return out

    def __str__(self) -> str:
        rows = self.rows()
        w0 = max(40, *(len(r[0]) for r in rows)) + 1
        w1 = max(25, *(len(r[1]) for r in rows)) + 1
        width = w0 + w1 + 15
        rule, thin = "=" * width, "-" * width
        lines = [rule, f"{'Layer (type:depth-idx)':<{w0}}{'Output Shape':<{w1}}Param #", rule]
        lines += [f"{a:<{w0}}{b:<{w1}}{c}" for a, b, c in rows]
        mb = 1e6  # (torchinfo's megabytes)
        total = self.input_bytes + self.activation_bytes + self.param_bytes
        lines += [
            rule,
            f"Total params: {_thousands(self.total_params)}",
            f"Trainable params: {_thousands(self.trainable_params)}",
            f"Non-trainable params: {_thousands(self.total_params - self.trainable_params)}",
            thin,
            f"Input size (MB): {self.input_bytes / mb:.2f}",
            f"Forward/backward pass size (MB): {self.activation_bytes / mb:.2f}",
            f"Params size (MB): {self.param_bytes / mb:.2f}",
            f"Estimated Total Size (MB): {total / mb:.2f}",
            rule,
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _shape(call: LayerCall) -> str:
    shape = call.output_shape
    return "--" if shape is None else str(shape)


def _thousands(n: int) -> str:
    return f"{n:,}"


def _bytes(t) -> int:
    return t.numel() * t.element_size()


def _leaves(call: LayerCall):
    for child in call.children:
        if child.leaf:
            yield child
        else:
            yield from _leaves(child)


def summary(
    model: Module, input_size=None, *, input_data=None, dtype=None, depth: int = 3, verbose: int = 1
):
    """Print and return the layer-by-layer summary of ``model`` on a batch of
    ``input_size`` (with the batch dimension, as torchinfo:
    ``summary(net, (1, 1, 28, 28))``): each layer down to ``depth`` with its
    output shape and parameter count, the totals, and the memory of the
    input, of the layers' outputs (forward/backward pass) and of the
    parameters (``verbose=0``: return it without printing).  A shape the
    model cannot take raises ``ValueError`` naming the shape and the layer
    where it failed."""
    calls, _ = trace(model, input_size, input_data=input_data, dtype=dtype)
    total, trainable = _count(model)
    result = ModelSummary(
        calls,
        total,
        trainable,
        sum(_bytes(x) for x in calls.inputs),
        2 * sum(_bytes(c.output) for c in _leaves(calls) if c.output is not None),
        sum(_bytes(p) for p in model.parameters()),
        depth,
    )
    if verbose:
        print(result)
    return result
