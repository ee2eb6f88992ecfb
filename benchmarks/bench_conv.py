"""The convolutions of the ``cnn_train`` workload, kernel by kernel: tapegrad's
array kernels (``tapegrad.ops.im2col``) against PyTorch CPU at the same
thread count.

    python benchmarks/bench_conv.py [--threads 2] [--reps 30] [--blocks 1024,4096,65536]

For each layer of PyTorch's examples/mnist network at batch 64 (1 -> 32 and
32 -> 64 channels, 3 x 3), the forward, the input gradient
(``conv_transpose``) and the weight gradient (``conv_weight``), each on
float32 arrays laid out as they arrive in training (channels-last); PyTorch's
forward is ``F.conv2d`` and its backward ``aten.convolution_backward`` (input
and weight gradients together, then the weight's alone).  ``--blocks`` also
times tapegrad with other ``BLOCK_BYTES`` (in KiB).  Prints ``min / median``
milliseconds.  The whole training step is measured by the shared harness
(``../shared/bench/run.py --workloads cnn_train``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _timed(fn, reps: int) -> str:
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return f"{times[0] * 1e3:6.2f} / {times[reps // 2] * 1e3:6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--blocks", default="", help="BLOCK_BYTES values to try, in KiB")
    a = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import numpy as np

    from tapegrad.ops import im2col as K

    try:
        import torch

        torch.set_num_threads(a.threads)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    print(f"threads={a.threads}, ms min / median of {a.reps}")
    blocks = [K.BLOCK_BYTES >> 10] + [int(b) for b in a.blocks.split(",") if b]
    for n, c, size, o in [(64, 1, 28, 32), (64, 32, 26, 64)]:
        print(f"\nconv {c} -> {o} channels, {n} x {c} x {size} x {size}")
        _layer(np, K, torch, rng, n, c, size, o, blocks, a.reps)


def _layer(np, K, torch, rng, n, c, size, o, blocks, reps) -> None:
    one, none, out = (1, 1), ((0, 0), (0, 0)), size - 2
    x = rng.standard_normal((n, size, size, c), dtype=np.float32).transpose(0, 3, 1, 2)
    w = rng.standard_normal((o, c, 3, 3), dtype=np.float32)
    g = rng.standard_normal((n, out, out, o), dtype=np.float32).transpose(0, 3, 1, 2)
    kernels = {
        "forward": lambda: K.conv(x, w, None, one, none, one, 1),
        "input grad": lambda: K.conv_transpose(g, w, None, (size, size), one, none, one, 1),
        "weight grad": lambda: K.conv_weight(x, g, (3, 3), one, none, one, 1),
    }
    for kib in blocks:
        K.BLOCK_BYTES, saved = kib << 10, K.BLOCK_BYTES
        times = "  ".join(f"{k} {_timed(f, reps)}" for k, f in kernels.items())
        print(f"  tapegrad, {kib} KiB blocks: {times}")
        K.BLOCK_BYTES = saved
    if torch is None:
        return
    xt, wt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(w)
    gt = torch.from_numpy(np.ascontiguousarray(g))
    backward = torch.ops.aten.convolution_backward
    args = (gt, xt, wt, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    kernels = {
        "forward": lambda: torch.nn.functional.conv2d(xt, wt),
        "both grads": lambda: backward(*args, [True, True, False]),
        "weight grad": lambda: backward(*args, [False, True, False]),
    }
    print("  torch: " + "  ".join(f"{k} {_timed(f, reps)}" for k, f in kernels.items()))


if __name__ == "__main__":
    main()
