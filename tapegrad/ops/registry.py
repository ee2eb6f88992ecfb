"""The table of differentiable primitives: one entry per op.

An entry, made by ``defprim``, declares everything about a primitive in one
place (HIPS autograd's ``defvjp``, PyTorch's ``derivatives.yaml``)::

    EXP = defprim(
        "exp", xp.exp,                        # the forward, on arrays
        "g * out",                            # its vjp, in tapegrad ops
        partials="exp(a)",                    # d(out)/da, as the diagrams print it
        saves_output=True, arrays=True,       # what the vjp reads; runs on arrays too
        public="float", doc="out = e^a",      # tg.exp and Tensor.exp, from this entry
    )

``PRIMITIVES`` *is* the list of differentiable ops: the tests that gradcheck
every op, in first and second order, are generated from it.

The parts of an entry
---------------------
* ``forward(*arrays, **params) -> array``: NumPy in, NumPy out (an array, or
  the NumPy scalar NumPy returns for a 0-d result).
* ``vjps``: one per input, the gradient for that input: a function
  ``vjp(g, out, *inputs, **params)`` (summed back to the input's shape with
  ``sum_to_shape``), or, for an ``elementwise`` entry, an expression in
  ``g``, ``out`` and the inputs ``a``, ``b``, ``c`` (``"g * out"``), read
  in the defining module's names: the adapter is compiled with it in its
  body (no call per node), and undoes broadcasting itself.  Only the vjps of
  inputs that need a gradient run.  Or ``vjp_all(g, out, *inputs, needs,
  **params) -> tuple`` when the inputs share work (a fused layer).  Written
  in tapegrad ops, so a backward recorded with ``create_graph`` gives
  second derivatives.
* ``partials``: d(out)/d(input) per input, as text in terms of the inputs
  ``a, b, c`` and the output ``out`` (``d(a/b)/db = -a/b**2``).
* ``saves`` (input positions) / ``saves_for`` (per input: the positions its
  vjp reads) / ``saves_output``: what the vjps read, so an in-place change of
  it before the backward pass is caught.
* ``saves_aux``: a function of the inputs, in tapegrad ops, whose value the
  forward and the vjps share (cross-entropy's log-probabilities): computed
  once on the arrays before the forward, which gets it as ``aux=``, and kept
  for the vjps (``aux=``); the vjps on tensors get it computed again from
  the input tensors, recorded, so second derivatives flow through it.
* ``view``: the output shares memory (and version counter) with input 0;
  given as ``put(base, value, **params)``: ``base`` with the elements the
  view shows replaced by ``value``, in tapegrad ops, which is how an
  in-place change of the view reaches its base's history (PyTorch's
  CopySlices); ``view=True``: a view that cannot be written through.
* ``arrays``: the vjps also run on plain arrays, the first-order
  ``backward()`` path (no tensor per intermediate).  A vjp qualifies when it
  uses only operators, the methods NumPy arrays share with tensors
  (``.shape``, ``.T``, ``.reshape``, ``.sum``) and tapegrad ops (which, given
  arrays, compute on them), and keeps its input's dtype; a table test runs
  each such entry both ways and compares.
* ``elementwise``: 1 to 3 inputs of one dtype, no parameters: the applier and
  the vjp adapter are specialised for speed.
* ``public``: ``"float"`` (one input; integers become the default float
  dtype), ``"unary"`` or ``"binary"`` (promotion as in PyTorch) makes
  ``prim.function``, the public function, bound as the ``Tensor`` methods
  ``methods`` (default: the name).  A public function that needs PyTorch's
  full signature is written by hand and declared with ``@PRIM.public``.
* ``inplace``: the forward writing into its first argument
  (``operator.iadd``), for ``add_`` and friends; ufunc forwards get
  ``out=`` on their own.
"""

from __future__ import annotations

