"""The backward pass: reverse-mode accumulation over the recorded graph.

From the output, the nodes are taken in decreasing creation number among
those with a gradient waiting (an op is always recorded after the ops that
made its inputs, so every consumer of a node has sent its share when the
node's turn comes; a loop, no recursion, so a 10,000-op chain is fine; a
pass with ``targets`` sorts the reachable nodes once instead, to prune the
ones that reach no target).  Each node receives the *sum* of the gradients
its consumers sent it, the lecture's ``g_b = g_e (de/db) + g_c (dc/db)``,
runs its vjps for the inputs that need a gradient, and passes the results
on.  Leaves collect their total in ``.grad``.  Without ``retain_graph`` what a node saved is released
once its vjps have run, and a second backward through the same nodes raises.
"""

from __future__ import annotations

import operator
from heapq import heapify, heappop, heappush, heappushpop

from tapegrad import backend as B
from tapegrad.autograd.graph import GradMode, Node
from tapegrad.tensor import Tensor, _make, last_change


class GraphFreedError(RuntimeError):
    """A backward pass reached nodes whose saved values were released."""


class InPlaceError(RuntimeError):
    """A tensor saved for backward was changed in place before backward."""


def topological_order(roots) -> list:
    """Nodes reachable from ``roots``, each before the nodes it consumes.

    Every node carries the sequence number of its creation, and an op is
    always recorded after the ops that produced its inputs, so sorting the
    reachable nodes by decreasing number is a topological order (an
    iterative walk collects them: no recursion)."""
    seen = set(roots)
    stack = list(seen)
    pop, push, add = stack.pop, stack.append, seen.add
    while stack:
        for p in pop().parents:
            if p not in seen and p.__class__ is Node:
                add(p)
                push(p)
    order = list(seen)
    order.sort(key=_by_seq, reverse=True)
    return order


_by_seq = operator.attrgetter("seq")


def _seed(out: Tensor, grad, what: str, shared: bool = False) -> Tensor:
    """The gradient that starts a backward pass at ``out``: ``grad`` checked
    against ``out``'s shape, or ones for a one-element output.  With
    ``shared``, the ones are a cached read-only constant (``backward()``
    copies whatever it stores in a ``.grad``); else a fresh array."""
    if grad is None:
        data = out._array
        if data.size != 1:
            raise RuntimeError(
                f"{what}: the output has shape {tuple(out.shape)}; grad can be implicitly created "
                "only for scalar outputs: pass `gradient` (a tensor of the output's shape, the "
                "vector of the vector-Jacobian product)"
            )
        if shared:
            one = B.ONE[data.dtype]
            return _make(one if data.ndim == 0 else one.reshape(data.shape))
        return _make(B.xp.ones(data.shape, dtype=data.dtype))
    if not isinstance(grad, Tensor):
        grad = Tensor(grad, dtype=out._array.dtype)
    elif grad._array.dtype != out._array.dtype:  # (as PyTorch: converted, once)
        grad = grad.to(out._array.dtype)
    if grad._array.shape != out._array.shape:
        raise RuntimeError(
            f"{what}: gradient of shape {tuple(grad.shape)} does not fit the output of shape "
            f"{tuple(out.shape)}"
        )
    return grad


def _saved_tensors(node: Node) -> list:
    """``(input position or None for the output, version counter)`` of what
    ``node``'s vjps read: the inputs its primitive saves for the arguments
    that need a gradient (``saves_for``, as PyTorch saves them), and its
    output for a primitive with ``uses_ans``."""
    prim = node.prim
    inputs = node.inputs
    if prim.saves_masks is None:
        saves = prim.saves
    else:
        mask = 0
        for i, p in enumerate(node.parents):
            if p is not None:
                mask |= 1 << i
        saves = prim.saves_masks[mask]
    # (``i < len(inputs)``: an optional argument, a bias, may be left out)
    out = [(i, inputs[i]._vc) for i in saves if i < len(inputs)]
    if node.ans is not None:
        out.append((None, node.ans_vc))
    return out


