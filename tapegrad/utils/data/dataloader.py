"""``torch.utils.data.dataloader``'s names, from ``tapegrad.data.loader``."""

from tapegrad.data.loader import *  # noqa: F403  (the names of its one list)
from tapegrad.data.loader import __all__  # noqa: F401
