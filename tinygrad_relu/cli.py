"""The command line: ``python -m tinygrad_relu`` (or ``tinygrad-relu``) trains a small MLP with autograd.

With no arguments it fits XOR with a leaky-ReLU network and prints the model, a progress bar, the
final loss and a table of the inputs with prediction and target. ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, TextIO, Union

import numpy as np

from . import data, optim
from .nn import ACTIVATIONS, MLP, Module, mlp
from .tensor import Tensor
from .train import HEADS, Head, fit, loss_of
from .value import Value

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {"xor": data.xor, "moons": data.make_moons, "circles": data.make_circles,
            "spirals": data.make_spirals}

# Per-dataset defaults for the options left unset: small enough to train in seconds.
DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {"hidden": [8], "epochs": 150, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "circles": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "spirals": {"hidden": [16, 16], "epochs": 100, "lr": 0.05, "optimizer": "adam", "loss": "ce"},
}


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a sample number 0, 1, 2, ..., got {text!r}")
    return n


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; options left unset take the chosen dataset's defaults."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-relu",
        description="Train a small MLP with autograd (the scalar Value engine) and show how well it fits.",
        epilog="Defaults by dataset (hidden, epochs, lr, optimizer, loss): " + "; ".join(
            f"{name} {','.join(map(str, d['hidden']))}, {d['epochs']}, {d['lr']:g}, {d['optimizer']}, {d['loss']}"
            for name, d in DEFAULTS.items()),
    )
    parser.add_argument("--dataset", choices=list(DATASETS), default="xor",
                        help="the training data: the 4 XOR points (default), or 100 moons / 100 circles / "
                             "150 spiral points (3 classes)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="leaky_relu",
                        help="hidden-layer activation (default leaky_relu); the output layer is always linear")
    parser.add_argument("--alpha", type=_finite_float, default=None,
                        help="negative slope of leaky_relu (default 0.01) or initial learnable slope of "
                             "prelu (default 0.25); not allowed with relu, tanh, sigmoid")
    parser.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="SIZES",
                        help="hidden layer sizes, comma-separated, e.g. 16,16")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help="full-batch training steps")
    parser.add_argument("--lr", type=_positive_float, default=None, help="learning rate")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default=None,
                        help="sgd (momentum 0.9) or adam")
    parser.add_argument("--loss", choices=list(HEADS), default=None,
                        help="bce: sigmoid output with binary cross-entropy; mse: regression on 0/1 targets; "
                             "hinge: max-margin on -1/+1 labels; ce: softmax cross-entropy (needed for spirals)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights and the data (default 0)")
    parser.add_argument("--engine", choices=["value", "tensor"], default="value",
                        help="value: one graph node per number (default, what --graph draws best); tensor: "
                             "the same network as Linear layers on numpy arrays, much faster")
    parser.add_argument("--graph", metavar="FILE", default=None,
                        help="after training, draw the backward pass of one sample's loss to FILE "
                             "(.svg, .png, .pdf or .dot; needs the graphviz program 'dot' except for .dot)")
    parser.add_argument("--frames", metavar="DIR", default=None,
                        help="after training, write the same backward pass one closure at a time, "
                             "as DIR/frame_001.svg, frame_002.svg, ...")
    parser.add_argument("--explore", metavar="FILE.html", default=None,
                        help="after training, write an interactive page that steps through the same backward "
                             "pass closure by closure (one self-contained .html file, opens offline)")
    parser.add_argument("--sample", type=_count, default=None, metavar="N",
                        help="which sample --graph/--frames/--explore show (default: the first whose inputs "
                             "are all nonzero, so no weight edge is zero just because its input is 0)")
    parser.add_argument("--group", choices=["neuron", "layer", "none"], default="neuron",
                        help="draw the network one box per neuron (default), per layer, or node by node (none)")
    return parser


_PICTURES = (".svg", ".png", ".pdf", ".dot", ".gv")


def _check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop before training on an output path that cannot be written (a bad suffix or folder, no ``dot``)."""
    import shutil

    needs_dot = []
    for option, path, suffixes in (("--graph", args.graph, _PICTURES), ("--explore", args.explore, (".html", ".htm"))):
        if path is None:
            continue
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in suffixes:
            parser.error(f"{option} {path}: the file name must end in {', '.join(suffixes)}")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            parser.error(f"{option} {path}: cannot write into {folder} (no such folder, or not writable)")
        if suffix not in (".dot", ".gv"):
            needs_dot.append(option)
    if args.frames is not None:
        existing = os.path.abspath(args.frames)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing) or not os.access(existing, os.W_OK):
            parser.error(f"--frames {args.frames}: cannot write into {existing} (not a writable folder)")
        needs_dot.append("--frames")
    if needs_dot and shutil.which("dot") is None:
        parser.error(f"{' and '.join(needs_dot)} need the graphviz program 'dot', not found on PATH: install it with "
                     "'sudo apt-get install graphviz' (or 'brew install graphviz'), or write .dot text with --graph")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse and complete the options; a bad combination exits with code 2 and one line of error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for key, value in DEFAULTS[args.dataset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.alpha is not None and args.activation not in ("leaky_relu", "prelu"):
        parser.error(f"--alpha applies to leaky_relu and prelu, not {args.activation}")
    if args.dataset == "spirals" and args.loss != "ce":
        parser.error(f"--loss {args.loss} handles two classes; spirals has three: use --loss ce")
    _check_outputs(parser, args)
    return args


@dataclass
class TrainResult:
    """What ``train`` produced: the trained model, its data, its scores and the text it printed."""

    model: Module
    X: np.ndarray
    y: np.ndarray
    head: Head
    final_loss: float
    accuracy: float
    output: list[str] = field(default_factory=list)

    def sample_loss(self, i: int = 0) -> Union[Value, Tensor]:
        """A fresh graph of the trained model's loss on sample ``i`` alone (for drawing it)."""
        return loss_of(self.model, self.head, self.X[i:i + 1], self.y[i:i + 1])[0]

    def default_sample(self) -> int:
        """The sample a drawing shows by default: the first with no zero input (an input of 0 makes every
        weight it meets get a zero gradient, which looks like a dead unit), else the first not all zero."""
        for rows in (np.all(self.X != 0, axis=1), np.any(self.X != 0, axis=1)):
            if rows.any():
                return int(np.argmax(rows))
        return 0


class _Printer:
    """Prints to a stream and keeps the lines; the progress bar redraws in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.live = hasattr(stream, "isatty") and stream.isatty()
        self.milestone = 0

    def line(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, file=self.stream)

    def progress(self, epoch: int, epochs: int, loss: float, acc: float) -> None:
        done = 30 * epoch // epochs
        text = f"epoch {epoch:>{len(str(epochs))}}/{epochs} [{'#' * done}{'.' * (30 - done)}] " \
               f"loss {loss:.4f}  accuracy {acc:6.1%}"
        if self.live:
            print("\r" + text, end="" if epoch < epochs else "\n", file=self.stream, flush=True)
            if epoch == epochs:
                self.lines.append(text)
        elif 10 * epoch // epochs > self.milestone or epoch == epochs:  # a line per tenth when piped
            self.milestone = 10 * epoch // epochs
            self.line(text)


def build_model(args: argparse.Namespace, classes: int) -> Module:
    """The network the options describe: ``nn.MLP`` on Values, or ``nn.mlp`` (Linear layers) on Tensors."""
    build = mlp if args.engine == "tensor" else MLP
    return build(2, [*args.hidden, HEADS[args.loss].outputs(classes)], activation=args.activation,
                 alpha=args.alpha, seed=args.seed)


def train(args: argparse.Namespace, stream: Optional[TextIO] = None) -> TrainResult:
    """Build the data and the model from ``args``, train full-batch, print progress and the results."""
    out = _Printer(sys.stdout if stream is None else stream)  # looked up now: sys.stdout may be swapped
    head = HEADS[args.loss]
    X, y = data.xor() if args.dataset == "xor" else DATASETS[args.dataset](seed=args.seed)
    model = build_model(args, int(y.max()) + 1)
    params = model.parameters()
    opt = optim.Adam(params, lr=args.lr) if args.optimizer == "adam" \
        else optim.SGD(params, lr=args.lr, momentum=0.9)
    out.line(f"model: {model} ({sum(np.size(p.data) for p in params)} parameters)")
    out.line(f"data: {args.dataset}, {len(X)} points; loss: {head.title}; "
             f"{args.optimizer} lr={args.lr:g}, {args.epochs} epochs, seed {args.seed}")
    result = fit(model, head, opt, X, y, args.epochs,
                 on_epoch=lambda epoch, loss, acc: out.progress(epoch, args.epochs, loss, acc))
    out.line(f"final loss {result.final_loss:.4f}, training accuracy {result.accuracy:.1%} ({result.seconds:.1f} s)")
    _table(out, X, y, result.shown, result.predicted, head)
    return TrainResult(model, X, y, head, result.final_loss, result.accuracy, out.lines)


def _table(out: _Printer, X: np.ndarray, y: np.ndarray, shown: np.ndarray, predicted: np.ndarray, head: Head,
           rows: int = 8) -> None:
    """The first ``rows`` samples: inputs, the prediction as the head reads it, and the target."""
    out.line(f"{'x1':>8} {'x2':>8} | {head.shown:>9} {'class':>5} | {'target':>6}")
    for (x1, x2), value, k_hat, k in list(zip(X, shown, predicted, y))[:rows]:
        mark = "" if k_hat == k else "  <- wrong"
        out.line(f"{x1:8.3f} {x2:8.3f} | {value:9.4f} {k_hat:5d} | {int(k):6d}{mark}")
    if len(X) > rows:
        out.line(f"... {len(X) - rows} more rows")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the options, train, print; returns the exit code (argparse exits with 2 on bad input)."""
    args = parse_args(argv)
    try:
        result = train(args)
        if args.graph or args.frames or args.explore:
            return _draw_sample(result, args)
    except BrokenPipeError:
        return _reader_gone()
    return 0


def _reader_gone() -> int:
    """The reader of stdout stopped early (``| head``): stop quietly, as other command-line tools do."""
    # Python flushes stdout again at exit, which would raise once more: point it at devnull.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _draw_sample(result: TrainResult, args: argparse.Namespace) -> int:
    """Draw the backward pass of one sample's loss (--graph, --frames, --explore); 1 if dot is missing."""
    from .viz import GraphvizNotFoundError, backward_frames, draw_graph, explore, save_graph, write_frames  # loads graphviz

    i = result.default_sample() if args.sample is None else args.sample
    if i >= len(result.X):
        print(f"tinygrad-relu: --sample {i}: there are only {len(result.X)} samples (0 to {len(result.X) - 1})",
              file=sys.stderr)
        return 2
    loss = result.sample_loss(i)
    loss.label = "loss"
    group = None if args.group == "none" else args.group
    where = f"sample {i} (x = " + ", ".join(f"{v:.3g}" for v in result.X[i]) + ")"
    try:
        if args.graph:
            save_graph(draw_graph(loss, mode="backward", group=group, dataset=result.X), args.graph)
            print(f"backward pass of the loss on {where}: {args.graph}")
        if args.frames:
            paths = write_frames(backward_frames(loss, group=group, dataset=result.X), args.frames)
            print(f"{len(paths)} frames, one per backward closure: {args.frames}/frame_*.svg")
        if args.explore:
            explore(loss, group=group, dataset=result.X).save(args.explore)
            print(f"explore the backward pass on {where} in a browser: {args.explore}")
    except (GraphvizNotFoundError, ValueError) as error:
        print(f"tinygrad-relu: {error}", file=sys.stderr)
        return 1
    return 0
