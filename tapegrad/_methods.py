"""The ``Tensor`` methods that are not a primitive's own (each entry of the
table binds its public function itself): composites, conversions, reflected
operators, and the in-place family.

In-place rules (PyTorch's): a leaf that requires grad may change in place
only under ``no_grad``; every in-place change goes through
``tapegrad.tensor.change``, which bumps the version counter (shared with
views), so ``backward()`` fails clearly if a saved tensor changed; in grad
mode an in-place op on a non-leaf is recorded like its out-of-place form and
the tensor's ``grad_fn`` moves to the new node.
"""

from __future__ import annotations

import operator
import warnings
from itertools import repeat

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad import random_fill as RF
from tapegrad import sampling as SA
from tapegrad.autograd.engine import backward as _engine_backward
from tapegrad.autograd.graph import GradMode, no_grad
from tapegrad.device import check_device, to_arguments
from tapegrad.factories import empty, full, ones, zeros
from tapegrad.legacy import tensor_type
from tapegrad.ops import activations as A
from tapegrad.ops import bitwise as BW
from tapegrad.ops import compare as C
from tapegrad.ops import cumulative as CU
from tapegrad.ops import discrete as DS
from tapegrad.ops import division as DV
from tapegrad.ops import elementwise as E
from tapegrad.ops import finite as NF
from tapegrad.ops import gamma as GA
from tapegrad.ops import histogram as H
from tapegrad.ops import index as I
from tapegrad.ops import linalg as L
from tapegrad.ops import order as O
from tapegrad.ops import order_stats as OS
from tapegrad.ops import pairwise as PW
from tapegrad.ops import placement as PL
from tapegrad.ops import products as PR
from tapegrad.ops import rearrange as RA
from tapegrad.ops import reduce as R
from tapegrad.ops import selection as SL
from tapegrad.ops import sets as ST
from tapegrad.ops import shape as S
from tapegrad.ops import splitting as SP
from tapegrad.ops import statistics as SS
from tapegrad.ops import transcendental as TR
from tapegrad.ops.registry import CLONE, as_tensor_arg, scalar_operand, to_dtype
from tapegrad.python_map import apply_, map_
from tapegrad.tensor import (
    FRESH,
    Tensor,
    assign,
    attached,
    change,
    last_change,
    new_tensor,
    tensor,
    views_of,
)

xp = B.xp


