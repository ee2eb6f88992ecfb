"""The gradient reducer of ``DistributedDataParallel``: buckets of gradients
averaged over the ranks while the backward pass is still running.

The parameters are grouped into buckets of about ``bucket_cap_mb`` (one
dtype each; with the default cap the first bucket holds only 1 MB, so that
communication starts early), in reverse order of use: the order in which
their gradients become ready.  As in PyTorch, the first backward shows that
order: until then all gradients form one bucket (with
``find_unused_parameters``, buckets in the reverse of ``parameters()``);
after it the buckets are rebuilt once, in rank 0's order (every rank must
issue the same collectives in the same order).

During ``backward()`` each parameter's post-accumulate-grad hook copies its
gradient, times ``1 / world_size``, into its place in the bucket's flat
buffer; when a bucket is complete its non-blocking ``all_reduce`` starts
(buckets start in order), so the sum travels while the engine computes the
gradients of earlier layers.  When the last bucket has started, the reducer
waits for all of them and copies the averages back into the ``.grad``
tensors: ``grad = (1/N) sum over ranks r of grad_r``, as PyTorch's DDP.
Every write goes through ``tapegrad.tensor.change``, the door of in-place
changes.
"""

from __future__ import annotations

import tapegrad as tg
import tapegrad.distributed as dist
from tapegrad import backend as B
from tapegrad.tensor import change

__all__ = ["Reducer", "assign_buckets"]

MB = 1024 * 1024
DEFAULT_BUCKET_CAP_MB = 25  # PyTorch's default bucket_cap_mb
FIRST_BUCKET_BYTES = 1 * MB  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


def assign_buckets(params: list, order: list[int], limits: list[float]) -> list[list[int]]:
    """Indices of ``params`` in buckets: taken in ``order``, one open bucket
    per dtype, closed once it holds ``limits[k]`` bytes (``k``: the buckets
    of that dtype closed before; the last limit for the rest); buckets
    sorted by the position in ``order`` of their first parameter (PyTorch's
    ``compute_bucket_assignment_by_size``)."""
    position = {index: k for k, index in enumerate(order)}
    buckets, open_, closed = [], {}, {}
    for i in order:
        p = params[i]
        indices, size = open_.get(p.dtype, ([], 0))
        indices.append(i)
        size += p.numel() * p.element_size()
        k = closed.get(p.dtype, 0)
        if size >= limits[min(k, len(limits) - 1)]:
            buckets.append(indices)
            open_.pop(p.dtype, None)
            closed[p.dtype] = k + 1
        else:
            open_[p.dtype] = (indices, size)
    buckets += [indices for indices, _ in open_.values()]
    return sorted(buckets, key=lambda b: position[b[0]])


class Bucket:
    """The parameters ``indices`` of one all-reduce: a flat buffer with one
    view per parameter (shaped like it), how many gradients it still waits
    for, and its collective in flight."""

    def __init__(self, params: list, indices: list[int]):
        self.indices = indices
        sizes = [params[i].numel() for i in indices]
        self.flat = tg.zeros(sum(sizes), dtype=params[indices[0]].dtype)
        self.views, start = {}, 0
        for i, n in zip(indices, sizes):
            self.views[i] = self.flat[start : start + n].view(params[i].shape)
            start += n
        self.waiting = len(indices)
        self.work = None


