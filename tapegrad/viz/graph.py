"""The neutral graph model that every drawing and explanation reads.

``build_graph(y)`` walks the history behind ``y`` (iteratively: a 10,000-op
chain is fine) and returns a ``Graph`` of ``Var`` nodes, one per input,
output or intermediate variable, in forward order.  Each variable knows the
op that computed it, its arguments *in argument order* (``a*a`` lists ``a``
twice), the symbolic local partial of each argument from the primitive table,
and, on request, its forward value and its adjoint ``g_v = dy/dv`` (computed
here with ``autograd.grad(..., retain_graph=True)``; the user need not call
``backward``).  Names come from ``tensor.name``; the others are numbered
``v1, v2, ...`` in forward order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tapegrad.tensor import Tensor

# how an op reads inside its box, in terms of its argument names
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "matmul": "@"}


@dataclass
class Var:
    """One variable: ``args`` are indices into ``Graph.vars`` in argument
    order; ``partials`` the local partial text for each argument."""

    index: int
    name: str
    op: str | None  # primitive name; None for a leaf
    args: list = field(default_factory=list)
    partials: tuple = ()
    tensor: Tensor | None = None
    value: object = None  # host array
    grad: object = None  # host array or None
    requires_grad: bool = False
    node: object = None  # the recorded Node (None for leaves)

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    @property
    def kind(self) -> str:
        """``input`` (leaf that requires grad), ``constant`` or ``op``."""
        if self.op is not None:
            return "op"
        return "input" if self.requires_grad else "constant"


@dataclass
class Graph:
    """Variables in forward order; ``output`` is the index of the output."""

    vars: list
    output: int

    def consumers(self) -> list:
        """For each variable, the ``(consumer_index, arg_position)`` pairs that
        read it, in forward order of the consumers."""
        out: list = [[] for _ in self.vars]
        for v in self.vars:
            for pos, a in enumerate(v.args):
                out[a].append((v.index, pos))
        return out

    def edges(self) -> list:
        """``(src, dst, position)`` for every argument of every op."""
        return [(a, v.index, pos) for v in self.vars for pos, a in enumerate(v.args)]

    def by_name(self, name: str) -> Var:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(f"no variable named {name!r} in the graph")


class FreedGraphError(RuntimeError):
    """The history behind the tensor was released by a backward pass."""


def _key(t: Tensor):
    return t.grad_fn if t.grad_fn is not None else t


def _forward_order(tensor: Tensor):
    """The tensors behind ``tensor`` in forward order (the post-order of an
    iterative walk of the ``grad_fn`` chains) and each one's position."""
    index: dict = {}
    order: list = []
    stack = [(tensor, False)]
    while stack:
        t, done = stack.pop()
        k = _key(t)
        if done:
            if k not in index:
                index[k] = len(order)
                order.append(t)
            continue
        if k in index:
            continue
        stack.append((t, True))
        node = t.grad_fn
        if node is not None:
            if node.freed or node.inputs is None:
                raise FreedGraphError(
                    "the graph behind this tensor was freed by backward(); draw it before "
                    "calling backward, or call backward(retain_graph=True)"
                )
            for inp in reversed(node.inputs):
                if inp is not None and _key(inp) not in index:
                    stack.append((inp, False))
    return order, index


def _variable(i: int, t: Tensor, index: dict) -> Var:
    """The variable ``i`` of the graph for ``t``: a leaf, or the op that made
    it with its arguments' positions and the op's symbolic partials."""
    node = t.grad_fn
    if node is None:
        return Var(i, "", None, tensor=t, requires_grad=bool(t.requires_grad))
    args = [index[_key(inp)] for inp in node.inputs if inp is not None]
    partials = tuple(getattr(node.prim, "partials", ()) or ())
    return Var(i, "", node.prim.name, args, partials, t, requires_grad=True, node=node)


