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
from tapegrad.tensor import Tensor, new_tensor

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
    """A ``Function`` subclass as an entry the engine can run (not in the
    table: its vjp is the user's ``backward``)."""

    saves = ()  # (the Function checks the versions of what ctx saved itself)
    saves_masks = None
    saves_output = False
    view = False
    arrays = False  # a user's backward gets tensors

    def __init__(self, cls):
        self.name = cls.__name__
        self.backward_name = cls.__name__ + "Backward"
        self.cls = cls
        self.partials = ("custom",)
        self.doc = (cls.__doc__ or "").strip()

    def vjp(self, node, g, needs, arrays):
        """The gradients of the node's tensor inputs, from ``backward(ctx, *grads)``."""
        p = node.params
        g = writeable_grad(g if isinstance(g, Tensor) else new_tensor(g))  # changed in place?
        grads_out = _unpacked(g, p["shapes"], p["dtypes"]) if p["packed"] else [g]
        result = self.cls.backward(p["ctx"], *grads_out)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < p["n_args"]:
            raise RuntimeError(
                f"{self.name}.backward returned {len(result)} gradients, but forward took "
                f"{p['n_args']} arguments: return one per argument (None where there is none)"
            )
        needs = node.parents if needs is None else needs
        return tuple(
            None if need is None else self._checked(result[pos], pos, x)
            for pos, x, need in zip(p["positions"], node.inputs, needs)
        )

    def _checked(self, gi, pos: int, x: Tensor):
        if gi is None:
            return None
        gi = gi if isinstance(gi, Tensor) else Tensor(gi, dtype=x.dtype)
        if gi.shape != x.shape:
            raise RuntimeError(
                f"{self.name}.backward returned a gradient of shape {tuple(gi.shape)} for "
                f"argument {pos} of shape {tuple(x.shape)}"
            )
        return gi


def _unpacked(g, shapes, dtypes) -> list:
    """The gradients of several outputs, from the gradient of their packing,
    each in its output's dtype (the packing has their common one)."""
    out, start = [], 0
    for shape, dtype in zip(shapes, dtypes):
        n = 1
        for s in shape:
            n *= s
        piece = g[start : start + n].reshape(shape)
        out.append(piece if piece.dtype == dtype else piece.to(dtype))
        start += n
    return out


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
        """Run ``forward`` without recording and record one node for its
        output (several outputs are packed into one array behind them)."""
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
        if not (GradMode.enabled and any(t.requires_grad for t in tensors)):
            return out
        parents = tuple((t.grad_fn or t) if t.requires_grad else None for t in tensors)
        packed = isinstance(out, tuple)
        params = dict(
            ctx=ctx,
            positions=tuple(positions),
            n_args=len(args),
            shapes=tuple(o.shape for o in outs),
            dtypes=tuple(o.dtype for o in outs),
            packed=packed,
        )
        if not packed:  # (a fresh tensor: an input returned as is is not its own parent)
            return new_tensor(out._array, cls._prim, tensors, parents, params)
        flat = xp.concatenate([o._array.reshape(-1) for o in outs])
        whole = new_tensor(flat, cls._prim, tensors, parents, params)
        results, start = [], 0
        for o in outs:
            n = o.numel()
            if id(o) in ctx._non_differentiable or o.dtype.kind != "f":
                results.append(o.detach())
            else:
                piece = whole[start : start + n].reshape(o.shape)
                results.append(piece if piece.dtype == o.dtype else piece.to(o.dtype))
            start += n
        return tuple(results)