def _changed_error(node: Node):
    """An ``InPlaceError`` when a tensor ``node``'s vjps read was changed in
    place after the node was recorded, else ``None``.  (Called only for
    nodes older than the latest in-place change anywhere: ``last_change``.)"""
    seq = node.seq
    for i, vc in _saved_tensors(node):
        if vc[1] > seq:
            prim = node.prim
            if i is None:
                label = f"its output (shape {tuple(node.ans.shape)})"
            else:
                label = f"input {i} (shape {tuple(node.inputs[i].shape)})"
            return InPlaceError(
                f"one of the tensors needed to compute gradients was changed by an in-place "
                f"operation: {label} of `{prim.name}` ({node.name()}) was saved for the "
                f"backward pass and then changed in place (it is now at version {vc[0]}). "
                "Use an out-of-place op (x = x + 1 instead of x += 1) or .clone()"
            )
    return None


def output_tensor(node: Node):
    """The output of ``node`` as a tensor (for vjps that read it, on tensors):
    its array and version counter with ``node`` as ``grad_fn``, so that a
    recorded backward differentiates through it.  ``None`` without ``ans``."""
    ans = node.ans
    if ans is None:
        return None
    return _make(ans, node, node.ans_vc)


def _freed_error(node: Node) -> GraphFreedError:
    return GraphFreedError(
        f"trying to backward through the graph a second time: the values `{node.prim.name}` "
        f"({node.name()}) saved were freed after the first backward. Call backward("
        "retain_graph=True) (or autograd.grad(..., retain_graph=True)) the first time if you "
        "need to backward through the same graph again"
    )


def run_backward(outputs, grad_outputs, retain_graph=None, create_graph=False, targets=None,
                 accumulate=True):  # fmt: skip
    """Backpropagate from ``outputs`` (seeded with ``grad_outputs``).

    ``targets=None`` and ``accumulate``: add into the ``.grad`` of every leaf.
    With ``targets`` (tensors): compute only what reaches them, and either add
    into their ``.grad`` (``accumulate``) or return their gradients in a list.
    """
    if retain_graph is None:
        retain_graph = create_graph
    prev_mode = GradMode.enabled
    GradMode.enabled = bool(create_graph)
    order: list = []
    try:
        # one dict of pending gradients, keyed by node (popped when its turn
        # comes) or by leaf tensor (what is left at the end)
        grads: dict = {}
        handed: set = set()
        roots = []
        for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
            if not out.requires_grad:
                raise RuntimeError(
                    f"element {i} of the outputs does not require grad and has no grad_fn: "
                    "nothing to differentiate (did you compute it under no_grad, or from "
                    "tensors without requires_grad=True?)"
                )
            handed.add(id(g._array))
            key = out.grad_fn if out.grad_fn is not None else out
            grads[key] = grads[key] + g if key in grads else g
            if out.grad_fn is not None:
                roots.append(out.grad_fn)
        if targets is None:
            if roots:
                _backward_all(roots, grads, create_graph, handed, not retain_graph)
            leaf_grads = _leaf_hooks(grads)
            for leaf, g in leaf_grads.items():
                _store_grad(leaf, g, create_graph, handed)
            return None

        order = topological_order(roots)
        target_nodes, target_leaves = {}, set()
        for t in targets:
            if t.grad_fn is not None:
                target_nodes[t.grad_fn] = t
            else:
                target_leaves.add(t)
        needed = _nodes_reaching(order, target_nodes, target_leaves)
        wanted = needed | set(target_nodes)
        captured: dict = {}
        for node in order:
            g = grads.pop(node, None)
            if g is None:
                continue
            if node.inputs is None:
                raise _freed_error(node)
            if node.extra is not None:
                g = _node_extras(node, g, create_graph, handed)
            if node in target_nodes:
                captured[node] = g
            if node not in needed:
                continue
            if node.seq < last_change[0]:
                err = _changed_error(node)
                if err is not None:
                    raise err
            _propagate(node, g, grads, wanted, target_leaves)
        leaf_grads = _leaf_hooks(grads)
        results = [
            captured.get(t.grad_fn) if t.grad_fn is not None else leaf_grads.get(t) for t in targets
        ]
        if accumulate:
            for t, g in zip(targets, results):
                if g is not None:
                    _store_grad(t, g, create_graph, handed)
            return None
        return results
    finally:
        GradMode.enabled = prev_mode
        if not retain_graph:
            # Node.release, spelled out, for the nodes a pass with targets
            # reached (_backward_all releases each node as it goes)
            for node in order:
                node.inputs = node.ans = node.params = None


