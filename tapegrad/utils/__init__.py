"""``tapegrad.utils`` mirrors ``torch.utils``: ``tapegrad.utils.data`` carries
``from torch.utils.data import DataLoader, TensorDataset`` over as
``from tapegrad.utils.data import DataLoader, TensorDataset``, and
``tapegrad.utils.hooks.RemovableHandle`` is what every ``register_*hook``
returns; ``tapegrad.utils.checkpoint`` recomputes activations in backward
(as ``torch.utils.checkpoint``).  The submodules load on first use (the core
imports ``hooks``)."""

import importlib

__all__ = ["checkpoint", "data", "hooks"]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"tapegrad.utils.{name}")
    raise AttributeError(f"module 'tapegrad.utils' has no attribute {name!r}")
