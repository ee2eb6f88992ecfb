"""User-defined differentiable operations, as ``torch.autograd.Function``::

    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    y = Cube.apply(x)

``forward`` runs without recording; ``backward`` returns one gradient per
argument of ``forward`` (``None`` for non-tensors or inputs without a
gradient).  Several outputs are supported: they are packed into one node.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.autograd.engine import writeable_grad
from tapegrad.autograd.graph import GradMode, no_grad
from tapegrad.tensor import Tensor, _make

xp = B.xp


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``."""

    def __init__(self):
        self._saved = ()
        self._versions = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._freed = False

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for ``backward``; an in-place change to one of them
        before ``backward`` is detected by its version counter."""
        self._saved = tensors
        self._versions = tuple(t._vc[0] if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            from tapegrad.autograd.engine import GraphFreedError

            raise GraphFreedError(
                "saved_tensors were freed after the first backward; pass retain_graph=True "
                "to backward through this Function again"
            )
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if isinstance(t, Tensor) and t._vc[0] != v:
                from tapegrad.autograd.engine import InPlaceError

                raise InPlaceError(
                    f"saved tensor {i} (shape {tuple(t.shape)}) of a custom Function was changed "
                    f"in place: it is at version {t._vc[0]}, saved at version {v}"
                )
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _FunctionPrim:
    """Adapts a ``Function`` subclass to the engine's primitive protocol."""

    saves = ()  # (the Function checks the versions of what ctx saved itself)
    saves_masks = None
    uses_ans = False
    view = False
    has_aux = False
    array_vjp = False  # a user's backward gets tensors
    array_elementwise = False
    vjps = None

    def __init__(self, cls):
        self.name = cls.__name__
        self.backward_name = cls.__name__ + "Backward"
        self.cls = cls
        self.partials = ("custom",)
        self.doc = (cls.__doc__ or "").strip()

    def vjp_all(self, g, ans, *inputs, needs, ctx, positions, n_args, shapes, packed):
        g = writeable_grad(g)  # backward may change it in place
        if packed:
            grads_out, start = [], 0
            for shape in shapes:
                n = 1
                for s in shape:
                    n *= s
                grads_out.append(g[start : start + n].reshape(shape))
                start += n
        else:
            grads_out = [g]
        result = self.cls.backward(ctx, *grads_out)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < n_args:
            raise RuntimeError(
                f"{self.name}.backward returned {len(result)} gradients, but forward took "
                f"{n_args} arguments: return one per argument (None where there is none)"
            )
        out = []
        for pos, x, need in zip(positions, inputs, needs):
            gi = result[pos]
            if gi is None or not need:
                out.append(None)
                continue
            gi = gi if isinstance(gi, Tensor) else Tensor(gi, dtype=x._array.dtype)
            if gi._array.shape != x._array.shape:
                raise RuntimeError(
                    f"{self.name}.backward returned a gradient of shape {tuple(gi.shape)} for "
                    f"argument {pos} of shape {tuple(x.shape)}"
                )
            out.append(gi)
        return tuple(out)


class Function:
    """Base class of user-defined differentiable operations (see module docs)."""

    _prim = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        from tapegrad.autograd.graph import Node

        if cls.__dict__.get("_prim") is None:
            cls._prim = _FunctionPrim(cls)
        ctx = FunctionCtx()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = tuple(args[i] for i in positions)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return tensors, got {type(o).__name__}"
                )
        record = GradMode.enabled and any(t.requires_grad for t in tensors)
        if not record:
            return out
        parents = tuple(
            (t.grad_fn if t.grad_fn is not None else t) if t.requires_grad else None
            for t in tensors
        )
        packed = isinstance(out, tuple)
        shapes = tuple(o._array.shape for o in outs)
        params = dict(ctx=ctx, positions=tuple(positions), n_args=len(args), shapes=shapes,
                      packed=packed)  # fmt: skip
        if not packed:
            node = Node(cls._prim, tensors, parents, params)
            return _own(out, node)
        flat = xp.concatenate([o._array.reshape(-1) for o in outs])
        node = Node(cls._prim, tensors, parents, params)
        whole = _make(flat, node)
        results, start = [], 0
        for o in outs:
            n = o._array.size
            if id(o) in ctx._non_differentiable:
                results.append(o.detach())
            else:
                results.append(whole[start : start + n].reshape(o._array.shape))
            start += n
        return tuple(results)


def _own(out: Tensor, node) -> Tensor:
    """The output tensor of a recorded Function (a fresh tensor object, so an
    input returned as is does not become its own parent)."""
    t = _make(out._array, node)
    return t
