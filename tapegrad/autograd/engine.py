"""The backward pass: the lecture's reverse sweep over the recorded graph.

Starting from the outputs, seeded with ``dy/dy = 1`` (or the given
gradient), the sweep repeatedly takes the latest node that has a gradient
waiting.  An op is always recorded after the ops that made its inputs, so by
then every consumer of the node has added its share: the waiting gradient is
the lecture's sum ``g_b = g_e (de/db) + g_c (dc/db)``.  The node's hooks and
in-place check run, its vjps give each input's share, which is added to
what waits for that input, and the node is released.  Leaves collect their
total in ``.grad``.  One loop, ``_sweep``; the options (``create_graph``,
``retain_graph``, the targets of ``autograd.grad``) change what it does at a
node, not which loop runs.  It is iterative: a 10,000-op chain needs no
recursion.

Without ``create_graph`` the vjps of entries marked ``arrays`` run on the
plain arrays (``_vjps_on_arrays``): the same formulas, no tensor per
intermediate.
"""

from __future__ import annotations

import operator
from heapq import heappop, heappush

from tapegrad import backend as B
from tapegrad.autograd.graph import GradMode, Node
from tapegrad.tensor import (
    POST_ACCUMULATE_HOOKED,
    Tensor,
    change,
    last_change,
    new_tensor,
    tensor,
)

_ndarray = B.ndarray


class GraphFreedError(RuntimeError):
    """A backward pass reached nodes whose saved values were released."""


class InPlaceError(RuntimeError):
    """A tensor saved for backward was changed in place before backward."""


