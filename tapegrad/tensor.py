"""``Tensor``: an array, its gradient, and the node that produced it.

A tensor is a leaf when no recorded op produced it (``grad_fn is None``);
leaves that ``requires_grad`` collect ``.grad`` in ``backward()``, summed over
calls until zeroed, as in PyTorch.  Every op on tensors is defined once in
``tapegrad.ops`` (forward beside vjp); this module holds the class, its
attributes and conversions, and ``tensor()`` which builds leaves from data.
The methods named like the functions (``x.exp()``, ``x.sum(1)``) are bound in
``tapegrad._methods``.
"""

from __future__ import annotations

import functools
import linecache
import textwrap
import weakref

from tapegrad import backend as B
from tapegrad import dtypes, printing
from tapegrad.autograd.graph import GradMode, Node, next_seq
from tapegrad.device import CPU, check_device, device
from tapegrad.layouts import check_pin_memory
from tapegrad.size import Size
from tapegrad.utils.hooks import add_hook

_ndarray = B.ndarray
_asarray = B.xp.asarray
_as_size = functools.partial(tuple.__new__, Size)  # (a shape is checked already)


# Every tensor class: ``x.__class__ in TENSOR_TYPES`` is what the hot paths
# ask instead of ``isinstance(x, Tensor)``, which costs several times more for
# anything but a plain ``Tensor`` (a class with its own metaclass takes
# Python's slow path there).
TENSOR_TYPES: set = set()


# The leaves with post-accumulate-grad hooks, by id (held weakly): while
# there are none, a backward pass does not look for them.
POST_ACCUMULATE_HOOKED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class _TensorType(type):
    """The class of ``Tensor``: calling a tensor class (``tg.Tensor(data)``,
    ``nn.Parameter(t)``) runs its ``_construct``; ``new_tensor`` makes tensors
    without it (a plain ``type.__call__``, the cheapest way to a new object).
    Every tensor class joins ``TENSOR_TYPES``."""

    def __init__(cls, *args, **kwargs):
        super().__init__(*args, **kwargs)
        TENSOR_TYPES.add(cls)

    def __call__(cls, *args, **kwargs):
        return cls._construct(*args, **kwargs)