import operator
import sys
import textwrap

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.autograd.graph import GradMode, Node
from tapegrad.tensor import (
    RECORD_NAMES,
    TENSOR_TYPES,
    Tensor,
    attached,
    compile_source,
    new_tensor,
    shared_version,
    storage,
    tensor,
)

PRIMITIVES: dict[str, Primitive] = {}

_ndarray = B.ndarray
_asarray = B.xp.asarray
_ufunc = B.xp.ufunc


class Primitive:
    """One entry of the table (see the module docstring); ``defprim`` makes
    one and registers it."""

    def __init__(
        self,
        name: str,
        forward,
        vjps=None,
        vjp_all=None,
        *,
        partials,
        saves=(),
        saves_for=None,
        saves_output=False,
        saves_aux=None,
        view=False,
        arrays=False,
        elementwise=False,
        inplace=None,
        namespace=None,
        doc: str,
    ):
        partials = (partials,) if isinstance(partials, str) else tuple(partials)
        if vjps is not None and not isinstance(vjps, (tuple, list)):
            vjps = (vjps,)
        if (vjps is None) == (vjp_all is None):
            raise ValueError(f"{name}: give exactly one of vjps and vjp_all")
        if vjps is not None and len(vjps) != len(partials):
            raise ValueError(f"{name}: {len(vjps)} vjps for {len(partials)} partials")
        if elementwise and not 1 <= len(partials) <= 3:
            raise ValueError(f"{name}: an elementwise primitive has 1 to 3 inputs")
        if saves_for is not None:
            saves = tuple(sorted(set().union(*map(set, saves_for))))
        self.name = name
        self.forward = forward
        self.namespace = namespace
        self.vjp_exprs = self.vjps = None
        if vjps is not None:
            if any(isinstance(v, str) for v in vjps) and not elementwise:
                raise ValueError(f"{name}: vjps as expressions are for elementwise entries")
            self.vjp_exprs = tuple(v if isinstance(v, str) else None for v in vjps)
            self.vjps = tuple(
                _expression_vjp(v, len(vjps), name, namespace) if isinstance(v, str) else v
                for v in vjps
            )
        self.vjp_all = vjp_all
        self.partials = partials
        self.arity = len(partials)
        self.saves = tuple(saves)
        self.saves_masks = _saves_masks(saves_for) if saves_for else None
        self.saves_output = saves_output
        self.saves_aux = saves_aux
        self.view = bool(view)
        self.view_put = view if callable(view) else None
        self.arrays = arrays
        self.elementwise = elementwise
        self.inplace = inplace or _ufunc_inplace(forward)
        self.doc = doc
        self.backward_name = "".join(p.capitalize() for p in name.split("_")) + "Backward"
        self.function = None
        self.methods = ()
        self.apply = _applier(self)
        self.vjp = _vjp_adapter(self)

    def __call__(self, *inputs, **params):
        return self.apply(*inputs, **params)

    def public(self, function=None, *, methods=None):
        """Declare ``function`` as this entry's public function (``tg.<name>``)
        and bind it as the ``Tensor`` methods ``methods`` (default: its
        name).  A decorator: ``@SUM.public``."""

        def declare(fn):
            fn.prim = self
            self.function = fn
            self.methods = (fn.__name__,) if methods is None else tuple(methods)
            for m in self.methods:
                setattr(Tensor, m, fn)
            return fn

        return declare if function is None else declare(function)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


_ARGS = ("a", "b", "c")


def _expression_vjp(expr: str, arity: int, name: str, namespace: dict):
    """The vjp ``lambda g, out, a, b: <expr>``, its names read from
    ``namespace`` (the defining module's globals) when it runs."""
    source = f"lambda g, out, {', '.join(_ARGS[:arity])}: {expr}"
    return eval(compile(source, f"<tapegrad vjp of {name}>", "eval"), namespace)


