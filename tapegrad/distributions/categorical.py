"""The categorical distribution over ``0 .. K-1``
(``torch.distributions.Categorical``)."""

from __future__ import annotations

from tapegrad import backend as B
from tapegrad.distributions.distribution import Distribution
from tapegrad.ops import reduce as R
from tapegrad.ops.elementwise import clamp, log
from tapegrad.ops.index import gather
from tapegrad.ops.registry import as_tensor_arg
from tapegrad.ops.shape import broadcast_tensors, reshape, unsqueeze
from tapegrad.sampling import multinomial
from tapegrad.tensor import Tensor, new_tensor

xp = B.xp


class Categorical(Distribution):
    """``P(X = k) = probs[..., k]``, from ``probs`` (non-negative weights,
    normalised along the last dimension) or ``logits`` (unnormalised log
    probabilities); the leading dimensions are the batch."""

    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        param = as_tensor_arg(probs if probs is not None else logits)
        if param.ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if param._array.dtype.kind != "f":
            param = param.float()
        self._param_names = (name,)
        if probs is not None:
            self._probs, self._logits = param / R.sum(param, -1, keepdim=True), None
        else:
            self._probs, self._logits = None, param - R.logsumexp(param, -1, keepdim=True)
        self._num_events = param.shape[-1]
        super().__init__(tuple(param.shape[:-1]), (), validate_args)
        if self._validate_args:
            self._check_param(name)

    def _check_param(self, name: str) -> None:
        if name == "probs":
            p = self._probs._array
            total = p.sum(-1)
            ok = (p >= 0).all(-1) & (xp.abs(total - 1) < 1e-6)
            self._check("probs", self._probs, ok[..., None], "Simplex()")
        else:
            ok = (self._logits._array == self._logits._array).all(-1)
            self._check("logits", self._logits, ok[..., None], "IndependentConstraint(Real(), 1)")

    @property
    def probs(self) -> Tensor:
        if self._probs is None:
            self._probs = R.softmax(self._logits, -1)
        return self._probs

    @property
    def logits(self) -> Tensor:
        """``log(probs)``, probabilities clamped to ``[eps, 1 - eps]`` (PyTorch's rule)."""
        if self._logits is None:
            eps = float(xp.finfo(self._probs._array.dtype).eps)
            self._logits = log(clamp(self._probs, eps, 1 - eps))
        return self._logits

    @property
    def param_shape(self) -> tuple:
        return tuple((self._probs if self._probs is not None else self._logits).shape)

    @property
    def mean(self) -> Tensor:
        return new_tensor(xp.full(self.batch_shape, xp.nan, dtype=self.probs._array.dtype))

    @property
    def variance(self) -> Tensor:
        return self.mean

    @property
    def mode(self) -> Tensor:
        return R.argmax(self.probs, -1)

    def sample(self, sample_shape=()) -> Tensor:
        """int64 categories of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        n = int(xp.prod(shape[: len(shape) - len(self.batch_shape)], dtype=B.int64))
        rows = self.probs.detach().reshape(-1, self._num_events)
        if n == 0:
            return new_tensor(xp.zeros(shape, dtype=B.int64))
        draws = multinomial(rows, n, True)._array.T  # (n, rows)
        return new_tensor(draws.reshape(shape))

    def log_prob(self, value) -> Tensor:
        """``log probs[..., value]``, ``value`` broadcast against the batch."""
        if self._validate_args:
            if not isinstance(value, Tensor):
                raise ValueError("The value argument to log_prob must be a Tensor")
            v = value._array
            ok = (v == xp.floor(v)) & (v >= 0) & (v <= self._num_events - 1)
            self._check_value(
                value, ok, f"IntegerInterval(lower_bound=0, upper_bound={self._num_events - 1})"
            )
        v = new_tensor(as_tensor_arg(value)._array.astype(B.int64))
        v, log_pmf = broadcast_tensors(unsqueeze(v, -1), self.logits)
        index = new_tensor(xp.ascontiguousarray(v._array[..., :1]))
        picked = gather(log_pmf, -1, index)
        return reshape(picked, tuple(picked.shape[:-1]))

    def entropy(self) -> Tensor:
        """``-sum_k p_k log p_k`` (a zero probability adds 0)."""
        lowest = float(xp.finfo(self.logits._array.dtype).min)
        return -R.sum(clamp(self.logits, min=lowest) * self.probs, -1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """``0 .. K-1`` along a new leading dimension, expanded over the batch."""
        values = xp.arange(self._num_events, dtype=B.int64).reshape(
            (-1,) + (1,) * len(self.batch_shape)
        )
        if expand:
            values = xp.broadcast_to(values, (self._num_events,) + self.batch_shape).copy()
        return new_tensor(values)