class Tensor(metaclass=_TensorType):
    """An n-dimensional array that can record the ops applied to it.

    ``grad`` is a ``Tensor`` or ``None``; ``grad_fn`` the ``Node`` that
    produced it (``None`` for leaves); ``name`` an optional label that diagrams
    and explanations use.  The array itself is internal (``_array``: a NumPy
    array, or a NumPy scalar for a 0-d tensor, which NumPy computes on
    several times faster, until its memory is shared or written: see
    ``storage``); ``.data`` and ``.numpy()`` are the public ways
    to it, as in PyTorch.  Every tensor is made by ``new_tensor``.  The
    attributes most tensors never set (``grad``, ``name``, hooks) are class
    defaults until they are; other attributes may be set, as in PyTorch.
    """

    __slots__ = ("_array", "requires_grad", "grad_fn", "_vc", "__dict__", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator
    grad = None
    name = None
    _hooks = None
    _post_accumulate_grad_hooks = None

    @classmethod
    def _construct(cls, *args, device=None):
        """``tg.Tensor(...)`` as ``torch.Tensor(...)``: the legacy constructor
        of the default dtype (``tapegrad.legacy``): ``Tensor(2, 3)`` or a
        ``Size`` gives an uninitialised tensor of that shape, ``Tensor([1,
        2])`` or an array the data converted to the default dtype,
        ``Tensor(t)`` the tensor ``t`` itself (an alias), ``Tensor()`` an
        empty one.  ``tg.tensor(data, dtype=...)`` keeps the data's dtype."""
        from tapegrad.legacy import alias, default_tensor_type  # (legacy builds on this module)

        if len(args) == 1 and isinstance(args[0], Tensor):  # (of any dtype, as PyTorch)
            check_device(device, "Tensor")
            return alias(args[0])
        t = default_tensor_type()(*args, device=device)
        return t if cls is Tensor else new_tensor(t._array, cls=cls)

    @staticmethod
    def _make_subclass(cls, data: Tensor, require_grad: bool = False) -> Tensor:
        """A leaf of class ``cls`` sharing ``data``'s memory and version
        counter, as PyTorch's ``Tensor._make_subclass`` (``nn.Parameter``)."""
        t = new_tensor(storage(data), version=shared_version(data), cls=cls)
        if data.name is not None:
            t.name = data.name
        if require_grad:
            t.requires_grad_(True)
        return t

    # ------------------------------------------------------------ attributes
    @property
    def data(self) -> Tensor:
        """PyTorch's ``.data``: a tensor that shares this one's memory but not
        its graph (no ``grad_fn``, no ``requires_grad``) nor its version
        counter, so in-place changes made through it are not seen by autograd
        (``p.data.add_(p.grad, alpha=-lr)`` updates ``p``)."""
        return new_tensor(storage(self))

    @data.setter
    def data(self, value: Tensor) -> None:
        """``x.data = y``: ``x`` takes ``y``'s memory (shape and dtype included)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._array = storage(value)

    @property
    def shape(self) -> Size:
        """The sizes of the dimensions, a ``tg.Size`` (a tuple), as ``torch.Tensor.shape``."""
        return _as_size(self._array.shape)

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def device(self) -> device:
        """Always the CPU (``tapegrad.device``): NumPy computes there."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    # dense tensors on the CPU: every other kind of tensor PyTorch asks about is not
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = is_cuda

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view of it) has had."""
        return self._vc[0]

    def dim(self) -> int:
        return self._array.ndim

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim``, as ``torch.Tensor.size``."""
        if dim is None:
            return _as_size(self._array.shape)
        return self._array.shape[_wrap_dim(dim, self._array.ndim, "size")]

    def numel(self) -> int:
        return self._array.size

    nelement = numel

    def element_size(self) -> int:
        return self._array.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element (``element_size()``)."""
        return self._array.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes the elements take: ``numel() * element_size()``."""
        return self._array.size * self._array.itemsize

    def is_floating_point(self) -> bool:
        return self._array.dtype.kind == "f"

    def ndimension(self) -> int:
        return self._array.ndim

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    # ------------------------------------------------------------ conversions
    def numpy(self, *, force: bool = False):
        """The data as a NumPy array (shares memory on the CPU, like PyTorch).
        Raises for a tensor that requires grad, as PyTorch does: call
        ``.detach().numpy()``, or ``numpy(force=True)``."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "numpy(): this tensor requires grad; call tensor.detach().numpy() instead"
            )
        return B.to_host(storage(self))

    def item(self):
        """The single element as a Python number."""
        if self._array.size != 1:
            raise ItemError(
                f"item(): a tensor with {self._array.size} elements (shape {tuple(self.shape)}) "
                "cannot be converted to a Python number; only one-element tensors can"
            )
        return self._array.reshape(()).item()

    def tolist(self):
        return B.to_host(self._array).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(
                f"bool(): a tensor with {self._array.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._array.reshape(()).item())

    def __index__(self) -> int:
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._array.reshape(()).item())

    def __array__(self, dtype=None, copy=None):
        arr = B.to_host(storage(self))
        return arr if dtype is None else arr.astype(dtype)

    def detach(self) -> Tensor:
        """The same data (shared, with the same version counter), cut from the graph."""
        return new_tensor(storage(self), version=shared_version(self))

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False): only leaf tensors can be detached this way; "
                "use .detach() for a tensor that is the output of an op"
            )
        if requires_grad and self._array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on a non-leaf tensor after ``backward()``."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad() on a tensor that does not require grad")
            return  # leaves keep their grad anyway
        self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and node.retained is not None and node.retained() is self

    def register_hook(self, hook):
        """``hook(grad) -> Tensor or None`` is called with the gradient of this
        tensor during backward; a returned tensor replaces the gradient."""
        if not self.requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require grad")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor) -> None`` is called during backward once this leaf's
        ``.grad`` holds its whole gradient of the pass (after its
        ``register_hook`` hooks), as in PyTorch: the signal that the gradient
        is ready, which data-parallel training starts communication from."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_grad_hooks is None:
            self._post_accumulate_grad_hooks = {}
            POST_ACCUMULATE_HOOKED[id(self)] = self
        return add_hook(self._post_accumulate_grad_hooks, hook)

    # ``backward`` is ``tapegrad.autograd.engine.backward``, bound as a method
    # in ``tapegrad._methods`` (no frame in between).

    # ---------------------------------------------------------------- display
    def __repr__(self) -> str:
        """PyTorch's print (``tapegrad.printing``), under ``tg.set_printoptions``."""
        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        if self.name:
            suffixes.append(f"name={self.name!r}")
        return printing.tensor_repr(B.to_host(self._array), suffixes)

    def __format__(self, format_spec: str) -> str:
        """``f"{t:.3f}"``: a 0-d tensor formats as its Python number (so
        ``f"{t}"`` is ``1.5``, not ``tensor(1.5000)``); any other tensor, and a
        subclass such as ``Parameter``, only with an empty spec, as its print
        (PyTorch's rule)."""
        if self._array.ndim == 0 and type(self) is Tensor:
            return self._array.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    __hash__ = object.__hash__

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))


