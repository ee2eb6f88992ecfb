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
def _worked_example(seed: int, out: Path | None) -> str:
    from tapegrad.lecture import worked_example

    r = worked_example()
    rows = [[k, f, v] for k, f, v in r.rows()]
    agree = all(abs(r.tape[k] - v) <= 1e-12 * max(1.0, abs(v)) for k, v in r.adjoints.items())
    return Output(
        "y = exp(xz) + xz/ln(x) + sin(ln(x))/(xz) at x = 2, z = 3 (float64)\n\n"
        + _table(["name", "computes", "value"], rows, fmt="{!r}")
        + f"\n\nslide's adjoint equations == tapegrad's .grad: {agree}"
    )


def _relu_network(seed: int, out: Path | None) -> str:
    from tapegrad.lecture import relu_network

    r = relu_network()
    fwd = [[str(ly), str(r.s.get(ly, "")), str(r.o[ly])] for ly in sorted(r.o)]
    grads = [
        [k, str(r.grads_autograd[k]), str(r.grads_recursion[k])] for k in sorted(r.grads_autograd)
    ]
    return Output(
        f"1-2-3-1 ReLU network, x = {r.x[0]:g}, t = {r.t:g}: y = {r.y:g}, "
        f"loss = 1/2 (y - t)^2 = {r.loss:g}\n\n"
        + _table(["layer", "s(l)", "o(l)"], fwd)
        + "\n\n"
        + _table(["param", "loss.backward()", "r o^T / r recursion"], grads)
        + f"\n\nagree: {r.agree}"
    )


def _vanishing_gradients(seed: int, out: Path | None) -> str:
    from tapegrad.lecture import vanishing_gradients

    plain = vanishing_gradients(seed=seed)
    res = vanishing_gradients(seed=seed, residual=True)
    rows = [
        [i + 1, plain.grad_norms[i], res.grad_norms[i], plain.spread[i], res.spread[i]]
        for i in range(plain.depth)
    ]
    text = (
        f"{plain.depth} layers of width {plain.width}, sigmoid, weights and biases ~ N(0, 0.1^2), "
        f"seed {seed}, input x = {plain.x:g} (float32)\n"
        f"forward pass: z_{plain.depth} = {plain.z:.4f} (plain), {res.z:.4f} (residual)\n"
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


def _gradient_statistics(seed: int, out: Path | None) -> str:
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


def _optimizers(seed: int, out: Path | None) -> str:
    from tapegrad.lecture import optimizers_comparison

    r = optimizers_comparison(seed=seed)
    marks = sorted({1, 5, 10, 20, r.epochs} & set(range(1, r.epochs + 1)))
    rows = [[n] + [r.loss[n][e - 1] for e in marks] + [r.accuracy[n][-1]] for n in r.names]
    text = (
        f"spirals, MLP 2-32-32-2, batch {r.batch_size}, lr {r.lr:g} for all, "
        f"EMAMomentum beta {r.beta:g}, seed {seed}\n\n"
        + _table(["optimizer"] + [f"loss ep {e}" for e in marks] + ["final acc"], rows)
    )
    if out is not None:
        from tapegrad.lecture.plots import plot_optimizers

        return Output(text, [plot_optimizers(r, out / "lecture-optimizers.png")])
    return Output(text)


def _early_stopping(seed: int, out: Path | None) -> str:
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


def _regularisation(seed: int, out: Path | None) -> str:
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


# In the lecture's order (the order of ``all`` and of its index page).
RUNNERS: dict[str, Experiment] = {
    "worked-example": Experiment(
        "the autodiff slide: intermediates a..f, adjoints g_y..g_z",
        "Recall: Automatic Differentiation (reverse mode)",
        _worked_example,
        False,
    ),
    "relu-network": Experiment(
        "the 1-2-3-1 ReLU network: autograd vs the matrix recursion",
        "Forward pass; Compute derivatives (backward pass); Matrix form",
        _relu_network,
        False,
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
        "SGD, EMAMomentum, RMSprop and Adam on the spirals",
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
    for i, n in enumerate(names):
        if len(names) > 1:
            print(("\n" if i else "") + f"== {n} ==")
        print(RUNNERS[n].run(args.seed, out))
    return 0


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
