"""``grad`` and the functional API of ``torch.autograd.functional``:
``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.

Shapes follow PyTorch: a Jacobian of ``f: R^(in shape) -> R^(out shape)`` has
shape ``out.shape + in.shape`` (numerator layout).  The lecture writes
derivatives in *denominator* layout (the input's dimension first):
``jacobian(f, x, layout="denominator")`` gives ``in.shape + out.shape``, so
the lecture's ``du/dv`` for ``u in R^m, v in R^n`` is an ``n x m`` matrix.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.autograd.engine import make_seed, run_backward
from tapegrad.autograd.graph import enable_grad
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


def _as_tuple(x):
    return (x, False) if isinstance(x, (tuple, list)) else ((x,), True)


def _seeds(outputs, grad_outputs, what: str, names: tuple, shared: bool = False):
    """The outputs as a tuple and their seeds (``engine.make_seed``): one
    ``grad_outputs`` entry per output, ``None`` for a one-element output."""
    outs, _ = _as_tuple(outputs)
    if grad_outputs is None:
        gos = [None] * len(outs)
    else:
        gos, _ = _as_tuple(grad_outputs)
        if len(gos) != len(outs):
            raise ValueError(f"{what}: {len(gos)} {names[0]} for {len(outs)} {names[1]}")
    return outs, [make_seed(o, g, what, shared) for o, g in zip(outs, gos)]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: accumulate into the leaves' ``.grad`` the
    sum over ``tensors`` of ``grad_tensors[k]^T d tensors[k] / d leaf`` in one
    pass (shared parts of the graph are walked once).  A ``grad_tensors``
    entry may be ``None`` for a one-element tensor; ``inputs`` restricts the
    accumulation to those tensors, as ``Tensor.backward(inputs=...)``."""
    outs, seeds = _seeds(
        tensors, grad_tensors, "backward", ("grad_tensors", "tensors"), shared=not create_graph
    )
    targets = None
    if inputs is not None:
        targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    run_backward(outs, seeds, retain_graph, create_graph, targets=targets, accumulate=True)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per
    input), without touching any ``.grad``.  Each output needs a
    ``grad_outputs`` entry unless it has one element.  An input the outputs do
    not depend on raises unless ``allow_unused`` (then its entry is ``None``,
    or zeros with ``materialize_grads``)."""
    ins, _ = _as_tuple(inputs)
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    outs, seeds = _seeds(outputs, grad_outputs, "grad", ("grad_outputs", "outputs"))
    if allow_unused is None:
        allow_unused = materialize_grads
    results = run_backward(
        outs, seeds, retain_graph, create_graph, targets=list(ins), accumulate=False
    )
    out = []
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {tuple(t.shape)}) was not used to compute the "
                    "outputs; pass allow_unused=True if that is intended"
                )
            if materialize_grads:
                g = new_tensor(xp.zeros(t._array.shape, dtype=t._array.dtype))
        elif not create_graph and g.grad_fn is not None:
            g = g.detach()
        out.append(g)
    return tuple(out)


def _prepare(inputs, create_graph):
    ins, single = _as_tuple(inputs)
    prepared = []
    for t in ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be tensors, got {type(t).__name__}")
        if create_graph and t.requires_grad:
            # keep the link to the caller's graph (for higher-order use)
            from tapegrad.ops.registry import CLONE

            prepared.append(CLONE.apply(t))
        else:
            prepared.append(
                new_tensor(t._array).requires_grad_(True)
                if t._array.dtype.kind == "f"
                else new_tensor(t._array)
            )
    return tuple(prepared), single


def _grads_or_zeros(out, ins, g, create_graph, strict, what):
    res = grad(out, ins, g, retain_graph=True, create_graph=create_graph, allow_unused=True)
    final = []
    for i, (x, r) in enumerate(zip(ins, res)):
        if r is None:
            if strict:
                raise RuntimeError(f"{what}: output is independent of input {i} (strict=True)")
            r = new_tensor(xp.zeros(x._array.shape, dtype=x._array.dtype))
        final.append(r)
    return final


def jacobian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    strategy="reverse-mode",
    layout="numerator",
):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i..., j...]`` is
    ``d out[i...] / d in[j...]``, shape ``out.shape + in.shape``; with several
    inputs (or outputs) a tuple (of tuples).  ``layout="denominator"`` puts the
    input's dimensions first (the lecture's convention)."""
    if layout not in ("numerator", "denominator"):
        raise ValueError(f"jacobian: layout must be 'numerator' or 'denominator', got {layout!r}")
    if strategy != "reverse-mode":
        raise ValueError("jacobian: only strategy='reverse-mode' is available")
    ins, single_in = _prepare(inputs, create_graph)
    with enable_grad():
        outs = func(*ins)
    outs_t, single_out = _as_tuple(outs)
    rows = []
    for out in outs_t:
        if not isinstance(out, Tensor):
            raise TypeError(f"jacobian: func must return tensors, got {type(out).__name__}")
        per_input = [[] for _ in ins]
        n = out._array.size
        flat_seed = xp.zeros(n, dtype=out._array.dtype)
        for k in range(n):
            if not out.requires_grad:
                grads = [new_tensor(xp.zeros(x._array.shape, dtype=x._array.dtype)) for x in ins]
                if strict:
                    raise RuntimeError(
                        "jacobian: output does not depend on the inputs (strict=True)"
                    )
            else:
                flat_seed[:] = 0
                flat_seed[k] = 1
                g = new_tensor(flat_seed.reshape(out._array.shape).copy())
                grads = _grads_or_zeros(out, ins, g, create_graph, strict, "jacobian")
            for j, gj in enumerate(grads):
                per_input[j].append(gj)
        from tapegrad.ops.shape import permute, reshape, stack

        blocks = []
        for j, x in enumerate(ins):
            if per_input[j]:
                jac = reshape(stack(per_input[j]), out._array.shape + x._array.shape)
            else:
                jac = new_tensor(xp.zeros(out._array.shape + x._array.shape, dtype=x._array.dtype))
            if layout == "denominator":
                no, ni = out._array.ndim, x._array.ndim
                jac = permute(jac, tuple(range(no, no + ni)) + tuple(range(no)))
            blocks.append(jac if create_graph else jac.detach())
        rows.append(blocks[0] if single_in else tuple(blocks))
    return rows[0] if single_out else tuple(rows)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar ``func``: shape ``in.shape + in.shape`` (a
    tuple of tuples for several inputs)."""
    ins, single_in = _prepare(inputs, True)

    def gradient(*xs):
        with enable_grad():
            out = func(*xs)
        if not isinstance(out, Tensor) or out._array.size != 1:
            raise RuntimeError("hessian: func must return a single-element tensor")
        return tuple(_grads_or_zeros(out, xs, None, True, strict, "hessian"))

    res = jacobian(
        gradient, ins if not single_in else ins, create_graph=create_graph, strict=strict
    )
    if single_in:
        return res[0][0] if isinstance(res[0], tuple) else res[0]
    return res


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    ins, single_in = _prepare(inputs, create_graph)
    with enable_grad():
        outs = func(*ins)
    outs_t, _ = _as_tuple(outs)
    vs = [None] * len(outs_t) if v is None else list(_as_tuple(v)[0])
    res = _grads_or_zeros(outs_t, ins, vs, create_graph, strict, "vjp")
    if not create_graph:
        outs = tuple(o.detach() for o in outs_t) if isinstance(outs, tuple) else outs.detach()
        res = [r.detach() for r in res]
    return outs, (res[0] if single_in else tuple(res))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp
    trick (reverse mode applied twice)."""
    ins, single_in = _prepare(inputs, True)
    with enable_grad():
        outs = func(*ins)
    outs_t, single_out = _as_tuple(outs)
    if v is None:
        if len(ins) != 1 or ins[0]._array.size != 1:
            raise RuntimeError("jvp: v can be omitted only for a single one-element input")
        vs = [new_tensor(xp.ones(ins[0]._array.shape, dtype=ins[0]._array.dtype))]
    else:
        vs = list(_as_tuple(v)[0])
    dummies = [
        new_tensor(xp.zeros(o._array.shape, dtype=o._array.dtype)).requires_grad_(True)
        for o in outs_t
    ]
    with enable_grad():
        u = _grads_or_zeros(outs_t, ins, dummies, True, strict, "jvp")
        live = [(ui, vi) for ui, vi in zip(u, vs) if ui.requires_grad]
        if live:
            res = grad(
                [ui for ui, _ in live],
                dummies,
                [vi for _, vi in live],
                create_graph=create_graph,
                allow_unused=True,
                materialize_grads=True,
            )
        else:
            res = tuple(new_tensor(xp.zeros(d._array.shape, dtype=d._array.dtype)) for d in dummies)
    if not create_graph:
        outs_t = tuple(o.detach() for o in outs_t)
        res = tuple(r.detach() for r in res)
    return (outs_t[0] if single_out else outs_t), (res[0] if single_out else tuple(res))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    ins, single_in = _prepare(inputs, True)
    with enable_grad():
        out = func(*ins)
        g = _grads_or_zeros(out, ins, None, True, strict, "vhp")
        vs = list(_as_tuple(v)[0]) if v is not None else [None]
        live = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        res = (
            grad(
                [gi for gi, _ in live],
                ins,
                [vi for _, vi in live],
                create_graph=create_graph,
                allow_unused=True,
                materialize_grads=True,
            )
            if live
            else tuple(new_tensor(xp.zeros(x._array.shape, dtype=x._array.dtype)) for x in ins)
        )
    if not create_graph:
        out = out.detach()
        res = tuple(r.detach() for r in res)
    return out, (res[0] if single_in else tuple(res))


hvp = vhp  # the Hessian of a twice-differentiable scalar function is symmetric