class ItemError(RuntimeError, ValueError):
    """``.item()`` on a tensor of several elements (PyTorch raises RuntimeError)."""


# ------------------------------------------------------------ construction
_blank = type.__call__.__get__(Tensor)  # a new Tensor object, not yet initialised
NO_PARAMS: dict = {}  # the params of every node of an op without parameters; never written to

# The version counter of a tensor nothing has changed or shared yet: one
# immutable tuple for all of them (no list per op); ``change`` and
# ``shared_version`` give a tensor a list of its own first,
# ``[version, creation number of the latest change]``, which a recorded view
# extends with the list of the views of that memory (``register_view``).
FRESH = (0, 0)


def register_view(t: Tensor) -> None:
    """Note ``t``, a view just recorded, in the version counter it shares with
    the tensor whose memory it shows: the counter's third entry lists, weakly
    and oldest first, the views recorded of that memory, so that an in-place
    change through one of them (or of the base) can give the others their
    new history (``views_of``).  Dead entries go whenever the list reaches a
    power of two."""
    vc = t._vc
    if len(vc) == 2:
        vc.append([])
    views = vc[2]
    views.append(weakref.ref(t))
    n = len(views)
    if n >= 16 and not n & (n - 1):
        views[:] = [r for r in views if r() is not None]


def views_of(t: Tensor) -> list:
    """The live recorded views of ``t``'s memory, oldest first."""
    vc = t._vc
    if len(vc) < 3:
        return []
    return [v for v in (r() for r in vc[2]) if v is not None]


# The one construction of "a tensor and the node that made it", as source.
# ``new_tensor`` is compiled from it, and so are the appliers of the
# elementwise entries (``ops/registry.py``), which run it in their own body:
# a call to ``new_tensor`` costs about 4% of a small op (benchmarks/README.md).
# Where the line ``RECORD`` stands, ``array``, ``prim``, ``inputs``,
# ``parents``, ``params`` and ``version`` are as ``new_tensor`` documents them.
# ``compile_source`` fills in what is known when it compiles (``record``).
RECORD = """\
t = _blank()
t._array = array
node = Node()  # (a class without __init__: cheaper to call than object.__new__)
node.prim = prim
node.inputs = inputs
node.parents = parents
node.params = PARAMS
KEEP_OUTPUT
node.seq = next_seq()
node.extra = None
t.grad_fn = node
t.requires_grad = True
t._vc = VERSION
REGISTER_VIEW
return t
"""
RECORD_NAMES = {  # what RECORD uses, and the params of a node that has none
    "_blank": _blank,
    "Node": Node,
    "next_seq": next_seq,
    "FRESH": FRESH,
    "NO_PARAMS": NO_PARAMS,
    "register_view": register_view,
}


def record(prim=None, plain: bool = False) -> str:
    """RECORD's text for a function compiled for ``prim`` (``None``: any
    primitive, asked per call).  A node whose vjps read the output keeps it
    and watches its version counter (a new one unless ``version`` gives
    one); a view entry's output is noted among its memory's views
    (``register_view``).  ``plain``: an applier of one elementwise entry, whose nodes have
    no params and whose outputs no version counter given; it defines
    neither ``params`` nor ``version``."""
    keeps = "if version is None:\n    version = [0, 0]\nnode.ans = array\nnode.ans_vc = version\n"
    if prim is None:
        keep = "if prim.saves_output:\n" + textwrap.indent(keeps, "    ")
        keep += "else:\n    node.ans = None\n"
    elif prim.saves_output:
        keep = keeps.replace("if version is None:\n    ", "") if plain else keeps
    else:
        keep = "node.ans = None\n"
    if not plain or prim is None:
        version = "FRESH if version is None else version"
    else:
        version = "version" if prim.saves_output else "FRESH"
    view = "register_view(t)\n" if prim is not None and prim.view else ""
    text = RECORD.replace("KEEP_OUTPUT\n", keep).replace("REGISTER_VIEW\n", view)
    text = text.replace("PARAMS", "NO_PARAMS" if plain else "params")
    return text.replace("VERSION", version)


