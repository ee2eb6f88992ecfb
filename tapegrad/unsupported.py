"""PyTorch calls that tapegrad cannot carry out, refused by name.

A NumPy engine has no CUDA device, no TorchScript compiler and no ONNX
writer.  PyTorch programs still reach for them (``torch.jit.script(model)``,
``torch.cuda.current_device()``), so those names exist and raise
``NotSupportedError`` naming the call and the reason, instead of an
``AttributeError`` that leaves the reader guessing.
"""

from __future__ import annotations


class NotSupportedError(NotImplementedError):
    """A PyTorch call that tapegrad does not provide (a ``RuntimeError``, as
    every ``NotImplementedError`` is)."""


def not_supported(call: str, why: str, error: type = NotSupportedError):
    """A function that refuses whatever it is given with
    ``error("{call} is not supported by tapegrad: {why}")``."""

    def refuse(*args, **kwargs):
        raise error(f"{call} is not supported by tapegrad: {why}")

    refuse.__name__ = refuse.__qualname__ = call.rpartition(".")[2]
    refuse.__doc__ = f"Raises ``{error.__name__}``: {why}."
    return refuse
