"""The command line: ``python -m tinygrad_relu`` (or ``tinygrad-relu``) trains a small MLP with autograd.

With no arguments it fits XOR with a leaky-ReLU network and prints the model, a progress bar, the
final loss and a table of the inputs with prediction and target. ``--help`` lists the options;
``--plot`` draws the training history, ``--compare`` trains once per activation.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import Any, NoReturn

from .nn import ACTIVATIONS
from .run import DATASETS, VALUE_DIGITS, compare, draw_sample, plot, sizes, train
from .train import HEADS, blas_threads_for

MULTICLASS = {"spirals": "three", "digits": "ten"}  # the datasets only softmax cross-entropy handles
PLOT_SUFFIXES = (".png", ".svg", ".pdf")

# Per-dataset defaults for the options left unset: small enough to train in seconds.
DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {"hidden": [8], "epochs": 150, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "circles": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "spirals": {"hidden": [16, 16], "epochs": 100, "lr": 0.05, "optimizer": "adam", "loss": "ce"},
    "digits": {"hidden": [64, 64], "epochs": 150, "lr": 0.01, "optimizer": "adam", "loss": "ce", "engine": "tensor"},
}


MAX_EPOCHS = 100_000  # about an hour for the Value engine on moons: past it, a typo more likely than a plan


def _whole_number(text: str, least: int, most: int | None = None) -> int:
    try:
        n = int(text)
    except ValueError:
        n = least - 1
    if n < least or (most is not None and n > most):
        bound = f"an integer >= {least}" if most is None else f"an integer from {least} to {most:,}"
        raise argparse.ArgumentTypeError(f"expected {bound}, got {text!r}")
    return n


def _epochs(text: str) -> int:
    return _whole_number(text, 1, MAX_EPOCHS)


def _seed(text: str) -> int:
    return _whole_number(text, 0)  # numpy's generators take seeds >= 0


def _sample(text: str) -> int:
    return _whole_number(text, 0)  # a sample number: 0, 1, 2, ...


def _hidden_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer sizes like 16,16, got {text!r}")
    return sizes


def _finite_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def _positive_float(text: str) -> float:
    x = _finite_float(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return x


def _activation_list(text: str) -> list[str]:
    names = text.split(",")
    wrong = [n for n in names if n not in ACTIVATIONS]
    if wrong or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"expected distinct activations among {', '.join(ACTIVATIONS)}, comma-separated, got {text!r}"
        )
    return names


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error: the usage block is for ``--help``, not for every typo."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` on one line and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; options left unset take the chosen dataset's defaults."""
    parser = _Parser(
        prog="tinygrad-relu",
        description="Train a small MLP with autograd (the scalar Value engine) and show how well it fits.",
        epilog="Defaults by dataset (hidden, epochs, lr, optimizer, loss): "
        + "; ".join(
            f"{name} {','.join(map(str, d['hidden']))}, {d['epochs']}, {d['lr']:g}, {d['optimizer']}, {d['loss']}"
            for name, d in DEFAULTS.items()
        ),
    )
    parser.add_argument(
        "--dataset",
        choices=list(DATASETS),
        default="xor",
        help="the training data: the 4 XOR points (default), or 100 moons / 100 circles / "
        "150 spiral points (3 classes), or the 1,797 8x8 handwritten digits (10 classes; "
        "80%% train, 20%% held out for a test accuracy; Tensor engine by default)",
    )
    parser.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        default=None,
        help="hidden-layer activation (default leaky_relu); the output layer is always linear",
    )
    parser.add_argument(
        "--alpha",
        type=_finite_float,
        default=None,
        help="negative slope of leaky_relu (default 0.01) or initial learnable slope of "
        "prelu (default 0.25); not allowed with relu, tanh, sigmoid",
    )
    parser.add_argument(
        "--hidden",
        type=_hidden_sizes,
        default=None,
        metavar="SIZES",
        help="hidden layer sizes, comma-separated, e.g. 16,16",
    )
    parser.add_argument("--epochs", type=_epochs, default=None, help="full-batch training steps")
    parser.add_argument("--lr", type=_positive_float, default=None, help="learning rate")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default=None, help="sgd (momentum 0.9) or adam")
    parser.add_argument(
        "--loss",
        choices=list(HEADS),
        default=None,
        help="bce: sigmoid output with binary cross-entropy; mse: regression on 0/1 targets; "
        "hinge: max-margin on -1/+1 labels; ce: softmax cross-entropy (needed for spirals and digits)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seed for the weights and the data (an integer >= 0, default 0)"
    )
    parser.add_argument(
        "--engine",
        choices=["value", "tensor"],
        default=None,
        help="value: one graph node per number (default, what --graph draws best; on digits it "
        f"trains on the first {VALUE_DIGITS} images, 30 epochs unless --epochs says); "
        "tensor: the same network as Linear layers on numpy arrays, much faster (the default for digits)",
    )
    parser.add_argument(
        "--traced",
        action="store_true",
        help="run each training step as a traced program (tinygrad_relu.trace): the same numbers, bit for bit, "
        "without building a graph per step; tracing takes a moment first",
    )
    parser.add_argument(
        "--graph",
        metavar="FILE",
        default=None,
        help="after training, draw the backward pass of one sample's loss to FILE "
        "(.svg, .png, .pdf or .dot; needs the graphviz program 'dot' except for .dot)",
    )
    parser.add_argument(
        "--frames",
        metavar="DIR",
        default=None,
        help="after training, write the same backward pass one closure at a time, "
        "as DIR/frame_001.svg, frame_002.svg, ...",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="draw the training history to FILE (.png, .svg or .pdf; needs matplotlib): loss and "
        "accuracy, gradient norm and dead / alpha-side share per layer, and the decision "
        "regions for 2-D data",
    )
    parser.add_argument(
        "--compare",
        type=_activation_list,
        default=None,
        metavar="ACTIVATIONS",
        help="train the same network from the same seed once per activation, e.g. "
        "relu,leaky_relu,prelu, and compare them in the summary (and in --plot's figure)",
    )
    parser.add_argument(
        "--explore",
        metavar="FILE.html",
        default=None,
        help="after training, write an interactive page that steps through the same backward "
        "pass closure by closure (one self-contained .html file, opens offline)",
    )
    parser.add_argument(
        "--sample",
        type=_sample,
        default=None,
        metavar="N",
        help="which sample --graph/--frames/--explore show (default: the worst-classified one, "
        "where the gradients are largest)",
    )
    parser.add_argument(
        "--explore-at",
        choices=["start", "end"],
        default="start",
        help="draw the model's backward pass at the start of training (default: its first step, gradients that "
        "read as numbers) or at its end (a trained model's gradients are often tiny)",
    )
    parser.add_argument(
        "--group",
        choices=["auto", "neuron", "layer", "none"],
        default="auto",
        help="draw the network one box per neuron, per layer, or node by node (none); auto (default): per "
        "neuron when they fit with readable text, else per layer (the explorer's layer boxes open into neurons)",
    )
    return parser