def compile_source(
    source: str,
    name: str,
    scope: dict,
    namespace: dict | None = None,
    plain: bool = False,
    label: str | None = None,
):
    """The function ``name`` defined by ``source``, where a line ``RECORD``
    stands for the construction above (at that line's indentation; for
    ``scope["prim"]``, ``plain`` as ``record`` says), compiled with
    ``scope`` as its globals (which must hold what ``RECORD`` uses,
    ``RECORD_NAMES``), or, given ``namespace`` (a module's globals, read
    when the function runs), with that as its globals and ``scope``
    receiving what the source defines.  The source is kept for tracebacks
    and ``inspect``, under ``label`` (default: ``name`` and the primitive's)."""
    prim = scope.get("prim")
    construction = record(prim, plain)
    lines = []
    for line in textwrap.dedent(source).splitlines(keepends=True):
        if line.strip() == "RECORD":
            lines.append(textwrap.indent(construction, line[: len(line) - len(line.lstrip())]))
        else:
            lines.append(line)
    text = "".join(lines)
    if label is None:
        label = f"{name}{f' of {prim.name}' if prim is not None else ''}"
    filename = f"<tapegrad {label}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    code = compile(text, filename, "exec")
    if namespace is None:
        exec(code, scope)
    else:
        exec(code, namespace, scope)
    return scope[name]


new_tensor = compile_source(
    '''
    def new_tensor(
        array, prim=None, inputs=None, parents=None, params=NO_PARAMS, version=None, cls=Tensor
    ) -> Tensor:
        """The one constructor of tensors: ``array`` as a tensor and, when
        ``parents`` is given, the ``Node`` that records how ``prim`` made it
        from ``inputs`` (with ``params``): the one place a tensor's slots are
        set and a node is made (every op, ``Function.apply``, ``Parameter``,
        factories).

        ``parents`` has one entry per input: its node, the input itself for a
        leaf that requires grad, or ``None``; no ``parents`` when nothing is
        recorded (grad mode off, or no input requires grad): a leaf, of class
        ``cls``.  The output of a view primitive shares its first input's
        version counter; ``version`` is one to share otherwise (``detach``).
        A node whose vjps read the output watches the output's counter too."""
        if prim is not None and prim.view:
            version = shared_version(inputs[0])
        if parents is None:
            t = _blank() if cls is Tensor else type.__call__(cls)
            t._array = array
            t.grad_fn = None
            t.requires_grad = False
            t._vc = FRESH if version is None else version
            return t
        RECORD
    ''',
    "new_tensor",
    globals(),
)


def attached(array, node, version=None) -> Tensor:
    """A tensor of ``array`` whose ``grad_fn`` is the existing ``node`` (a
    node's output handed to its vjps, the value an in-place op reads), or a
    leaf when ``node`` is ``None``."""
    t = new_tensor(array, version=version)
    if node is not None:
        t.grad_fn, t.requires_grad = node, True
    return t


def storage(t: Tensor):
    """``t``'s array, ready to be shared or written: the NumPy scalar that
    keeps the 0-d result of an op becomes a 0-d array first (once).  Called
    wherever memory is shared (views, ``detach``, ``.data``, ``.numpy()``)
    and by ``change``."""
    arr = t._array
    if arr.__class__ is not _ndarray:
        arr = t._array = _asarray(arr)
    return arr


# ----------------------------------------------------------- version counters
# The creation number (see ``Node.seq``) taken by the latest in-place change
# of any tensor: a node recorded after it cannot have seen its saved tensors
# change, so the backward pass looks at the version counters of older nodes
# only.
last_change = [0]


def shared_version(t: Tensor) -> list:
    """``t``'s version counter, to be shared (by a view, a detached tensor, or
    a node that reads ``t`` as its output): a list of its own from now on."""
    vc = t._vc
    if vc is FRESH:
        vc = t._vc = [0, 0]
    return vc