# --------------------------------------------------------------- conversions
def to(self: Tensor, *args, **kwargs) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``,
    ``x.to(other)`` (its dtype), ``copy=True`` for a new tensor even when
    nothing changes; differentiable between floating dtypes.  The device can
    only be the CPU."""
    dtype = to_arguments(args, kwargs, "to")
    if dtype is None or dtype == self.dtype:
        return clone(self) if kwargs.get("copy") else self
    if self.requires_grad and dtype.kind != "f":
        return new_tensor(self._array.astype(dtype))
    return to_dtype(self, dtype)


def _cuda(self: Tensor, device=None, non_blocking: bool = False) -> Tensor:
    check_device("cuda" if device is None else device, "cuda")
    return self


def _caster(dtype):
    def method(self: Tensor) -> Tensor:
        return to(self, dtype)

    return method


@CLONE.public
def clone(input: Tensor) -> Tensor:
    """A copy with its own memory; the gradient flows through."""
    return CLONE.apply(as_tensor_arg(input))


def contiguous(self: Tensor) -> Tensor:
    return self if self.is_contiguous() else clone(self)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    """``x.to(other.dtype)``."""
    return to(self, _other_tensor(other, "type_as").dtype)


# ------------------------------------------------------------------ in-place
def inplace(t: Tensor, outplace, op: str, *args, **kwargs) -> Tensor:
    """``t`` changed in place to ``outplace(t, *args, **kwargs)``.  Recorded
    like the out-of-place op when grad mode is on and a tensor involved
    requires grad (``t`` then takes the new node as its ``grad_fn``)."""
    if GradMode.enabled and (
        t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    ):
        if t.grad_fn is None and t.requires_grad:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad is being changed in place; do it inside "
                "`with tg.no_grad():` (as optimisers do) or work on a copy"
            )
        if t.dtype.kind != "f":
            raise RuntimeError(f"{op}: an integer tensor cannot take a result that requires grad")
        _check_written_views(t, op)
        out = outplace(attached(t._array.copy(), t.grad_fn), *args, **kwargs)
        assign(t, out._array, op)
        _take_history(t, out)
        _refresh_views(t)
        return t
    with no_grad():
        out = outplace(t, *args, **kwargs)
    return assign(t, out._array, op)


def _recorded_view(node) -> bool:
    """Whether ``node`` made a view and still holds its base (a backward
    pass without ``retain_graph`` lets go of it)."""
    return node is not None and node.prim.view and node.inputs is not None


def _views(t: Tensor):
    """The recorded view nodes from ``t`` up to the tensor whose memory it
    shows: ``t``'s own when a view entry made it, then its base's, ..."""
    node = t.grad_fn
    while _recorded_view(node):
        yield node
        node = node.inputs[0].grad_fn


def _check_written_views(t: Tensor, op: str) -> None:
    """Refuse, before anything is written, what PyTorch refuses: writing
    through an expanded view, or through a view of a leaf that requires grad."""
    for node in _views(t):
        base = node.inputs[0]
        if node.prim.view_put is None:
            raise RuntimeError(
                f"{op}: unsupported operation: more than one element of the written-to tensor "
                "refers to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )
        if base.grad_fn is None:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an "
                "in-place operation."
            )


def _take_history(t: Tensor, value: Tensor) -> None:
    """``t``, whose memory now holds ``value``'s numbers, takes ``value``'s
    history.  A view takes it through its base: the base's history becomes
    "the base with the view's elements replaced by ``value``" (the view
    entry's ``view_put``, one view level at a time up to the tensor that
    owns the memory), and the view's history the view of that, as PyTorch's
    CopySlices; other tensors that share the base see the change too."""
    node = t.grad_fn
    if _recorded_view(node):
        base = node.inputs[0]
        before = attached(base._array, base.grad_fn)
        _take_history(base, node.prim.view_put(before, value, **node.params))
        value = node.prim.apply(base, **node.params)
    t.grad_fn = value.grad_fn
    t.requires_grad = True


def _refresh_views(t: Tensor) -> None:
    """After an in-place change of ``t``'s memory, every other live view
    recorded of that memory takes the view of its base's new history
    (oldest first, so a view of a view follows its base), as PyTorch
    regenerates a view's ``grad_fn`` when its base's version moved."""
    for view in views_of(t):
        node = view.grad_fn
        if view is not t and _recorded_view(node):
            view.grad_fn = node.prim.apply(node.inputs[0], **node.params).grad_fn


def _inplace_method(outplace, op: str):
    """The in-place method ``op`` of the out-of-place op ``outplace``."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        return inplace(self, outplace, op, *args, **kwargs)

    method.__name__ = op
    method.__doc__ = f"In-place form of ``{outplace.__name__}``."
    return method


def _arithmetic_(prim, op: str, scaled: bool = False):
    """``add_``, ``mul_`` and friends: with nothing to record, the entry's
    in-place forward writes straight into the tensor's memory (an optimiser's
    update allocates nothing); otherwise as ``inplace``.  ``scaled``: the
    method takes ``alpha`` (``add_(other, alpha=2)``)."""
    outplace = prim.function
    write = prim.inplace

    def method(self: Tensor, other, *, alpha=1) -> Tensor:
        tensor = isinstance(other, Tensor)
        if GradMode.enabled and (self.requires_grad or (tensor and other.requires_grad)):
            return inplace(self, outplace, op, other if alpha == 1 else E.mul(other, alpha))
        operand = _operand(other, self)
        if alpha != 1:
            operand = operand * scalar_operand(alpha, operand.dtype)
        try:
            change((self,), op, write, (operand,))
        except (TypeError, ValueError) as err:
            raise _inplace_error(self, operand, op, err) from None
        return self

    method.__name__ = op
    scales = " (``alpha`` scales ``other``)" if scaled else ""
    method.__doc__ = f"In-place ``{outplace.__name__}``{scales}."
    return method