def _saves_masks(saves_for) -> tuple:
    """For each set of inputs that need a gradient (a bit mask), the
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


def _ufunc_inplace(forward):
    """``forward(a, *rest, out=a)`` for a ufunc forward, else ``None``."""
    if not isinstance(forward, _ufunc):
        return None
    return lambda a, *rest: forward(a, *rest, out=a)


def defprim(
    name: str, forward, vjps=None, *, vjp_all=None, public=None, methods=None, **entry
) -> Primitive:
    """Make the entry ``name`` of the table (see the module docstring for the
    arguments) and, with ``public``, its public function and methods."""
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} is already registered")
    entry.setdefault("namespace", sys._getframe(1).f_globals)  # (for vjp expressions)
    prim = PRIMITIVES[name] = Primitive(name, forward, vjps, vjp_all, **entry)
    if public is not None:
        _PUBLIC[public](prim, name, methods)
    return prim


# ------------------------------------------------------------------ applying
class ShapeError(ValueError, RuntimeError):
    """An op's inputs do not fit; the message names the op and every shape.
    Both a ``ValueError`` and the ``RuntimeError`` PyTorch raises."""


def forward_error(prim: Primitive, inputs, err: Exception) -> Exception:
    """The error to raise when ``prim``'s forward rejected ``inputs``: the
    forward's own message when it names the op, else one that names every
    input shape."""
    if isinstance(err, ShapeError):
        return err
    msg = str(err).split("\n")[0]
    if msg.startswith(prim.name + ":"):
        return (ShapeError if isinstance(err, ValueError) else IndexError)(msg)
    shapes = [tuple(t.shape) for t in inputs]
    if isinstance(err, IndexError):  # a bad index value, not a shape mismatch
        listed = ", ".join(str(s) for s in shapes)
        return IndexError(f"{prim.name}: {msg} (input shapes {listed})")
    if len(shapes) > 1:
        listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"
        text = f"{prim.name}: shapes {listed} do not fit"
    else:
        text = f"{prim.name}: input of shape {shapes[0] if shapes else ()} does not fit"
    return ShapeError(f"{text} ({msg})" if msg else text)


def _applier(prim: Primitive, convert=None):
    """``prim.apply``: run the forward on the inputs' arrays and, in grad
    mode with an input that requires grad, record the node.  Given plain
    arrays (a vjp run on arrays), just the forward.

    With ``convert``, the public function of an elementwise entry instead:
    tensors of one dtype (floating, for a ``"float"`` entry) are applied at
    once, anything else goes to ``convert``, which makes them so and calls
    ``prim.apply``.  Elementwise entries of one or two inputs get appliers
    without argument packing: the hot path of every small op.  Each is
    compiled for its entry with the tensor and its node made in its body
    (``RECORD``: see ``compile_source``), not by a call."""
    plain = prim.elementwise and prim.arity <= 2
    if plain:
        name, source = ("apply1", _APPLY1) if prim.arity == 1 else ("apply2", _APPLY2)
        dispatch = _DISPATCH[name, convert is not None].strip("\n")
        source = source.replace("    DISPATCH\n", textwrap.indent(dispatch, "    ") + "\n")
    else:
        name, source = "apply", _APPLY
    scope = {
        **_APPLIER_NAMES,
        "prim": prim,
        "forward": prim.forward,
        "view": prim.view,
        "saves_aux": prim.saves_aux,
        "convert": convert,
        "float_only": getattr(convert, "float_only", False),
    }
    # (a public function's source differs from ``prim.apply``'s: its own name)
    label = prim.name if convert is not None else None
    return compile_source(source, name, scope, plain=plain, label=label)


_array_of = operator.attrgetter("_array")

_APPLY = """
def apply(*inputs, **params):
    first = inputs[0]
    tensors = first.__class__ in TENSOR_TYPES
    if view and tensors:  # a view shares memory: the input's own array, made one first
        storage(first)
    arrays = tuple(map(_array_of, inputs)) if tensors else inputs
    try:
        if saves_aux is not None:  # (kept with the params, for the vjps)
            params["aux"] = saves_aux(*arrays, **params)
        array = forward(*arrays, **params)
    except (ValueError, IndexError) as err:
        raise forward_error(prim, inputs, err) from None
    if not tensors:
        return array
    if GradMode.enabled:
        for u in inputs:
            if u.requires_grad:  # record: one edge per input (None: no gradient there)
                parents = tuple([(u.grad_fn or u) if u.requires_grad else None for u in inputs])
                version = shared_version(first) if view else None
                RECORD
    return new_tensor(array, prim, inputs)
