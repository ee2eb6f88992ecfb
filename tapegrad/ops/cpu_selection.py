"""Which of several equal elements PyTorch's CPU kernels return.

``kthvalue``, ``mode`` and ``nanmedian`` report an index, and where the
selected value occurs more than once (or a row is all NaN) that index is
whatever position the kernel's selection or sorting loop leaves the element
at.  No rule such as "the first" or "the last occurrence" describes it, so
this module runs the same loops, step for step, on one row of Python
values (a list) and returns the order of its positions:

* ``quickselect``: Sedgewick's quickselect with a median-of-three pivot, as
  ``kthvalue`` runs it (NaN the largest value);
* ``introsort``: libstdc++'s ``std::sort`` (introsort: median-of-three
  quicksort down to runs of 16, heapsort past a depth of ``2 log2 n``, then
  insertion sort), as ``mode`` runs it on ``(value, position)`` pairs
  compared by value alone;
* ``introselect``: libstdc++'s ``std::nth_element``, as ``nanmedian`` runs it.

The callers use these only on the rows whose answer depends on them; the
other rows are computed with vectorised NumPy.  ``less(i, j)`` below is the
kernel's comparison of the elements at positions ``i`` and ``j`` of the row.
"""

from __future__ import annotations

import math

INSERTION_SORTED = 16  # libstdc++'s _S_threshold: runs this short are insertion-sorted


def greater_or_nan(x, y) -> bool:
    """``kthvalue``'s comparison: NaN above every number, else ``x > y``."""
    return (math.isnan(x) and not math.isnan(y)) or x > y


def quickselect(values: list, k: int) -> list:
    """The positions of ``values`` in the order ``kthvalue``'s quickselect
    leaves them, so that ``order[k]`` is the k-th smallest (from 0)."""
    arr, order = list(values), list(range(len(values)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        order[i], order[j] = order[j], order[i]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if greater_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap((lo + hi) >> 1, lo + 1)  # median of three as the pivot, at lo
        if greater_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if greater_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if greater_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while greater_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while greater_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return order


class _Sequence:
    """A row under libstdc++'s algorithms: ``order[p]`` is the position (in
    the row) of the element now at ``p``; ``less`` compares row positions."""

    def __init__(self, n: int, less):
        self.order = list(range(n))
        self.less = less

    def before(self, p: int, q: int) -> bool:
        """``comp(*p, *q)``: the element at ``p`` goes before the one at ``q``."""
        return self.less(self.order[p], self.order[q])

    def swap(self, p: int, q: int) -> None:
        self.order[p], self.order[q] = self.order[q], self.order[p]

    # ------------------------------------------------------ partitioning
    def move_median_to_first(self, result: int, a: int, b: int, c: int) -> None:
        if self.before(a, b):
            if self.before(b, c):
                self.swap(result, b)
            elif self.before(a, c):
                self.swap(result, c)
            else:
                self.swap(result, a)
        elif self.before(a, c):
            self.swap(result, a)
        elif self.before(b, c):
            self.swap(result, c)
        else:
            self.swap(result, b)

    def partition_pivot(self, first: int, last: int) -> int:
        """Hoare partition of ``[first + 1, last)`` around the median of
        three moved to ``first``; returns the cut."""
        self.move_median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        lo, hi = first + 1, last
        while True:
            while self.before(lo, first):
                lo += 1
            hi -= 1
            while self.before(first, hi):
                hi -= 1
            if not lo < hi:
                return lo
            self.swap(lo, hi)
            lo += 1

    # ---------------------------------------------------------- insertion
    def linear_insert(self, last: int) -> None:
        """Move the element at ``last`` down past every element it goes before
        (unguarded: something before it stops it)."""
        order, moving = self.order, self.order[last]
        while self.less(moving, order[last - 1]):
            order[last] = order[last - 1]
            last -= 1
        order[last] = moving

    def insertion_sort(self, first: int, last: int) -> None:
        order = self.order
        for i in range(first + 1, last):
            if self.before(i, first):
                order[first : i + 1] = [order[i]] + order[first:i]
            else:
                self.linear_insert(i)

    def final_insertion_sort(self, first: int, last: int) -> None:
        if last - first > INSERTION_SORTED:
            self.insertion_sort(first, first + INSERTION_SORTED)
            for i in range(first + INSERTION_SORTED, last):
                self.linear_insert(i)
        else:
            self.insertion_sort(first, last)

    # --------------------------------------------------------------- heap
    def adjust_heap(self, first: int, hole: int, length: int, moving: int) -> None:
        """Sift the hole at ``hole`` down to a leaf, then push ``moving`` (a
        row position) up from there."""
        order, top, child = self.order, hole, hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if self.before(first + child, first + child - 1):
                child -= 1
            order[first + hole] = order[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            order[first + hole] = order[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and self.less(order[first + parent], moving):
            order[first + hole] = order[first + parent]
            hole, parent = parent, (parent - 1) // 2
        order[first + hole] = moving

    def make_heap(self, first: int, last: int) -> None:
        length = last - first
        for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
            self.adjust_heap(first, parent, length, self.order[first + parent])

    def pop_heap(self, first: int, last: int, result: int) -> None:
        moving = self.order[result]
        self.order[result] = self.order[first]
        self.adjust_heap(first, 0, last - first, moving)

    def heap_select(self, first: int, middle: int, last: int) -> None:
        self.make_heap(first, middle)
        for i in range(middle, last):
            if self.before(i, first):
                self.pop_heap(first, middle, i)

    def heap_sort(self, first: int, last: int) -> None:
        self.heap_select(first, last, last)
        while last - first > 1:
            last -= 1
            self.pop_heap(first, last, last)

    # ------------------------------------------------------- the drivers
    def introsort_loop(self, first: int, last: int, depth: int) -> None:
        while last - first > INSERTION_SORTED:
            if depth == 0:
                self.heap_sort(first, last)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            self.introsort_loop(cut, last, depth)
            last = cut

    def introselect(self, first: int, nth: int, last: int, depth: int) -> None:
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                self.swap(first, nth)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)


def _depth_limit(n: int) -> int:
    return 2 * (n.bit_length() - 1)  # 2 * floor(log2 n)


def introsort(n: int, less) -> list:
    """The order of the positions ``0..n-1`` after libstdc++'s ``std::sort``
    with the comparison ``less``."""
    seq = _Sequence(n, less)
    if n:
        seq.introsort_loop(0, n, _depth_limit(n))
        seq.final_insertion_sort(0, n)
    return seq.order


def introselect(n: int, nth: int, less) -> list:
    """The order of the positions ``0..n-1`` after libstdc++'s
    ``std::nth_element`` at ``nth`` with the comparison ``less``."""
    seq = _Sequence(n, less)
    if 0 <= nth < n:
        seq.introselect(0, nth, n, _depth_limit(n))
    return seq.order
