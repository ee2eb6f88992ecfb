"""Running Graphviz (``dot``, ``neato -n2``) on DOT text, and writing files.

Graphviz is a separate program (Debian package ``graphviz``).  When it is
missing, ``GraphvizNotFoundError`` says how to install it; callers write the
DOT file first, so the text is never lost.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tapegrad._io import write_bytes

FORMATS = ("dot", "svg", "png", "pdf")
INSTALL_HINT = (
    "Graphviz is not installed: install it with `apt-get install graphviz` (Debian/Ubuntu "
    "package graphviz; `brew install graphviz` on macOS)"
)


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz program needed to render is not on PATH."""


def have_graphviz(engine: str = "dot") -> bool:
    return shutil.which(engine) is not None


def render(dot_text: str, format: str = "svg", engine: str = "dot", args=()) -> bytes:
    """Render DOT text with Graphviz ``engine`` to ``format`` bytes."""
    if format not in FORMATS or format == "dot":
        raise ValueError(f"render: format must be one of svg, png, pdf, got {format!r}")
    exe = shutil.which(engine)
    if exe is None:
        raise GraphvizNotFoundError(f"{INSTALL_HINT} (`{engine}` was not found on PATH)")
    proc = subprocess.run(
        [exe, *args, f"-T{format}"],
        input=dot_text.encode("utf-8"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{engine} failed: {msg[0] if msg else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def write_atomic(path, data) -> Path:
    """Write ``data`` (str or bytes) to ``path`` atomically (``tapegrad._io``)."""
    return write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)


def output(dot_text: str, format: str, path=None, engine: str = "dot", args=()):
    """Return or write the drawing.

    Without ``path``: the DOT text (``format="dot"``) or the rendered bytes.
    With ``path``: the format comes from its suffix when it has one of
    ``.dot .svg .png .pdf``; a rendered format also writes the ``.dot`` beside
    it first, so it survives a missing Graphviz.  Returns the ``Path``.
    """
    if path is None:
        if format == "dot":
            return dot_text
        return render(dot_text, format, engine, args)
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        format = suffix
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    if format == "dot":
        return write_atomic(path, dot_text)
    write_atomic(path.with_suffix(".dot"), dot_text)
    try:
        data = render(dot_text, format, engine, args)
    except GraphvizNotFoundError as err:
        dot_path = path.with_suffix(".dot")
        raise GraphvizNotFoundError(f"{err}; the DOT text was written to {dot_path}") from None
    return write_atomic(path, data)