def _operand(other, t: Tensor):
    """What an in-place op on ``t`` computes with: a tensor's array, a Python
    number as a cached 0-d array of the dtype PyTorch gives it beside ``t``."""
    if other.__class__ in (float, int, bool):
        return scalar_operand(other, t._array.dtype)
    if isinstance(other, Tensor):
        return other._array
    return B.xp.asarray(other)


def _inplace_error(t: Tensor, operand, op: str, err: Exception) -> RuntimeError:
    """The error for an in-place result that does not fit its tensor."""
    try:
        shape = xp.broadcast_shapes(t.shape, xp.shape(operand))
    except ValueError:
        shape = xp.shape(operand)
    if tuple(shape) != tuple(t.shape):
        return RuntimeError(
            f"{op}: the result has shape {tuple(shape)} but the tensor changed in place has "
            f"shape {tuple(t.shape)} (an in-place op cannot broadcast its target)"
        )
    result = xp.result_type(t._array, operand)
    return RuntimeError(f"{op}: result type {result} can't be cast to the tensor's dtype {t.dtype}")


def _foreach_(prim, op: str, tensors, others, alpha=1) -> None:
    """``t.<op>(other, alpha=alpha)`` for each tensor of a list, ``others`` a
    list beside it or one number: PyTorch's ``torch._foreach_<op>``, the
    multi-tensor form optimisers update parameters with (one call for the
    list; the tensors change together through ``change``)."""
    listed = isinstance(others, (list, tuple))
    if GradMode.enabled and any(
        _records(t, other) for t, other in zip(tensors, others if listed else repeat(others))
    ):
        method = getattr(Tensor, op)  # (something to record: each tensor's own method)
        for t, other in zip(tensors, others if listed else repeat(others)):
            method(t, other, alpha=alpha) if alpha != 1 else method(t, other)
        return
    if not listed:
        operands = _operands_of_one(others, tensors, alpha)
    else:
        operands = [
            other._array if other.__class__ is Tensor else _operand(other, t)
            for t, other in zip(tensors, others)
        ]
        if alpha != 1:
            operands = _scaled(operands, alpha)
    try:
        change(tensors, op, prim.inplace, operands)
    except (TypeError, ValueError) as err:
        i = next(i for i, t in enumerate(tensors) if t._vc is FRESH or t._vc[1] != last_change[0])
        raise _inplace_error(tensors[i], operands[i], op, err) from None


def _scaled(arrays: list, alpha) -> list:
    """``alpha * x`` for each array; ``alpha`` as one cached constant per dtype."""
    first = arrays[0].dtype
    scale = scalar_operand(alpha, first)
    return [x * scale if x.dtype is first else x * scalar_operand(alpha, x.dtype) for x in arrays]


def _operands_of_one(other, tensors: list, alpha) -> list:
    """``alpha * other`` as the operand beside each tensor; a number as one
    cached constant per dtype (a parameter group has one)."""
    if other.__class__ not in (float, int, bool):  # a 0-d tensor, an array
        if alpha == 1:
            return [_operand(other, t) for t in tensors]
        return [_operand(other, t) * _operand(alpha, t) for t in tensors]
    number = other * alpha if alpha != 1 else other
    first = tensors[0]._array.dtype
    constant = scalar_operand(number, first)
    return [
        constant if t._array.dtype is first else scalar_operand(number, t._array.dtype)
        for t in tensors
    ]


def _records(t: Tensor, other) -> bool:
    """Whether an in-place op on ``t`` with ``other`` is recorded (grad mode on)."""
    return t.requires_grad or (isinstance(other, Tensor) and other.requires_grad)


def _foreach_add_(self, other, *, alpha=1) -> None:
    """``t.add_(o, alpha=alpha)`` for each pair (``torch._foreach_add_``)."""
    _foreach_(E.ADD, "add_", self, other, alpha)


def _foreach_mul_(self, other) -> None:
    """``t.mul_(o)`` for each pair, or by one number (``torch._foreach_mul_``)."""
    _foreach_(E.MUL, "mul_", self, other)


def _fill(x, value):
    return I.index_put(x, Ellipsis, value)


