"""Shared timing harness for the benchmark scripts (run by hand, never by tests).

One workload is a set of implementations of the same computation (``numpy``:
hand-written forward/backward, ``tapegrad``, ``torch``), each a callable with
no arguments that does one full forward + backward (+ update). The harness

1. checks once that the implementations compute the same gradients (the
   workload's ``check`` callable; a mismatch stops the benchmark, so a wrong
   computation is never timed),
2. warms every implementation up,
3. picks, per implementation, how many calls make one sample (about
   ``SAMPLE_S`` seconds, at least one call),
4. runs rounds until the time budget is spent: in each round every
   implementation takes one sample, taking turns (the starting
   implementation rotates from round to round), so that the drift of a shared
   machine hits all of them alike,
5. reports the median over rounds of the paired ratios ``impl / numpy`` (the
   two samples of one round form a pair) and the median time per call.

This module imports only the standard library, so that a script can call
``parse_args`` (which fixes the thread count through the environment) before
NumPy or PyTorch is imported.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BASELINE = "numpy"
IMPLS = ("numpy", "tapegrad", "torch")
SAMPLE_S = 0.01  # aim of one timed sample (several calls for tiny workloads)
MIN_ROUNDS = 5
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


@dataclass
class Workload:
    """One computation in several implementations.

    ``impls`` maps an implementation name to a callable doing one step;
    ``missing`` maps a name to the reason it cannot run (shown in the table);
    ``check`` compares gradients once and raises ``AssertionError`` on a
    mismatch; ``target`` is the tapegrad/numpy ratio the issue asks for.
    """

    name: str
    target: float | None
    impls: dict[str, Callable[[], object]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    check: Callable[[], str] | None = None
    note: str = ""


# ----------------------------------------------------------------- arguments
def parse_args(description: str, names: list[str]) -> argparse.Namespace:
    """Parse the common flags and set the thread count in the environment.

    Must run before NumPy/PyTorch are imported: BLAS libraries read the
    ``*_NUM_THREADS`` variables when they load.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this workload (repeatable); one of {', '.join(names)}",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=15.0,
        help="time budget per workload in seconds (default 15)",
    )
    p.add_argument(
        "--threads", type=int, default=1, help="threads for NumPy's BLAS and PyTorch (default 1)"
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, profile tapegrad on each workload (cProfile, "
        "top functions by tottime)",
    )
    p.add_argument("--profile-top", type=int, default=15, help="rows of the profile (default 15)")
    args = p.parse_args()
    if args.threads < 1:
        p.error("--threads must be at least 1")
    if "numpy" in sys.modules or "torch" in sys.modules:
        raise RuntimeError("harness.parse_args must run before numpy/torch are imported")
    for var in THREAD_VARS:
        os.environ[var] = str(args.threads)
    args.selected = args.only or list(names)
    return args


def load_torch(args: argparse.Namespace):
    """PyTorch with the same thread count, or ``(None, reason)``."""
    if args.no_torch:
        return None, "skipped (--no-torch)"
    try:
        import torch
    except ImportError:
        return None, "torch not installed"
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass  # already set once in this process
    return torch, ""


# -------------------------------------------------------------------- timing
def _calls_per_sample(fn: Callable[[], object]) -> int:
    """How many calls make a sample of about ``SAMPLE_S`` seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= SAMPLE_S or n >= 1 << 20:
            return max(1, round(n * SAMPLE_S / dt)) if dt > 0 else n
        n *= 2 if dt > SAMPLE_S / 10 else 10


def _sample(fn: Callable[[], object], n: int) -> float:
    """Seconds per call, averaged over ``n`` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def time_paired(impls: dict[str, Callable[[], object]], seconds: float) -> dict:
    """Paired, interleaved timing; see the module docstring.

    Returns ``{"rounds", "calls", "times": {name: [s per call, ...]},
    "median_us": {name: us}, "ratio": {name: median of paired ratios}}``.
    """
    names = list(impls)
    warm_until = time.perf_counter() + min(2.0, 0.1 * seconds)
    for name in names:  # warm-up: at least 3 calls each
        for _ in range(3):
            impls[name]()
    while time.perf_counter() < warm_until:
        for name in names:
            impls[name]()
    calls = {name: _calls_per_sample(impls[name]) for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    start = time.perf_counter()
    rnd = 0
    while rnd < MIN_ROUNDS or time.perf_counter() - start < seconds:
        k = rnd % len(names)
        for name in names[k:] + names[:k]:  # taking turns: A B C, B C A, ...
            times[name].append(_sample(impls[name], calls[name]))
        rnd += 1
    base = times.get(BASELINE)
    ratio = {}
    if base is not None:
        for name in names:
            ratio[name] = statistics.median(t / b for t, b in zip(times[name], base))
    return {
        "rounds": rnd,
        "calls": calls,
        "times": times,
        "median_us": {n: statistics.median(times[n]) * 1e6 for n in names},
        "ratio": ratio,
    }


def run_workload(w: Workload, seconds: float) -> dict:
    """Check, then time one workload; returns a JSON-ready result row."""
    row = {"workload": w.name, "target": w.target, "note": w.note, "missing": dict(w.missing)}
    if w.check is not None:
        row["check"] = w.check()
        print(f"[{w.name}] gradients agree: {row['check']}", flush=True)
    gc.collect()
    res = time_paired(w.impls, seconds)
    row.update(
        rounds=res["rounds"],
        calls_per_sample=res["calls"],
        median_us=res["median_us"],
        ratio_to_numpy=res["ratio"],
        samples_us={n: [round(t * 1e6, 3) for t in ts] for n, ts in res["times"].items()},
    )
    return row


# ------------------------------------------------------------------ reporting
def _fmt_us(row: dict, name: str) -> str:
    if name in row.get("median_us", {}):
        us = row["median_us"][name]
        return f"{us:,.1f}" if us < 1e5 else f"{us:,.0f}"
    return "n/a"


def _fmt_ratio(row: dict, name: str) -> str:
    r = row.get("ratio_to_numpy", {}).get(name)
    return "n/a" if r is None else f"{r:.2f}x"


def format_table(rows: list[dict]) -> str:
    """The results as a Markdown table (also readable in a terminal)."""
    head = [
        "workload",
        "numpy us",
        "tapegrad us",
        "torch us",
        "tapegrad/numpy",
        "torch/numpy",
        "target",
        "rounds",
    ]
    lines = [head]
    for r in rows:
        tgt = "" if r["target"] is None else f"<= {r['target']:.2f}x"
        tr = r.get("ratio_to_numpy", {}).get("tapegrad")
        if tr is not None and r["target"] is not None:
            tgt += " ok" if tr <= r["target"] else " MISSED"
        times = [_fmt_us(r, name) for name in ("numpy", "tapegrad", "torch")]
        ratios = [_fmt_ratio(r, name) for name in ("tapegrad", "torch")]
        lines.append([r["workload"], *times, *ratios, tgt, str(r.get("rounds", ""))])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for i, line in enumerate(lines):
        cells = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(line, widths))]
        out.append("| " + " | ".join(cells) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    notes = []
    for r in rows:
        for name, why in r.get("missing", {}).items():
            notes.append(f"- {r['workload']}: {name}: {why}")
        if r.get("note"):
            notes.append(f"- {r['workload']}: {r['note']}")
    return "\n".join(out + ([""] + notes if notes else []))


def environment(args: argparse.Namespace) -> dict:
    """Where and how the figures were measured."""
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "threads": args.threads,
        "seconds_per_workload": args.seconds,
    }
    for mod in ("numpy", "torch"):
        if mod in sys.modules:
            info[mod] = sys.modules[mod].__version__
    return info