"""

_APPLY1 = """
def apply1(a):
    DISPATCH
    try:
        array = forward(a._array)
    except (ValueError, IndexError) as err:
        raise forward_error(prim, (a,), err) from None
    if not (a.requires_grad and GradMode.enabled):
        return new_tensor(array)
    inputs = (a,)
    parents = (a.grad_fn or a,)
    RECORD
"""

_APPLY2 = """
def apply2(a, b):
    DISPATCH
    try:
        array = forward(a._array, b._array)
    except (ValueError, IndexError) as err:
        raise forward_error(prim, (a, b), err) from None
    ra = a.requires_grad
    rb = b.requires_grad
    if not ((ra or rb) and GradMode.enabled):
        return new_tensor(array)
    inputs = (a, b)
    parents = ((a.grad_fn or a) if ra else None, (b.grad_fn or b) if rb else None)
    RECORD
"""

# Where DISPATCH stands in an elementwise applier: what does not go through
# at once.  ``prim.apply`` passes plain arrays (a vjp on arrays) to the
# forward; a public function passes anything but tensors of one dtype
# (floating, for a "float" entry) to ``convert``.
_DISPATCH = {
    ("apply1", False): """
if a.__class__ is not Tensor and a.__class__ not in TENSOR_TYPES:
    return forward(a)
""",
    ("apply2", False): """
if a.__class__ is not Tensor and a.__class__ not in TENSOR_TYPES:
    return forward(a, b)
""",
    ("apply1", True): """
if a.__class__ is not Tensor or (float_only and a._array.dtype.kind != "f"):
    return convert(a)
""",
    ("apply2", True): """
if (
    a.__class__ is not Tensor
    or b.__class__ is not Tensor
    or a._array.dtype is not b._array.dtype
):
    return convert(a, b)