def _zero(x):
    return I.index_put(x, Ellipsis, 0.0 if x.dtype.kind == "f" else 0)


def _copy(x, src):
    src = as_tensor_arg(src)
    if src.dtype != x.dtype:
        src = to(src, x.dtype)
    return I.index_put(x, Ellipsis, src)


def _setitem(self: Tensor, key, value) -> None:
    inplace(self, I.index_put, "__setitem__", key, value)


def _random_(draw):
    """An in-place method that fills the tensor with ``draw(rng, tensor,
    ...)`` (a law of ``tapegrad.random_fill``: ``normal_``, ``random_``, ...)
    from tapegrad's generator or ``generator=``.  As in PyTorch, a leaf that
    requires grad refuses (outside ``no_grad``), and on a tensor that
    requires grad the fill is recorded, its gradient zero."""
    op = draw.__name__

    def method(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
        def sample(x: Tensor):
            return xp.asarray(draw(B.rng(generator), x, *args, **kwargs)).astype(x.dtype)

        if GradMode.enabled and self.requires_grad:
            return inplace(self, lambda x: E.where(False, x, new_tensor(sample(x))), op)
        return assign(self, sample(self), op)

    method.__name__ = op
    method.__doc__ = draw.__doc__
    return method


def _addcmul_term(input, tensor1, tensor2, *, value=1):
    """What ``addcmul`` adds to ``input``: ``value * tensor1 * tensor2``, in
    PyTorch's order (tensors or arrays)."""
    return value * tensor1 * tensor2


def _addcdiv_term(input, tensor1, tensor2, *, value=1):
    """What ``addcdiv`` adds to ``input``: ``value * tensor1 / tensor2``."""
    return value * tensor1 / tensor2


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2`` (PyTorch's ``addcmul``)."""
    return input + _addcmul_term(input, tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2`` (PyTorch's ``addcdiv``)."""
    if all(isinstance(t, Tensor) and t.dtype.kind in "biu" for t in (tensor1, tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported; use "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for the old behaviour"
        )
    return input + _addcdiv_term(input, tensor1, tensor2, value=value)


def _increment_(outplace, term, op: str, applies=None):
    """An in-place method ``x <- outplace(x, ...) = x + term(x, ...)``
    (``addcmul_``, ``addcdiv_``, ``lerp_``): with nothing to record (and
    ``applies(*args)`` where given), ``term`` runs on the arrays and is added
    into the tensor's memory through ``change``, so an optimiser's update
    makes no copy of the result; otherwise as ``inplace``."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        records = GradMode.enabled and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        )
        if records or (applies is not None and not applies(*args, **kwargs)):
            return inplace(self, outplace, op, *args, **kwargs)
        operands = [_operand(a, self) if isinstance(a, Tensor) else a for a in args]
        operand = term(self._array, *operands, **kwargs)
        try:
            change((self,), op, operator.iadd, (operand,))
        except (TypeError, ValueError) as err:
            raise _inplace_error(self, operand, op, err) from None
        return self

    method.__name__ = op
    method.__doc__ = f"In-place ``{op[:-1]}``."
    return method


def _small_weight(end, weight) -> bool:
    """Whether ``lerp`` takes its first form, ``x + weight (end - x)``."""
    return weight.__class__ in (float, int) and abs(weight) < 0.5


# ------------------------------------------------------------------ misc
def _T(self: Tensor) -> Tensor:
    return S.permute(self, tuple(reversed(range(self.ndim)))) if self.ndim >= 2 else self


def _mT(self: Tensor) -> Tensor:
    return L.mT(self)


def _where_method(self: Tensor, condition, other) -> Tensor:
    return E.where(condition, self, other)


def _new(factory):
    """``x.new_zeros``, ``x.new_ones``, ``x.new_empty``: ``factory`` of a size
    given as PyTorch takes it (``new_zeros(2, 3)``, ``new_zeros((2, 3))``,
    ``new_zeros(size=(2, 3))``), of ``x``'s dtype unless ``dtype`` is given."""
    op = f"new_{factory.__name__}"

    def method(
        self: Tensor, *sizes, size=None, dtype=None, device=None, requires_grad: bool = False
    ) -> Tensor:
        dtype = self.dtype if dtype is None else dtype
        return factory(*sizes, size=size, dtype=dtype, device=device, requires_grad=requires_grad)

    method.__name__ = op
    method.__doc__ = f"A ``{factory.__name__}`` tensor of ``x``'s dtype (PyTorch's ``{op}``)."
    return method


def _new_full(
    self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ``size`` (a tuple or list) filled with ``fill_value``, of
    ``x``'s dtype unless ``dtype`` is given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"new_full(): argument 'size' must be a tuple of ints, not {type(size).__name__}"
        )
    dtype = self.dtype if dtype is None else dtype
    return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def _new_tensor(
    self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """A new leaf holding a copy of ``data``, of ``x``'s dtype unless
    ``dtype`` is given (whatever dtype ``data`` has, as PyTorch)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than "
            "tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    dtype = self.dtype if dtype is None else dtype
    return tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _other_tensor(other, op: str) -> Tensor:
    """``other``, which must be a tensor (``view_as`` and friends)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument 'other' must be Tensor, not {type(other).__name__}")
    return other


def _view_as(self, other) -> Tensor:
    """``x.view(other.shape)``."""
    return self.view(_other_tensor(other, "view_as").shape)


def _reshape_as(self, other) -> Tensor:
    """``x.reshape(other.shape)``."""
    return S.reshape(self, _other_tensor(other, "reshape_as").shape)


def _expand_as(self, other) -> Tensor:
    """``x.expand(other.shape)``."""
    return S.expand_as(self, _other_tensor(other, "expand_as"))


def _index_put_method(self, indices, values, accumulate=False) -> Tensor:
    """PyTorch's ``x.index_put(indices, values)``: a copy with ``values`` at
    ``indices`` (a tuple of index tensors); ``accumulate`` adds instead."""
    return I.index_put(self, tuple(indices), values, accumulate)


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
        b = other._array if isinstance(other, Tensor) else other
        return new_tensor(xp.asarray(fn(self._array, b)))

    op.__name__ = name
    return op


def _invert(self):
    fn = xp.logical_not if self.dtype == B.bool_ else xp.invert
    return new_tensor(xp.asarray(fn(self._array)))


def _reflected(op):
    """The reflected operator of the binary function ``op``: ``other op self``."""

    def method(self, other):
        return op(other, self)

    method.__name__ = f"_r{op.__name__}"
    return method


_METHODS = {
    # composites and ops without an entry of their own
    "lerp": E.lerp,
    "isclose": C.isclose,
    "tile": S.tile,
    "repeat_interleave": S.repeat_interleave,
    "diag": S.diag,
    "roll": S.roll,
    "diag_embed": PL.diag_embed,
    "unfold": PL.unfold,
    "sort": O.sort,
    "argsort": O.argsort,
    "topk": O.topk,
    "median": OS.median,
    "nanmedian": OS.nanmedian,
    "kthvalue": OS.kthvalue,
    "mode": OS.mode,
    "square": E.square,
    "where": _where_method,
    "eq": C.eq,
    "ne": C.ne,
    "lt": C.lt,
    "le": C.le,
    "gt": C.gt,
    "ge": C.ge,
    "logical_not": C.logical_not,
    "logical_and": C.logical_and,
    "logical_or": C.logical_or,
    "logical_xor": C.logical_xor,
    "isnan": C.isnan,
    "isinf": C.isinf,
    "isfinite": C.isfinite,
    "allclose": C.allclose,
    "equal": C.equal,
    "std": R.std,
    "max": R.max,
    "min": R.min,
    "argmax": R.argmax,
    "argmin": R.argmin,
    "any": R.any,
    "all": R.all,
    "count_nonzero": R.count_nonzero,
    "flatten": S.flatten,
    "unflatten": S.unflatten,
    "transpose": S.transpose,
    "swapaxes": S.transpose,
    "unsqueeze": S.unsqueeze,
    "squeeze": S.squeeze,
    "expand": S.expand,
    "expand_as": _expand_as,
    "view_as": _view_as,
    "reshape_as": _reshape_as,
    "split": S.split,
    "chunk": S.chunk,
    "tensor_split": SP.tensor_split,
    "hsplit": SP.hsplit_method,
    "vsplit": SP.vsplit_method,
    "dsplit": SP.dsplit_method,
    "narrow": S.narrow,
    "unbind": S.unbind,
    "select": S.select,
    "t": S.t,
    "movedim": S.movedim,
    "sum_to_size": S.sum_to_size,
    "index_put": _index_put_method,
    "bernoulli": SA.bernoulli,
    "index_select": I.index_select,
    "index_add": I.index_add,
    "masked_fill": I.masked_fill,
    "index_fill": I.index_fill,
    "take_along_dim": I.take_along_dim,
    "nonzero": I.nonzero,
    "mm": L.mm,
    "bmm": L.bmm,
    "mv": L.mv,
    "addcmul": addcmul,
    "addcdiv": addcdiv,
    "softplus": A.softplus,
    # sampling, cumulative and set functions (issue 12)
    "multinomial": SA.multinomial,
    "diff": CU.diff,
    "addmm": PW.addmm,
    "baddbmm": PW.baddbmm,
    "kron": PW.kron,
    "unique": ST.unique,
    "unique_consecutive": ST.unique_consecutive,
    "histc": H.histc,
    "bincount": H.bincount,
    "floor_divide": DV.floor_divide,
    "bitwise_left_shift": BW.bitwise_left_shift,
    "bitwise_right_shift": BW.bitwise_right_shift,
    # rearranging, selecting and statistics composites
    "diagonal": RA.diagonal,
    "trace": RA.trace,
    "ravel": RA.ravel,
    "moveaxis": S.movedim,
    "swapdims": S.transpose,
    "fliplr": RA.fliplr,
    "flipud": RA.flipud,
    "rot90": RA.rot90,
    "diagflat": RA.diagflat,
    "msort": RA.msort,
    "masked_select": SL.masked_select,
    "take": SL.take,
    "argwhere": SL.argwhere,
    "index_copy": SL.index_copy,
    "masked_scatter": SL.masked_scatter,
    "scatter_reduce": SL.scatter_reduce,
    "nansum": SS.nansum,
    "nanmean": SS.nanmean,
    "aminmax": SS.aminmax,
    "cummax": SS.cummax,
    "cummin": SS.cummin,
    "quantile": SS.quantile,
    "nanquantile": SS.nanquantile,
    "cov": SS.cov,
    "corrcoef": SS.corrcoef,
    "dist": SS.dist,
    "renorm": SS.renorm,
    "vdot": PR.vdot,
    "clamp_min": PR.clamp_min,
    "clamp_max": PR.clamp_max,
    "index_copy_": _inplace_method(SL.index_copy, "index_copy_"),
    "masked_scatter_": _inplace_method(SL.masked_scatter, "masked_scatter_"),
    "scatter_reduce_": _inplace_method(SL.scatter_reduce, "scatter_reduce_"),
    # conversion
    "to": to,
    "float": _caster(dtypes.float32),
    "double": _caster(dtypes.float64),
    "half": _caster(dtypes.float16),
    "long": _caster(dtypes.int64),
    "int": _caster(dtypes.int32),
    "bool": _caster(dtypes.bool),
    "contiguous": contiguous,
    "type_as": type_as,
    "cpu": lambda self: self,
    "cuda": _cuda,
    "type": tensor_type,
    "new_zeros": _new(zeros),
    "new_ones": _new(ones),
    "new_empty": _new(empty),
    "new_full": _new_full,
    "new_tensor": _new_tensor,
    # in-place
    "add_": _arithmetic_(E.ADD, "add_", scaled=True),
    "sub_": _arithmetic_(E.SUB, "sub_", scaled=True),
    "mul_": _arithmetic_(E.MUL, "mul_"),
    "div_": _arithmetic_(E.DIV, "div_"),
    "__iadd__": _arithmetic_(E.ADD, "__iadd__"),
    "__isub__": _arithmetic_(E.SUB, "__isub__"),
    "__imul__": _arithmetic_(E.MUL, "__imul__"),
    "__itruediv__": _arithmetic_(E.DIV, "__itruediv__"),
    "pow_": _inplace_method(E.pow, "pow_"),
    "clamp_": _inplace_method(E.clamp, "clamp_"),
    "nan_to_num_": _inplace_method(NF.nan_to_num, "nan_to_num_"),
    "fill_": _inplace_method(_fill, "fill_"),
    "zero_": _inplace_method(_zero, "zero_"),
    "copy_": _inplace_method(_copy, "copy_"),
    "neg_": _inplace_method(E.neg, "neg_"),
    "exp_": _inplace_method(E.exp, "exp_"),
    "relu_": _inplace_method(E.relu, "relu_"),
    "sqrt_": _inplace_method(E.sqrt, "sqrt_"),
    "fmod_": _inplace_method(DV.fmod, "fmod_"),
    "remainder_": _inplace_method(DV.remainder, "remainder_"),
    "floor_divide_": _inplace_method(DV.floor_divide, "floor_divide_"),
    "bitwise_left_shift_": _inplace_method(BW.bitwise_left_shift, "bitwise_left_shift_"),
    "bitwise_right_shift_": _inplace_method(BW.bitwise_right_shift, "bitwise_right_shift_"),
    "__imod__": _inplace_method(DV.remainder, "__imod__"),
    "__ifloordiv__": _inplace_method(DV.floor_divide, "__ifloordiv__"),
    "__ilshift__": _inplace_method(BW.bitwise_left_shift, "__ilshift__"),
    "__irshift__": _inplace_method(BW.bitwise_right_shift, "__irshift__"),
    "lerp_": _increment_(E.lerp, E.lerp_increment, "lerp_", applies=_small_weight),
    "addcmul_": _increment_(addcmul, _addcmul_term, "addcmul_"),
    "addcdiv_": _increment_(addcdiv, _addcdiv_term, "addcdiv_"),
    "masked_fill_": _inplace_method(I.masked_fill, "masked_fill_"),
    "scatter_": _inplace_method(I.scatter, "scatter_"),
    "scatter_add_": _inplace_method(I.scatter_add, "scatter_add_"),
    "index_add_": _inplace_method(I.index_add, "index_add_"),
    "index_fill_": _inplace_method(I.index_fill, "index_fill_"),
    "uniform_": _random_(RF.uniform_),
    "normal_": _random_(RF.normal_),
    "bernoulli_": _random_(RF.bernoulli_),
    "random_": _random_(RF.random_),
    "exponential_": _random_(RF.exponential_),
    "geometric_": _random_(RF.geometric_),
    "cauchy_": _random_(RF.cauchy_),
    "log_normal_": _random_(RF.log_normal_),
    "apply_": apply_,
    "map_": map_,
    "__setitem__": _setitem,
    # reflected and other operators
    "__rsub__": _rsub,
    "__rtruediv__": _rdiv,
    "__rpow__": _rpow,
    "__rmatmul__": _rmatmul,
    "__pos__": lambda self: self,
    "__eq__": C.eq,
    "__ne__": C.ne,
    "__lt__": C.lt,
    "__le__": C.le,
    "__gt__": C.gt,
    "__ge__": C.ge,
    "__and__": _bitwise(xp.bitwise_and, "__and__"),
    "__or__": _bitwise(xp.bitwise_or, "__or__"),
    "__xor__": _bitwise(xp.bitwise_xor, "__xor__"),
    "__invert__": _invert,
    "__floordiv__": DV.floor_divide,
    "__rfloordiv__": _reflected(DV.floor_divide),
    "__mod__": DV.remainder,
    "__rmod__": _reflected(DV.remainder),
    "__lshift__": BW.bitwise_left_shift,
    "__rlshift__": _reflected(BW.bitwise_left_shift),
    "__rshift__": BW.bitwise_right_shift,
    "__rrshift__": _reflected(BW.bitwise_right_shift),
}

# the methods and in-place forms declared beside their functions
for _module in (TR, GA, DS):
    _METHODS.update(_module.METHODS)
    _METHODS.update({_op: _inplace_method(_fn, _op) for _op, _fn in _module.INPLACE.items()})

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

Tensor.__hash__ = object.__hash__
Tensor.backward = _engine_backward
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)
