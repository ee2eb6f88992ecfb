"""PyTorch's deprecated ``size_average`` and ``reduce`` arguments of the
losses (functions and modules), the regression losses' per-element
``weight``, and the loss modules' constructor signatures, against PyTorch."""

import inspect
import warnings

import numpy as np
import pytest

import tapegrad as tg

from .helpers import check

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

rng = np.random.default_rng(3)
X = rng.standard_normal((4, 5))
Y = rng.standard_normal((4, 5))
P = rng.uniform(0.05, 0.95, (4, 5))
T = (rng.uniform(size=(4, 5)) > 0.5).astype(np.float64)
LABELS = np.array([0, 3, 4, 1])
W = rng.uniform(0.1, 2.0, (4, 5))

LEGACY = [(None, False), (False, None), (False, True), (True, True), (True, False), (None, None)]

LOSSES = {
    "mse_loss": (lambda F, x, y, **kw: F.mse_loss(x, y, **kw), X, Y),
    "l1_loss": (lambda F, x, y, **kw: F.l1_loss(x, y, **kw), X, Y),
    "smooth_l1_loss": (lambda F, x, y, **kw: F.smooth_l1_loss(x, y, beta=0.5, **kw), X, Y),
    "cross_entropy": (lambda F, x, y, **kw: F.cross_entropy(x, y.long(), **kw), X, LABELS),
    "nll_loss": (lambda F, x, y, **kw: F.nll_loss(F.log_softmax(x, 1), y.long(), **kw), X, LABELS),
    "binary_cross_entropy": (lambda F, x, y, **kw: F.binary_cross_entropy(x, y, **kw), P, T),
    "bce_with_logits": (lambda F, x, y, **kw: F.binary_cross_entropy_with_logits(x, y, **kw), X, T),
    "kl_div": (lambda F, x, y, **kw: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), **kw), X, Y),
}


def _lib_f(L):
    return L.nn.functional


@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_legacy_reduction_arguments_of_the_functions_match_torch(name, size_average, reduce):
    fn, x, y = LOSSES[name]

    def run(L, a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kw = {"size_average": size_average, "reduce": reduce}
            return fn(_lib_f(L), a, L.tensor(y), **kw)

    check(run, x, rtol=1e-10, atol=1e-12)


MODULES = {
    "MSELoss": (X, Y),
    "L1Loss": (X, Y),
    "SmoothL1Loss": (X, Y),
    "CrossEntropyLoss": (X, LABELS),
    "BCEWithLogitsLoss": (X, T),
    "BCELoss": (P, T),
}


@pytest.mark.parametrize("size_average, reduce", LEGACY[:5])
@pytest.mark.parametrize("name", sorted(MODULES))
def test_legacy_reduction_arguments_of_the_modules_match_torch(name, size_average, reduce):
    x, y = MODULES[name]

    def run(L, a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = getattr(L.nn, name)(size_average=size_average, reduce=reduce)
        return loss(a, L.tensor(y)), loss.reduction

    check(run, x, rtol=1e-10, atol=1e-12)


def test_the_legacy_arguments_warn_as_torch_does():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        loss = tg.nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"


@pytest.mark.parametrize(
    "name",
    [
        "MSELoss",
        "L1Loss",
        "HuberLoss",
        "SmoothL1Loss",
        "CrossEntropyLoss",
        "NLLLoss",
        "BCELoss",
        "BCEWithLogitsLoss",
        "KLDivLoss",
    ],
)
def test_loss_constructors_take_torch_positional_arguments(name):
    names = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    assert list(inspect.signature(getattr(tg.nn, name).__init__).parameters) == names


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_per_element_weight_of_the_regression_losses_matches_torch(name, reduction):
    def run(L, a, b, w):
        return getattr(L.nn.functional, name)(a, b, reduction=reduction, weight=w)

    check(run, X, Y, W, rtol=1e-10, atol=1e-12)


def test_a_weight_of_another_size_is_refused_as_torch():
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        tg.nn.functional.mse_loss(tg.tensor(X), tg.tensor(Y), weight=tg.ones(5))
