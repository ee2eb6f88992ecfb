"""Run folders and atomic file writes.

Every file of a run is written to a temporary file in the same folder and then
moved into place with ``os.replace``, so a crash or Ctrl-C never leaves half
a file where a finished one is expected.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from tapegrad._io import atomic_path, write_text

__all__ = ["atomic_path", "default_run_dir", "make_run_dir", "write_json", "write_text"]


def write_json(path: str | os.PathLike, obj) -> Path:
    """Write ``obj`` as indented JSON, keys in the order given, atomically."""
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def default_run_dir(dataset: str, now: datetime.datetime | None = None) -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<dataset>`` under the current folder."""
    now = now or datetime.datetime.now()
    return Path("runs") / f"{now:%Y%m%d-%H%M%S}-{dataset}"


def make_run_dir(path: str | os.PathLike | None, dataset: str) -> Path:
    """Create the run folder and return it.

    ``path=None``: a new :func:`default_run_dir`, with ``-2``, ``-3``, ...
    appended when two runs start in the same second.  An explicit ``path``
    may exist already (its run files are then replaced) but must be a folder.
    """
    if path is None:
        base = default_run_dir(dataset)
        candidate, n = base, 1
        while True:
            try:
                candidate.mkdir(parents=True)
                return candidate
            except FileExistsError:
                n += 1
                candidate = base.with_name(f"{base.name}-{n}")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"--out {path}: exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path
