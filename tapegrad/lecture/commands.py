"""The ``tapegrad lecture`` subcommand: run one worked example or experiment
of the lecture, print its table and, with ``--out DIR``, write its picture
``DIR/lecture-NAME.png``.

``add_commands(subparsers)`` registers it on the main parser's subparsers;
``python -m tapegrad.lecture.commands NAME ...`` runs it without the main
command.  Exit status: 0 ok; 2 bad input or matplotlib missing for
``--out`` (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tapegrad.run.exits import error as _err

EXAMPLES = """examples:
  tapegrad lecture list
  tapegrad lecture worked-example
  tapegrad lecture vanishing-gradients --out docs/img
  tapegrad lecture optimizers --seed 1 --out pictures
  tapegrad lecture all --out docs/img
"""

PLOT_HINT = "pip install 'tapegrad[plot]'"


def _table(headers: list[str], rows: list[list], fmt: str = "{:.6g}") -> str:
    """Text columns left-aligned, number columns (formatted with ``fmt``) right-aligned."""
    numeric = [all(not isinstance(r[i], str) for r in rows) for i in range(len(headers))]
    cells = [[c if isinstance(c, str) else fmt.format(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(r):
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(r, widths, numeric))

    out = [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(x.rstrip() for x in out)


@dataclass
class Output:
    """What one experiment printed (``text``: its tables) and the files it
    wrote into the ``--out`` folder (``files``: pictures, pages), in order."""

    text: str
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text + "".join(f"\n\nwrote {p}" for p in self.files)


@dataclass(frozen=True)
class Experiment:
    """One name of ``tapegrad lecture``: what it shows, the titles of the
    lecture's slides it reproduces, its runner ``(seed, out folder or None)
    -> Output`` and whether its pictures need matplotlib."""

    description: str
    slides: str
    run: Callable[[int, Path | None], Output]
    draws: bool


# ----------------------------------------------------------------- runners
def _worked_example(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import worked_example

    r = worked_example()
    rows = [[k, f, v] for k, f, v in r.rows()]
    agree = all(abs(r.tape[k] - v) <= 1e-12 * max(1.0, abs(v)) for k, v in r.adjoints.items())
    text = (
        "y = exp(xz) + xz/ln(x) + sin(ln(x))/(xz) at x = 2, z = 3 (float64)\n\n"
        + _table(["name", "computes", "value"], rows, fmt="{!r}")
        + f"\n\nslide's adjoint equations == tapegrad's .grad: {agree}"
    )
    if out is not None:
        from tapegrad.lecture.pictures import worked_example_pictures

        return _with_pictures(text, worked_example_pictures(out))
    return Output(text)


def _with_pictures(text: str, pics) -> Output:
    """``text`` and the Graphviz pictures' files, with a line for each
    picture that needed the missing Graphviz."""
    return Output(text + "".join(f"\n\n{note}" for note in pics.notes), pics.files)


def _relu_network(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import relu_network

    r = relu_network()
    fwd = [[str(ly), str(r.s.get(ly, "")), str(r.o[ly])] for ly in sorted(r.o)]
    grads = [
        [k, str(r.grads_autograd[k]), str(r.grads_recursion[k])] for k in sorted(r.grads_autograd)
    ]
    text = (
        f"1-2-3-1 ReLU network, x = {r.x[0]:g}, t = {r.t:g}: y = {r.y:g}, "
        f"loss = 1/2 (y - t)^2 = {r.loss:g}\n\n"
        + _table(["layer", "s(l)", "o(l)"], fwd)
        + "\n\n"
        + _table(["param", "loss.backward()", "r o^T / r recursion"], grads)
        + f"\n\nagree: {r.agree}"
    )
    if out is not None:
        from tapegrad.lecture.pictures import relu_network_pictures

        return _with_pictures(text, relu_network_pictures(out, r.x[0], r.t))
    return Output(text)


def _activations(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import activations

    r = activations()
    g = r.grid
    rows = []
    for n in r.names:
        lo, hi = r.argmax_from[n], r.argmax_to[n]
        where = f"{lo:g}" if lo == hi else f"{lo:g} .. {hi:g}"
        rows.append([n, *r.at_points[n], r.max_derivative[n], where])
    head = ["function", *(f"f'({p:g})" for p in r.points), "max f' on grid", "at x"]
    text = (
        f"f'(x) = x.grad after f(x).sum().backward() ({r.dtype}); grid: {len(g)} points "
        f"in [{g[0]:g}, {g[-1]:g}], step {(g[-1] - g[0]) / (len(g) - 1):g}\n\n"
        + _table(head, rows, fmt="{:.4g}")
        + f"\n\nsigmoid' is at most {r.max_derivative['sigmoid']:g} = 1/4 (at x = 0): through "
        "50 sigmoid layers the backward pass\nmultiplies the gradient by at most "
        f"0.25^50 = {0.25**50:.3g} (times the weights): 'vanishing-gradients'.\n"
        "At the kinks the backward pass follows PyTorch: relu'(0) = 0, leaky_relu'(0) = 0.01,\n"
        "hardtanh'(+-1) = 0, hardsigmoid'(+-3) = 0, hardswish'(-3) = 0, hardswish'(3) = 1."
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_activations

        return Output(text, [plot_activations(r, out / "lecture-activations.png")])
    return Output(text)


def _finite_differences(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import finite_differences

    r = finite_differences(seed=seed)
    rows = [
        [
            m,
            p,
            r.best_eps[m][p],
            r.min_error[m][p],
            r.truncation_slope[m][p],
            1 if m == "forward" else 2,
            r.rounding_slope[m][p],
        ]
        for m in r.methods
        for p in r.precisions
    ]
    head = ["method", "precision", "best eps", "smallest error", "trunc. slope", "expected"]
    err = r.min_error
    at_gradcheck = [
        e for e, x in zip(r.errors["central"]["float64"], r.eps) if abs(x / 1e-6 - 1) < 1e-9
    ]
    gc = f" (at its eps = 1e-6: {at_gradcheck[0]:.2g})" if at_gradcheck else ""
    u32, u64 = r.machine_eps["float32"], r.machine_eps["float64"]
    text = (
        f"{'-'.join(map(str, r.sizes))} tanh network, {r.n_params} parameters, seed {seed}: "
        f"loss 1/2 sum (y - t)^2 = {r.loss:.4g}, max |dL/dtheta| = {r.grad_max:.4g}\n"
        f"error = max_i |FD_i - dL/dtheta_i| against the float64 backprop gradient (for both "
        f"precisions),\n{len(r.eps)} eps from {r.eps[0]:.0e} to {r.eps[-1]:.0e}; float32 "
        f"backprop is itself off by {r.backprop_error['float32']:.2g}\n\n"
        + _table([*head, "rounding slope"], rows, fmt="{:.3g}")
        + "\n\nTruncation error ~ eps (forward) or eps^2 (central); rounding error ~ machine "
        f"eps |L| / eps\n(machine eps {u32:.2g} in float32, {u64:.2g} in float64). The best "
        "eps balances the two:\n~sqrt(machine eps) for forward, ~machine eps^(1/3) for central. "
        f"Central differences in float64\nreach {err['central']['float64']:.2g}, forward ones "
        f"only {err['forward']['float64']:.2g}, float32 central ones "
        f"{err['central']['float32']:.2g}: that is why gradcheck takes\ncentral differences "
        f"in float64{gc}, casting float32 inputs up."
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_finite_differences

        return Output(text, [plot_finite_differences(r, out / "lecture-finite-differences.png")])
    return Output(text)


def _vanishing_gradients(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture.experiments import SLIDE_SEED, vanishing_gradients

    plain = vanishing_gradients(seed=seed)
    res = vanishing_gradients(seed=seed, residual=True)
    rows = [
        [i + 1, plain.grad_norms[i], res.grad_norms[i], plain.spread[i], res.spread[i]]
        for i in range(plain.depth)
    ]
    text = (
        f"{plain.depth} layers of width {plain.width}, sigmoid, weights and biases ~ N(0, 0.1^2), "
        f"seed {seed}, input x = {plain.x:g} (float32)\n"
        f"forward pass: z_{plain.depth} = {plain.z:.4f} (plain), {res.z:.4f} (residual)"
        f"{'' if seed == SLIDE_SEED else f'; the slide draws 0.5167 (--seed {SLIDE_SEED})'}\n"
        f"plain: {plain.effectively_zero} layers with ||dz/dW|| < 1e-8 (layers 1..."
        f"{plain.last_effectively_zero}), {plain.truly_zero} exactly 0 (layers 1..."
        f"{plain.last_truly_zero})\n"
        f"residual: {res.effectively_zero} below 1e-8, {res.truly_zero} exactly 0\n"
        f"spread of o({plain.probe_layer}) over inputs {plain.probe_inputs}: "
        f"{plain.probe_spread:.3g} (plain), {res.probe_spread:.3g} (residual)\n\n"
    )
    head = ["layer", "plain ||dz/dW||", "residual ||dz/dW||", "plain spread", "residual spread"]
    text += _table(head, rows)
    if out is not None:
        from tapegrad.lecture.plots import plot_vanishing_gradients

        return Output(
            text, [plot_vanishing_gradients(plain, res, out / "lecture-vanishing-gradients.png")]
        )
    return Output(text)


def _gradient_statistics(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import gradient_statistics

    r = gradient_statistics(seed=seed)
    head = ["beta", "transient (steps)", "noise after", "theory", "rms error, whole run"]
    rows = [[b, r.transient[b], r.noise[b], r.noise_theory[b], r.rms_error[b]] for b in r.betas]
    text = (
        f"least squares, parameter fixed; full-batch gradient {r.true_grad:.4f}; minibatches of "
        f"{r.batch_size}: std of g_t {r.grad_std:.4f}; {r.steps} steps, seed {seed}\n\n"
        + _table(head, rows)
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_gradient_statistics

        return Output(text, [plot_gradient_statistics(r, out / "lecture-gradient-statistics.png")])
    return Output(text)


def _optimizers(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import optimizer_paths, optimizers_comparison

    r = optimizers_comparison(seed=seed)
    marks = sorted({1, 5, 10, 20, r.epochs} & set(range(1, r.epochs + 1)))
    rows = [[n] + [r.loss[n][e - 1] for e in marks] + [r.accuracy[n][-1]] for n in r.names]
    p = optimizer_paths()
    path_rows = [[n, p.lr[n], p.final_loss[n], p.distance[n]] for n in p.names]
    text = (
        f"spirals, MLP 2-32-32-2, batch {r.batch_size}, lr {r.lr:g} for all, "
        f"EMAMomentum beta {r.beta:g}, seed {seed}\n\n"
        + _table(["optimizer"] + [f"loss ep {e}" for e in marks] + ["final acc"], rows)
        + f"\n\n{p.function} function from {p.start}, {p.steps} full-gradient steps, "
        f"minimum 0 at {p.minimum} (no randomness)\n\n"
        + _table(["optimizer", "lr", f"final {p.function}", "distance to minimum"], path_rows)
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_optimizers

        return Output(text, [plot_optimizers(r, out / "lecture-optimizers.png", paths=p)])
    return Output(text)


def _early_stopping(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import early_stopping_demo

    r = early_stopping_demo(seed=seed)
    rows = [[e, r.train_loss[e - 1], r.val_loss[e - 1]] for e in range(1, len(r.val_loss) + 1)]
    text = (
        f"two moons (60 noisy training points), MLP 2-64-64-2, Adam, patience {r.patience}, "
        f"seed {seed}\n"
        f"best epoch {r.best_epoch} (val loss {r.best_val_loss:.4f}); stopped after epoch "
        f"{r.stopped_epoch}; restored epoch {r.restored_epoch} (val loss "
        f"{r.restored_val_loss:.4f})\n"
        f"without stopping, epoch {len(r.full_val_loss)}: val loss {r.full_val_loss[-1]:.4f}\n\n"
        + _table(["epoch", "train loss", "val loss"], rows)
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_early_stopping

        return Output(text, [plot_early_stopping(r, out / "lecture-early-stopping.png")])
    return Output(text)


def _regularisation(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import regularisation_demo

    r = regularisation_demo(seed=seed)
    labels = {"none": "none", "L2": f"L2, lambda {r.lam:g}", "dropout": f"dropout, p {r.p:g}"}
    rows = [
        [labels[n], r.final_train[n], r.final_val[n], r.best_val[n], r.omega[n]] for n in r.names
    ]
    text = (
        f"two moons (60 noisy training points), MLP 2-64-64-2, Adam, {r.epochs} epochs, "
        f"seed {seed}\n\n"
        + _table(["regulariser", "train loss", "val loss", "best val loss", "Omega"], rows)
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_regularisation

        return Output(text, [plot_regularisation(r, out / "lecture-regularisation.png")])
    return Output(text)


def _normalization(seed: int, out: Path | None) -> Output:
    from tapegrad.lecture import normalization

    r = normalization(seed=seed)
    reached = {n: "never" if e is None else str(e) for n, e in r.epochs_to_target.items()}
    rows = [[n, reached[n], r.final_loss[n]] for n in r.names]
    head = ["layer"] + [f"{n} {when}" for n in r.names for when in ("start", "end")]
    spreads = [
        [ly + 1] + [t[n][ly] for n in r.names for t in (r.spread_start, r.spread_end)]
        for ly in range(r.depth)
    ]
    text = (
        f"digits ({r.n_train} training images), MLP 64-{r.width}x{r.depth}-10, sigmoid, "
        f"w ~ N(0, ({r.init_gain:g}/sqrt(fan_in))^2), b = 0, the same for all three; Adam lr "
        f"{r.lr:g}, batch {r.batch_size}, {r.epochs} epochs, seed {seed}\n\n"
        + _table(["normalisation", f"epochs to loss {r.target_loss:g}", "final loss"], rows)
        + f"\n\n5-95% width of s(l), the input of the l-th sigmoid, on {r.probe} training "
        + "images (N(0, 1): 3.29)\n\n"
        + _table(head, spreads, fmt="{:.3g}")
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_normalization

        return Output(text, [plot_normalization(r, out / "lecture-normalization.png")])
    return Output(text)


# In the lecture's order (the order of ``all`` and of its index page).
RUNNERS: dict[str, Experiment] = {
    "worked-example": Experiment(
        "the autodiff slide: intermediates a..f, adjoints g_y..g_z",
        "Recall: Automatic Differentiation (reverse mode); Computation graph conventions",
        _worked_example,
        False,
    ),
    "activations": Experiment(
        "every activation function and its derivative (by backward)",
        "Lots of activation functions!; Derivative of ReLU",
        _activations,
        True,
    ),
    "relu-network": Experiment(
        "the 1-2-3-1 ReLU network: autograd vs the matrix recursion",
        "Neural Network Diagram Conventions; Conversion; Forward pass; "
        "Compute derivatives (backward pass); Matrix form",
        _relu_network,
        False,
    ),
    "finite-differences": Experiment(
        "forward vs central differences, float32 vs float64, against backprop",
        "Derivatives: intuition",
        _finite_differences,
        True,
    ),
    "vanishing-gradients": Experiment(
        "50 sigmoid layers vs 50 residual blocks",
        "Vanishing gradients; One fix: residual connection",
        _vanishing_gradients,
        True,
    ),
    "gradient-statistics": Experiment(
        "moving averages of noisy gradients, beta = 0.95 vs others",
        "Tracking gradient statistics",
        _gradient_statistics,
        True,
    ),
    "optimizers": Experiment(
        "SGD, EMAMomentum, RMSprop and Adam on the spirals and on Rosenbrock's function",
        "Track the gradient mean: momentum; Track the gradient variance: Adam; Adam performance",
        _optimizers,
        True,
    ),
    "early-stopping": Experiment(
        "go past the validation minimum and backtrack",
        'Terminating Gradient Descent "Early"',
        _early_stopping,
        True,
    ),
    "regularisation": Experiment(
        "L2 penalty and dropout on an over-parameterised MLP",
        "Neural Networks and Regularization; Dropout",
        _regularisation,
        True,
    ),
    "normalization": Experiment(
        "no normalisation, layer norm and batch norm in a 10-layer sigmoid MLP",
        "Normalize; Layer norm",
        _normalization,
        True,
    ),
}


def _listing() -> str:
    width = max(len(n) for n in RUNNERS)
    lines = [f"  {n.ljust(width)}  {e.description}" for n, e in RUNNERS.items()]
    lines.append(f"  {'all'.ljust(width)}  every one of them")
    return "\n".join(["experiments (tapegrad lecture NAME):", *lines])


def add_commands(subparsers) -> None:
    """Register ``lecture`` on ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "lecture",
        help="run a worked example or experiment of the lecture",
        description="Run one of the lecture's worked examples or experiments, print its table "
        "and, with --out, write its picture as DIR/lecture-NAME.png.\n\n" + _listing(),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME", help="an experiment, 'list' or 'all'")
    p.add_argument("--out", metavar="DIR", help="write the pictures (PNG) into DIR")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run_lecture)


