"""``tapegrad.onnx``: exporting a model to ONNX is not supported.

``export`` raises ``NotSupportedError`` naming the call (an ONNX file needs
a traced graph of ONNX operators, which tapegrad does not build);
``is_in_onnx_export()`` is False, for model code that asks.
"""

from __future__ import annotations

from tapegrad.unsupported import not_supported

export = not_supported(
    "onnx.export",
    "tapegrad does not write ONNX graphs; save the weights with tapegrad.save instead",
)


def is_in_onnx_export() -> bool:
    """False: no ONNX export ever runs."""
    return False
