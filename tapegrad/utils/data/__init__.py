"""``tapegrad.utils.data`` is ``torch.utils.data``: the same names in the same
submodules (``dataloader``, ``dataset``, ``sampler``, ``distributed``), so
``from torch.utils.data import DataLoader`` and
``from torch.utils.data.sampler import BatchSampler`` carry over with only the
package name changed.  The code lives in ``tapegrad.data``; each submodule
here re-exports one module's list of names."""

from tapegrad.utils.data import dataloader, dataset, distributed, sampler
from tapegrad.utils.data.dataloader import *  # noqa: F403
from tapegrad.utils.data.dataset import *  # noqa: F403
from tapegrad.utils.data.distributed import *  # noqa: F403
from tapegrad.utils.data.sampler import *  # noqa: F403

__all__ = sorted(dataloader.__all__ + dataset.__all__ + distributed.__all__ + sampler.__all__)
