"""Collectives on tensors with PyTorch's names: ``all_reduce``, ``broadcast``,
``all_gather`` (and ``all_gather_into_tensor``), ``reduce_scatter`` (and
``reduce_scatter_tensor``), ``barrier``.

Each runs as MPI's non-blocking buffer operation (``Iallreduce``,
``Ibcast``, ``Iallgather``, ``Ireduce_scatter_block``, ``Ibarrier``) on the
tensors' own memory, never on pickled objects: a result is written in place,
through the one door of in-place changes (``tapegrad.tensor.change``, which
bumps the tensor's version counter when the collective starts).  With
``async_op=True`` the call returns a :class:`Work` at once, whose ``wait()``
finishes it (the data is in the tensor only then); otherwise the call waits
itself.  Every rank of the group must call the same collectives in the same
order with tensors of the same shape and dtype, as in PyTorch.

``ReduceOp.AVG`` is the sum divided by the world size (MPI has no average).
"""

from __future__ import annotations

import enum
import time

from tapegrad import backend as B
from tapegrad.distributed.process_group import ProcessGroup, default_group, mpi
from tapegrad.tensor import Tensor, change

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "reduce_scatter",
    "reduce_scatter_tensor",
]

np = B.host


class RedOpType(enum.Enum):
    """The reductions, numbered as PyTorch numbers them."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


class ReduceOp:
    """``dist.ReduceOp.SUM`` and the rest: how ``all_reduce`` and
    ``reduce_scatter`` combine the ranks' values elementwise."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


def _mpi_op(op, what: str):
    """The MPI operation of ``op`` (AVG is MPI's SUM, divided afterwards)."""
    if not isinstance(op, RedOpType):
        names = ", ".join(m.name for m in RedOpType)
        raise TypeError(f"{what}: op must be a dist.ReduceOp ({names}), got {op!r}")
    MPI = mpi()
    return {
        RedOpType.SUM: MPI.SUM,
        RedOpType.AVG: MPI.SUM,
        RedOpType.PRODUCT: MPI.PROD,
        RedOpType.MIN: MPI.MIN,
        RedOpType.MAX: MPI.MAX,
        RedOpType.BAND: MPI.BAND,
        RedOpType.BOR: MPI.BOR,
        RedOpType.BXOR: MPI.BXOR,
    }[op]


class Work:
    """A collective in flight (PyTorch's ``Work``): ``wait()`` blocks until
    this rank's part is done and the result is in the tensors;
    ``is_completed()`` asks without blocking (and lets MPI progress)."""

    def __init__(self, name: str, request, pg: ProcessGroup, finish=None):
        self.name, self.request, self.pg, self.finish = name, request, pg, finish
        self.done = False

    def is_completed(self) -> bool:
        if not self.done and self.request.Test():
            self._complete()
        return self.done

    def wait(self, timeout=None) -> bool:
        """Wait until the collective is done here, at most ``timeout`` (a
        ``timedelta``; default the group's), then raise a RuntimeError: a
        rank that never joins it has stopped."""
        limit = (timeout or self.pg.timeout).total_seconds()
        deadline = time.monotonic() + limit
        while not self.done:
            if self.request.Test():
                self._complete()
            elif time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name}: rank {self.pg.rank} of {self.pg.size} waited {limit:g} s for "
                    "the other ranks to join the collective; one of them has stopped or is "
                    "calling different collectives"
                )
        return True

    def _complete(self) -> None:
        self.done = True
        if self.finish is not None:
            self.finish()


def _started(work: Work, async_op: bool):
    """``work`` for ``async_op``; else wait for it and return ``None``."""
    if async_op:
        return work
    work.wait()
    return None


# ------------------------------------------------------------------ checks
_UNSUPPORTED = ("bool", "float16", "bfloat16")


