"""``tapegrad.backends``: ``torch.backends``' switches, for programs that
set them.

tapegrad has one backend, NumPy on the CPU; it uses neither cuDNN, CUDA,
MPS, oneDNN (mkldnn) nor OpenMP itself.  Each submodule says so through its
``is_available()``, and keeps the flags programs set (``cudnn.benchmark =
True``, ``cuda.matmul.allow_tf32 = True``) readable and settable with
PyTorch's defaults; they change nothing, as NumPy's results depend on none
of them.
"""

from tapegrad.backends import cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cuda", "cudnn", "mkldnn", "mps", "openmp"]