def build_graph(
    tensor: Tensor, values: bool = True, grads: bool = False, order_hint=None, names=None
) -> Graph:
    """Extract the graph behind ``tensor`` (see the module docstring).

    ``grads=True`` computes ``dy/dv`` for every variable that requires grad
    (for a non-scalar ``tensor`` the seed is all ones: ``d sum(y) / dv``).
    ``order_hint``: tensors in the order the program computed them; the
    forward order then follows it wherever the dependencies allow (the graph
    itself does not record which of two independent ops ran first).
    ``names``: ``{name: tensor}`` for tensors without ``.name``, e.g.
    ``dict(model.named_parameters())`` labels the weights ``0.weight``, ...
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"build_graph expects a Tensor, got {type(tensor).__name__}")
    order, index = _forward_order(tensor)
    if order_hint:
        order = _follow_hint(order, index, order_hint)
        index = {_key(t): i for i, t in enumerate(order)}
    given = {id(t): str(n) for n, t in (names or {}).items()}
    gvars: list = []
    counter = 0
    for i, t in enumerate(order):
        v = _variable(i, t, index)
        if t.name:
            v.name = str(t.name)
        elif id(t) in given:
            v.name = given[id(t)]
        else:
            counter += 1
            v.name = f"v{counter}"
        if values:
            v.value = t.detach().numpy() if t.requires_grad else t.numpy()
        gvars.append(v)
    _unique_names(gvars)
    graph = Graph(gvars, index[_key(tensor)])
    if grads and tensor.requires_grad:
        _fill_grads(graph, tensor)
    return graph


def _follow_hint(order: list, index: dict, hint) -> list:
    """A topological order that follows ``hint``: Kahn's algorithm, picking
    among the ready tensors the one whose own (or first consumer's) hint
    rank is smallest, ties broken by the walk's order."""
    import heapq

    rank = {}
    for r, t in enumerate(hint):
        rank.setdefault(_key(t), r)
    n = len(order)
    args = [
        [index[_key(i)] for i in t.grad_fn.inputs if i is not None] if t.grad_fn else []
        for t in order
    ]
    users: list = [[] for _ in range(n)]
    for j, a in enumerate(args):
        for i in a:
            users[i].append(j)
    eff = [float("inf")] * n
    for j in range(n - 1, -1, -1):
        own = rank.get(_key(order[j]))
        eff[j] = own if own is not None else min([eff[u] for u in users[j]], default=eff[j])
    missing = [len(set(a)) for a in args]
    heap = [(eff[j], j) for j in range(n) if missing[j] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, j = heapq.heappop(heap)
        out.append(order[j])
        for u in set(users[j]):
            missing[u] -= 1
            if missing[u] == 0:
                heapq.heappush(heap, (eff[u], u))
    return out


def _unique_names(gvars) -> None:
    """Two tensors with one name (``x`` twice) become ``x``, ``x'``."""
    seen: dict = {}
    for v in gvars:
        if v.name in seen:
            seen[v.name] += 1
            v.name = v.name + "'" * seen[v.name]
        else:
            seen[v.name] = 0


def _fill_grads(graph: Graph, y: Tensor) -> None:
    import tapegrad as tg

    wanted = [v for v in graph.vars if v.requires_grad]
    seed = None
    if y.numel() != 1:
        seed = tg.ones_like(y.detach())
    gs = tg.autograd.grad(
        y, [v.tensor for v in wanted], grad_outputs=seed, retain_graph=True, allow_unused=True
    )
    for v, g in zip(wanted, gs):
        v.grad = None if g is None else g.detach().numpy()
    out = graph.vars[graph.output]
    if out.grad is None:
        out.grad = tg.ones_like(y.detach()).numpy()


def op_label(graph: Graph, v: Var) -> str:
    """The text inside ``v``'s box: the op in terms of its argument names
    (``x * z``, ``log(x)``, ``a / b``); for leaves ``input``/the constant."""
    if v.op is None:
        if v.kind == "constant" and v.value is not None and getattr(v.value, "size", 0) == 1:
            return format_number(v.value)
        return "input" if v.requires_grad else "constant"
    names = [graph.vars[a].name for a in v.args]
    if v.op in _INFIX and len(names) == 2:
        return f"{names[0]} {_INFIX[v.op]} {names[1]}"
    if v.op == "neg" and len(names) == 1:
        return f"-{names[0]}"
    return f"{v.op}({', '.join(names)})"


def format_number(value, digits: int = 6) -> str:
    """A scalar as ``412.191``; an array as ``[2x3] mean=...``."""
    try:
        size = value.size
    except AttributeError:
        return f"{float(value) + 0.0:.{digits}g}"
    if size == 1:
        return f"{float(value.reshape(())) + 0.0:.{digits}g}"
    if size <= 4:
        return "[" + ", ".join(f"{float(x):.4g}" for x in value.reshape(-1)) + "]"
    shape = "x".join(str(s) for s in value.shape)
    return f"[{shape}] mean {float(value.mean()):.4g}"
