"""``torch.utils.data.distributed``'s names, from ``tapegrad.data.distributed``."""

from tapegrad.data.distributed import *  # noqa: F403  (the names of its one list)
from tapegrad.data.distributed import __all__  # noqa: F401
