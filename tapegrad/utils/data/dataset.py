"""``torch.utils.data.dataset``'s names, from ``tapegrad.data.dataset``."""

from tapegrad.data.dataset import *  # noqa: F403  (the names of its one list)
from tapegrad.data.dataset import __all__  # noqa: F401
