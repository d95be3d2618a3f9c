"""The command line: ``python -m tinygrad_relu`` (or ``tinygrad-relu``) trains a small MLP with autograd.

With no arguments it fits XOR with a leaky-ReLU network and prints the model, a progress bar, the
final loss and a table of the inputs with prediction and target. ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, TextIO

import numpy as np

from . import data, losses, optim
from .nn import ACTIVATIONS, MLP
from .tensor import Tensor
from .tensor_nn import Linear, mlp
from .value import Value
from .viz import GraphvizNotFoundError, backward_frames, draw_graph, save_graph, write_frames

DATASETS = {"xor": data.xor, "moons": data.make_moons, "circles": data.make_circles,
            "spirals": data.make_spirals}

# Per-dataset defaults for the options left unset: small enough to train in seconds.
DEFAULTS = {
    "xor": {"hidden": [8], "epochs": 150, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "moons": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "circles": {"hidden": [16, 16], "epochs": 60, "lr": 0.05, "optimizer": "adam", "loss": "bce"},
    "spirals": {"hidden": [16, 16], "epochs": 100, "lr": 0.05, "optimizer": "adam", "loss": "ce"},
}


@dataclass(frozen=True)
class Head:
    """How the network's output is read: loss, number of outputs, and the prediction shown."""

    title: str
    shown: str  # the prediction column's header
    loss: Callable[[list, list], Value]
    target: Callable[[int], float]  # class label -> what the loss compares against
    # output node(s) -> (number shown in the table, predicted class)
    read: Callable[[object], tuple[float, int]]


def _read_softmax(row: object) -> tuple[float, int]:
    z = np.array([v.data for v in row])
    k = int(np.argmax(z))
    return float(1.0 / np.exp(z - z[k]).sum()), k


HEADS = {
    "bce": Head("binary cross-entropy on a sigmoid output", "p(y=1)",
                losses.binary_cross_entropy_with_logits, float,
                lambda z: (z.sigmoid().data, int(z.data > 0))),
    "mse": Head("mean squared error on a linear (regression) output", "output",
                losses.mse_loss, float, lambda z: (z.data, int(z.data > 0.5))),
    "hinge": Head("hinge loss on a linear score, labels -1/+1", "score",
                  losses.hinge_loss, lambda k: 2.0 * k - 1.0, lambda z: (z.data, int(z.data > 0))),
    "ce": Head("softmax cross-entropy over one output per class", "p(class)",
               losses.cross_entropy, int, _read_softmax),
}


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
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
                        help="after training, draw the backward pass of sample 0's loss to FILE "
                             "(.svg, .png or .dot; needs the graphviz program 'dot' except for .dot)")
    parser.add_argument("--frames", metavar="DIR", default=None,
                        help="after training, write the same backward pass one closure at a time, "
                             "as DIR/frame_001.svg, frame_002.svg, ...")
    return parser


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
    return args


@dataclass
class TrainResult:
    """What ``train`` produced: the trained model, its data, its scores and the text it printed."""

    model: MLP
    X: np.ndarray
    y: np.ndarray
    head: Head
    final_loss: float
    accuracy: float
    output: list[str] = field(default_factory=list)

    def sample_loss(self, i: int = 0) -> Value:
        """A fresh graph of the trained model's loss on sample ``i`` alone (for drawing it)."""
        target = [self.head.target(int(self.y[i]))]
        if isinstance(self.model, MLP):
            return self.head.loss([self.model([float(v) for v in self.X[i]])], target)
        return self.head.loss(self.model(Tensor(self.X[i:i + 1])), target)  # a batch of one sample


