"""``tapegrad.as_torch()``: a PyTorch program runs unchanged, its ``import
torch`` lines giving tapegrad.  Each case runs in a fresh Python process, so
the real torch that other tests import here is not disturbed."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

# A PyTorch program as its author wrote it: no randomness, so that PyTorch
# and tapegrad must print the same numbers.
PROGRAM = textwrap.dedent(
    """
    import json

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.optim.lr_scheduler import StepLR
    from torch.utils.checkpoint import checkpoint
    from torch.utils.data import DataLoader, TensorDataset

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU())
            self.out = torch.nn.utils.weight_norm(nn.Linear(8, 2))

        def forward(self, x):
            h = checkpoint(self.hidden, x, use_reentrant=False)
            return F.log_softmax(self.out(h), dim=1)


    x = torch.linspace(-1, 1, 32).reshape(16, 2)
    y = (x[:, 0] > x[:, 1] ** 2).long()
    model = Net().to(device)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (i % 3 + 1))
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    losses = []
    for epoch in range(6):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.nll_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    print(json.dumps({"library": torch.__name__, "losses": losses}))
    """
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def _run_with_tapegrad(program: str) -> subprocess.CompletedProcess:
    """``program`` run unchanged after ``tapegrad.as_torch()``."""
    return _python(
        "import sys, warnings, tapegrad\n"
        "warnings.simplefilter('ignore')\n"
        "tapegrad.as_torch()\n"
        "exec(compile(sys.argv[1], 'program.py', 'exec'), {'__name__': '__main__'})",
        program,
    )


def _results(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_pytorch_program_runs_unchanged_on_tapegrad():
    results = _results(_run_with_tapegrad(PROGRAM))
    assert results["library"] == "tapegrad"
    assert results["losses"][-1] < results["losses"][0]


@pytest.mark.torch
def test_the_program_prints_what_pytorch_prints():
    pytest.importorskip("torch")
    on_torch = _results(
        _python("import sys, warnings; warnings.simplefilter('ignore'); exec(sys.argv[1])", PROGRAM)
    )
    on_tapegrad = _results(_run_with_tapegrad(PROGRAM))
    assert on_torch["library"] == "torch"
    np.testing.assert_allclose(on_tapegrad["losses"], on_torch["losses"], rtol=1e-4, atol=1e-6)


def test_torch_module_names_are_tapegrads_modules():
    code = textwrap.dedent(
        """
        import importlib, importlib.util, sys, tapegrad
        tapegrad.as_torch()
        import torch, torch.nn, torch.nn.functional, torch.optim.lr_scheduler, torch.autograd
        import torch.nn.utils.rnn, torch.nn.utils.parametrizations, torch.utils.checkpoint
        import torch.backends.cudnn, torch.cuda, torch.jit, torch.onnx, torch.linalg
        import torch.special, torch.distributions
        for name, module in sorted(sys.modules.items()):
            if name == "torch" or name.startswith("torch."):
                assert module is sys.modules["tapegrad" + name[len("torch"):]], name
        assert torch is tapegrad and torch.nn.functional is tapegrad.nn.functional
        for name in ("distributed", "nn.parallel", "utils.data.distributed", "utils.data.sampler"):
            if importlib.util.find_spec("tapegrad." + name) is not None:  # (when tapegrad has it)
                mine = importlib.import_module("tapegrad." + name)
                assert importlib.import_module("torch." + name) is mine, name
        assert torch.nn.utils.rnn.pad_sequence is tapegrad.nn.utils.rnn.pad_sequence
        tapegrad.as_torch()  # (again: nothing changes)
        assert sum(type(f).__name__ == "_TorchNames" for f in sys.meta_path) == 1
        print("ok")
        """
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_torch_module_tapegrad_lacks_is_named_in_the_error():
    done = _python("import tapegrad; tapegrad.as_torch(); import torch.fx")
    assert done.returncode != 0
    assert "ModuleNotFoundError: No module named 'torch.fx'" in done.stderr
    assert "tapegrad has no 'tapegrad.fx'" in done.stderr


@pytest.mark.torch
def test_refuses_when_the_real_torch_is_already_imported():
    pytest.importorskip("torch")
    done = _python("import torch, tapegrad; tapegrad.as_torch()")
    assert done.returncode != 0
    assert "RuntimeError: tapegrad.as_torch(): the real PyTorch" in done.stderr
    assert "call tapegrad.as_torch() before anything imports torch" in done.stderr


def test_without_as_torch_tapegrad_does_not_touch_the_torch_names():
    done = _python(
        "import sys, tapegrad; print(any(n == 'torch' or n.startswith('torch.') "
        "for n in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
