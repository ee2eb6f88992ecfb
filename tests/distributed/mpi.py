"""Running a script on several MPI processes from a test.

``run_mpi(script, n)`` writes ``script`` to a file and runs it as
``mpiexec -n n python file``, with a timeout, returning the finished
process (its output captured).  The tests that use it skip, with the
reason, where there is no MPI launcher or no ``mpi4py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MPIEXEC = shutil.which("mpiexec")
REASON = (
    "no MPI launcher (mpiexec) on PATH"
    if MPIEXEC is None
    else "mpi4py is not installed"
    if importlib.util.find_spec("mpi4py") is None
    else None
)

needs_mpi = pytest.mark.skipif(
    REASON is not None, reason=f"{REASON}: pip install 'tapegrad[mpi]' runs these tests"
)

# Collectives spin while they wait: one thread per process keeps 2 ranks on 2 cores fast.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def mpiexec(n: int, *command: str, timeout: float = 60, cwd=None) -> subprocess.CompletedProcess:
    """``mpiexec -n n command...``, finished within ``timeout`` seconds."""
    return subprocess.run(
        [MPIEXEC, "-n", str(n), *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        cwd=cwd,
    )


def run_mpi(
    script: str, folder: Path, n: int = 2, args=(), timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run the Python ``script`` on ``n`` ranks."""
    path = Path(folder) / "rank_script.py"
    path.write_text(textwrap.dedent(script))
    return mpiexec(n, sys.executable, str(path), *map(str, args), timeout=timeout, cwd=folder)


def output_of(proc: subprocess.CompletedProcess) -> str:
    return f"exit status {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
