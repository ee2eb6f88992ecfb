"""``tapegrad.backends.cuda``: PyTorch was not built with CUDA here; the
matmul precision flags keep PyTorch's defaults and may be set (they change
nothing)."""

from __future__ import annotations


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: whether CUDA matmuls may use TF32 or
    reduced-precision reductions."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self) -> str:
        return f"<tapegrad.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = _MatmulFlags()


def is_built() -> bool:
    """False: tapegrad has no CUDA build."""
    return False