def _backward_all(roots, grads, create_graph, handed, release) -> None:
    """The backward loop when every leaf gets its gradient: the hot path of
    ``backward()``, spelled out for speed.

    Nodes are taken in decreasing creation number among those with a pending
    gradient (a node is always created after the nodes of its inputs, so when
    its turn comes every consumer has sent its share: PyTorch's ready queue
    by sequence number).  A node that is the only one waiting (a chain) is
    taken next directly; otherwise a heap orders them.  Per node, the
    gradient is popped, its vjps run for the inputs that need a gradient, and
    each result is added to what waits for that input.  With ``release``
    (no ``retain_graph``), what the node saved is dropped right after (its
    inputs, output and parameters: every node keeps its own).

    Without ``create_graph``, the vjps of primitives marked ``array_vjp`` run
    on the plain arrays of the gradient and the inputs (the same formulas,
    with NumPy's operators: no tensor per intermediate); gradients then wait
    as arrays (or NumPy scalars), and become tensors again where a vjp needs
    them (and at the leaves)."""
    arrays = not create_graph
    pop = grads.pop
    get = grads.get
    if len(roots) == 1:
        heap = []
        nxt = roots[0]
    else:
        heap = [(-r.seq, r) for r in set(roots)]
        heapify(heap)
        nxt = heappop(heap)[1]
    while True:
        node = nxt
        nxt = None  # the node that gets its first gradient from this one, if only one
        g = pop(node)
        inputs = node.inputs
        if inputs is None:
            raise _freed_error(node)
        if node.extra is not None:
            g = _node_extras(node, _as_tensor(g), create_graph, handed)
        if node.seq < last_change[0]:  # only older nodes can have seen a change
            err = _changed_error(node)
            if err is not None:
                raise err
        prim = node.prim
        # The elementwise primitives' vjps on plain arrays, spelled out here
        # (the hot path); anything else goes to _propagate_arrays/_propagate.
        if arrays and prim.array_elementwise:  # vjps on plain arrays
            a0 = inputs[0]._array  # (one or two arguments, spelled out)
            a1 = inputs[1]._array if len(inputs) == 2 else None
            ans = node.ans
            if g.__class__ is not _ndarray:
                if isinstance(g, Tensor):  # the seed, or from a vjp on tensors
                    g = g._array
                    if not g.ndim:
                        g = g[()]
                if g.__class__ is not _ndarray:
                    # A NumPy scalar (what NumPy returns for an op on 0-d
                    # arrays): the output is 0-d, so are the inputs of an
                    # elementwise primitive. The vjp runs on NumPy scalars,
                    # several times faster than on 0-d arrays (same results).
                    a0 = a0[()]
                    if a1 is not None:
                        a1 = a1[()]
                    if ans is not None:
                        ans = ans[()]
            vjps = prim.vjps
            i = -1
            for p in node.parents:
                i += 1
                if p is None:
                    continue
                # An array, or a NumPy scalar for 0-d, of the input's dtype:
                # the inputs of an elementwise primitive share one dtype, g has
                # it too (seeds and hooks are held to their tensor's dtype, the
                # other paths conform), and these vjps keep it (a table test
                # compares every sample's dtypes with the recorded backward).
                if a1 is None:
                    gi = vjps[0](g, ans, a0)
                else:
                    gi = vjps[i](g, ans, a0, a1)
                prev = get(p)
                if prev is None:
                    grads[p] = gi
                    if p.__class__ is Node:  # p now waits: schedule it
                        if nxt is not None:
                            heappush(heap, (-nxt.seq, nxt))
                        nxt = p
                else:
                    grads[p] = prev + gi
        else:
            # the parents that wait for no gradient yet (once each: ``a*a``)
            waiting = dict.fromkeys(
                [p for p in node.parents if p.__class__ is Node and p not in grads]
            )
            if arrays and prim.array_vjp:  # a reduction or a fused layer, on plain arrays
                _propagate_arrays(node, _to_array(g), grads)
            else:
                if g.__class__ is not Tensor:
                    g = _make(_to_array(g))
                _propagate(node, g, grads, None, None)
            for p in waiting:
                if p in grads:  # got its first gradient from this node: schedule it
                    if nxt is not None:
                        heappush(heap, (-nxt.seq, nxt))
                    nxt = p
        if release:  # Node.release, spelled out
            node.inputs = node.ans = node.params = None
        if nxt is None:
            if not heap:
                return
            nxt = heappop(heap)[1]
        elif heap and -heap[0][0] > nxt.seq:
            nxt = heappushpop(heap, (-nxt.seq, nxt))[1]


