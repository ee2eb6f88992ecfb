"""``torch.nn.parallel``'s names: ``DistributedDataParallel`` (data
parallelism over the ranks of ``tapegrad.distributed``) and ``DataParallel``
(one process: the module as it is)."""

from tapegrad.nn.parallel.data_parallel import DataParallel
from tapegrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
