"""The table of differentiable primitives and the one function that applies them.

Every primitive is registered once with ``defprim``: its forward on backend
arrays, its vector-Jacobian products written in tapegrad ops (so a backward
run while recording gives second derivatives), and the symbolic form of its
local partials that explanations and diagrams print.  ``PRIMITIVES`` *is* the
list of differentiable ops; the tests are generated from it.

Conventions of an entry
-----------------------
* ``fwd(*arrays, **params) -> array`` (or ``(array, aux)`` with
  ``has_aux=True``; ``aux`` then reaches the vjps as ``params["aux"]``).
* ``vjps``: one function per tensor argument, ``vjp(g, ans, *inputs, **params)``
  returning the gradient for that argument (already summed back to its shape);
  only the arguments that need a gradient are computed.  Or ``vjp_all``:
  ``vjp_all(g, ans, *inputs, needs=..., **params) -> tuple`` when the
  arguments share work (a fused layer).
* ``partials``: for each argument, d(out)/d(argument) as text in terms of the
  arguments ``a, b, c`` and the output ``out`` (``d(a/b)/db = -a/b**2``).
* ``saves``: argument positions whose *values* the vjps read (their version
  counters are checked at backward time); ``uses_ans`` when they read ``out``.
  ``saves_for`` instead gives them per argument (``mul``: the gradient for
  ``a`` reads ``b`` and the one for ``b`` reads ``a``), so only what the
  arguments that need a gradient read is checked, as PyTorch saves it.
* ``view``: the output shares memory and version counter with argument 0.
* ``array_vjp`` (set with ``allow_array_vjps``): a first-order backward
  runs the vjps on the plain arrays.  Elementwise vjps qualify when they use
  only operators, ``apply1``/``apply2`` (or a primitive's ``record1`` /
  ``record2``) and ``sum_to_shape`` and read their arguments' ``.shape``
  (the recorders then call the forward directly; for 0-d outputs the
  arguments are NumPy scalars); a ``vjp_all`` qualifies when, given a
  gradient that is an array, it returns arrays.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.autograd.graph import GradMode, Node
from tapegrad.autograd.graph import next_seq as _next_seq
from tapegrad.tensor import FRESH, Tensor, _make, shared_version

PRIMITIVES: dict[str, Primitive] = {}

_ndarray = B.ndarray
_asarray = B.xp.asarray


class Primitive:
    """One entry of the table (see the module docstring)."""

    __slots__ = (
        "name",
        "fwd",
        "vjps",
        "vjp_all",
        "partials",
        "saves",
        "saves_masks",
        "uses_ans",
        "view",
        "has_aux",
        "plain",
        "array_vjp",
        "backward_name",
        "doc",
        "record1",
        "record2",
        "array_elementwise",
    )

    def __init__(self, name, fwd, vjps, vjp_all, partials, saves, uses_ans, view, has_aux, doc,
                 saves_for=None):  # fmt: skip
        self.name = name
        self.fwd = fwd
        self.vjps = vjps
        self.vjp_all = vjp_all
        self.partials = partials
        self.saves = saves
        self.saves_masks = _saves_masks(saves_for) if saves_for else None
        self.array_vjp = False
        self.array_elementwise = False
        self.uses_ans = uses_ans
        self.view = view
        self.has_aux = has_aux
        self.plain = not (view or has_aux)  # apply1/apply2 handle it (no view, no aux)
        self.doc = doc
        self.backward_name = "".join(p.capitalize() for p in name.split("_")) + "Backward"
        self.record1 = recorder(self, 1)
        self.record2 = recorder(self, 2)

    @property
    def arity(self) -> int:
        return len(self.partials)

    def __call__(self, *inputs, **params):
        return apply(self, *inputs, **params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _saves_masks(saves_for) -> tuple:
    """For each set of arguments that need a gradient (a bit mask), the
    positions whose values their vjps read."""
    n = len(saves_for)
    out = []
    for mask in range(2**n):
        read = set()
        for i in range(n):
            if mask >> i & 1:
                read.update(saves_for[i])
        out.append(tuple(sorted(read)))
    return tuple(out)


def defprim(
    name: str,
    fwd,
    vjps=None,
    *,
    vjp_all=None,
    partials,
    saves=(),
    saves_for=None,
    uses_ans=False,
    view=False,
    has_aux=False,
    doc: str = "",
) -> Primitive:
    """Register a primitive; see the module docstring for the arguments."""
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} is already registered")
    partials = (partials,) if isinstance(partials, str) else tuple(partials)
    if vjps is not None and not isinstance(vjps, (tuple, list)):
        vjps = (vjps,)
    if (vjps is None) == (vjp_all is None):
        raise ValueError(f"{name}: give exactly one of vjps and vjp_all")
    if vjps is not None and len(vjps) != len(partials):
        raise ValueError(f"{name}: {len(vjps)} vjps for {len(partials)} partials")
    if saves_for is not None:
        saves = tuple(sorted(set().union(*map(set, saves_for))))
    prim = Primitive(
        name, fwd, tuple(vjps) if vjps else None, vjp_all, partials, tuple(saves),
        uses_ans, view, has_aux, doc, saves_for,
    )  # fmt: skip
    PRIMITIVES[name] = prim
    return prim


class ShapeError(ValueError, RuntimeError):
    """An op's inputs do not fit; the message names the op and every shape.
    Both a ``ValueError`` and the ``RuntimeError`` PyTorch raises."""


def _shape_error(prim, inputs, err) -> Exception:
    shapes = [tuple(t._array.shape) for t in inputs]
    msg = str(err).split("\n")[0]
    if isinstance(err, IndexError):  # a bad index value, not a shape mismatch
        listed = ", ".join(str(s) for s in shapes)
        return IndexError(f"{prim.name}: {msg} (input shapes {listed})")
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"
        text = f"{prim.name}: shapes {listed} do not fit"
    else:
        text = f"{prim.name}: input of shape {shapes[0] if shapes else ()} does not fit"
    return ShapeError(f"{text} ({msg})" if msg else text)


def _forward_error(prim, inputs, err) -> Exception:
    """The error to raise when ``prim``'s forward rejected its inputs."""
    if str(err).startswith(prim.name + ":"):  # the forward explained it already
        return (ShapeError if isinstance(err, ValueError) else IndexError)(str(err))
    return _shape_error(prim, inputs, err)