def _propagate_arrays(node, g, grads) -> None:
    """``_propagate`` on plain arrays, for an ``array_vjp`` primitive with
    parameters or a ``vjp_all`` (a reduction, a fused layer): the gradient,
    inputs and output as arrays, the results added to ``grads``."""
    prim = node.prim
    parents = node.parents
    inputs = node.inputs
    args = [t._array for t in inputs]
    ans = node.ans
    if prim.vjp_all is not None:
        needs = tuple([p is not None for p in parents])
        outs = prim.vjp_all(g, ans, *args, needs=needs, **node.params)
    else:
        outs = [None if p is None else vjp(g, ans, *args, **node.params)
                for p, vjp in zip(parents, prim.vjps)]  # fmt: skip
    i = -1
    for p in parents:
        i += 1
        gi = outs[i]
        if p is None or gi is None:
            continue
        xd = args[i]
        if gi.shape != xd.shape or (gi.dtype is not xd.dtype and gi.dtype != xd.dtype):
            gi = _conform(prim, i, _make(_asarray(gi)), inputs[i])._array
        prev = grads.get(p)
        grads[p] = gi if prev is None else prev + gi


def _to_array(g):
    """A pending gradient as an array: a tensor's data, a NumPy scalar (what
    NumPy returns for ops on 0-d arrays) as a 0-d array."""
    return g._array if isinstance(g, Tensor) else _asarray(g)


def _as_tensor(g):
    return g if isinstance(g, Tensor) else _make(_to_array(g))


_ndarray = B.ndarray
_asarray = B.xp.asarray


def _node_extras(node: Node, g: Tensor, create_graph: bool, handed: set) -> Tensor:
    """Run the hooks registered on ``node``'s output and store the gradient
    of a tensor that ``retain_grad``-ed; returns the (maybe replaced) ``g``."""
    extra = node.extra
    if extra.hooks:
        g = _run_hooks(extra.hooks, g)
    if extra.retained is not None:
        t = extra.retained()
        if t is not None:
            _store_grad(t, g, create_graph, handed)
    return g


def _leaf_hooks(leaf_grads: dict) -> dict:
    """Run the hooks of the leaves on their total gradients (in place)."""
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            leaf_grads[leaf] = _run_hooks(leaf._hooks, _as_tensor(g))
    return leaf_grads


def writeable_grad(g: Tensor) -> Tensor:
    """``g``, or a copy of it when it is read-only (the shared seed of
    ``backward()``, a broadcast view): for user code (hooks, a ``Function``'s
    backward) that may change it in place, as PyTorch allows.  The copy is
    recorded under ``create_graph``."""
    if g._array.flags.writeable:
        return g
    from tapegrad.ops.registry import CLONE

    return CLONE.record1(g)


def _run_hooks(hooks, g: Tensor) -> Tensor:
    """Call each hook on the gradient; a hook that returns a tensor replaces it
    (of the same shape and dtype, as PyTorch insists: the engine relies on a
    gradient having its tensor's dtype)."""
    g = writeable_grad(g)
    for hook in hooks:
        r = hook(g)
        if r is not None:
            if not isinstance(r, Tensor) or r.shape != g.shape or r.dtype != g.dtype:
                what = (
                    f"{type(r).__name__}"
                    if not isinstance(r, Tensor)
                    else f"shape {tuple(r.shape)} {r.dtype}"
                )
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} changed the gradient: it had "
                    f"shape {tuple(g.shape)} {g.dtype}, the hook returned {what} (return a "
                    "tensor of the same shape and dtype, or None)"
                )
            g = r
    return g


def _nodes_reaching(order, target_nodes, target_leaves) -> set:
    """The nodes from which some target can be reached (the rest is pruned)."""
    needed = set()
    for node in reversed(order):
        for p in node.parents:
            if p is None:
                continue
            if type(p) is Node:
                if p in needed or p in target_nodes:
                    needed.add(node)
                    break
            elif p in target_leaves:
                needed.add(node)
                break
    return needed


