"""Data-parallel scaling on this machine, and an alpha-beta model of ring all-reduce beyond it.

    python benchmarks/distributed_scaling.py [--ranks 1,2] [--seconds S] [--json FILE] [--md FILE]

The script launches itself under ``mpiexec -n N`` for each ``N`` of
``--ranks`` (one BLAS thread per rank) and measures, per ``N``:

- ``mlp_train`` (784-512-256-10, ReLU, batch 128 per rank) and ``cnn_step``
  (PyTorch's examples/mnist network: conv 1-32-64 3x3, max pool 2,
  fc 9216-128-10, batch 64 per rank of 1x28x28 images), both float32, SGD
  with momentum 0.9, the model wrapped in ``DistributedDataParallel``: the
  time of a training step (the slowest rank's) and samples per second over
  all ranks; also the step without the wrapper, every rank computing alone
  (no communication: what sharing the machine's cores costs);
- with two or more ranks: the time of ``dist.all_reduce`` (SUM, float32) for
  messages of 4 KB to 64 MB, beside ``mpi4py``'s own ``Allreduce`` on the
  same buffer, and the bandwidth ``size / time``.

Then it fits ``t(M) = 2 (N-1) alpha + 2 (N-1)/N M / beta`` (ring all-reduce)
to the measured all-reduce times (this machine's alpha and beta) and
predicts, with the measured compute time per step, the weak-scaling
efficiency (batch per rank fixed) of both models on 8, 64 and 512 ranks over
10 and 100 Gbit/s links (``docs/scaling.md`` explains the model).  The
figures are printed as tables; ``--json`` and ``--md`` also write them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

MB = 1 << 20
MESSAGE_BYTES = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 * MB, 4 * MB, 16 * MB, 64 * MB]
WORKLOADS = {"mlp_train": 128, "cnn_step": 64}  # name: batch per rank
# Links of the prediction: bandwidth in bytes/s and a per-message latency
# (a switched Ethernet hop with MPI over TCP; RDMA on a 100 Gbit/s fabric).
LINKS = {"10 Gbit/s": (10e9 / 8, 30e-6), "100 Gbit/s": (100e9 / 8, 5e-6)}
PREDICTED_RANKS = (8, 64, 512)
SAMPLE_SECONDS = 0.5  # each timing sample runs steps for about this long


# ------------------------------------------------------------------ worker
def _mlp(nn):
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _step_closure(name: str, batch: int, wrap: bool):
    """One training step of workload ``name`` on this rank's batch."""
    import numpy as np

    import tapegrad as tg
    import tapegrad.nn as nn

    tg.manual_seed(0)
    model = (_mlp if name == "mlp_train" else _cnn)(nn)
    if wrap:
        model = nn.parallel.DistributedDataParallel(model)
    rng = np.random.default_rng(1)
    shape = (batch, 784) if name == "mlp_train" else (batch, 1, 28, 28)
    x = tg.tensor(rng.standard_normal(shape).astype(np.float32))
    y = tg.tensor(rng.integers(0, 10, batch))
    opt = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    params = sum(p.numel() for p in model.parameters())

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step, params


def _timed(fn, seconds: float, comm) -> float:
    """The slowest rank's seconds per call of ``fn``, in the fastest of the
    samples (each about ``SAMPLE_SECONDS`` of calls): on a machine shared
    with other jobs, the one they disturbed least."""
    from mpi4py import MPI

    fn()  # warm-up (buckets rebuilt, memory allocated)
    comm.Barrier()
    start = time.perf_counter()
    fn()
    once = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
    n = max(1, int(SAMPLE_SECONDS / max(once, 1e-9)))
    samples = []
    deadline = time.perf_counter() + seconds
    done = False
    while not done:  # (rank 0 decides, so that every rank times as many samples)
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(n):
            fn()
        mine = (time.perf_counter() - start) / n
        samples.append(comm.allreduce(mine, op=MPI.MAX))
        done = comm.bcast(time.perf_counter() > deadline or len(samples) >= 50, root=0)
    return min(samples)


