"""Seeing backprop: computation graphs, network diagrams, the backward pass
explained and stepped through.

    from tapegrad import viz
    viz.draw_graph(y, values=True, grads=True, path="graph.svg")
    print(viz.explain_backward(y).text)
    viz.save_backward_html(y, "steps.html")
"""

from tapegrad.viz.dot import draw_graph, graph_to_dot
from tapegrad.viz.explain import Explanation, explain_backward
from tapegrad.viz.graph import FreedGraphError, Graph, Var, build_graph
from tapegrad.viz.html import backward_html, save_backward_html
from tapegrad.viz.render import GraphvizNotFoundError, have_graphviz
from tapegrad.viz.steps import backward_steps, forward_steps


def __getattr__(name):
    # the network diagrams need tapegrad.nn; import them on first use
    if name in ("draw_network", "network_to_graph"):
        from tapegrad.viz import network

        return getattr(network, name)
    if name in ("draw_model", "model_to_dot"):
        from tapegrad.viz import model

        return getattr(model, name)
    raise AttributeError(f"module 'tapegrad.viz' has no attribute {name!r}")


__all__ = [
    "Explanation",
    "FreedGraphError",
    "Graph",
    "GraphvizNotFoundError",
    "Var",
    "backward_html",
    "backward_steps",
    "build_graph",
    "draw_graph",
    "draw_model",
    "draw_network",
    "explain_backward",
    "forward_steps",
    "graph_to_dot",
    "have_graphviz",
    "model_to_dot",
    "network_to_graph",
    "save_backward_html",
]