def run_lecture(args: argparse.Namespace) -> int:
    """Run ``args.name`` (or list / all); returns the exit status."""
    name = args.name.strip().lower().replace("_", "-")
    if name == "list":
        print(_listing())
        return 0
    names = list(RUNNERS) if name == "all" else [name]
    if names[0] not in RUNNERS:
        return _err(
            f"unknown lecture experiment {args.name!r}; choose one of: "
            f"{', '.join(RUNNERS)}, all, list"
        )
    out = None
    if args.out is not None:
        from tapegrad.lecture.plots import matplotlib_available

        if any(RUNNERS[n].draws for n in names) and not matplotlib_available():
            return _err(f"--out needs matplotlib to draw the pictures: {PLOT_HINT}")
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return _err(f"cannot create the output folder {args.out!r}: {e.strerror}")
    sections = []
    for i, n in enumerate(names):
        if len(names) > 1:
            print(("\n" if i else "") + f"== {n} ==", flush=True)
        output = RUNNERS[n].run(args.seed, out)
        print(output, flush=True)
        sections.append(_section(n, output, args))
    if name == "all" and out is not None:
        from tapegrad.lecture.page import write_index

        print(f"\nwrote {write_index(out, sections, args.seed)}")
    return 0


def _section(name: str, output: Output, args: argparse.Namespace):
    """The index page's section of one experiment's run."""
    from tapegrad.lecture.page import Section

    e = RUNNERS[name]
    seed = f" --seed {args.seed}" if args.seed else ""
    out = f" --out {args.out}" if args.out is not None else ""
    command = f"tapegrad lecture {name}{seed}{out}"
    return Section(name, e.slides, e.description, command, output.text, output.files)


def main(argv: list[str] | None = None) -> int:
    """``python -m tapegrad.lecture.commands NAME [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="tapegrad")
    add_commands(parser.add_subparsers())
    try:
        args = parser.parse_args(["lecture", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
