"""Batches of sequences of different lengths (``torch.nn.utils.rnn``, also
importable as ``tapegrad.nn.utils.rnn``): padding and packing.

A ``PackedSequence`` holds the steps of sequences sorted by decreasing
length, time-major: ``data (N, *)`` has, for each step t, one row for each of
the first ``batch_sizes[t]`` sequences.  ``sorted_indices`` gives the order
of the original batch that was packed (``None``: already sorted),
``unsorted_indices`` its inverse.  Packing and padding are one index node
each way, so gradients flow through them.
"""

from __future__ import annotations

from collections import namedtuple

import tapegrad as tg
from tapegrad import backend as B
from tapegrad.tensor import Tensor

xp = B.xp

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence(
    namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])
):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``, as PyTorch's."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    def double(self) -> PackedSequence:
        return self._replace(data=self.data.double())

    def float(self) -> PackedSequence:
        return self._replace(data=self.data.float())

    def cpu(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return False


def invert_permutation(permutation):
    """The permutation ``q`` with ``q[permutation[i]] = i`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    p = xp.asarray(permutation.numpy() if isinstance(permutation, Tensor) else permutation)
    out = xp.empty_like(p)
    out[p] = xp.arange(p.size, dtype=p.dtype)
    return tg.tensor(out)


def _lengths(lengths):
    arr = lengths.numpy() if isinstance(lengths, Tensor) else xp.asarray(lengths)
    return arr.astype(xp.int64).reshape(-1)


def _rows(batch_sizes):
    """The (time, batch) position of every row of packed data."""
    t = xp.concatenate([xp.full(n, i) for i, n in enumerate(batch_sizes)])
    b = xp.concatenate([xp.arange(n) for n in batch_sizes])
    return t, b


def pack_padded_sequence(
    input, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack ``input`` (T, B, *) (``(B, T, *)`` with ``batch_first``) whose
    sequence ``b`` has ``lengths[b]`` steps."""
    x = input if isinstance(input, Tensor) else tg.as_tensor(input)
    lens = _lengths(lengths)
    batch = x.shape[0 if batch_first else 1]
    if lens.size != batch:
        raise ValueError(
            f"pack_padded_sequence: {lens.size} lengths for a batch of {batch} sequences "
            f"(input of shape {tuple(x.shape)}, batch_first={batch_first})"
        )
    if enforce_sorted:
        if (lens[1:] > lens[:-1]).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order = None
    else:
        order = xp.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.size and lens.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    steps = x.shape[1 if batch_first else 0]
    if lens.size and lens.max() > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(lens.max())} exceeds the {steps} steps "
            f"of the input of shape {tuple(x.shape)}"
        )
    batch_sizes = [int((lens > t).sum()) for t in range(int(lens.max()) if lens.size else 0)]
    t, b = _rows(batch_sizes)
    if order is not None:
        b = order[b]
    data = x[b, t] if batch_first else x[t, b]
    sorted_indices = None if order is None else tg.tensor(order)
    return PackedSequence(data, tg.tensor(xp.asarray(batch_sizes, dtype=xp.int64)), sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
):
    """The inverse of ``pack_padded_sequence``: ``(padded, lengths)``, padded
    (T, B, *) (``(B, T, *)`` with ``batch_first``), ``lengths`` an int64 tensor."""
    data, sizes, sorted_indices, unsorted_indices = sequence
    batch_sizes = [int(n) for n in sizes.tolist()]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = batch_sizes[0] if batch_sizes else 0
    t, b = _rows(batch_sizes)
    lens = xp.asarray([sum(1 for n in batch_sizes if n > i) for i in range(batch)], xp.int64)
    if unsorted_indices is not None:  # row i of the sorted batch is sequence sorted_indices[i]
        b = sorted_indices.numpy()[b]
        lens = lens[unsorted_indices.numpy()]
    shape = (batch, steps) if batch_first else (steps, batch)
    base = tg.full(shape + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = base.index_put((b, t) if batch_first else (t, b), data)
    return padded, tg.tensor(lens)


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors of shapes (L_i, *) into (L_max, B, *) (``(B, L_max, *)``
    with ``batch_first``), filled with ``padding_value`` after each sequence
    (``padding_side='left'``: before it)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    seqs = [s if isinstance(s, Tensor) else tg.as_tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: expects a non-empty list of tensors")
    trailing = tuple(seqs[0].shape[1:])
    for s in seqs:
        if tuple(s.shape[1:]) != trailing:
            shapes = ", ".join(str(tuple(q.shape)) for q in seqs)
            raise RuntimeError(
                f"pad_sequence: sequences of shapes {shapes} differ beyond their first dimension"
            )
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        gap = longest - s.shape[0]
        if gap:
            fill = tg.full((gap,) + trailing, padding_value, dtype=s.dtype)
            s = tg.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return tg.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The sequences of a padded batch, each cut to its length."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, : int(n)] for i, n in enumerate(_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences in a ``PackedSequence``, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