def apply(prim: Primitive, *inputs: Tensor, **params) -> Tensor:
    """Run ``prim`` forward on the tensors ``inputs`` and, when grad mode is on
    and an input requires grad, record a ``Node`` for the backward pass.

    This is the hot path of every op (forward, and backward's vjps): one or
    two tensors and no parameters go to the primitive's own ``record1`` /
    ``record2`` (see ``recorder``), which spell everything out; ops that know
    their form may call those directly."""
    if prim.plain and not params:
        n = len(inputs)
        if n == 2:
            return prim.record2(inputs[0], inputs[1])
        if n == 1:
            return prim.record1(inputs[0])
    return _apply(prim, inputs, params)


def apply2(prim: Primitive, a: Tensor, b: Tensor) -> Tensor:
    """``apply(prim, a, b)`` for a primitive without parameters, view or aux."""
    return prim.record2(a, b)


def apply1(prim: Primitive, a: Tensor) -> Tensor:
    """``apply(prim, a)`` for a primitive without parameters, view or aux."""
    return prim.record1(a)


def recorder(prim: Primitive, arity: int, fallback=None, float_only: bool = False):
    """``apply`` for one plain primitive (no parameters, view or aux) of one
    or two tensor arguments, as a function of its own.

    Spelled out for speed (it runs for most ops of every forward and
    backward): the primitive's constants sit in the closure, and the result
    tensor and the node are built inline, as in ``_make`` and
    ``Node.__init__``.  Every primitive gets ``record1`` and ``record2``
    (``Primitive.__init__``); given arrays or NumPy scalars instead of
    tensors (a vjp run on plain arrays, see ``array_vjp``), they call the
    forward directly.

    With ``fallback``, the result is a public op (an operator such as
    ``Tensor.__add__``): tensors of one dtype (floating, with
    ``float_only``) are recorded in the same frame, anything else goes to
    ``fallback(*args)``, which converts and promotes.

    ``record1`` and ``record2`` build the result tensor and the node with
    the same lines: a shared helper would cost a call per op (measured in
    benchmarks/bench_engine.py)."""
    fwd = prim.fwd
    uses_ans = prim.uses_ans
    if arity == 1:

        def record1(input):  # (the name of PyTorch's argument: a public op is this)
            a = input
            if fallback is None:
                if a.__class__ is not Tensor and not isinstance(a, Tensor):
                    return fwd(a)  # a vjp run on plain arrays or NumPy scalars
            elif a.__class__ is not Tensor or (float_only and a._array.dtype.kind != "f"):
                return fallback(a)
            try:
                out = fwd(a._array)
            except (ValueError, IndexError) as err:
                if isinstance(err, ShapeError):
                    raise
                raise _forward_error(prim, (a,), err) from None
            if out.__class__ is not _ndarray:
                out = _asarray(out)
            result = _new(Tensor)
            result._array = out
            result.grad = None
            result.name = None
            result._hooks = None
            result._vc = FRESH
            if not (a.requires_grad and GradMode.enabled):
                result.grad_fn = None
                result.requires_grad = False
                return result
            node = _new(Node)
            node.prim = prim
            node.inputs = (a,)
            node.parents = (a.grad_fn or a,)
            node.params = _NO_PARAMS
            if uses_ans:
                node.ans = out
                node.ans_vc = result._vc = [0, 0]  # (read back: a list of its own)
            else:
                node.ans = None
            node.seq = _next_seq()
            node.extra = None
            result.grad_fn = node
            result.requires_grad = True
            return result

        return record1

    def record2(input, other):
        a = input
        b = other
        if fallback is None:
            if a.__class__ is not Tensor and not isinstance(a, Tensor):
                return fwd(a, b)  # a vjp run on plain arrays or NumPy scalars
        elif (
            b.__class__ is not Tensor
            or a.__class__ is not Tensor
            or a._array.dtype is not b._array.dtype
        ):
            return fallback(a, b)
        try:
            out = fwd(a._array, b._array)
        except (ValueError, IndexError) as err:
            if isinstance(err, ShapeError):
                raise
            raise _forward_error(prim, (a, b), err) from None
        if out.__class__ is not _ndarray:
            out = _asarray(out)
        result = _new(Tensor)
        result._array = out
        result.grad = None
        result.name = None
        result._hooks = None
        result._vc = FRESH
        ra = a.requires_grad
        rb = b.requires_grad
        if not ((ra or rb) and GradMode.enabled):
            result.grad_fn = None
            result.requires_grad = False
            return result
        node = _new(Node)
        node.prim = prim
        node.inputs = (a, b)
        node.parents = ((a.grad_fn or a) if ra else None, (b.grad_fn or b) if rb else None)
        node.params = _NO_PARAMS
        if uses_ans:
            node.ans = out
            node.ans_vc = result._vc = [0, 0]  # (read back: a list of its own)
        else:
            node.ans = None
        node.seq = _next_seq()
        node.extra = None
        result.grad_fn = node
        result.requires_grad = True
        return result

    return record2


