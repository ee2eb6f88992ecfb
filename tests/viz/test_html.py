"""The self-contained HTML stepper file (structure; the browser test drives it)."""

import json
import re

from tapegrad.viz import save_backward_html


def _data(text):
    m = re.search(r'<script type="application/json" id="tapegrad-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def test_html_is_self_contained(tmp_path, program_graph):
    y, g = program_graph
    path = save_backward_html(y, tmp_path / "steps.html", graph=g)
    text = path.read_text()
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text
    assert "<script src" not in text and "<link" not in text
    for button in ["btn-forward", "btn-backward", "btn-back", "btn-next", "btn-play"]:
        assert f'id="{button}"' in text
    data = _data(text)
    assert [f["name"] for f in data["backward"]][-2:] == ["x", "z"]


def test_html_without_graphviz_uses_the_built_in_layout(tmp_path, program_graph):
    y, g = program_graph
    text = save_backward_html(y, tmp_path / "s.html", graph=g, graphviz=False).read_text()
    assert '<div id="graph"></div>' in text
    assert "drawFallback" in text
