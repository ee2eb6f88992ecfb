"""``DataParallel``: PyTorch's single-process wrapper that splits a batch over
the GPUs of one machine.  tapegrad computes on the CPU of one process, so the
wrapper runs the module as it is; programs that wrap their model in it run
unchanged.  Several processes or machines: ``DistributedDataParallel``."""

from __future__ import annotations

from tapegrad.nn.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """``DataParallel(module)``: calling it calls ``module`` (kept as
    ``.module``; ``state_dict`` keys start with ``module.``, as in PyTorch)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if device_ids or output_device is not None:
            raise ValueError(
                "DataParallel: device_ids and output_device name GPUs; tapegrad runs on the "
                f"CPU: leave them out (got device_ids={device_ids!r}, "
                f"output_device={output_device!r})"
            )
        self.module = module
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