def _check_tensor(t, what: str, param: str = "tensor") -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{param}` of type Tensor "
            f"but got {type(t)} instead."
        )
    if str(t.dtype) in _UNSUPPORTED:
        raise TypeError(f"{what}: MPI collectives do not take {t.dtype} tensors")


def _check_like(t: Tensor, like: Tensor, what: str, index: int) -> None:
    """``t`` (an entry of a list) has ``like``'s shape and dtype."""
    _check_tensor(t, what, "tensor_list")
    if t.dtype != like.dtype:
        raise ValueError(
            f"Invalid usage of tensors with different dtypes: found {t.dtype} and {like.dtype}"
        )
    if t.shape != like.shape:
        raise RuntimeError(
            f"{what}: invalid tensor size at index {index} (expected {tuple(like.shape)}, "
            f"got {tuple(t.shape)})"
        )


def _check_list(tensors, n: int, what: str) -> list:
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if tensors is None or len(tensors) != n:
        got = "not a list" if tensors is None else f"got {len(tensors)}"
        raise RuntimeError(
            f"{what}: invalid tensor list (expected a list of {n} tensors, one per rank, {got})"
        )
    return tensors


def _check_avg(op, t: Tensor, what: str) -> None:
    if op is RedOpType.AVG and t.dtype.kind not in "fc":
        raise RuntimeError(
            f"{what}: ReduceOp.AVG needs a floating-point tensor: result type Float can't be "
            f"cast to the desired output type {t.dtype}"
        )


def _contiguous(arr):
    """``arr`` itself when MPI can use its memory as a buffer, else a C-ordered copy."""
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def _read(t: Tensor):
    """The memory of ``t`` for MPI to read from."""
    return _contiguous(t.detach().numpy())


def _write_in_place(t: Tensor, what: str, start, after=None):
    """Start ``start(buffer) -> request`` on ``t``'s memory through the in-place
    door: the buffer is ``t``'s array, or a contiguous copy that is written
    back when the collective finishes; ``after(buffer)`` runs then too.
    Returns ``(request, finish)``."""
    held = {}

    def write(arr, _):
        held["arr"], held["buf"] = arr, _contiguous(arr)
        held["request"] = start(held["buf"])

    change((t,), what, write, (None,))

    def finish():
        if after is not None:
            after(held["buf"])
        if held["buf"] is not held["arr"]:
            held["arr"][...] = held["buf"]

    return held["request"], finish


def _divide_by(size: int):
    """``buf /= size``: the average from the sum (in the buffer's dtype)."""

    def divide(buf):
        np.divide(buf, buf.dtype.type(size), out=buf)

    return divide


# -------------------------------------------------------------- collectives
def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``tensor <- op over ranks r of tensor_r``, elementwise, on every rank
    (in place; shapes and dtypes equal on all ranks)."""
    _check_tensor(tensor, "all_reduce")
    mpi_op = _mpi_op(op, "all_reduce")
    _check_avg(op, tensor, "all_reduce")
    pg = default_group(group)
    MPI = mpi()
    after = _divide_by(pg.size) if op is RedOpType.AVG else None
    request, finish = _write_in_place(
        tensor, "all_reduce", lambda buf: pg.comm.Iallreduce(MPI.IN_PLACE, buf, mpi_op), after
    )
    return _started(Work("all_reduce", request, pg, finish), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False):
    """``tensor <- tensor_src`` on every rank (in place)."""
    _check_tensor(tensor, "broadcast")
    pg = default_group(group)
    if src is None:
        raise ValueError("broadcast: src must be given (the rank whose tensor is sent)")
    if not 0 <= src < pg.size:
        raise RuntimeError(f"broadcast: invalid root rank: {src} (the group has {pg.size})")
    request, finish = _write_in_place(
        tensor, "broadcast", lambda buf: pg.comm.Ibcast(buf, root=src)
    )
    return _started(Work("broadcast", request, pg, finish), async_op)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[r] <- tensor_r`` for every rank ``r``, on every rank:
    ``tensor_list`` holds world-size tensors of ``tensor``'s shape and dtype."""
    _check_tensor(tensor, "all_gather")
    pg = default_group(group)
    outputs = _check_list(tensor_list, pg.size, "all_gather")
    for i, t in enumerate(outputs):
        _check_like(t, tensor, "all_gather", i)
    received = np.empty((pg.size, *tensor.shape), dtype=tensor.dtype)
    request = pg.comm.Iallgather(_read(tensor), received)

    def finish():
        change(outputs, "all_gather", _put, list(received))

    return _started(Work("all_gather", request, pg, finish), async_op)


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group=None, async_op: bool = False
):
    """The ranks' ``input_tensor`` one after the other in ``output_tensor``
    (world size times as many elements: shape ``(size * n, ...)`` or
    ``(size, n, ...)``)."""
    _check_tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    _check_tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    pg = default_group(group)
    _check_sizes(output_tensor, input_tensor, pg.size, "all_gather_into_tensor")
    sent = _read(input_tensor)
    request, finish = _write_in_place(
        output_tensor,
        "all_gather_into_tensor",
        lambda buf: pg.comm.Iallgather(sent, buf.reshape(pg.size, -1)),
    )
    return _started(Work("all_gather_into_tensor", request, pg, finish), async_op)


def reduce_scatter(output: Tensor, input_list: list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output <- op over ranks r of input_list_r[rank]``: each rank gets
    the reduction of its own entry of the lists."""
    _check_tensor(output, "reduce_scatter", "output")
    mpi_op = _mpi_op(op, "reduce_scatter")
    _check_avg(op, output, "reduce_scatter")
    pg = default_group(group)
    inputs = _check_list(input_list, pg.size, "reduce_scatter")
    for i, t in enumerate(inputs):
        _check_like(t, output, "reduce_scatter", i)
    sent = np.stack([t.detach().numpy() for t in inputs])
    return _reduce_scatter_block(output, sent, mpi_op, op, pg, "reduce_scatter", async_op)


def reduce_scatter_tensor(
    output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None, async_op=False
):
    """``output <- op over ranks r of block[rank] of input_r``, where
    ``input`` holds world-size blocks of ``output``'s size one after the other."""
    _check_tensor(output, "reduce_scatter_tensor", "output")
    _check_tensor(input, "reduce_scatter_tensor", "input")
    mpi_op = _mpi_op(op, "reduce_scatter_tensor")
    _check_avg(op, output, "reduce_scatter_tensor")
    pg = default_group(group)
    _check_sizes(input, output, pg.size, "reduce_scatter_tensor")
    return _reduce_scatter_block(
        output, _read(input), mpi_op, op, pg, "reduce_scatter_tensor", async_op
    )


def _reduce_scatter_block(output, sent, mpi_op, op, pg, what: str, async_op: bool):
    after = _divide_by(pg.size) if op is RedOpType.AVG else None
    request, finish = _write_in_place(
        output, what, lambda buf: pg.comm.Ireduce_scatter_block(sent, buf, mpi_op), after
    )
    return _started(Work(what, request, pg, finish), async_op)


def _check_sizes(whole: Tensor, part: Tensor, size: int, what: str) -> None:
    """``whole`` holds ``size`` blocks of ``part``'s size and dtype."""
    if whole.dtype != part.dtype:
        raise ValueError(
            f"Invalid usage of tensors with different dtypes: found {whole.dtype} and {part.dtype}"
        )
    if whole.numel() != size * part.numel():
        raise RuntimeError(
            f"{what}: a tensor of shape {tuple(whole.shape)} cannot hold {size} blocks of "
            f"shape {tuple(part.shape)} (one per rank)"
        )


def barrier(group=None, async_op: bool = False):
    """Wait until every rank of the group has called ``barrier``."""
    pg = default_group(group)
    return _started(Work("barrier", pg.comm.Ibarrier(), pg), async_op)


def _put(arr, value) -> None:
    arr[...] = value
