"""The ``tapegrad`` command: argument parsing only.

Subcommands ``train``, ``evaluate`` and ``predict`` (the work is done in
``tapegrad.run``), plus ``graph`` and ``draw-network`` from
``tapegrad.viz.commands``.  :func:`main` returns the exit status: 0 done,
2 bad input (one line on stderr, nothing written), 130 interrupted by Ctrl-C
(the codes are defined in ``tapegrad.run.exits``).
Heavy modules (the network code, matplotlib, tqdm) are imported only by the
subcommand that needs them, so ``tapegrad --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from tapegrad.run import config as C
from tapegrad.run.exits import EXIT_OK, EXIT_USAGE

TRAIN_EXAMPLES = """examples:
  tapegrad train                                  # MLP 64-256-10 on the bundled digits
  tapegrad train --no-progress --out runs/first   # choose the run folder, no progress bar
  tapegrad train --hidden 256,128 --optimizer momentum --lr 0.05 --epochs 50
  tapegrad train --dataset spirals --hidden 32,32,32 --activation tanh --residual
  tapegrad train --dropout 0.3 --norm layer --l2 1e-4 --early-stopping 20
  tapegrad train --dataset mnist --data-dir ~/data/mnist --batch-size 128 --epochs 10
  tapegrad train --config my.toml --seed 3        # options from a TOML file; flags win
  tapegrad train --config runs/<run>/config.toml  # rerun a finished run exactly
  tapegrad train --dataset names                  # character-level transformer on 32,033 names
  tapegrad train --text-file words.txt --model lstm   # any file, one item a line
  mpiexec -n 2 tapegrad train --distributed       # the same run shared by 2 MPI processes

A run writes config.toml, metrics.json, history.json, model.npz, curves.png and
gradients.png into --out (default runs/<timestamp>-<dataset>/).  Ctrl-C stops
after the current batch, keeps the best model so far and exits with status 130.
Keys of a --config file are the option names with '_' for '-' (batch_size = 64,
hidden = [128, 64]); 'progress = false' is --no-progress.
"""

EVALUATE_EXAMPLES = """examples:
  tapegrad evaluate runs/20250101-120000-digits
  tapegrad evaluate runs/mnist-run --data-dir ~/data/mnist   # the IDX files moved

Prints the test loss and accuracy of the saved model and its confusion matrix
(rows: true class, columns: predicted class).
"""

PREDICT_EXAMPLES = """examples:
  tapegrad predict runs/20250101-120000-digits --index 0      # first test example
  tapegrad predict runs/20250101-120000-digits --image seven.png
  tapegrad predict runs/mnist-run --image digit.pgm --invert  # dark ink on white paper

Images: PNG (needs matplotlib), PGM (P2 or P5) or .npy, grey values of the
data set's size (8x8 for digits, 28x28 for MNIST).  Integer values are divided
by the image's maximum grey value (255 for PNG and most files; 16 for 8x8
digits drawn on the UCI scale 0..16); float values are used as given, in [0, 1].
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: ``prog: error: message``."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _option_type(name: str):
    """An argparse ``type=`` that checks the value with :func:`config.coerce`."""

    def convert(text: str):
        try:
            return C.coerce(name, text)
        except C.ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def _valued_options() -> list[tuple[str, str, str]]:
    """(flag, metavar, help) of every ``train`` option that takes a value."""
    d = C.TrainConfig()
    lr_defaults = ", ".join(f"{k} {v:g}" for k, v in C.DEFAULT_LR.items())
    hidden = ",".join(map(str, d.hidden))
    channels = ",".join(map(str, d.channels))
    return [
        ("--dataset", "NAME", f"{{{', '.join(C.DATASETS)}}} (default {d.dataset})"),
        ("--data-dir", "DIR", "folder with the MNIST / Fashion-MNIST IDX files (never fetched)"),
        ("--model", "NAME", f"{{{', '.join(C.MODELS)}}} (default {d.model}; names: transformer)"),
        (
            "--channels",
            "C1,C2,...",
            f"--model cnn: channels of its 3x3 convolutions (default {channels})",
        ),
        ("--hidden", "W1,W2,...", f"hidden layer widths; '' for none (default {hidden})"),
        ("--activation", "NAME", f"{{{', '.join(C.ACTIVATIONS)}}} (default {d.activation})"),
        ("--optimizer", "NAME", f"{{{', '.join(C.OPTIMIZERS)}}} (default {d.optimizer})"),
        ("--lr", "RATE", f"learning rate > 0 (default per optimizer: {lr_defaults})"),
        ("--epochs", "N", f"maximum number of epochs (default {d.epochs})"),
        ("--batch-size", "N", f"examples per step (default {d.batch_size})"),
        ("--weight-decay", "LAMBDA", "weight decay in the optimizer (default 0; adamw 0.01)"),
        ("--l2", "LAMBDA", "explicit penalty lambda * sum w^2 over weight matrices (default 0)"),
        (
            "--dropout",
            "P",
            f"dropout probability after each hidden activation (default {d.dropout:g})",
        ),
        ("--norm", "KIND", f"{{{', '.join(C.NORMS)}}}: normalisation before each activation"),
        (
            "--early-stopping",
            "PATIENCE",
            "stop after PATIENCE epochs without a better validation loss and keep the best "
            f"model; 0 is off (default {d.early_stopping})",
        ),
        ("--seed", "N", f"seed of split, weights, shuffling, dropout (default {d.seed})"),
        ("--dtype", "TYPE", f"{{{', '.join(C.DTYPES)}}} (default {d.dtype})"),
        ("--out", "DIR", "run folder (default runs/<timestamp>-<dataset>/)"),
        ("--text-file", "FILE", "language model on FILE's lines (one word or name a line)"),
        ("--block", "N", "language models: characters of context (default 16; mlp 8)"),
        ("--embed", "N", "language models: embedding width (default 64; mlp 16)"),
        ("--layers", "N", "language models: transformer blocks (default 4) or RNN layers (1)"),
        ("--heads", "N", "--model transformer: attention heads (default 4)"),
    ]