def _allreduce_times(seconds: float, comm) -> list[dict]:
    """tapegrad's ``all_reduce`` and mpi4py's ``Allreduce`` per message size."""
    import numpy as np
    from mpi4py import MPI

    import tapegrad as tg
    import tapegrad.distributed as dist

    rows = []
    for size in MESSAGE_BYTES:
        t = tg.zeros(size // 4)  # (zeros: repeated sums stay finite)
        buf = np.zeros(size // 4, dtype=np.float32)
        budget = seconds / len(MESSAGE_BYTES)
        ours = _timed(lambda t=t: dist.all_reduce(t), budget, comm)
        raw = _timed(lambda b=buf: comm.Allreduce(MPI.IN_PLACE, b, op=MPI.SUM), budget, comm)
        rows.append({"bytes": size, "seconds": ours, "mpi4py_seconds": raw})
    return rows


def worker(seconds: float) -> None:
    """Measure everything on the ranks of this MPI job; rank 0 prints JSON."""
    import tapegrad.distributed as dist

    dist.init_process_group(backend="mpi")
    comm = dist.group.WORLD.comm
    world = dist.get_world_size()
    result = {"ranks": world, "workloads": {}, "allreduce": []}
    for name, batch in WORKLOADS.items():
        step, params = _step_closure(name, batch, wrap=True)
        t = _timed(step, seconds, comm)
        entry = {"batch_per_rank": batch, "params": params, "step_seconds": t}
        entry["samples_per_second"] = world * batch / t
        plain, _ = _step_closure(name, batch, wrap=False)  # each rank alone: no communication
        entry["unwrapped_step_seconds"] = _timed(plain, seconds, comm)
        result["workloads"][name] = entry
    if world > 1:
        result["allreduce"] = _allreduce_times(seconds, comm)
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


# ------------------------------------------------------------------ driver
def measure(ranks: int, seconds: float) -> dict:
    """Run this script's worker on ``ranks`` MPI processes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env["MKL_NUM_THREADS"] = "1"
    command = [shutil.which("mpiexec") or "mpiexec", "-n", str(ranks), sys.executable]
    command += [os.path.abspath(__file__), "--worker", "--seconds", str(seconds)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"mpiexec -n {ranks} failed:\n{proc.stdout}\n{proc.stderr}")


def fit_ring(rows: list[dict], ranks: int) -> tuple[float, float]:
    """``(alpha, beta)`` of ``t = 2 (N-1) alpha + 2 (N-1)/N M / beta`` from the
    measured all-reduce times: ``beta`` from the slope between the two
    largest messages (bandwidth-bound), ``alpha`` from the smallest message
    (latency-bound) less its bandwidth term."""
    small, big1, big2 = rows[0], rows[-2], rows[-1]
    slope = (big2["seconds"] - big1["seconds"]) / (big2["bytes"] - big1["bytes"])
    beta = 2 * (ranks - 1) / ranks / slope
    bandwidth_term = 2 * (ranks - 1) / ranks * small["bytes"] / beta
    alpha = max(small["seconds"] - bandwidth_term, 0.0) / (2 * (ranks - 1))
    return alpha, beta


def ring_seconds(message: float, ranks: int, alpha: float, beta: float, buckets: int) -> float:
    """The alpha-beta time of ring all-reduces of ``message`` bytes in ``buckets`` buckets."""
    return buckets * 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * message / beta


def predict(one_rank: dict) -> list[dict]:
    """Weak-scaling efficiency ``T_compute / (T_compute + T_exposed)`` of each
    workload on ``PREDICTED_RANKS`` ranks and each link, without overlap (all
    communication after the backward pass) and with the backward pass (two
    thirds of a step) hiding communication."""
    rows = []
    for name, w in one_rank["workloads"].items():
        compute = w["unwrapped_step_seconds"]
        message = 4 * w["params"]  # float32 gradients
        buckets = 1 + max(0, -(-(message - MB) // (25 * MB)))  # DDP's: 1 MB first, then 25 MB
        for link, (beta, alpha) in LINKS.items():
            for n in PREDICTED_RANKS:
                comm = ring_seconds(message, n, alpha, beta, buckets)
                hidden = max(0.0, comm - 2 / 3 * compute)
                rows.append(
                    {
                        "workload": name,
                        "link": link,
                        "ranks": n,
                        "compute_ms": 1e3 * compute,
                        "allreduce_ms": 1e3 * comm,
                        "efficiency_no_overlap": compute / (compute + comm),
                        "efficiency_overlap": compute / (compute + hidden),
                    }
                )
    return rows


def tables(results: list[dict], fitted, predictions: list[dict]) -> str:
    """The figures as markdown tables."""
    lines = [
        "| workload | ranks | batch/rank | step (ms) | samples/s | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    base = {n: w["samples_per_second"] for n, w in results[0]["workloads"].items()}
    for r in results:
        for name, w in r["workloads"].items():
            lines.append(
                f"| {name} | {r['ranks']} | {w['batch_per_rank']} | {1e3 * w['step_seconds']:.1f} "
                f"| {w['samples_per_second']:.0f} | {w['samples_per_second'] / base[name]:.2f}x |"
            )
    lines += ["", "| workload | ranks | step alone, no DDP (ms) | step with DDP (ms) | gradients |"]
    lines.append("|---|---|---|---|---|")
    for r in results:
        for name, w in r["workloads"].items():
            size = f"{w['params']:,} ({4 * w['params'] / MB:.1f} MB)"
            lines.append(
                f"| {name} | {r['ranks']} | {1e3 * w['unwrapped_step_seconds']:.1f} "
                f"| {1e3 * w['step_seconds']:.1f} | {size} |"
            )
    for r in results:
        if r["allreduce"]:
            lines += [
                "",
                f"all-reduce on {r['ranks']} ranks (float32 SUM):",
                "",
                "| message | tapegrad all_reduce (us) | mpi4py Allreduce (us) | bandwidth (GB/s) |",
                "|---|---|---|---|",
            ]
            for row in r["allreduce"]:
                size = row["bytes"]
                label = f"{size >> 20} MB" if size >= MB else f"{size >> 10} KB"
                lines.append(
                    f"| {label} | {1e6 * row['seconds']:.0f} | {1e6 * row['mpi4py_seconds']:.0f} "
                    f"| {size / row['seconds'] / 1e9:.2f} |"
                )
    if fitted is not None:
        alpha, beta = fitted
        lines += [
            "",
            f"ring fit on this machine: alpha = {1e6 * alpha:.1f} us, beta = {beta / 1e9:.2f} GB/s",
        ]
    lines += [
        "",
        "| workload | link | ranks | compute (ms) | all-reduce (ms) "
        "| efficiency, no overlap | with overlap |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in predictions:
        lines.append(
            f"| {p['workload']} | {p['link']} | {p['ranks']} | {p['compute_ms']:.1f} "
            f"| {p['allreduce_ms']:.2f} | {100 * p['efficiency_no_overlap']:.0f}% "
            f"| {100 * p['efficiency_overlap']:.0f}% |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    parser.add_argument("--seconds", type=float, default=5.0, help="timing budget per figure")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--md", metavar="FILE", help="also write the tables as markdown")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seconds)
        return
    counts = sorted({int(n) for n in args.ranks.split(",")})
    if counts[0] != 1:
        parser.error("--ranks must include 1 (the baseline of the speed-ups and the model)")
    results = [measure(n, args.seconds) for n in counts]
    multi = [r for r in results if r["allreduce"]]
    fitted = fit_ring(multi[0]["allreduce"], multi[0]["ranks"]) if multi else None
    predictions = predict(results[0])
    text = tables(results, fitted, predictions)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"measured": results, "ring_fit": fitted, "predicted": predictions}, f, indent=2
            )
    if args.md:
        with open(args.md, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
