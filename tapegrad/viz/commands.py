"""The ``tapegrad graph`` and ``tapegrad draw-network`` subcommands.

``add_commands(subparsers)`` registers both on the main parser's
subparsers; each sets ``func`` to its run function, which takes the parsed
arguments and returns the exit status (0 ok; 1 a requested file could not be
rendered; 2 bad input, with a one-line message on stderr).  For manual use
without the main command: ``python -m tapegrad.viz.commands graph ...``.
"""

from __future__ import annotations

import argparse
import sys

from tapegrad.run.exits import error as _err

GRAPH_EXAMPLES = """examples:
  tapegrad graph "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)" --at x=2 z=3
  tapegrad graph "a = x*z; b = log(x); c = sin(b); d = exp(a); e = a/b; f = c/a; y = d + e + f" \\
      --at x=2 z=3 --explain --out graph.svg --html steps.html
  tapegrad graph "sigmoid(w*x + b)" --at w=0.5 x=2 b=-1 --dot graph.dot

allowed: numbers, names, + - * / ** unary -, and exp log sin cos tan tanh sigmoid sqrt
relu abs; a program is assignments separated by ';' (the last one is the output).
"""

NETWORK_EXAMPLES = """examples:
  tapegrad draw-network --hidden 2,3 --out net.svg            # the lecture's 1-2-3-1 ReLU net
  tapegrad draw-network --inputs 4 --hidden 8,8 --outputs 3 --activation tanh --out net.svg
  tapegrad draw-network --hidden 2,3 --graph --out side.svg   # network and its computation graph
"""


class _Fail(Exception):
    """A user error: one line to stderr, exit status 2."""


def add_commands(subparsers) -> None:
    """Register ``graph`` and ``draw-network`` on ``subparsers``."""
    fmt = argparse.RawDescriptionHelpFormatter
    g = subparsers.add_parser(
        "graph",
        help="draw and differentiate an expression or small program",
        description="Evaluate an expression or a program of assignments with tapegrad, print "
        "the forward table and the gradients, and draw its computation graph.",
        epilog=GRAPH_EXAMPLES,
        formatter_class=fmt,
    )
    g.add_argument("expression", help="expression, or assignments separated by ';'")
    g.add_argument(
        "--at",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="values of the inputs, e.g. --at x=2 z=3",
    )
    g.add_argument("--out", metavar="FILE", help="write the drawing (.svg, .png, .pdf or .dot)")
    g.add_argument("--dot", metavar="FILE", help="write the Graphviz DOT text")
    g.add_argument("--html", metavar="FILE", help="write the step-by-step HTML page")
    g.add_argument("--explain", action="store_true", help="print the adjoint equations")
    g.add_argument("--latex", action="store_true", help="print the adjoint equations in LaTeX")
    g.add_argument("--no-values", action="store_true", help="no values/gradients in the drawing")
    g.set_defaults(func=run_graph)

    n = subparsers.add_parser(
        "draw-network",
        help="draw a fully connected network in diagram conventions",
        description="Draw an MLP of Linear layers as a network diagram (one circle per unit, "
        "weights on edges), optionally beside its computation graph.",
        epilog=NETWORK_EXAMPLES,
        formatter_class=fmt,
    )
    n.add_argument("--inputs", type=int, default=1, help="input units (default 1)")
    n.add_argument("--hidden", default="2,3", help="hidden widths, comma separated (default 2,3)")
    n.add_argument("--outputs", type=int, default=1, help="output units (default 1)")
    n.add_argument("--activation", default="relu", help="relu, sigmoid, tanh (default relu)")
    n.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    n.add_argument(
        "--lecture",
        action="store_true",
        help="the lecture's weights for the 1-2-3-1 network (default for --hidden 2,3"
        " with one input and output)",
    )
    n.add_argument("--graph", action="store_true", help="draw the computation graph beside it")
    n.add_argument(
        "--out",
        metavar="FILE",
        default="network.svg",
        help="output file (.svg, .png, .pdf or .dot; default network.svg)",
    )
    n.set_defaults(func=run_draw_network)