def _add_train(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train an MLP and write a run folder",
        description="Train a multilayer perceptron (softmax cross-entropy) and save the run: "
        "model, metrics, history, plots.  Every option can also come from --config FILE.toml.",
        epilog=TRAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    add = p.add_argument
    add("--config", metavar="FILE.toml", help="read options from a TOML file (flags override it)")
    for flag, metavar, text in _valued_options():
        add(flag, type=_option_type(flag[2:].replace("-", "_")), metavar=metavar, help=text)
    add(
        "--residual",
        action=argparse.BooleanOptionalAction,
        help="skip connections around hidden layers of equal width (default off)",
    )
    add(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar (one line per epoch instead)",
    )
    add(
        "--distributed",
        action="store_true",
        help="data-parallel over the ranks of an MPI job: mpiexec -n N tapegrad train "
        "--distributed ... (pip install 'tapegrad[mpi]'; see docs/scaling.md)",
    )
    p.set_defaults(func=_run_train)


def _add_evaluate(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="test metrics and confusion matrix of a saved run",
        description="Reload the model of a run folder and report its test loss, test accuracy "
        "and confusion matrix.",
        epilog=EVALUATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by tapegrad train")
    p.add_argument("--data-dir", metavar="DIR", help="override the run's IDX folder")
    p.set_defaults(func=_run_evaluate)


def _add_predict(subparsers) -> None:
    p = subparsers.add_parser(
        "predict",
        help="class probabilities for one example",
        description="Reload the model of a run folder and print its class probabilities for "
        "one test-set example or one image file.",
        epilog=PREDICT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by tapegrad train")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--index", type=int, metavar="N", help="index of a test-set example")
    which.add_argument("--image", metavar="FILE", help="a .png, .pgm or .npy grey image")
    p.add_argument("--invert", action="store_true", help="invert the image (dark ink on white)")
    p.add_argument("--data-dir", metavar="DIR", help="override the run's IDX folder")
    p.set_defaults(func=_run_predict)


SAMPLE_EXAMPLES = """examples:
  tapegrad sample runs/20250101-120000-names -n 20
  tapegrad sample runs/20250101-120000-names --temperature 0.8 --top-k 10 --prefix jo

Draws characters from softmax(logits / T) (only the K most likely with --top-k)
until the end token, and marks the words that are in the training set.
"""


def _add_sample(subparsers) -> None:
    p = subparsers.add_parser(
        "sample",
        help="sample new words (names) from a language-model run",
        description="Reload the language model of a run folder (tapegrad train --dataset names "
        "or --text-file) and print words sampled from it, and how many are new.",
        epilog=SAMPLE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a language-model run folder")
    p.add_argument("-n", type=int, default=20, metavar="N", help="words to sample (default 20)")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T", help="> 0 (default 1)")
    p.add_argument("--top-k", type=int, metavar="K", help="sample from the K likeliest only")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--prefix", default="", metavar="TEXT", help="every word starts with TEXT")
    p.set_defaults(func=_run_sample)


def build_parser() -> argparse.ArgumentParser:
    """The ``tapegrad`` parser with every subcommand."""
    parser = _Parser(
        prog="tapegrad",
        description="tapegrad: reverse-mode autodiff and neural networks on NumPy.",
        epilog="Run 'tapegrad COMMAND --help' for the options and examples of a command.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_train(subparsers)
    _add_evaluate(subparsers)
    _add_predict(subparsers)
    _add_sample(subparsers)
    from tapegrad.lecture.commands import add_commands as add_lecture_commands
    from tapegrad.viz.commands import add_commands as add_viz_commands

    add_viz_commands(subparsers)
    add_lecture_commands(subparsers)
    return parser


# The run functions import their machinery lazily (start-up time).
def _run_train(args: argparse.Namespace) -> int:
    from tapegrad.run.job import run_train

    return run_train(args)


def _run_evaluate(args: argparse.Namespace) -> int:
    from tapegrad.run.saved import run_evaluate

    return run_evaluate(args)


def _run_predict(args: argparse.Namespace) -> int:
    from tapegrad.run.saved import run_predict

    return run_predict(args)


def _run_sample(args: argparse.Namespace) -> int:
    from tapegrad.run.lm_saved import run_sample

    return run_sample(args)


def main(argv: list[str] | None = None) -> int:
    """Run the ``tapegrad`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns the exit status instead of exiting, so tests can call it.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if not hasattr(args, "func"):  # no subcommand given
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
