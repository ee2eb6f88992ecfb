"""``torch.utils.data.sampler``'s names, from ``tapegrad.data.samplers``."""

from tapegrad.data.samplers import *  # noqa: F403  (the names of its one list)
from tapegrad.data.samplers import __all__  # noqa: F401
