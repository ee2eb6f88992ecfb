"""PyTorch's legacy tensor types: ``tg.FloatTensor``, ``tg.LongTensor``, ...
and ``tensor.type()``.

Each legacy type stands for one dtype on the CPU.  Called, it builds a tensor
of that dtype the ways PyTorch's legacy constructors do:

- ``FloatTensor()``: an empty tensor, shape ``(0,)``;
- ``FloatTensor(2, 3)`` (ints) or ``FloatTensor(size=(2, 3))``: an
  uninitialised tensor of that shape, as ``tg.empty``;
- ``FloatTensor([1, 2])``, a tuple or a NumPy array: the data, converted
  (floats truncate towards zero in an integer type);
- ``FloatTensor(t)``, ``t`` a tensor of the same dtype: an alias of ``t``.

``isinstance(t, tg.FloatTensor)`` is true exactly when ``t`` is a float32
tensor (all tapegrad tensors are CPU tensors); the types are not subclasses
of ``tg.Tensor``, and what they build is a plain ``tg.Tensor``, as in
PyTorch.  ``t.type()`` names a tensor's type (``'torch.FloatTensor'``, the
string PyTorch code compares with), and ``t.type(T)`` converts ``t`` to the
type ``T``: a legacy type, its name or a dtype.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.device import check_device
from tapegrad.factories import empty
from tapegrad.size import Size
from tapegrad.tensor import Tensor, tensor

_INTEGER = (int, B.xp.integer)


class LegacyTensorType(type):
    """The class of the legacy tensor types; ``cls.dtype`` is the dtype each
    stands for."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, size=None, device=None) -> Tensor:
        """A tensor of this type, built from sizes, data or nothing (the
        forms in the module's docstring)."""
        check_device(device, cls.__name__)
        if size is not None:
            if args:
                raise TypeError(f"{cls.__name__}(): got both positional arguments and size=")
            return empty(*size, dtype=cls.dtype)
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if all(isinstance(a, _INTEGER) and not isinstance(a, bool) for a in args):
            return empty(*(args or (0,)), dtype=cls.dtype)  # (no arguments: shape (0,))
        if len(args) > 1:
            raise TypeError(
                f"{cls.__name__}(): expected sizes (ints) or one sequence of data, "
                f"got {', '.join(type(a).__name__ for a in args)}"
            )
        return _from_data(cls, args[0])


def _legacy_type(name: str, dtype) -> LegacyTensorType:
    doc = f"The legacy type of {dtype} CPU tensors (``torch.{name}``)."
    return LegacyTensorType(
        name, (), {"dtype": dtype, "is_cuda": False, "__module__": "tapegrad", "__doc__": doc}
    )


FloatTensor = _legacy_type("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", dtypes.float16)
LongTensor = _legacy_type("LongTensor", dtypes.int64)
IntTensor = _legacy_type("IntTensor", dtypes.int32)
ShortTensor = _legacy_type("ShortTensor", dtypes.int16)
CharTensor = _legacy_type("CharTensor", dtypes.int8)
ByteTensor = _legacy_type("ByteTensor", dtypes.uint8)
BoolTensor = _legacy_type("BoolTensor", dtypes.bool)

_BY_DTYPE = {
    t.dtype: t
    for t in (
        FloatTensor,
        DoubleTensor,
        HalfTensor,
        LongTensor,
        IntTensor,
        ShortTensor,
        CharTensor,
        ByteTensor,
        BoolTensor,
    )
}
_BY_NAME = {f"torch.{t.__name__}": t for t in _BY_DTYPE.values()}


def _from_data(cls: LegacyTensorType, data) -> Tensor:
    if isinstance(data, Tensor):
        if data.dtype != cls.dtype:
            raise TypeError(
                f"{cls.__name__}(): expected a tensor of dtype tapegrad.{cls.dtype}, "
                f"got tapegrad.{data.dtype} (convert it with .type() or .to())"
            )
        return alias(data)
    if isinstance(data, range):
        data = list(data)
    if not isinstance(data, (list, tuple, B.ndarray)):
        raise TypeError(f"{cls.__name__}(): data must be a sequence (got {type(data).__name__})")
    return tensor(data, dtype=cls.dtype)


def alias(t: Tensor) -> Tensor:
    """A tensor sharing ``t``'s memory, version counter and graph (PyTorch's
    ``alias``, what a legacy type makes of a tensor of its own dtype)."""
    return t.view(t.shape) if t.requires_grad else t.detach()


def default_tensor_type() -> LegacyTensorType:
    """The legacy type of the default dtype: what ``tg.Tensor(...)`` builds with."""
    return _BY_DTYPE[dtypes.get_default_dtype()]


# --------------------------------------------------------------- .type()
def type_name(dtype) -> str:
    """PyTorch's name of the CPU tensor type of ``dtype``: ``'torch.FloatTensor'``."""
    try:
        return f"torch.{_BY_DTYPE[dtype].__name__}"
    except KeyError:
        raise TypeError(f"type(): tapegrad has no tensor type for dtype {dtype}") from None


def _dtype_of_type(kind):
    """The dtype that a ``.type(kind)`` argument names: a legacy type, its name
    (``'torch.FloatTensor'``), ``tg.Tensor`` or ``'torch.Tensor'`` (the
    default dtype), or a dtype."""
    if isinstance(kind, LegacyTensorType):
        return kind.dtype
    if kind is Tensor or (isinstance(kind, str) and kind == "torch.Tensor"):
        return dtypes.get_default_dtype()
    if isinstance(kind, str):
        if kind.startswith("torch.cuda."):
            check_device("cuda", f"type({kind!r})")
        if kind not in _BY_NAME:
            raise ValueError(f"invalid type: {kind!r}")
        return _BY_NAME[kind].dtype
    if isinstance(kind, type):  # (a class, but no tensor type)
        raise ValueError(f"invalid type: {kind.__name__!r}")
    try:
        return dtypes.as_dtype(kind)
    except TypeError:
        raise TypeError(
            f"type(): dtype must be a type, str, or dtype object, got {kind!r}"
        ) from None


def tensor_type(self: Tensor, dtype=None, non_blocking: bool = False):
    """``t.type()``: the name of ``t``'s type, ``'torch.FloatTensor'`` for a
    float32 tensor.  ``t.type(dtype)``: ``t`` converted to ``dtype`` (a legacy
    type such as ``tg.DoubleTensor``, its name ``'torch.DoubleTensor'``, or a
    dtype), ``t`` itself when it has that dtype already; differentiable
    between floating dtypes, as ``t.to(dtype)``.  (The method ``Tensor.type``;
    ``non_blocking`` is accepted: nothing is asynchronous on the CPU.)"""
    if dtype is None:
        return type_name(self.dtype)
    target = _dtype_of_type(dtype)
    return self if target == self.dtype else self.to(target)


__all__ = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]