# ------------------------------------------------------------------ entry points
def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensor)/d(leaf) into the ``.grad`` of every leaf that
    requires grad (``Tensor.backward``).

    A tensor with more than one element needs ``gradient``, the vector ``v``
    of the vector-Jacobian product ``v^T J`` (same shape as the tensor), as in
    PyTorch.  ``retain_graph`` keeps the saved values for another backward
    (default: ``create_graph``); ``create_graph`` records the backward itself,
    so the gradients can be differentiated again; ``inputs`` (tensors)
    restricts the accumulation to them."""
    seed = make_seed(tensor, gradient, "backward", shared=not create_graph)
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    run_backward((tensor,), (seed,), retain_graph, create_graph, targets=inputs)


def run_backward(
    outputs, seeds, retain_graph=None, create_graph=False, targets=None, accumulate=True
):
    """Backpropagate from ``outputs``, seeded with ``seeds``.

    ``targets=None``: add into the ``.grad`` of every leaf that requires grad.
    With ``targets`` (tensors): compute only what reaches them, and either add
    into their ``.grad`` (``accumulate``) or return their gradients, a list."""
    if retain_graph is None:
        retain_graph = create_graph
    grads, roots, handed = _seeded(outputs, seeds)
    plan = _Plan(create_graph, not retain_graph, handed, targets, roots)
    if targets is None and POST_ACCUMULATE_HOOKED and roots:
        plan.watch_leaves(grads, roots)
    previous = GradMode.enabled
    GradMode.enabled = bool(create_graph)
    try:
        if roots:
            _sweep(grads, roots, plan)
        if targets is None:
            for leaf, g in grads.items():  # (only leaves are left)
                _store_grad(leaf, _run_hooks(leaf._hooks, g) if leaf._hooks else g, plan)
                if leaf._post_accumulate_grad_hooks:
                    _run_post_accumulate_hooks(leaf)
            return None
        _run_leaf_hooks(grads)
        results = [
            plan.captured.get(t.grad_fn) if t.grad_fn is not None else grads.get(t) for t in targets
        ]
        if not accumulate:
            return [None if g is None else _as_tensor(g) for g in results]
        for t, g in zip(targets, results):
            if g is not None:
                _store_grad(t, g, plan)
                if t._post_accumulate_grad_hooks:
                    _run_post_accumulate_hooks(t)
        return None
    finally:
        GradMode.enabled = previous


def make_seed(out: Tensor, grad, what: str, shared: bool = False):
    """The gradient that starts a backward pass at ``out``: ``grad`` checked
    against ``out``'s shape, or ones for a one-element output (with
    ``shared``, an immutable array: a NumPy scalar for a 0-d output, else a
    cached read-only array, which ``.grad`` stores copies of)."""
    arr = out._array
    if grad is None:
        if arr.size != 1:
            raise RuntimeError(
                f"{what}: the output has shape {tuple(out.shape)}; grad can be implicitly created "
                "only for scalar outputs: pass `gradient` (a tensor of the output's shape, the "
                "vector of the vector-Jacobian product)"
            )
        if not shared:
            return new_tensor(B.xp.ones(arr.shape, dtype=arr.dtype))
        return arr.dtype.type(1) if not arr.ndim else B.ONE[arr.dtype].reshape(arr.shape)
    if not isinstance(grad, Tensor):
        grad = tensor(grad, dtype=out.dtype)
    elif grad.dtype != out.dtype:  # (as PyTorch: converted, once)
        grad = grad.to(out.dtype)
    if grad.shape != out.shape:
        raise RuntimeError(
            f"{what}: gradient of shape {tuple(grad.shape)} does not fit the output of shape "
            f"{tuple(out.shape)}"
        )
    return grad


def _seeded(outputs, seeds):
    """The gradients waiting at the start (tensors or arrays), by node (or
    leaf); the nodes of the outputs; the ids of the arrays of the tensors
    the caller handed in (never stored as a ``.grad`` as they are)."""
    grads: dict = {}
    roots = []
    handed = set()
    for i in range(len(outputs)):
        out, g = outputs[i], seeds[i]
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of the outputs does not require grad and has no grad_fn: "
                "nothing to differentiate (did you compute it under no_grad, or from "
                "tensors without requires_grad=True?)"
            )
        if isinstance(g, Tensor):
            handed.add(id(g._array))
        key = out.grad_fn
        if key is None:
            key = out
        else:
            roots.append(key)
        grads[key] = grads[key] + g if key in grads else g
    return grads, roots, handed


# ---------------------------------------------------------------- the sweep
def _sweep(grads: dict, roots: list, plan: _Plan) -> None:
    """The reverse sweep from ``roots``, on the waiting gradients ``grads``
    (keyed by node, or by leaf tensor: what is left there at the end).

    The latest node with a gradient waiting comes next: the parent that got
    its first gradient from the node just done, when it is the latest (in a
    chain; its gradient is handed over directly), else the top of a heap of
    the waiting nodes ordered by creation number."""
    arrays, propagate, release, watch = plan.arrays, plan.propagate, plan.release, plan.watch
    pop, get = grads.pop, grads.get
    heap: list = []
    if len(roots) > 1:
        for root in dict.fromkeys(roots):
            heappush(heap, (-root.seq, root))
        node = heappop(heap)[1]
    else:
        node = roots[0]
    g = pop(node)
    while True:
        if node.inputs is None:
            raise _freed_error(node)
        if node.extra is not None or watch:
            g = plan.arrive(node, g)
        if node.seq < last_change[0]:  # only older nodes can have seen a change
            _check_saved_versions(node)
        ready = ready_g = None  # the parent that got its first gradient here, and that
        if propagate is None or node in propagate:
            needs = None if propagate is None else plan.needs(node)
            input_grads = node.prim.vjp(node, g, needs, arrays)
            i = -1
            for p in node.parents:  # (indexing: a zip costs more than the rest here)
                i += 1
                gp = input_grads[i]
                if gp is None:
                    continue
                if p is ready:  # (an input used twice: a * a)
                    ready_g = ready_g + gp
                    continue
                prev = get(p)
                if prev is not None:
                    grads[p] = prev + gp
                elif p.__class__ is not Node:
                    grads[p] = gp  # a leaf: its total is stored at the end
                else:
                    if ready is not None:
                        grads[ready] = ready_g
                        heappush(heap, (-ready.seq, ready))
                    ready, ready_g = p, gp
        if release:
            node.inputs = node.ans = node.params = None
        if ready is not None and (not heap or -heap[0][0] < ready.seq):
            node, g = ready, ready_g
            continue
        if ready is not None:
            grads[ready] = ready_g
            heappush(heap, (-ready.seq, ready))
        if not heap:
            return
        node = heappop(heap)[1]
        g = pop(node)


class _Plan:
    """What the sweep does at each node, from the pass's options.

    ``arrays``: run the vjps on arrays where the entry allows it (first
    order), else on tensors (recorded with ``create_graph``); ``release``:
    drop what each node saved once its vjps ran.  With targets:
    ``propagate``, the nodes from which a target can be reached (the others
    pass nothing on); ``wanted``, the nodes an edge may send to (those and
    the targets'); ``capture``: the nodes whose output is a target keep the
    gradient that arrives there (``captured``).  ``finishing``: the leaves
    with post-accumulate-grad hooks, each stored as soon as the sweep has
    passed its last consumer (``watch_leaves``).  ``watch``: whether
    ``arrive`` runs at every node (for ``capture`` or ``finishing``)."""

    propagate = wanted = None
    capture = watch = False
    finishing = None
    target_nodes = target_leaves = frozenset()

    def __init__(self, create_graph, release, handed, targets, roots):
        self.create_graph = create_graph
        self.release = release
        self.handed = handed
        self.arrays = not create_graph
        if targets is not None:
            self.arrays = False
            self.target_nodes = {t.grad_fn for t in targets if t.grad_fn is not None}
            self.target_leaves = {t for t in targets if t.grad_fn is None}
            self.propagate = _nodes_reaching(roots, self.target_nodes, self.target_leaves)
            self.wanted = self.propagate | self.target_nodes
            self.capture = self.watch = bool(self.target_nodes)
            self.captured: dict = {}

    def watch_leaves(self, grads: dict, roots) -> None:
        """Find the leaves with post-accumulate-grad hooks that the sweep from
        ``roots`` reaches, with the creation number of each one's last
        consumer (the oldest: the sweep goes down in creation order); once
        the sweep arrives at an older node, that leaf's gradient in
        ``grads`` is complete."""
        last: dict = {}
        for node in topological_order(roots):
            for p in node.parents:
                if p is not None and p.__class__ is not Node and p._post_accumulate_grad_hooks:
                    last[p] = node.seq  # (the nodes come newest first: the oldest stays)
        if last:
            self.grads = grads
            self.finishing = sorted(last.items(), key=_by_last_consumer)
            self.watch = True

    def finish_leaves(self, seq: int) -> None:
        """Store the gradient of every watched leaf whose consumers are all
        newer than ``seq`` and call its post-accumulate-grad hooks."""
        finishing = self.finishing
        while finishing and finishing[-1][1] > seq:
            leaf = finishing.pop()[0]
            g = self.grads.pop(leaf, None)
            if g is not None:
                _store_grad(leaf, _run_hooks(leaf._hooks, g) if leaf._hooks else g, self)
                _run_post_accumulate_hooks(leaf)

    def needs(self, node: Node):
        """The inputs whose gradient is wanted: ``None`` means every input
        with a parent; with targets, only the edges that reach one."""
        if self.wanted is None:
            return None
        wanted, leaves = self.wanted, self.target_leaves
        return tuple(
            [
                True
                if p is not None and (p in wanted if p.__class__ is Node else p in leaves)
                else None
                for p in node.parents
            ]
        )

    def arrive(self, node: Node, g):
        """The gradient that arrives at ``node``, after the hooks registered on
        its output; kept for ``retain_grad`` and for a target.  Before it,
        the watched leaves whose gradients are complete are finished."""
        if self.finishing:
            self.finish_leaves(node.seq)
        extra = node.extra
        if extra is not None:
            if extra.hooks:
                g = _run_hooks(extra.hooks, g)
            if extra.retained is not None:
                t = extra.retained()
                if t is not None:
                    _store_grad(t, g, self)
        if node in self.target_nodes:
            self.captured[node] = g
        return g


def _as_tensor(g):
    """A waiting gradient as a tensor (vjps on arrays leave arrays and NumPy scalars)."""
    return g if isinstance(g, Tensor) else new_tensor(g)


def _nodes_reaching(roots, target_nodes: set, target_leaves: set) -> set:
    """The nodes from which a target can be reached (the rest is pruned)."""
    needed: set = set()
    for node in reversed(topological_order(roots)):
        for p in node.parents:
            if p is None:
                continue
            if p in target_leaves if p.__class__ is not Node else p in needed or p in target_nodes:
                needed.add(node)
                break
    return needed


def topological_order(roots) -> list:
    """Nodes reachable from ``roots``, each before the nodes it consumes:
    sorted by decreasing creation number (an op is always recorded after the
    ops that produced its inputs), collected by an iterative walk."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for p in stack.pop().parents:
            if p not in seen and p.__class__ is Node:
                seen.add(p)
                stack.append(p)
    return sorted(seen, key=_by_seq, reverse=True)


_by_seq = operator.attrgetter("seq")
_by_last_consumer = operator.itemgetter(1)


# ------------------------------------------------------------------ checks
def _check_saved_versions(node: Node) -> None:
    """Raise ``InPlaceError`` when a tensor ``node``'s vjps read was changed in
    place after the node was recorded (its version counter's change number is
    later than the node's)."""
    seq = node.seq
    for i, vc in _saved_versions(node):
        if vc[1] > seq:
            label = (
                f"its output (shape {tuple(node.ans.shape)})"
                if i is None
                else f"input {i} (shape {tuple(node.inputs[i].shape)})"
            )
            raise InPlaceError(
                f"one of the tensors needed to compute gradients was changed by an in-place "
                f"operation: {label} of `{node.prim.name}` ({node.name()}) was saved for the "
                f"backward pass and then changed in place (it is now at version {vc[0]}). "
                "Use an out-of-place op (x = x + 1 instead of x += 1) or .clone()"
            )


def _saved_versions(node: Node) -> list:
    """``(input position or None for the output, version counter)`` of what
    ``node``'s vjps read: the inputs its entry saves for the inputs that need
    a gradient (``saves_for``, as PyTorch saves them), and its output."""
    prim = node.prim
    if prim.saves_masks is None:
        saves = prim.saves
    else:
        mask = sum(1 << i for i, p in enumerate(node.parents) if p is not None)
        saves = prim.saves_masks[mask]
    # (``i < len(inputs)``: an optional input, a bias, may be left out)
    out = [(i, node.inputs[i]._vc) for i in saves if i < len(node.inputs)]
    if node.ans is not None:
        out.append((None, node.ans_vc))
    return out


def _freed_error(node: Node) -> GraphFreedError:
    return GraphFreedError(
        f"trying to backward through the graph a second time: the values `{node.prim.name}` "
        f"({node.name()}) saved were freed after the first backward. Call backward("
        "retain_graph=True) (or autograd.grad(..., retain_graph=True)) the first time if you "
        "need to backward through the same graph again"
    )


# ------------------------------------------------------------ hooks and leaves
def writeable_grad(g: Tensor) -> Tensor:
    """``g``, or a copy of it when its memory is read-only (the shared seed of
    ``backward()``, a broadcast view): for user code (hooks,
    a ``Function``'s backward) that may change it in place, as PyTorch
    allows.  The copy is recorded under ``create_graph``."""
    arr = g._array
    if arr.__class__ is not B.ndarray or arr.flags.writeable:
        return g  # (a NumPy scalar becomes an array of its own when changed)
    from tapegrad.ops.registry import CLONE

    return CLONE.apply(g)


def _run_hooks(hooks: dict, g) -> Tensor:
    """Call each hook on the gradient; a hook that returns a tensor replaces it
    (of the same shape and dtype, as PyTorch insists)."""
    g = writeable_grad(_as_tensor(g))
    for hook in list(hooks.values()):
        r = hook(g)
        if r is None:
            continue
        if not isinstance(r, Tensor) or r.shape != g.shape or r.dtype != g.dtype:
            what = (
                f"shape {tuple(r.shape)} {r.dtype}" if isinstance(r, Tensor) else type(r).__name__
            )
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} changed the gradient: it had "
                f"shape {tuple(g.shape)} {g.dtype}, the hook returned {what} (return a "
                "tensor of the same shape and dtype, or None)"
            )
        g = r
    return g


