"""Run folders and atomic file writes.

Every file of a run is written to a temporary file in the same folder and then
moved into place with ``os.replace``, so a crash or Ctrl-C never leaves half
a file where a finished one is expected.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "default_run_dir", "make_run_dir", "write_json", "write_text"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary name keeps ``path``'s suffix (matplotlib and NumPy pick the
    format from it).  On an exception the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


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
