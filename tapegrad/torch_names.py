"""``tapegrad.as_torch()``: ``import torch`` gives tapegrad, for programs
that cannot be edited.

After ``tapegrad.as_torch()``, every ``torch`` module name is tapegrad's
module of the same path: ``torch`` is ``tapegrad``, ``torch.nn.functional``
is ``tapegrad.nn.functional``, ``torch.utils.data`` is
``tapegrad.utils.data``, and so on for every module tapegrad has, including
those added after this was written.  The names go into ``sys.modules``: at
once for the tapegrad modules already imported, and on first import for the
rest (a finder at the head of ``sys.meta_path`` maps each ``torch...``
import to its tapegrad module), so an optional module such as
``tapegrad.distributed`` is only imported when the program imports
``torch.distributed``.  A ``torch`` module that tapegrad lacks raises
``ModuleNotFoundError`` naming both names; the real PyTorch is never
consulted.  To run a program ``train.py`` unchanged::

    import runpy
    import tapegrad

    tapegrad.as_torch()
    runpy.run_path("train.py", run_name="__main__")
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys


def as_torch() -> None:
    """Make ``import torch`` (and every ``torch.<path>`` tapegrad has) import
    tapegrad.  Call it before anything imports torch: if the real PyTorch
    is already imported, this raises ``RuntimeError`` rather than mix the
    two libraries in one process.  Calling it again does nothing more."""
    import tapegrad

    present = sys.modules.get("torch")
    if present is not None and present is not tapegrad:
        raise RuntimeError(
            "tapegrad.as_torch(): the real PyTorch (torch "
            f"{getattr(present, '__version__', '?')}) is already imported in this process, "
            "so `import torch` cannot become tapegrad any more; call tapegrad.as_torch() "
            "before anything imports torch (first thing in the program)"
        )
    if not any(isinstance(finder, _TorchNames) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TorchNames())
    _alias_imported()


def _tapegrad_name(torch_name: str) -> str:
    """``torch.nn.functional`` -> ``tapegrad.nn.functional``."""
    return "tapegrad" + torch_name[len("torch") :]


def _alias_imported() -> None:
    """Give every imported tapegrad module its ``torch`` name in ``sys.modules``
    (submodules that a module registers itself, such as
    ``tapegrad.nn.utils.rnn``, are found only this way)."""
    for name, module in list(sys.modules.items()):
        if name == "tapegrad" or name.startswith("tapegrad."):
            sys.modules.setdefault("torch" + name[len("tapegrad") :], module)


class _TorchNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.<path>`` as the already executed tapegrad
    modules of the same path (loading runs nothing more)."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        tapegrad_name = _tapegrad_name(fullname)
        try:
            importlib.import_module(tapegrad_name)
        except ModuleNotFoundError as e:
            missing = e.name or ""
            if tapegrad_name != missing and not tapegrad_name.startswith(missing + "."):
                raise  # (a module that tapegrad's module needs is missing: say that)
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: after tapegrad.as_torch(), torch's modules are "
                f"tapegrad's, and tapegrad has no {tapegrad_name!r}",
                name=fullname,
            ) from None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = sys.modules[_tapegrad_name(spec.name)]
        _alias_imported()
        return module

    def exec_module(self, module) -> None:
        """Nothing to run: the tapegrad module was executed when imported."""
