"""``tapegrad lecture all --out DIR``: every experiment, every picture and the
one page ``DIR/index.html`` that walks through them; the page opened from
disk in a real browser with the network blocked."""

import html
import re

import pytest

from tapegrad.lecture import commands
from tapegrad.lecture.commands import RUNNERS, main
from tapegrad.lecture.page import Section, index_html


@pytest.fixture(scope="module")
def lecture_folder(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("lecture")
    assert main(["all", "--out", str(out)]) == 0
    return out


def _sections(page: str) -> dict:
    """id -> heading of each section of the page."""
    return dict(re.findall(r'<section id="([^"]+)">\s*<h2>([^<]*)</h2>', page))


def test_all_writes_the_index_with_a_section_per_experiment_in_the_lecture_order(lecture_folder):
    page = (lecture_folder / "index.html").read_text(encoding="utf-8")
    sections = _sections(page)
    assert list(sections) == list(RUNNERS)
    for name, heading in sections.items():
        assert html.unescape(heading) == RUNNERS[name].slides
        assert f"$ tapegrad lecture {name} --out {lecture_folder}" in page


def test_every_picture_written_is_embedded_and_nothing_is_fetched(lecture_folder):
    page = (lecture_folder / "index.html").read_text(encoding="utf-8")
    pictures = sorted(p for p in lecture_folder.iterdir() if p.suffix in (".png", ".svg"))
    assert pictures, "the experiments drew no picture"
    for p in pictures:
        assert f"<figcaption>{p.name}</figcaption>" in page
    assert page.count('<img src="data:image/') == len(pictures)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # no external requests


def test_the_printed_tables_are_on_the_page(lecture_folder):
    page = html.unescape((lecture_folder / "index.html").read_text(encoding="utf-8"))
    assert "412.19145728412116" in page  # the worked example's y
    assert "slide's adjoint equations == tapegrad's .grad: True" in page
    assert "agree: True" in page  # the ReLU network's recursion


def test_the_page_escapes_what_it_shows(tmp_path):
    s = Section("x", "a <b> & c", "d", "tapegrad lecture x", "1 < 2 & 3 > 2", [])
    page = index_html([s], seed=0)
    assert "<h2>a &lt;b&gt; &amp; c</h2>" in page
    assert "1 &lt; 2 &amp; 3 &gt; 2" in page


def test_a_file_that_is_not_a_picture_is_linked_by_its_name(tmp_path):
    other = tmp_path / "steps.html"
    other.write_text("<p>steps</p>")
    page = index_html([Section("x", "s", "d", "c", "t", [other])], seed=0)
    assert '<a href="steps.html">steps.html</a>' in page


def test_one_experiment_writes_no_index(tmp_path, capsys):
    assert main(["worked-example", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "index.html").exists()


def test_the_page_in_a_browser_offline(browser, lecture_folder):
    """Opened from disk with every network request refused: each section is
    there, each image decodes, and the console stays free of errors."""
    context = browser.new_context()
    refused = []

    def block(route):
        if route.request.url.startswith(("file:", "data:")):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    context.route("**/*", block)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((lecture_folder / "index.html").as_uri())
    page.wait_for_load_state("load")
    ids = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
    assert ids == list(commands.RUNNERS)
    widths = page.eval_on_selector_all(
        "img", "els => els.map(e => e.complete ? e.naturalWidth : 0)"
    )
    assert widths and all(w > 0 for w in widths)
    assert refused == [] and errors == []
    context.close()