_PICTURES = (".svg", ".png", ".pdf", ".dot", ".gv")
_PAGES = (".html", ".htm")
#: The largest network each engine builds: past it a typo is likelier than a plan, and memory runs out.
MAX_PARAMETERS = {"value": 1_000_000, "tensor": 25_000_000}


def _file_problem(option: str, path: str, suffixes: Sequence[str]) -> str | None:
    """Why ``option path`` cannot be written, found by trying it (root may write where the mode bits say no)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        return f"{option} {path}: the file name must end in {', '.join(suffixes)}"
    if os.path.isdir(path):
        return f"{option} {path}: is a folder, not a file name"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"{option} {path}: cannot write into {folder} (no such folder)"
    try:
        if os.path.exists(path):
            with open(path, "ab"):  # opened for appending, nothing written: the file stays as it was
                pass
        else:
            with open(path, "xb"):
                pass
            os.remove(path)
    except OSError as error:
        return f"{option} {path}: cannot write into {folder} ({error.strerror or error})"
    return None


def _folder_problem(option: str, path: str) -> str | None:
    """Why ``option path`` cannot become a folder of files, found by making (and removing) a folder there."""
    if os.path.exists(path) and not os.path.isdir(path):
        return f"{option} {path}: is a file, not a folder"
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{option} {path}: cannot write into {existing} (not a folder)"
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing))
    except OSError as error:
        return f"{option} {path}: cannot write into {existing} ({error.strerror or error})"
    return None


def _output_problem(args: argparse.Namespace) -> str | None:
    """Why an output asked for cannot be written (checked before training, so nothing is written unless all can
    be), or None: a bad suffix or place, two outputs on one file, no matplotlib or no ``dot``."""
    files = [
        (option, path, suffixes)
        for option, path, suffixes in (
            ("--plot", args.plot, PLOT_SUFFIXES),
            ("--graph", args.graph, _PICTURES),
            ("--explore", args.explore, _PAGES),
        )
        if path is not None
    ]
    written: dict[str, str] = {}
    for option, path, suffixes in files:
        problem = _file_problem(option, path, suffixes)
        if problem:
            return problem
        same = written.setdefault(os.path.realpath(path), option)
        if same != option:
            return f"{same} and {option} both write {path}: give each its own file"
    if args.frames is not None:
        problem = _folder_problem("--frames", args.frames)
        if problem:
            return problem
        writer = written.get(os.path.realpath(args.frames))
        if writer is not None:
            return f"{writer} writes {args.frames}, the folder --frames fills: give each its own path"
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        return '--plot needs matplotlib: pip install "tinygrad_relu[plot]" (or pip install matplotlib)'
    needs_dot = [
        option for option, path, _ in files if option != "--plot" and not path.lower().endswith((".dot", ".gv"))
    ]
    needs_dot += ["--frames"] if args.frames is not None else []
    if needs_dot and shutil.which("dot") is None:
        return (
            f"{' and '.join(needs_dot)} need the graphviz program 'dot', not found on PATH: install it with "
            "'sudo apt-get install graphviz' (or 'brew install graphviz'), or write .dot text with --graph"
        )
    return None


def _size_problem(args: argparse.Namespace) -> str | None:
    """Why the data and network ``args`` describe cannot be used: a --sample past the data, a network too big."""
    samples, parameters = sizes(args)
    if args.sample is not None and args.sample >= samples:
        return f"--sample {args.sample}: {args.dataset} has {samples} samples (0 to {samples - 1})"
    limit = MAX_PARAMETERS[args.engine]
    if parameters > limit:
        return (
            f"--hidden {','.join(map(str, args.hidden))}: {parameters:,} parameters, more than the {limit:,} "
            f"the {args.engine} engine builds"
        )
    return None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and complete the options; a bad combination exits with code 2 and one line of error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.compare and args.activation:
        parser.error("--compare trains each activation it lists: leave out --activation")
    epochs_given = args.epochs is not None
    for key, value in {"activation": "leaky_relu", "engine": "value", **DEFAULTS[args.dataset]}.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.dataset == "digits" and args.engine == "value" and not epochs_given:
        args.epochs = 30  # a node per number: about 1.5 s an epoch on the 200-image subset
    if args.alpha is not None and not args.compare and args.activation not in ("leaky_relu", "prelu"):
        parser.error(f"--alpha applies to leaky_relu and prelu, not {args.activation}")
    if args.dataset in MULTICLASS and args.loss != "ce":
        parser.error(
            f"--loss {args.loss} handles two classes; {args.dataset} has {MULTICLASS[args.dataset]}: use --loss ce"
        )
    problem = _output_problem(args) or _size_problem(args)
    if problem:
        parser.error(problem)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, train, print; returns the exit code (argparse exits with 2 on bad input)."""
    args = parse_args(argv)
    samples, parameters = sizes(args)
    try:
        with blas_threads_for(parameters, samples):
            results = [train(args)] if not args.compare else compare(args)
            if args.plot:
                plot(results, args.plot)
            if args.graph or args.frames or args.explore:
                return draw_sample(results[-1], args)
    except BrokenPipeError:
        return _reader_gone()
    except MemoryError:
        print("tinygrad-relu: out of memory: try a smaller --hidden or dataset", file=sys.stderr)
        return 1
    return 0


def _reader_gone() -> int:
    """The reader of stdout stopped early (``| head``): stop quietly, as other command-line tools do."""
    # Python flushes stdout again at exit, which would raise once more: point it at devnull.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1
