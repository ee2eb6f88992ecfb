"""The normal distribution N(loc, scale^2) (``torch.distributions.Normal``)."""

from __future__ import annotations

import math

from tapegrad import backend as B
from tapegrad import dtypes
from tapegrad.autograd.graph import no_grad
from tapegrad.distributions.distribution import Distribution
from tapegrad.ops import elementwise as E
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import broadcast_tensors
from tapegrad.ops.special import erfinv
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def broadcast_all(*values) -> tuple:
    """The parameters as tensors of one shape and dtype: Python numbers take
    the dtype of the tensors beside them (the default float dtype if none)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if tensors:
        dt = dtypes.result_type([(t._array.dtype, t._array.ndim) for t in tensors])
    else:
        dt = dtypes.get_default_dtype()
    if dt.kind != "f":
        dt = dtypes.get_default_dtype()
    out = [
        v.to(dt) if isinstance(v, Tensor) else new_tensor(xp.asarray(v, dtype=dt)) for v in values
    ]
    return tuple(broadcast_tensors(*out))


class Normal(Distribution):
    """``p(x) = exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))``, a batch
    of them of the broadcast shape of ``loc`` and ``scale``."""

    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(tuple(self.loc.shape), (), validate_args)
        if self._validate_args:
            self._check("loc", self.loc, self.loc._array == self.loc._array, "Real()")
            self._check("scale", self.scale, self.scale._array > 0, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        """``loc + scale * eps`` with ``eps ~ N(0, 1)``: differentiable in
        ``loc`` and ``scale`` (the reparameterisation trick)."""
        shape = self._extended_shape(sample_shape)
        eps = B.rng().standard_normal(shape).astype(self.loc._array.dtype)
        return self.loc + new_tensor(eps) * self.scale

    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape``, no gradient."""
        with no_grad():
            return self.rsample(sample_shape)

    def _value(self, value) -> Tensor:
        if self._validate_args:
            if not isinstance(value, Tensor):
                raise ValueError("The value argument to log_prob must be a Tensor")
            self._check_value(value, value._array == value._array, "Real()")
        return as_tensor_arg(value, self.loc)

    def log_prob(self, value) -> Tensor:
        """``-(x - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))``."""
        x = self._value(value)
        return -((x - self.loc) ** 2) / (2 * self.variance) - E.log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, value) -> Tensor:
        """``(1 + erf((x - loc) / (scale sqrt 2))) / 2``."""
        x = self._value(value)
        return 0.5 * (1 + E.erf((x - self.loc) / self.scale / math.sqrt(2)))

    def icdf(self, value) -> Tensor:
        """``loc + scale sqrt(2) erfinv(2 q - 1)``, the quantile of ``q``."""
        q = as_tensor_arg(value, self.loc)
        return self.loc + self.scale * erfinv(2 * q - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """``1/2 + log(sqrt(2 pi)) + log(scale)``."""
        return 0.5 + _LOG_SQRT_2PI + E.log(self.scale)