class Reducer:
    """Averages the gradients of ``params`` over the ranks of ``group``
    during each backward pass that ``prepare_for_backward`` announced."""

    def __init__(
        self, params: list, bucket_cap_mb: float | None, find_unused_parameters: bool, group
    ):
        self.params = params
        cap = int((DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb) * MB)
        first = FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap
        self.limits = [first, cap] if first < cap else [cap]
        self.find_unused = find_unused_parameters
        self.group = group
        self.world = dist.get_world_size(group)
        self.index = {id(p): i for i, p in enumerate(params)}
        first_limits = self.limits if find_unused_parameters else [float("inf")]
        self.buckets = self._build(list(reversed(range(len(params)))), first_limits)
        self.rebuilt = False
        self.ready_order: list[int] = []
        self.expecting = self.reducing = False
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def _build(self, order: list[int], limits: list[float]) -> list[Bucket]:
        buckets = [Bucket(self.params, b) for b in assign_buckets(self.params, order, limits)]
        self.bucket_of = {i: b for b in buckets for i in b.indices}
        return buckets

    # ----------------------------------------------------------- iteration
    def rebuild_buckets(self) -> None:
        """Once, after the first backward: rebuild the buckets in the order
        rank 0's gradients became ready (its parameters unused there last)."""
        if self.rebuilt or not self.ready_order:
            return
        seen = set(self.ready_order)
        order = self.ready_order + [i for i in reversed(range(len(self.params))) if i not in seen]
        shared = tg.tensor(order, dtype=tg.int64)
        dist.broadcast(shared, src=0, group=self.group)
        self.buckets = self._build(shared.tolist(), self.limits)
        self.rebuilt = True

    def prepare_for_backward(self, outputs) -> None:
        """Announce that the next backward pass reduces: reset the buckets and,
        with ``find_unused_parameters``, find the parameters ``outputs`` do not
        depend on (their gradients count as zeros)."""
        if self.reducing:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`tapegrad.nn.parallel.DistributedDataParallel`, and by making sure all "
                "`forward` function outputs participate in calculating loss."
            )
        for b in self.buckets:
            b.waiting, b.work = len(b.indices), None
        self.next_bucket = 0
        self.marked = [False] * len(self.params)
        self.unused = self._unused(outputs) if self.find_unused else []
        self.expecting = True

    def _unused(self, outputs) -> list[int]:
        """Indices of the parameters no tensor in ``outputs`` was computed from."""
        used = {id(p) for p in _leaves_behind(outputs)}
        return [i for i, p in enumerate(self.params) if id(p) not in used]

    def _grad_ready(self, param) -> None:
        """The post-accumulate-grad hook: ``param.grad`` is complete."""
        if not self.expecting:
            return  # (no_sync, or a backward the forward did not announce)
        if not self.reducing:
            self.reducing = True
            self._start_iteration()
        self._mark_ready(self.index[id(param)])

    def _start_iteration(self) -> None:
        """At the first gradient of a backward: the unused parameters are
        ready at once (zeros), and which parameters some rank used is summed."""
        self.used = None
        if self.find_unused:
            used = tg.ones(len(self.params), dtype=tg.int32)
            used[self.unused] = 0
            self.used = (used, dist.all_reduce(used, group=self.group, async_op=True))
            for i in self.unused:
                self._mark_ready(i)

    def _mark_ready(self, i: int) -> None:
        if self.marked[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once: parameter {i} got a second "
                "gradient in the same iteration (a second backward through DDP's output "
                "before the next forward; use no_sync() or one backward per forward)"
            )
        self.marked[i] = True
        if not self.rebuilt:
            self.ready_order.append(i)
        bucket = self.bucket_of[i]
        grad = self.params[i].grad
        # (no gradient on this rank: zeros, as PyTorch)
        part = 0.0 if grad is None else grad.detach().numpy()
        change((bucket.views[i],), "DistributedDataParallel", _scaled_copy, ((part, self.world),))
        bucket.waiting -= 1
        self._start_ready_buckets()

    def _start_ready_buckets(self) -> None:
        """Start the all-reduce of each complete bucket, in bucket order; when
        the last has started, finish the iteration."""
        buckets = self.buckets
        while self.next_bucket < len(buckets) and buckets[self.next_bucket].waiting == 0:
            b = buckets[self.next_bucket]
            b.work = dist.all_reduce(b.flat, group=self.group, async_op=True)
            self.next_bucket += 1
        for b in buckets[: self.next_bucket]:
            b.work.is_completed()  # (lets MPI move the messages along)
        if self.next_bucket == len(buckets):
            self._finish()

    def _finish(self) -> None:
        """Wait for every bucket and write the averages into the ``.grad``
        tensors (a parameter that no rank used keeps its ``.grad``)."""
        unused_everywhere = set()
        if self.used is not None:
            used, work = self.used
            work.wait()
            unused_everywhere = {i for i, n in enumerate(used.tolist()) if n == 0}
        for b in self.buckets:
            b.work.wait()
            for i in b.indices:
                if i not in unused_everywhere:
                    _set_grad(self.params[i], b.views[i])
        self.expecting = self.reducing = False


def _scaled_copy(arr, part) -> None:
    """``arr <- grad / world_size``: the gradient divided while it is copied
    into the bucket (as PyTorch), so that the sum over ranks is the average."""
    grad, world = part
    B.host.multiply(grad, arr.dtype.type(1.0 / world), out=arr)


def _set_grad(param, value) -> None:
    """``param.grad <- value`` in place (a copy when it has none)."""
    if param.grad is None:
        param.grad = value.clone()
    else:
        change((param.grad,), "DistributedDataParallel", _put, (value.numpy(),))


def _put(arr, value) -> None:
    arr[...] = value


def _leaves_behind(outputs):
    """The leaf tensors the tensors in ``outputs`` (nested in tuples, lists,
    dicts) were computed from, through their ``grad_fn.next_functions``."""
    stack = [node for t in _tensors_in(outputs) if (node := t.grad_fn) is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            leaf = getattr(nxt, "variable", None)
            if leaf is not None:
                yield leaf
            else:
                stack.append(nxt)


def _tensors_in(obj):
    """The tensors in a (nested) output: a tensor, tuples, lists, dict values."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, tg.Tensor):
            yield x
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