""",
}

# What the appliers' source uses besides its entry's own values.
_APPLIER_NAMES = {
    **RECORD_NAMES,
    "GradMode": GradMode,
    "TENSOR_TYPES": TENSOR_TYPES,
    "Tensor": Tensor,
    "new_tensor": new_tensor,
    "shared_version": shared_version,
    "storage": storage,
    "forward_error": forward_error,
    "_array_of": _array_of,
}


def apply(prim: Primitive, *inputs, **params):
    """``prim`` applied to ``inputs`` (``prim.apply``)."""
    return prim.apply(*inputs, **params)


# --------------------------------------------------------------- vjps of a node
def _vjp_adapter(prim: Primitive):
    """``prim.vjp(node, g, needs, arrays)``: the gradients of the node's
    inputs, a tuple, by the entry's vjps, for the inputs whose ``needs`` entry
    is not ``None`` (``needs=None``: those with a parent, ``node.parents``).
    With ``arrays`` and an entry that allows it, on the node's arrays (the
    first-order path: ``g`` and the results are arrays or NumPy scalars);
    else on its tensors, the output as a tensor made by the node, so that a
    recorded backward differentiates through it.  This is the adapter the
    backward loop calls for every node; elementwise entries get versions
    without argument packing."""
    vjps, vjp_all, on_arrays = prim.vjps, prim.vjp_all, prim.arrays
    if vjp_all is not None:

        def vjp(node, g, needs, arrays):
            inputs, out, g, params = _operands(node, g, arrays and on_arrays)
            flags = tuple([e is not None for e in (node.parents if needs is None else needs)])
            grads = vjp_all(g, out, *inputs, needs=flags, **params)
            return _conformed(prim, list(grads), node.inputs)

        return vjp
    if prim.elementwise and prim.arity <= 2:
        return _elementwise_vjp(prim)

    def vjp(node, g, needs, arrays):
        inputs, out, g, params = _operands(node, g, arrays and on_arrays)
        grads = [
            None if need is None else f(g, out, *inputs, **params)
            for f, need in zip(vjps, node.parents if needs is None else needs)
        ]
        if prim.elementwise:
            grads = [
                gi if gi is None or gi.shape == x.shape else sum_to_shape(gi, x.shape)
                for gi, x in zip(grads, inputs)
            ]
        return _conformed(prim, grads, node.inputs)

    return vjp


def _elementwise_vjp(prim: Primitive):
    """The adapter of an elementwise entry of one or two inputs (see
    ``_vjp_adapter``), compiled for the entry: its vjp expressions written in
    the adapter's body (a vjp given as a function is called), the inputs as
    locals, each result summed back to its input's shape where the forward
    broadcast; 0-d values on NumPy scalars.  On arrays, an entry applied in
    an expression (``TANH_BACKWARD.apply(g, out)``) is its forward: that is
    what its applier runs on arrays, without the applier's dispatch."""
    source = _VJP1 if prim.arity == 1 else _VJP2
    for i, (token, expr) in enumerate(zip(("VJP_A", "VJP_B"), prim.vjp_exprs)):
        if expr is None:
            expr = f"vjps[{i}](g, out, {', '.join(_ARGS[: prim.arity])})"
        on_arrays = expr.replace(".apply(", ".forward(")
        source = source.replace(f"{token}_ON_ARRAYS", f"({on_arrays})").replace(token, f"({expr})")
    scope = {"prim": prim}
    make = compile_source(source, "make", scope, namespace=prim.namespace)
    return make(prim.vjps, prim.arrays, Tensor, _ndarray, _tensor_of, output_tensor, sum_to_shape)


_VJP1 = """
def make(vjps, on_arrays, Tensor, _ndarray, _tensor_of, output_tensor, sum_to_shape):
    def vjp1(node, g, needs, arrays):
        a = node.inputs[0]
        if arrays and on_arrays:
            a = a._array
            out = node.ans
            if g.__class__ is not _ndarray:
                if g.__class__ is Tensor:
                    g = g._array
                if g.__class__ is not _ndarray and a.__class__ is _ndarray:
                    a = a[()]  # 0-d: all on NumPy scalars (several times faster than 0-d arrays)
            return (VJP_A_ON_ARRAYS,)
        g = _tensor_of(g)
        out = output_tensor(node)
        return (VJP_A,)

    return vjp1
"""

_VJP2 = """
def make(vjps, on_arrays, Tensor, _ndarray, _tensor_of, output_tensor, sum_to_shape):
    def vjp2(node, g, needs, arrays):
        a, b = node.inputs
        if needs is None:
            needs = node.parents
        if arrays and on_arrays:
            a = a._array
            b = b._array
            out = node.ans
            if g.__class__ is Tensor:
                g = g._array
            if g.__class__ is not _ndarray:  # 0-d: on NumPy scalars, nothing broadcast
                if a.__class__ is _ndarray:
                    a = a[()]
                if b.__class__ is _ndarray:
                    b = b[()]
                return (
                    None if needs[0] is None else VJP_A_ON_ARRAYS,
                    None if needs[1] is None else VJP_B_ON_ARRAYS,
                )
            ga = None if needs[0] is None else VJP_A_ON_ARRAYS
            gb = None if needs[1] is None else VJP_B_ON_ARRAYS
        else:
            out = output_tensor(node)
            g = _tensor_of(g)
            ga = None if needs[0] is None else VJP_A
            gb = None if needs[1] is None else VJP_B
        if ga is not None and ga.shape != a.shape:
            ga = sum_to_shape(ga, a.shape)
        if gb is not None and gb.shape != b.shape:
            gb = sum_to_shape(gb, b.shape)
        return ga, gb

    return vjp2
"""