def change(tensors, op: str, write, operands) -> None:
    """The one door through which tensors' memory changes in place:
    ``write(array, operand)`` changes each tensor's array (``tensors`` and
    ``operands`` side by side: one change, or the list of a multi-tensor
    op), then the tensor's version counter (shared with its views) becomes
    ``[version + 1, creation number of the change]``, so a backward pass that
    saved the tensor before notices (see ``Node``).  ``op`` names the change
    in errors."""
    seq = next_seq()
    for t, operand in zip(tensors, operands):
        arr = t._array
        if arr.__class__ is not _ndarray:
            arr = storage(t)
        try:
            write(arr, operand)
        except ValueError:
            if arr.flags.writeable:
                raise
            raise RuntimeError(
                f"{op}: this tensor is {_read_only(arr)}; clone() it before changing it in place"
            ) from None
        vc = t._vc
        if vc is FRESH:
            vc = t._vc = [0, 0]
        vc[0] += 1
        vc[1] = seq
    last_change[0] = seq


def _read_only(arr) -> str:
    if 0 in arr.strides and arr.size > 1:
        return "a broadcast (expanded) view whose elements share memory"
    return "read-only (a gradient the engine shares, or an array marked read-only)"


def assign(t: Tensor, value, op: str) -> Tensor:
    """``t[...] = value`` through ``change``: ``value`` (an array or NumPy
    scalar) must have ``t``'s shape and a dtype that casts to ``t``'s."""
    shape, dtype = getattr(value, "shape", ()), getattr(value, "dtype", None)
    if shape != t._array.shape:
        raise RuntimeError(
            f"{op}: the result has shape {tuple(shape)} but the tensor changed in place has "
            f"shape {tuple(t.shape)} (an in-place op cannot broadcast its target)"
        )
    if dtype is not None and not B.xp.can_cast(dtype, t._array.dtype, "same_kind"):
        raise RuntimeError(
            f"{op}: result type {dtype} can't be cast to the tensor's dtype {t.dtype}"
        )
    change((t,), op, _put, (value,))
    return t


def _put(arr, value) -> None:
    arr[...] = value


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor of {ndim} dims")
    return dim % n


def _to_array(data, dtype=None):
    """Build the backend array of ``data`` by PyTorch's rules: Python floats
    take the default dtype, ints int64, bools bool; arrays keep their dtype."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._array
        return arr.astype(dtype) if dtype is not None and arr.dtype != dtype else arr.copy()
    if isinstance(data, _ndarray) or hasattr(data, "__array_interface__"):
        arr = _asarray(data)
        if dtype is not None:
            arr = arr.astype(dtype)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"tensor(): unsupported array dtype {arr.dtype}")
        return arr.copy() if arr is data else arr
    if isinstance(data, B.xp.generic):
        return _asarray(data, dtype=dtype)
    try:
        arr = _asarray(_unwrap_nested(data))
    except ValueError as e:
        raise ValueError(f"tensor(): data is not rectangular ({e})") from None
    if arr.dtype.kind == "O" or arr.dtype.kind in "US":
        raise TypeError(f"tensor(): cannot make a tensor from {type(data).__name__} data")
    if dtype is None:
        if arr.dtype.kind == "f":
            dtype = dtypes.get_default_dtype()
        elif arr.dtype.kind in "iu":
            dtype = dtypes.int64
    return arr.astype(dtype) if dtype is not None and arr.dtype != dtype else arr


def _unwrap_nested(data):
    """Replace tensors inside (nested) lists by their arrays."""
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(d) for d in data]
    if isinstance(data, Tensor):
        return data._array
    return data


def tensor(
    data,
    dtype=None,
    requires_grad: bool = False,
    name: str | None = None,
    device=None,
    pin_memory: bool = False,
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (number, nested list,
    array or tensor); ``name`` labels it in diagrams; ``device`` may only be
    the CPU (see ``tapegrad.device``), ``pin_memory`` only False."""
    check_pin_memory(pin_memory, "tensor")
    check_device(device, "tensor")
    arr = _to_array(data, dtype)
    t = new_tensor(arr[()] if not arr.ndim else arr)  # (0-d: a NumPy scalar)
    if name is not None:
        t.name = name
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares an array's memory when no conversion is needed."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtypes.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, _ndarray) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return new_tensor(data)
    return tensor(data, dtype=dtype)


def from_numpy(array) -> Tensor:
    """A tensor sharing the memory of a NumPy array (as ``torch.from_numpy``)."""
    return new_tensor(_asarray(array))


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements (``input.numel()``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def grad_enabled_for(*tensors) -> bool:
    """Whether an op on these tensors would be recorded."""
    return GradMode.enabled and any(t.requires_grad for t in tensors)


__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "is_tensor", "Node"]