def _propagate(node, g, grads, wanted, target_leaves) -> None:
    """Run ``node``'s vjps and add each input's share of the gradient to
    ``grads``; with ``wanted``, only for the edges that reach a target."""
    prim = node.prim
    inputs = node.inputs
    parents = node.parents
    ans = output_tensor(node)
    params = node.params
    if prim.vjp_all is not None:
        if wanted is None:
            if len(parents) == 2:
                needs = (parents[0] is not None, parents[1] is not None)
            elif len(parents) == 3:
                needs = (parents[0] is not None, parents[1] is not None, parents[2] is not None)
            else:
                needs = tuple([p is not None for p in parents])
        else:
            needs = tuple([_wanted(p, wanted, target_leaves) for p in parents])
        outs = prim.vjp_all(g, ans, *inputs, needs=needs, **params)
    else:
        outs = None
    i = -1
    for p in parents:
        i += 1
        if p is None:
            continue
        if outs is None:
            if wanted is not None and not _wanted(p, wanted, target_leaves):
                continue
            gi = prim.vjps[i](g, ans, *inputs, **params)
        else:
            gi = outs[i]
        if gi is None:
            continue
        gd, xd = gi._array, inputs[i]._array
        if gd.shape != xd.shape or (gd.dtype is not xd.dtype and gd.dtype != xd.dtype):
            gi = _conform(prim, i, gi, inputs[i])
        prev = grads.get(p)
        grads[p] = gi if prev is None else prev + gi


def _conform(prim, i: int, gi: Tensor, x: Tensor) -> Tensor:
    """A vjp's result in its input's dtype; a wrong shape is a bug in the vjp."""
    if gi._array.shape != x._array.shape:
        raise RuntimeError(
            f"internal error: the vjp of `{prim.name}` returned a gradient of shape "
            f"{tuple(gi.shape)} for input {i} of shape {tuple(x.shape)}"
        )
    return gi.to(x._array.dtype)


def _wanted(p, wanted, target_leaves) -> bool:
    """Whether the edge to parent ``p`` needs a gradient (all edges when no
    targets prune the graph)."""
    if p is None:
        return False
    if wanted is None:
        return True
    return p in wanted if type(p) is Node else p in target_leaves


def _store_grad(t: Tensor, g, create_graph: bool, handed: set) -> None:
    """``t.grad += g``, keeping the graph of ``g`` only with ``create_graph``.
    Without it, ``g`` (a tensor, an array or a NumPy scalar) is adopted as
    the new ``.grad`` when nobody else holds its array, else copied."""
    if create_graph:
        if t.grad is not None:
            t.grad = t.grad + g
            return
        arr = g._array
        if arr.base is not None or id(arr) in handed or not arr.flags.writeable:
            from tapegrad.ops.registry import CLONE

            g = CLONE.record1(g)  # its own memory, the graph kept (x.grad.zero_() works)
        handed.add(id(g._array))
        t.grad = g
        return
    arr = g._array if g.__class__ is Tensor else g
    if arr.__class__ is not _ndarray:
        arr = _to_array(arr)  # a NumPy scalar becomes a new 0-d array
    if t.grad is None:
        if arr.base is not None or id(arr) in handed or not arr.flags.writeable:
            arr = arr.copy()
        handed.add(id(arr))
        t.grad = _make(arr)
    elif t.grad.grad_fn is None and t.grad._array.flags.writeable:
        t.grad._array += arr
    else:
        t.grad = _make(t.grad._array + arr)


def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensor)/d(leaf) into the ``.grad`` of every leaf that
    requires grad (``Tensor.backward``).

    A tensor with more than one element needs ``gradient``, the vector ``v``
    of the vector-Jacobian product ``v^T J`` (same shape as the tensor), as in
    PyTorch.  ``retain_graph`` keeps the saved values for another backward
    (default: ``create_graph``); ``create_graph`` records the backward itself,
    so the gradients can be differentiated again; ``inputs`` (tensors)
    restricts the accumulation to them."""
    g = _seed(tensor, gradient, "backward", shared=not create_graph)
    targets = None
    if inputs is not None:
        targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    run_backward([tensor], [g], retain_graph, create_graph, targets=targets, accumulate=True)
