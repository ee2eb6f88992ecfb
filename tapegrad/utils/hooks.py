"""``RemovableHandle``: what every ``register_*hook`` returns, as
``torch.utils.hooks.RemovableHandle``.

Hooks live in a dict keyed by the handle's ``id`` (in registration order);
``handle.remove()`` takes the hook out again, and ``with handle:`` removes it
on leaving the block.
"""

from __future__ import annotations

import itertools


class RemovableHandle:
    """Removes one registered hook: ``handle.remove()`` or ``with handle: ...``."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(hooks: dict, fn) -> RemovableHandle:
    """Register ``fn`` in ``hooks`` and return the handle that removes it."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle
