"""Bind the ops as ``Tensor`` methods and operators, as in PyTorch
(``tg.exp(x)`` and ``x.exp()``, ``x + y``, ``x[idx]``), and define the
in-place methods.

In-place rules (PyTorch's): a leaf that requires grad may change in place
only under ``no_grad``; every in-place change bumps the version counter (shared
with views), so ``backward()`` fails clearly if a saved tensor changed; in
grad mode an in-place op on a non-leaf is recorded like its out-of-place form
and the tensor's ``grad_fn`` moves to the new node.
"""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.autograd.engine import backward as _engine_backward
from tapegrad.autograd.graph import GradMode, no_grad
from tapegrad.device import check_device, is_device
from tapegrad.ops import activations as A
from tapegrad.ops import compare as C
from tapegrad.ops import elementwise as E
from tapegrad.ops import index as I
from tapegrad.ops import linalg as L
from tapegrad.ops import order as O
from tapegrad.ops import reduce as R
from tapegrad.ops import shape as S
from tapegrad.ops.registry import CLONE, apply, as_tensor_arg, to_dtype
from tapegrad.tensor import Tensor, _make, bump_version

xp = B.xp


# --------------------------------------------------------------- conversions
def to_arguments(args, kwargs, what: str):
    """The dtype asked for by ``.to(...)`` arguments (PyTorch's forms:
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` for its
    dtype, ``to(device=..., dtype=...)``), or ``None``; a device other than
    the CPU is refused (``tapegrad.device.check_device``)."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    dtype = kwargs.get("dtype")
    check_device(kwargs.get("device"), what)
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif a is None:
            continue
        elif is_device(a):
            check_device(a, what)
        else:
            dtype = a
    return None if dtype is None else dtypes.as_dtype(dtype)


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``,
    ``x.to(other)`` (its dtype), ``copy=True`` for a new tensor even when
    nothing changes; differentiable between floating dtypes.  The device can
    only be the CPU."""
    dtype = to_arguments(args, kwargs, "to")
    if dtype is None or dtype == self._array.dtype:
        return clone(self) if kwargs.get("copy") else self
    if self.requires_grad and dtype.kind != "f":
        return _make(self._array.astype(dtype))
    return to_dtype(self, dtype)


def _cuda(self: Tensor, device=None, non_blocking: bool = False) -> Tensor:
    check_device("cuda" if device is None else device, "cuda")
    return self


def _caster(dtype):
    def method(self: Tensor) -> Tensor:
        return to(self, dtype)

    return method


def clone(input: Tensor) -> Tensor:
    """A copy with its own memory; the gradient flows through."""
    return apply(CLONE, input if type(input) is Tensor else as_tensor_arg(input))


def contiguous(self: Tensor) -> Tensor:
    return self if self._array.flags.c_contiguous else clone(self)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other.dtype)


# ------------------------------------------------------------------ in-place
def _write(t: Tensor, arr, op: str) -> None:
    if arr.shape != t._array.shape:
        raise RuntimeError(
            f"{op}: the result has shape {tuple(arr.shape)} but the tensor changed in place has "
            f"shape {tuple(t.shape)} (an in-place op cannot broadcast its target)"
        )
    if arr.dtype != t._array.dtype and not xp.can_cast(arr.dtype, t._array.dtype, "same_kind"):
        raise RuntimeError(
            f"{op}: result type {arr.dtype} can't be cast to the tensor's dtype {t.dtype}"
        )
    if not t._array.flags.writeable:
        what = (
            "a broadcast (expanded) view whose elements share memory"
            if 0 in t._array.strides and t._array.size > 1
            else "read-only (a gradient the engine shares, or an array marked read-only)"
        )
        raise RuntimeError(f"{op}: this tensor is {what}; clone() it before changing it in place")
    t._array[...] = arr


