"""Layouts and memory formats, as far as code written for PyTorch names them.

tapegrad's tensors are dense NumPy arrays: ``tg.strided`` is the one layout
(``tg.sparse_coo`` and the other sparse layouts exist so that asking for one
fails with a clear error).  Their memory is row-major; PyTorch's
``channels_last`` formats order the same values differently in memory, so a
factory accepts them for tensors of the right rank (PyTorch's check) and
gives the same values in tapegrad's order.
"""

from __future__ import annotations


class layout:
    """``torch.layout``: how a tensor's elements are stored."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"tapegrad.{self.name}"


class memory_format:
    """``torch.memory_format``: the order of a dense tensor's elements in memory."""

    __slots__ = ("name", "rank")

    def __init__(self, name: str, rank: int | None = None):
        self.name = name
        self.rank = rank  # the rank a channels-last format needs

    def __repr__(self) -> str:
        return f"tapegrad.{self.name}"


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")

contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last", rank=4)
channels_last_3d = memory_format("channels_last_3d", rank=5)


def check_layout(given, op: str) -> None:
    """Accept ``None`` and ``strided``; refuse any other layout by name."""
    if given is None or given is strided:
        return
    if not isinstance(given, layout):
        raise TypeError(
            f"{op}(): argument 'layout' must be tapegrad.layout, not {type(given).__name__}"
        )
    raise RuntimeError(
        f"{op}(): tapegrad has dense (strided) tensors only; layout {given} is not supported"
    )


def check_memory_format(given, ndim: int, op: str, like: bool = False) -> None:
    """Accept a memory format that fits a tensor of ``ndim`` dimensions
    (PyTorch's rank check for the channels-last formats); ``preserve_format``
    only for a tensor made ``like`` another."""
    if given is None:
        return
    if not isinstance(given, memory_format):
        raise TypeError(
            f"{op}(): argument 'memory_format' must be tapegrad.memory_format, not "
            f"{type(given).__name__}"
        )
    if given is preserve_format and not like:
        raise RuntimeError("unsupported memory format Preserve")
    if given.rank is not None and ndim != given.rank:
        raise RuntimeError(f"required rank {given.rank} tensor to use {given.name} format")


def check_pin_memory(pin_memory: bool, op: str) -> None:
    """Refuse ``pin_memory=True``: pinned memory is for copies to an
    accelerator, which tapegrad does not have (PyTorch's error on such a
    machine)."""
    if pin_memory:
        raise RuntimeError(
            f"{op}(): pin_memory=True requires a CUDA or other accelerator backend; no pinned "
            "memory allocator is available (tapegrad computes on the CPU)"
        )
