"""``torch.utils.data``'s names, from ``tapegrad.data.loader``."""

from tapegrad.data.loader import *  # noqa: F403  (the same names, one list)
from tapegrad.data.loader import __all__  # noqa: F401