def report(rows: list[dict], args: argparse.Namespace) -> None:
    """Print the table; write JSON (with the raw samples) when asked."""
    env = environment(args)
    print()
    print(f"{env['date']}, {env['cpus']} CPUs, {args.threads} thread(s), {env['command']}")
    print(format_table(rows))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"environment": env, "results": rows}, f, indent=1)
        os.replace(tmp, args.json)
        print(f"\nwrote {args.json}")


def profile(fn: Callable[[], object], label: str, seconds: float = 3.0, top: int = 15) -> str:
    """cProfile of ``fn`` called repeatedly for about ``seconds``; the ``top``
    functions by own time (tottime)."""
    for _ in range(3):
        fn()
    n = _calls_per_sample(fn)
    calls = max(1, round(n * seconds / SAMPLE_S))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime")
    stats.print_stats(top)
    text = buf.getvalue()
    body = text[text.find("   ncalls") :] if "   ncalls" in text else text
    return f"== profile of tapegrad on {label}: {calls} calls ==\n{body.rstrip()}\n"


def main(args: argparse.Namespace, builders: dict[str, Callable[[], Workload]]) -> list[dict]:
    """Build, check and time (or profile) the selected workloads."""
    rows = []
    for name in args.selected:
        w = builders[name]()
        if args.profile:
            if "tapegrad" not in w.impls:
                print(f"[{name}] tapegrad not available: {w.missing.get('tapegrad')}")
                continue
            if w.check is not None:
                w.check()
            print(profile(w.impls["tapegrad"], name, min(args.seconds, 5.0), args.profile_top))
            continue
        print(f"[{name}] timing {', '.join(w.impls)} for ~{args.seconds:g} s ...", flush=True)
        rows.append(run_workload(w, args.seconds))
    if not args.profile:
        report(rows, args)
    return rows