def _operands(node: Node, g, arrays: bool):
    """A node's inputs, output, incoming gradient and params, as arrays or as
    tensors.  On tensors, what the entry ``saves_aux`` is computed again
    from the inputs, recorded (a second derivative flows through it)."""
    if arrays:
        g = g._array if g.__class__ is Tensor else g
        return tuple(map(_array_of, node.inputs)), node.ans, g, node.params
    params = node.params
    saves_aux = node.prim.saves_aux
    if saves_aux is not None:
        params = {k: v for k, v in params.items() if k != "aux"}
        params["aux"] = saves_aux(*node.inputs, **params)
    return node.inputs, output_tensor(node), _tensor_of(g), params


def _tensor_of(g) -> Tensor:
    """A gradient as a tensor (vjps on arrays pass on arrays and NumPy scalars)."""
    return g if isinstance(g, Tensor) else new_tensor(g)


def _conformed(prim: Primitive, grads: list, inputs) -> list:
    """The gradients in their inputs' dtypes; a wrong shape is a bug in the vjp."""
    i = -1
    for gi, x in zip(grads, inputs):
        i += 1
        if gi is None:
            continue
        arr, x = (gi._array if gi.__class__ is Tensor else gi), x._array
        if arr.shape != x.shape:
            raise RuntimeError(
                f"internal error: the vjp of `{prim.name}` returned a gradient of shape "
                f"{tuple(arr.shape)} for input {i} of shape {tuple(x.shape)}"
            )
        if arr.dtype != x.dtype:
            grads[i] = gi.astype(x.dtype) if gi is arr else to_dtype(gi, x.dtype)
    return grads


def output_tensor(node: Node):
    """The output of ``node`` as a tensor for vjps that read it: its array
    and version counter, with ``node`` as ``grad_fn`` (so a recorded backward
    differentiates through it).  ``None`` when the node keeps no output."""
    if node.ans is None:
        return None
    return attached(node.ans, node, node.ans_vc)


# ---------------------------------------------------------- public functions
def _declare(prim: Primitive, name: str, methods, function) -> None:
    function.__name__ = function.__qualname__ = name
    function.__doc__ = prim.doc
    prim.public(function, methods=methods)


def _public_unary(float_only: bool):
    def make(prim: Primitive, name: str, methods) -> None:
        def convert(input) -> Tensor:
            x = as_tensor_arg(input)
            if float_only and x._array.dtype.kind != "f":
                x = new_tensor(x._array.astype(dtypes.get_default_dtype()))
            return prim.apply(x)

        convert.float_only = float_only
        _declare(prim, name, methods, _applier(prim, convert))

    return make


def _public_binary(prim: Primitive, name: str, methods) -> None:
    def convert(input, other) -> Tensor:
        return prim.apply(*binary_args(input, other))

    _declare(prim, name, methods, _applier(prim, convert))


_PUBLIC = {"float": _public_unary(True), "unary": _public_unary(False), "binary": _public_binary}


# ---------------------------------------------------------------- arguments
def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """Turn an op argument into a tensor: tensors pass through; Python numbers
    take the dtype PyTorch gives them next to ``like``; arrays keep theirs."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, bool, B.xp.generic)) and not isinstance(x, _ndarray):
        dt = dtypes.scalar_dtype_for(x, like._array.dtype) if like is not None else None
        if dt is None:
            return tensor(x)
        return _scalar_tensor(x, dt)
    return tensor(x)


def _scalar_tensor(value, dtype) -> Tensor:
    """A Python number as a 0-d constant tensor of ``dtype``."""
    arr = _asarray(value)
    return new_tensor(arr if arr.dtype == dtype else arr.astype(dtype))


def binary_args(a, b):
    """Two operands of a binary op as tensors of one common dtype (PyTorch's
    promotion: a Python number does not promote a tensor)."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = _constant(b, a) if b.__class__ in _NUMBERS else as_tensor_arg(b, a)
    elif isinstance(b, Tensor) and not isinstance(a, Tensor):
        a = _constant(a, b) if a.__class__ in _NUMBERS else as_tensor_arg(a, b)
    else:
        a = a if isinstance(a, Tensor) else as_tensor_arg(a)
        b = b if isinstance(b, Tensor) else as_tensor_arg(b, a)
    return cast_common(a, b)


