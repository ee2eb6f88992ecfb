"""The base of every distribution (``torch.distributions.Distribution``):
batch and event shapes, the shape of a sample, and argument checking."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.tensor import Tensor

xp = B.xp


class Distribution:
    """A batch of distributions of one family, indexed by ``batch_shape``,
    each over values of ``event_shape``.  ``validate_args`` (default: on, as
    PyTorch's; see ``set_default_validate_args``) checks the parameters when
    the distribution is made and the values given to ``log_prob``."""

    has_rsample = False
    has_enumerate_support = False
    _validate_default = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_default = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = (
            Distribution._validate_default if validate_args is None else bool(validate_args)
        )

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        """``sample_shape + batch_shape + event_shape``: the shape of a sample."""
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def rsample(self, sample_shape=()):
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterised sample (rsample); use sample()"
        )

    def sample_n(self, n: int):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand: bool = True):
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def perplexity(self):
        from tapegrad.ops.elementwise import exp

        return exp(self.entropy())

    @property
    def stddev(self):
        return self.variance.sqrt()

    # ------------------------------------------------------------- checking
    def _check(self, name: str, value: Tensor, ok, constraint: str) -> None:
        """Raise ``ValueError`` unless ``ok`` (a boolean array) holds everywhere."""
        if not xp.all(ok):
            bad = value._array[~xp.broadcast_to(ok, value._array.shape)]
            raise ValueError(
                f"Expected {name} (Tensor of shape {tuple(value.shape)}) of distribution {self!r} "
                f"to satisfy the constraint {constraint}, but found invalid values: {bad[:5]}"
            )

    def _check_value(self, value: Tensor, ok, support: str) -> None:
        if not xp.all(ok):
            raise ValueError(
                f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the "
                f"support ({support}) of the distribution {self!r}, but found invalid values: "
                f"{value._array[~xp.broadcast_to(ok, value._array.shape)][:5]}"
            )

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}: {getattr(self, k).shape if getattr(self, k).ndim else getattr(self, k).item()}"
            for k in self._param_names
        )
        return f"{type(self).__name__}({params})"

    _param_names: tuple = ()