def _apply(prim: Primitive, inputs: tuple, params: dict) -> Tensor:
    """``apply`` in general: any number of inputs, parameters, views, aux.
    (Two and three inputs, the fused layers' case, are spelled out.)"""
    n = len(inputs)
    first = inputs[0]
    if first.__class__ is not Tensor and not isinstance(first, Tensor):
        out = prim.fwd(*inputs, **params)  # a vjp run on plain arrays (``array_vjp``)
        return out[0] if prim.has_aux else out
    try:
        if n == 3:
            out = prim.fwd(inputs[0]._array, inputs[1]._array, inputs[2]._array, **params)
        elif n == 2:
            out = prim.fwd(inputs[0]._array, inputs[1]._array, **params)
        else:
            out = prim.fwd(*[t._array for t in inputs], **params)
    except (ValueError, IndexError) as err:
        if isinstance(err, ShapeError):
            raise
        raise _forward_error(prim, inputs, err) from None
    if prim.has_aux:
        out, aux = out
        params["aux"] = aux
    if out.__class__ is not _ndarray:
        out = _asarray(out)
    result = _make(out, vc=shared_version(inputs[0]) if prim.view else None)
    if not GradMode.enabled:
        return result
    mask = 0
    i = 0
    for t in inputs:
        if t.requires_grad:
            mask |= 1 << i
        i += 1
    if not mask:  # no input requires grad
        return result
    parents = tuple([(t.grad_fn or t) if t.requires_grad else None for t in inputs])
    node = _new(Node)  # Node.__init__ spelled out, as in the recorders
    node.prim = prim
    node.inputs = inputs
    node.parents = parents
    node.params = params
    if prim.uses_ans:
        node.ans = out
        node.ans_vc = shared_version(result)
    else:
        node.ans = None
    node.seq = _next_seq()
    node.extra = None
    result.grad_fn = node
    result.requires_grad = True
    return result


_NO_PARAMS: dict = {}  # shared by the nodes of ops without parameters; never written to
_new = object.__new__