_NUMBERS = (float, int)
_CONSTANTS: dict = {}  # (type, value, dtype of the tensor beside it) -> read-only 0-d array
_MAX_CONSTANTS = 1024


def _constant(x, like: Tensor) -> Tensor:
    """``as_tensor_arg(x, like)`` for a Python float or int beside a tensor
    (``x * 2.0``), as a tensor of ``scalar_operand``."""
    return new_tensor(scalar_operand(x, like._array.dtype))


def scalar_operand(x, dtype):
    """A Python number as an operand beside an array of ``dtype``: a 0-d
    array of the dtype PyTorch gives the number there, cached (NumPy converts
    a Python number anew on every op, which costs as much as a small op).
    Cached constants are read-only, so one can never be changed in place;
    only those of ``dtype`` itself are cached (the others depend on the
    default dtype); zeros are not (``0.0 == -0.0``), nor NaN."""
    key = (x.__class__, x, dtype)
    arr = _CONSTANTS.get(key)
    if arr is None:
        arr = _asarray(x).astype(dtypes.scalar_dtype_for(x, dtype))  # (ints wrap, as in PyTorch)
        if x and x == x and arr.dtype == dtype and len(_CONSTANTS) < _MAX_CONSTANTS:
            arr.flags.writeable = False
            _CONSTANTS[key] = arr
    return arr


def cast_common(*ts: Tensor):
    """Cast tensors to their PyTorch result dtype (differentiably)."""
    first = ts[0]._array.dtype
    for t in ts:
        if t._array.dtype != first:
            break
    else:
        return ts
    target = dtypes.result_type([(t._array.dtype, t._array.ndim) for t in ts])
    return tuple(to_dtype(t, target) for t in ts)


def to_dtype(t: Tensor, dtype) -> Tensor:
    """``t`` converted to ``dtype``; the gradient flows back converted to ``t``'s
    dtype (between floating dtypes, as in PyTorch)."""
    if t._array.dtype == dtype:
        return t
    return CAST.apply(t, dtype=dtype)


CAST = defprim(
    "cast",
    lambda a, dtype: a.astype(dtype),
    lambda g, out, a, dtype: CAST.apply(g, dtype=a.dtype),
    partials="1",
    doc="out = a converted to another dtype",
)


# ----------------------------------------------------------- broadcasting
def _sum_to_fwd(a, shape):
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and a.shape[i + lead] != 1
    )
    out = B.add_reduce(a, axes, keepdims=True) if axes else a
    return out.reshape(shape) if lead or out.shape != shape else out


SUM_TO = defprim(
    "sum_to",
    _sum_to_fwd,
    lambda g, out, a, shape: BROADCAST_TO.apply(g, shape=a.shape),
    partials="1",
    arrays=True,
    doc="out = a summed over the broadcast dimensions down to `shape`",
)
BROADCAST_TO = defprim(
    "broadcast_to",
    B.broadcast_to,
    lambda g, out, a, shape: SUM_TO.apply(g, shape=a.shape),
    partials="1",
    view=True,
    arrays=True,
    doc="out = a repeated along new and size-1 dimensions to `shape`",
)


def sum_to_shape(g, shape: tuple):
    """Undo broadcasting: sum the gradient ``g`` (a tensor or an array) back
    to an input's ``shape``.  The one place where broadcasting is undone."""
    if g.shape == shape:
        return g
    return SUM_TO.apply(g, shape=tuple(shape))


CLONE = defprim(
    "clone",
    lambda a: a.copy(),
    "g",
    partials="1",
    elementwise=True,
    arrays=True,
    doc="out = a copy of a (its own memory)",
)
