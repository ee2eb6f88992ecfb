"""Saved values are released after backward unless retain_graph=True."""

import gc
import weakref

import pytest

import tapegrad as tg
from tapegrad.autograd import GraphFreedError


def _graph():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = tg.exp(x)
    hidden = h * h
    refs = [weakref.ref(h.detach().numpy()), weakref.ref(hidden.detach().numpy())]
    loss = hidden.sum()
    return x, loss, refs


def test_intermediate_arrays_are_freed_after_backward():
    x, loss, refs = _graph()
    gc.collect()
    assert all(r() is not None for r in refs), "the graph keeps its intermediates before backward"
    loss.backward()
    gc.collect()
    assert all(r() is None for r in refs), "intermediate arrays survived backward()"


def test_retain_graph_keeps_them_and_allows_a_second_backward():
    x, loss, refs = _graph()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    gc.collect()
    assert all(r() is not None for r in refs)
    loss.backward()
    assert x.grad.numpy() == pytest.approx(2 * first)


def test_second_backward_through_a_freed_graph_names_retain_graph():
    x, loss, _ = _graph()
    loss.backward()
    with pytest.raises(GraphFreedError, match="retain_graph"):
        loss.backward()


def test_no_graph_is_built_under_no_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert tg.is_grad_enabled()


def test_no_graph_when_no_input_requires_grad():
    y = tg.tensor([1.0]) * 3
    assert y.grad_fn is None
