"""One page that walks through the lecture: ``tapegrad lecture all --out DIR``
writes ``DIR/index.html``.

For each experiment, in the lecture's order: the titles of the slides it
reproduces, the command that reproduces it, the table it printed and its
pictures.  The page is self-contained: pictures are embedded in it (PNG and
SVG as ``data:`` URIs), the style is inline and nothing is fetched, so it
works offline, opened from disk.  Other files an experiment wrote (the
step-by-step backward page, DOT sources) are linked by their name in the
same folder.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path

from tapegrad._io import write_text

__all__ = ["Section", "index_html", "write_index"]

_IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 0 auto;
       padding: 1rem 1.5rem 4rem; line-height: 1.45; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
nav ol { columns: 2; }
.slides { color: #555; font-style: italic; margin: .2rem 0 .6rem; }
code, pre { font-family: ui-monospace, monospace; font-size: .85rem; }
pre { background: #f5f5f5; padding: .6rem .8rem; overflow-x: auto; }
pre.command { background: #1e2a38; color: #f2f2f2; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .85rem; }
"""


@dataclass
class Section:
    """One experiment on the page: its name (``tapegrad lecture NAME``), the
    slides it reproduces, what it is, the command line, the printed text and
    the files it wrote."""

    name: str
    slides: str
    description: str
    command: str
    text: str
    files: list[Path]


def _embedded(path: Path) -> str:
    """An ``<img>`` with the picture's bytes in its ``src``."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = html.escape(f"{path.stem}: the picture of this experiment")
    return f'<img src="data:{_IMAGE_TYPES[path.suffix.lower()]};base64,{data}" alt="{alt}">'


def _figure(path: Path) -> str:
    name = html.escape(path.name)
    if path.suffix.lower() in _IMAGE_TYPES:
        return f"<figure>{_embedded(path)}<figcaption>{name}</figcaption></figure>"
    return f'<p>Also written: <a href="{html.escape(path.name)}">{name}</a></p>'


def _section(s: Section) -> str:
    parts = [
        f'<section id="{html.escape(s.name)}">',
        f"<h2>{html.escape(s.slides)}</h2>",
        f'<p class="slides">{html.escape(s.description)}</p>',
        f'<pre class="command">$ {html.escape(s.command)}</pre>',
        f"<pre>{html.escape(s.text)}</pre>",
        *(_figure(p) for p in s.files),
        "</section>",
    ]
    return "\n".join(parts)


def index_html(sections: list[Section], seed: int) -> str:
    """The page: a title, a table of contents and one section per experiment."""
    toc = "\n".join(
        f'<li><a href="#{html.escape(s.name)}">{html.escape(s.slides)}</a></li>' for s in sections
    )
    body = "\n".join(_section(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backpropagation, reproduced with tapegrad</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Backpropagation, reproduced with tapegrad</h1>
<p>Every worked example and experiment of the lecture, in its order: the
slides, the command that reproduces them, what it printed and its pictures
(seed {seed}). Each is a function in <code>tapegrad.lecture</code> returning
plain data; <code>tapegrad lecture NAME</code> runs one.</p>
<nav><ol>
{toc}
</ol></nav>
{body}
</body>
</html>
"""


def write_index(folder: str | os.PathLike, sections: list[Section], seed: int) -> Path:
    """Write ``folder/index.html`` atomically; returns its path."""
    return write_text(Path(folder) / "index.html", index_html(sections, seed))
