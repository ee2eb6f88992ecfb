"""Shared constants and helpers of the viz tests: the lecture's worked example."""

import shutil

import pytest

PROGRAM = "a = x*z; b = log(x); c = sin(b); d = exp(a); e = a/b; f = c/a; y = d + e + f"
EXPRESSION = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"
Y = 412.19145728412
DY_DX = 1208.3812151266
DY_DZ = 809.70747921856


def svg_root(data):
    """The parsed SVG (bytes or str) and the SVG namespace prefix."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(data if isinstance(data, bytes) else data.encode("utf-8"))
    return root, "{http://www.w3.org/2000/svg}"


needs_dot = pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz `dot` is not installed")