def _run_post_accumulate_hooks(leaf: Tensor) -> None:
    """Call ``hook(leaf)`` for each post-accumulate-grad hook of ``leaf``."""
    for hook in list(leaf._post_accumulate_grad_hooks.values()):
        hook(leaf)


def _run_leaf_hooks(grads: dict) -> None:
    """Run the hooks of the leaves on their total gradients (in place in ``grads``)."""
    for key, g in grads.items():
        if key.__class__ is not Node and key._hooks:
            grads[key] = _run_hooks(key._hooks, g)


def _store_grad(t: Tensor, g, plan: _Plan) -> None:
    """``t.grad += g``, keeping the graph of ``g`` only with ``create_graph``.
    A new ``.grad`` takes ``g``'s memory when nobody else holds it (it is
    not the caller's seed, not read-only, not a view; a NumPy scalar is
    immutable), else a copy."""
    if t.grad is not None:
        held = t.grad._array
        if (
            plan.create_graph
            or t.grad.grad_fn is not None
            or held.__class__ is not B.ndarray
            or not held.flags.writeable
        ):
            t.grad = t.grad + g
        else:
            arr = g._array if isinstance(g, Tensor) else g
            change((t.grad,), "backward", operator.iadd, (arr,))
        return
    if plan.create_graph:
        g = _as_tensor(g)
        arr = g._array
        if arr.__class__ is B.ndarray and _shared(arr, plan.handed):
            from tapegrad.ops.registry import CLONE

            g = CLONE.apply(g)  # its own memory, the copy recorded
        plan.handed.add(id(g._array))
        t.grad = g
        return
    arr = g._array if g.__class__ is Tensor else g
    if arr.__class__ is _ndarray:  # (a NumPy scalar is immutable: kept as it is)
        if arr.base is not None or id(arr) in plan.handed or not arr.flags.writeable:
            arr = arr.copy()
        plan.handed.add(id(arr))
    t.grad = new_tensor(arr)


def _shared(arr, handed: set) -> bool:
    """Whether someone else may hold or change ``arr``: a view, an array the
    caller handed in, or a read-only one."""
    return arr.base is not None or id(arr) in handed or not arr.flags.writeable