class _Printer:
    """Prints to a stream and keeps the lines; the progress bar redraws in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.lines = stream, []
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


def train(args: argparse.Namespace, stream: Optional[TextIO] = None) -> TrainResult:
    """Build the data and the model from ``args``, train full-batch, print progress and the results."""
    out = _Printer(sys.stdout if stream is None else stream)  # looked up now: sys.stdout may be swapped
    head = HEADS[args.loss]
    if args.dataset == "xor":
        X, y = data.xor()
    else:
        X, y = DATASETS[args.dataset](seed=args.seed)
    classes = int(y.max()) + 1
    build = mlp if args.engine == "tensor" else MLP
    model = build(2, [*args.hidden, classes if args.loss == "ce" else 1], activation=args.activation,
                  alpha=args.alpha, seed=args.seed)
    params = model.parameters()
    opt = optim.Adam(params, lr=args.lr) if args.optimizer == "adam" \
        else optim.SGD(params, lr=args.lr, momentum=0.9)
    inputs = [[float(v) for v in row] for row in X]
    if args.engine == "tensor":  # the whole batch goes through at once; rows are read as Values
        batch = Tensor(X)
        forward, readable = (lambda: model(batch)), _as_values
    else:
        forward, readable = (lambda: [model(x) for x in inputs]), list
    targets = [head.target(int(k)) for k in y]
    out.line(f"model: {model} ({sum(np.size(p.data) for p in params)} parameters)")
    out.line(f"data: {args.dataset}, {len(X)} points; loss: {head.title}; "
             f"{args.optimizer} lr={args.lr:g}, {args.epochs} epochs, seed {args.seed}")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        preds = forward()
        loss = head.loss(preds, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        acc = float(np.mean([head.read(p)[1] == k for p, k in zip(readable(preds), y)]))
        out.progress(epoch, args.epochs, float(loss.data), acc)
    # The scores after the last step (the loop's were computed before it).
    preds = forward()
    final = float(head.loss(preds, targets).data)
    shown = [head.read(p) for p in readable(preds)]
    acc = float(np.mean([k_hat == k for (_, k_hat), k in zip(shown, y)]))
    out.line(f"final loss {final:.4f}, training accuracy {acc:.1%} ({time.perf_counter() - start:.1f} s)")
    _table(out, X, y, shown, head)
    return TrainResult(model, X, y, head, final, acc, out.lines)


def _as_values(out: Tensor) -> list:
    """A Tensor model's (N, k) output as the Value MLP gives it: per sample a Value (k = 1) or a list of k."""
    return [Value(row[0]) if len(row) == 1 else [Value(v) for v in row] for row in out.data.tolist()]


def _table(out: _Printer, X: np.ndarray, y: np.ndarray, shown: list, head: Head, rows: int = 8) -> None:
    """The first ``rows`` samples: inputs, the prediction as the head reads it, and the target."""
    out.line(f"{'x1':>8} {'x2':>8} | {head.shown:>9} {'class':>5} | {'target':>6}")
    for (x1, x2), (value, k_hat), k in list(zip(X, shown, y))[:rows]:
        mark = "" if k_hat == k else "  <- wrong"
        out.line(f"{x1:8.3f} {x2:8.3f} | {value:9.4f} {k_hat:5d} | {int(k):6d}{mark}")
    if len(X) > rows:
        out.line(f"... {len(X) - rows} more rows")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the options, train, print; returns the exit code (argparse exits with 2 on bad input)."""
    args = parse_args(argv)
    try:
        result = train(args)
        if args.graph or args.frames:
            return _draw_sample(result, args.graph, args.frames)
    except BrokenPipeError:
        return _reader_gone()
    return 0


def _reader_gone() -> int:
    """The reader of stdout stopped early (``| head``): stop quietly, as other command-line tools do."""
    # Python flushes stdout again at exit, which would raise once more: point it at devnull.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _draw_sample(result: TrainResult, graph: Optional[str], frames: Optional[str]) -> int:
    """Draw the backward pass of sample 0's loss (--graph) and its frames (--frames); 1 if dot is missing."""
    linears = [m for m in result.model.layers if isinstance(m, Linear)]
    for l, layer in enumerate(linears, 1):  # a Tensor model's names: W<layer>, b<layer>
        layer.weight.label, layer.bias.label = f"W{l}", f"b{l}"
    for l, layer in enumerate(result.model.layers if not linears else [], 1):  # w<layer>.<neuron>.<input>
        for j, neuron in enumerate(layer.neurons, 1):
            neuron.b.label = f"b{l}.{j}"
            for i, w in enumerate(neuron.w, 1):
                w.label = f"w{l}.{j}.{i}"
    loss = result.sample_loss(0)
    loss.label = "loss"
    where = "sample 0 (x = " + ", ".join(f"{v:.3g}" for v in result.X[0]) + ")"
    try:
        if graph:  # the user asked for this picture: a large network is drawn, not refused
            save_graph(draw_graph(loss, mode="backward", max_nodes=100_000), graph)
            print(f"backward pass of the loss on {where}: {graph}")
        if frames:
            paths = write_frames(backward_frames(loss, max_nodes=100_000), frames)
            print(f"{len(paths)} frames, one per backward closure: {frames}/frame_*.svg")
    except GraphvizNotFoundError as error:
        print(f"tinygrad-relu: {error}", file=sys.stderr)
        return 1
    return 0