def inplace(t: Tensor, outplace, op: str, *args, **kwargs) -> Tensor:
    """Apply ``outplace(t, *args)`` and store the result in ``t`` itself."""
    record = GradMode.enabled and (
        t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    if record:
        if t.grad_fn is None and t.requires_grad:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad is being changed in place; do it inside "
                "`with tg.no_grad():` (as optimisers do) or work on a copy"
            )
        if t._array.dtype.kind != "f":
            raise RuntimeError(f"{op}: an integer tensor cannot take a result that requires grad")
        old = _make(t._array.copy(), t.grad_fn)
        old.requires_grad = t.requires_grad
        out = outplace(old, *args, **kwargs)
        _write(t, out._array, op)
        t.grad_fn = out.grad_fn
        t.requires_grad = True
    else:
        with no_grad():
            out = outplace(t, *args, **kwargs)
        _write(t, out._array, op)
    bump_version(t)
    return t


def _inplace_method(outplace, op):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return inplace(self, outplace, op, *args, **kwargs)

    method.__name__ = op
    method.__doc__ = f"In-place form of ``{outplace.__name__}``."
    return method


def _fill(x, value):
    return I.index_put(x, Ellipsis, value)


def _zero(x):
    return I.index_put(x, Ellipsis, 0.0 if x._array.dtype.kind == "f" else 0)


def _copy(x, src):
    src = src if isinstance(src, Tensor) else Tensor(src)
    if src._array.dtype != x._array.dtype:
        src = to(src, x._array.dtype)
    return I.index_put(x, Ellipsis, src)


def _setitem(self: Tensor, key, value) -> None:
    inplace(self, I.index_put, "__setitem__", key, value)