# ---------------------------------------------------------------- arguments
def scalar_tensor(value, dtype) -> Tensor:
    """A Python number as a 0-d constant tensor of ``dtype``."""
    arr = _asarray(value)
    return _make(arr if arr.dtype == dtype else arr.astype(dtype))


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """Turn an op argument into a tensor: tensors pass through; Python numbers
    take the dtype PyTorch gives them next to ``like``; arrays keep theirs."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, bool, B.xp.generic)) and not isinstance(x, _ndarray):
        dt = dtypes.scalar_dtype_for(x, like._array.dtype) if like is not None else None
        if dt is None:
            return Tensor(x)
        return scalar_tensor(x, dt)
    return Tensor(x)


def binary_args(a, b):
    """Two operands of a binary op as tensors of one common dtype (PyTorch's
    promotion).  The fast path (both tensors, same dtype) costs two checks."""
    if type(a) is Tensor and type(b) is Tensor:
        if a._array.dtype == b._array.dtype:
            return a, b
    elif type(a) is Tensor:
        b = _constant(b, a) if b.__class__ in _NUMBERS else as_tensor_arg(b, a)
        return (a, b) if b._array.dtype == a._array.dtype else cast_common(a, b)
    elif type(b) is Tensor:
        a = _constant(a, b) if a.__class__ in _NUMBERS else as_tensor_arg(a, b)
        return (a, b) if a._array.dtype == b._array.dtype else cast_common(a, b)
    a = a if isinstance(a, Tensor) else as_tensor_arg(a, b if isinstance(b, Tensor) else None)
    b = b if isinstance(b, Tensor) else as_tensor_arg(b, a)
    return cast_common(a, b)


_NUMBERS = (float, int)
_CONSTANTS: dict = {}  # (type, value, dtype of the tensor beside it) -> read-only 0-d array
_MAX_CONSTANTS = 1024


def _constant(x, like: Tensor) -> Tensor:
    """``as_tensor_arg(x, like)`` for a Python float or int beside a tensor
    (``x * 2.0``), with the 0-d arrays of nonzero numbers cached: they are
    made read-only, so a cached constant can never be changed in place.
    (Zeros are not cached, as ``0.0 == -0.0``; nor is NaN.)"""
    key = (x.__class__, x, like._array.dtype)
    arr = _CONSTANTS.get(key)
    if arr is not None:
        return _make(arr)
    t = as_tensor_arg(x, like)
    if x and x == x and t._array.dtype == like._array.dtype and len(_CONSTANTS) < _MAX_CONSTANTS:
        t._array.flags.writeable = False
        _CONSTANTS[key] = t._array
    return t


def cast_common(*ts: Tensor):
    """Cast tensors to their PyTorch result dtype (differentiably)."""
    first = ts[0]._array.dtype
    for t in ts:
        if t._array.dtype != first:
            break
    else:
        return ts
    target = dtypes.result_type([(t._array.dtype, t._array.ndim) for t in ts])
    return tuple(t if t._array.dtype == target else to_dtype(t, target) for t in ts)


def to_dtype(t: Tensor, dtype) -> Tensor:
    """``t`` converted to ``dtype``; the gradient flows back converted to ``t``'s
    dtype (only between floating dtypes, as in PyTorch)."""
    if t._array.dtype == dtype:
        return t
    return cast(t, dtype=dtype)


def _cast_vjp(g, ans, a, dtype):
    return cast(g, dtype=a._array.dtype)


cast = defprim(
    "cast",
    lambda a, dtype: a.astype(dtype),
    _cast_vjp,
    partials="1",
    doc="out = a converted to another dtype",
)


# ----------------------------------------------------------- broadcasting
def _sum_to_fwd(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and a.shape[i + lead] != 1
    )
    out = a.sum(axis=axes, keepdims=True) if axes else a
    return out.reshape(shape) if lead or out.shape != shape else out


def _sum_to_vjp(g, ans, a, shape):
    return broadcast_to_prim(g, shape=a._array.shape)


sum_to = defprim(
    "sum_to",
    _sum_to_fwd,
    _sum_to_vjp,
    partials="1",
    doc="out = a summed over the broadcast dimensions down to `shape`",
)


def _broadcast_fwd(a, shape):
    return B.xp.broadcast_to(a, shape)


def _broadcast_vjp(g, ans, a, shape):
    return sum_to(g, shape=a._array.shape)


broadcast_to_prim = defprim(
    "broadcast_to",
    _broadcast_fwd,
    _broadcast_vjp,
    partials="1",
    view=True,
    doc="out = a repeated along new and size-1 dimensions to `shape`",
)


def allow_array_vjps(*prims: Primitive, elementwise: bool = True) -> None:
    """Mark primitives whose vjps also run on plain arrays (see ``array_vjp``
    in the module docstring): a first-order ``backward()`` runs them so (the
    same formulas, without a tensor per intermediate).  ``elementwise``:
    one vjp per input, no parameters, and a 0-d output only from 0-d inputs
    (the engine's own loop runs those, on NumPy scalars for 0-d); otherwise
    (a reduction, a fused layer) the engine passes the node's parameters."""
    for prim in prims:
        prim.array_vjp = True
        prim.array_elementwise = elementwise and prim.vjps is not None


def sum_to_shape(g: Tensor, shape: tuple) -> Tensor:
    """Undo broadcasting: sum the gradient ``g`` back to an input's ``shape``.
    The one place where broadcasting is undone."""
    if g.shape == shape:
        return g
    if g.__class__ is _ndarray:
        return _sum_to_fwd(g, tuple(shape))
    return sum_to(g, shape=tuple(shape))


CLONE = defprim(
    "clone",
    lambda a: a.copy(),
    lambda g, ans, a: g,
    partials="1",
    doc="out = a copy of a (its own memory)",
)