def run_graph(args) -> int:
    """``tapegrad graph``: returns the exit status."""
    from tapegrad.viz import expr
    from tapegrad.viz.dot import graph_to_dot
    from tapegrad.viz.explain import explain_backward
    from tapegrad.viz.graph import build_graph, op_label
    from tapegrad.viz.html import save_backward_html
    from tapegrad.viz.render import GraphvizNotFoundError, output

    try:
        program = expr.parse(args.expression)
        values = expr.parse_bindings(args.at)
        y, inputs, env = expr.run(program, values)
    except expr.ExprError as err:
        return _err(str(err))
    except (ValueError, RuntimeError, ArithmeticError) as err:
        return _err(f"evaluation failed: {str(err).splitlines()[0]}")
    graph = build_graph(y, values=True, grads=True, order_hint=list(env.values()))
    width = max(len(v.name) for v in graph.vars)
    print("forward pass:")
    for v in graph.vars:
        print(f"  {v.name:<{width}} = {op_label(graph, v):<24} {float(v.value):.15g}")
    print()
    out = graph.vars[graph.output]
    print(f"{out.name} = {float(out.value):.15g}")
    for name in program.inputs:
        v = graph.by_name(name)
        g = 0.0 if v.grad is None else float(v.grad)
        print(f"d{out.name}/d{name} = {g:.15g}")
    if args.explain or args.latex:
        ex = explain_backward(y, graph)
        print()
        print(ex.latex if args.latex else ex.text, end="")
    status = 0
    show = not args.no_values
    dot_text = graph_to_dot(graph, values=show, grads=show)
    try:
        if args.dot:
            output(dot_text, "dot", args.dot)
            print(f"wrote {args.dot}")
        if args.out:
            try:
                output(dot_text, "svg", args.out)
                print(f"wrote {args.out}")
            except GraphvizNotFoundError as err:
                print(f"tapegrad: {err}", file=sys.stderr)
                status = 1
        if args.html:
            save_backward_html(y, args.html, graph=graph)
            print(f"wrote {args.html}")
    except (OSError, ValueError) as err:
        return _err(str(err).splitlines()[0])
    return status


def _parse_widths(text: str) -> list:
    try:
        widths = [int(w) for w in str(text).replace(" ", "").split(",") if w]
    except ValueError:
        raise _Fail(f"--hidden expects widths like 2,3, got {text!r}") from None
    if any(w <= 0 for w in widths):
        raise _Fail(f"--hidden widths must be positive, got {text!r}")
    return widths


def run_draw_network(args) -> int:
    """``tapegrad draw-network``: returns the exit status."""
    try:
        from tapegrad.viz import network
    except ImportError as err:
        return _err(f"network diagrams need tapegrad.nn: {err}")
    from tapegrad.viz.render import GraphvizNotFoundError

    try:
        hidden = _parse_widths(args.hidden)
        if args.inputs <= 0 or args.outputs <= 0:
            raise _Fail("--inputs and --outputs must be positive")
        sizes = [args.inputs, *hidden, args.outputs]
        lecture = args.lecture or sizes == [1, 2, 3, 1] and args.activation == "relu"
        if args.lecture and sizes != [1, 2, 3, 1]:
            raise _Fail("--lecture needs the 1-2-3-1 network: --inputs 1 --hidden 2,3 --outputs 1")
        if lecture:
            model, x, t = network.lecture_network()
        else:
            model = network.make_mlp(sizes, args.activation, seed=args.seed)
            x, t = None, None
        network.draw_network(model, path=args.out, side_by_side=args.graph, x=x, target=t)
    except _Fail as err:
        return _err(str(err))
    except GraphvizNotFoundError as err:
        print(f"tapegrad: {err}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as err:
        return _err(str(err).splitlines()[0])
    print(f"wrote {args.out}")
    return 0


def main(argv=None) -> int:
    """``python -m tapegrad.viz.commands ...`` (the same subcommands)."""
    parser = argparse.ArgumentParser(prog="tapegrad")
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