def _random_inplace(draw):
    def method(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
        if GradMode.enabled and self.requires_grad:
            raise RuntimeError(
                f"{draw.__name__}: a tensor that requires grad is being changed in place; use "
                "`with tg.no_grad():`"
            )
        arr = draw(B.rng(generator), self._array.shape, *args, **kwargs)
        _write(self, xp.asarray(arr).astype(self._array.dtype), draw.__name__)
        bump_version(self)
        return self

    method.__name__ = draw.__name__
    return method


def uniform_(rng, shape, a=0.0, b=1.0):
    return rng.uniform(a, b, size=shape)


def normal_(rng, shape, mean=0.0, std=1.0):
    return rng.normal(mean, std, size=shape)


def bernoulli_(rng, shape, p=0.5):
    return rng.random(shape) < p


# ------------------------------------------------------------------ misc
def _T(self: Tensor) -> Tensor:
    return S.permute(self, tuple(reversed(range(self.ndim)))) if self.ndim >= 2 else self


def _mT(self: Tensor) -> Tensor:
    return L.mT(self)


def _where_method(self: Tensor, condition, other) -> Tensor:
    return E.where(condition, self, other)


def _new(fill):
    def method(self: Tensor, *size, dtype=None, device=None, requires_grad=False):
        from tapegrad import factories as Fa

        check_device(device, f"new_{fill}")
        d = dtype or self.dtype
        if fill == "tensor":
            return Tensor(size[0], dtype=d, requires_grad=requires_grad)
        if fill == "full":
            return Fa.full(size[0], size[1], dtype=d, requires_grad=requires_grad)
        return getattr(Fa, fill)(*size, dtype=d, requires_grad=requires_grad)

    return method


def _view_as(self, other) -> Tensor:
    return S.reshape(self, other.shape)


def _index_put_method(self, indices, values, accumulate=False) -> Tensor:
    """PyTorch's ``x.index_put(indices, values)``: a copy with ``values`` at
    ``indices`` (a tuple of index tensors); ``accumulate`` adds instead."""
    key = tuple(indices)
    if not accumulate:
        return I.index_put(self, key, values)
    items, _ = I.normalize_key(key)
    v = values if isinstance(values, Tensor) else Tensor(values, dtype=self.dtype)
    v = S.broadcast_to(to(v, self.dtype), self._array[items].shape)
    return self + apply(I.INDEX_SCATTER, v, shape=self._array.shape, key=items)  # repeats add up


def _bernoulli_method(self, p=None, generator=None) -> Tensor:
    from tapegrad import factories as Fa

    probs = self if p is None else Fa.full_like(self, p)
    return Fa.bernoulli(probs, generator=generator)


def _sub_method(self, other, alpha=1):
    return E.sub(self, other, alpha=alpha)


def _add_method(self, other, alpha=1):
    return E.add(self, other, alpha=alpha)


def _rsub(self, other):
    return E.sub(other, self)


def _rdiv(self, other):
    return E.div(other, self)


def _rpow(self, other):
    return E.pow(other, self)


def _rmatmul(self, other):
    return L.matmul(other, self)


def _bitwise(fn, name):
    def op(self, other):
        a = self._array
        b = other._array if isinstance(other, Tensor) else other
        return Tensor(fn(a, b))

    op.__name__ = name
    return op


def _invert(self):
    if self._array.dtype == B.bool_:
        return Tensor(xp.logical_not(self._array))
    return Tensor(xp.invert(self._array))


_METHODS = {
    # rounding, triangles, order
    "floor": E.floor, "ceil": E.ceil, "trunc": E.trunc, "fix": E.fix, "frac": E.frac,
    "round": E.round, "tril": S.tril, "triu": S.triu, "roll": S.roll, "sort": O.sort,
    "argsort": O.argsort, "topk": O.topk, "lerp": E.lerp, "isclose": C.isclose,
    "tile": S.tile, "repeat_interleave": S.repeat_interleave, "diag": S.diag,
    # elementwise
    "add": _add_method, "sub": _sub_method, "mul": E.mul, "div": E.div, "pow": E.pow,
    "true_divide": E.div, "multiply": E.mul, "subtract": _sub_method, "divide": E.div,
    "neg": E.neg, "negative": E.neg, "exp": E.exp, "log": E.log, "log1p": E.log1p,
    "expm1": E.expm1, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "abs": E.abs, "sign": E.sign,
    "sin": E.sin, "cos": E.cos, "tan": E.tan, "tanh": E.tanh, "sigmoid": E.sigmoid,
    "relu": E.relu, "clamp": E.clamp, "clip": E.clamp, "maximum": E.maximum,
    "minimum": E.minimum, "reciprocal": E.reciprocal, "square": E.square, "erf": E.erf,
    "where": _where_method, "eq": C.eq, "ne": C.ne, "lt": C.lt, "le": C.le, "gt": C.gt,
    "ge": C.ge, "logical_not": C.logical_not, "logical_and": C.logical_and,
    "logical_or": C.logical_or, "logical_xor": C.logical_xor, "isnan": C.isnan, "isinf": C.isinf, "isfinite": C.isfinite,
    "allclose": C.allclose, "equal": C.equal, "softplus": A.softplus,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "prod": R.prod, "logsumexp": R.logsumexp, "norm": R.norm,
    "argmax": R.argmax, "argmin": R.argmin, "any": R.any, "all": R.all, "cumsum": R.cumsum,
    "softmax": R.softmax, "log_softmax": R.log_softmax, "count_nonzero": R.count_nonzero,
    # shape
    "reshape": S.reshape, "view": S.view, "flatten": S.flatten, "unflatten": S.unflatten,
    "transpose": S.transpose, "swapaxes": S.transpose, "permute": S.permute,
    "unsqueeze": S.unsqueeze, "squeeze": S.squeeze, "expand": S.expand,
    "expand_as": S.expand_as, "view_as": _view_as, "reshape_as": _view_as, "broadcast_to": S.broadcast_to, "repeat": S.repeat,
    "split": S.split, "chunk": S.chunk, "flip": S.flip, "narrow": S.narrow,
    "unbind": S.unbind, "select": S.select, "t": S.t, "movedim": S.movedim,
    "sum_to_size": S.sum_to_size,
    # index
    "gather": I.gather, "index_put": _index_put_method, "bernoulli": _bernoulli_method, "scatter_add": I.scatter_add, "index_select": I.index_select,
    "scatter": I.scatter, "index_add": I.index_add,
    "scatter_": _inplace_method(I.scatter, "scatter_"),
    "scatter_add_": _inplace_method(I.scatter_add, "scatter_add_"),
    "index_add_": _inplace_method(I.index_add, "index_add_"),
    "masked_fill": I.masked_fill, "take_along_dim": I.take_along_dim, "nonzero": I.nonzero,
    # linalg
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "mv": L.mv, "dot": L.dot, "outer": L.outer,
    "inner": L.dot,
    # conversion
    "to": to, "float": _caster(dtypes.float32), "double": _caster(dtypes.float64),
    "half": _caster(dtypes.float16), "long": _caster(dtypes.int64),
    "int": _caster(dtypes.int32), "bool": _caster(dtypes.bool), "clone": clone,
    "contiguous": contiguous, "type_as": type_as, "cpu": lambda self: self, "cuda": _cuda,
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_full": _new("full"), "new_tensor": _new("tensor"),
    # in-place
    "add_": _inplace_method(_add_method, "add_"), "sub_": _inplace_method(_sub_method, "sub_"),
    "mul_": _inplace_method(E.mul, "mul_"), "div_": _inplace_method(E.div, "div_"),
    "pow_": _inplace_method(E.pow, "pow_"), "clamp_": _inplace_method(E.clamp, "clamp_"),
    "fill_": _inplace_method(_fill, "fill_"), "zero_": _inplace_method(_zero, "zero_"),
    "copy_": _inplace_method(_copy, "copy_"), "neg_": _inplace_method(E.neg, "neg_"),
    "exp_": _inplace_method(E.exp, "exp_"), "relu_": _inplace_method(E.relu, "relu_"),
    "masked_fill_": _inplace_method(I.masked_fill, "masked_fill_"),
    "uniform_": _random_inplace(uniform_), "normal_": _random_inplace(normal_),
    "bernoulli_": _random_inplace(bernoulli_),
    # operators
    "__add__": E.add_operator, "__radd__": E.add, "__sub__": E.sub_operator, "__rsub__": _rsub,
    "__mul__": E.mul, "__rmul__": E.mul, "__truediv__": E.div, "__rtruediv__": _rdiv,
    "__pow__": E.pow, "__rpow__": _rpow, "__matmul__": L.matmul, "__rmatmul__": _rmatmul,
    "__neg__": E.neg, "__pos__": lambda self: self, "__abs__": E.abs,
    "__eq__": C.eq, "__ne__": C.ne, "__lt__": C.lt, "__le__": C.le, "__gt__": C.gt,
    "__ge__": C.ge, "__getitem__": I.getitem, "__setitem__": _setitem,
    "__and__": _bitwise(xp.bitwise_and, "__and__"), "__or__": _bitwise(xp.bitwise_or, "__or__"),
    "__xor__": _bitwise(xp.bitwise_xor, "__xor__"), "__invert__": _invert,
    "__iadd__": _inplace_method(E.add, "__iadd__"),
    "__isub__": _inplace_method(E.sub, "__isub__"),
    "__imul__": _inplace_method(E.mul, "__imul__"),
    "__itruediv__": _inplace_method(E.div, "__itruediv__"),
    "__floordiv__": lambda self, other: E.div(self, other, rounding_mode="floor"),
    "__mod__": lambda self, other: Tensor(xp.mod(self._array, other._array if isinstance(other, Tensor) else other)),
}  # fmt: skip

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

Tensor.__hash__ = object.__hash__
Tensor.backward = _engine_backward
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)
