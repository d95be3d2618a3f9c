"""What one command-line run does once its options are parsed: load the data, build the network, train it
while printing progress, print the results, and draw or plot what was asked for. ``cli.py`` parses."""

from __future__ import annotations

import argparse
import copy
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from . import data, optim
from .nn import MLP, Module, mlp
from .train import HEADS, Head, History, Loss, fit, loss_of

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "xor": data.xor,
    "moons": data.make_moons,
    "circles": data.make_circles,
    "spirals": data.make_spirals,
    "digits": data.load_digits,
}
SPLIT_SEED = 0  # the held-out digits are the same whatever --seed says, so runs compare
VALUE_DIGITS = 200  # training images the Value engine takes: a node per number is slow on all 1,438


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
    history: History = field(default_factory=History)
    test_accuracy: float | None = None  # on the held-out set, for a dataset that has one
    start: Module | None = None  # the model as it was before training (its initial weights)

    def model_at(self, at: str = "end") -> Module:
        """The model at the start of training (``at="start"``, its initial weights) or at its end."""
        return self.start if at == "start" and self.start is not None else self.model

    def sample_loss(self, i: int = 0, at: str = "end") -> Loss:
        """A fresh graph of the model's loss on sample ``i`` alone, at the start or the end of training."""
        return loss_of(self.model_at(at), self.head, self.X[i : i + 1], self.y[i : i + 1])[0]

    def default_sample(self, at: str = "end") -> int:
        """The sample a drawing shows by default: the worst-classified one (the largest loss) at ``at``, where
        the gradients are largest and read as numbers."""
        losses = [float(np.reshape(self.sample_loss(i, at).data, -1)[0]) for i in range(len(self.X))]
        return int(np.argmax(losses)) if losses else 0


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
        text = (
            f"epoch {epoch:>{len(str(epochs))}}/{epochs} [{'#' * done}{'.' * (30 - done)}] "
            f"loss {loss:.4f}  accuracy {acc:6.1%}"
        )
        if self.live:
            print("\r" + text, end="" if epoch < epochs else "\n", file=self.stream, flush=True)
            if epoch == epochs:
                self.lines.append(text)
        elif 10 * epoch // epochs > self.milestone or epoch == epochs:  # a line per tenth when piped
            self.milestone = 10 * epoch // epochs
            self.line(text)


def build_model(args: argparse.Namespace, classes: int, inputs: int = 2) -> Module:
    """The network the options describe: ``nn.MLP`` on Values, or ``nn.mlp`` (Linear layers) on Tensors."""
    build = mlp if args.engine == "tensor" else MLP
    return build(
        inputs,
        [*args.hidden, HEADS[args.loss].outputs(classes)],
        activation=args.activation,
        alpha=args.alpha,
        seed=args.seed,
    )


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The training set ``(X, y)`` of ``args.dataset`` and its held-out ``(X_test, y_test)`` (None for the toys)."""
    if args.dataset != "digits":
        X, y = data.xor() if args.dataset == "xor" else DATASETS[args.dataset](seed=args.seed)
        return X, y, None
    X_train, y_train, X_test, y_test = data.train_test_split(*data.load_digits(), test=0.2, seed=SPLIT_SEED)
    return X_train, y_train, (X_test, y_test)


def _value_subset(args: argparse.Namespace, test: object, samples: int) -> bool:
    """True if the Value engine trains on the first ``VALUE_DIGITS`` images only (a node per number is slow)."""
    return test is not None and args.engine == "value" and samples > VALUE_DIGITS


def sizes(args: argparse.Namespace) -> tuple[int, int]:
    """(training samples, parameters) of the run ``args`` describes, known before anything is built or trained."""
    X, y, test = load_data(args)
    samples = VALUE_DIGITS if _value_subset(args, test, len(X)) else len(X)
    widths = [X.shape[1], *args.hidden, HEADS[args.loss].outputs(int(y.max()) + 1)]
    return samples, sum((nin + 1) * nout for nin, nout in zip(widths, widths[1:]))


def train(args: argparse.Namespace, stream: TextIO | None = None) -> TrainResult:
    """Build the data and the model from ``args``, train full-batch, print progress and the results."""
    out = _Printer(sys.stdout if stream is None else stream)  # looked up now: sys.stdout may be swapped
    head = HEADS[args.loss]
    X, y, test = load_data(args)
    model = build_model(args, int(y.max()) + 1, X.shape[1])
    start = copy.deepcopy(model)  # what a drawing of the first step shows
    params = model.parameters()
    opt = optim.Adam(params, lr=args.lr) if args.optimizer == "adam" else optim.SGD(params, lr=args.lr, momentum=0.9)
    out.line(f"model: {model} ({sum(np.size(p.data) for p in params)} parameters)")
    if _value_subset(args, test, len(X)):
        out.line(
            f"value engine: training on the first {VALUE_DIGITS} of the {len(X)} training images "
            "(a node per number is slow; --engine tensor trains on all of them)"
        )
        X, y = X[:VALUE_DIGITS], y[:VALUE_DIGITS]
    held_out = "" if test is None else f" (+ {len(test[1])} held out)"
    out.line(
        f"data: {args.dataset}, {len(X)} points{held_out}; loss: {head.title}; "
        f"{args.optimizer} lr={args.lr:g}, {args.epochs} epochs, seed {args.seed}"
    )
    result = fit(
        model,
        head,
        opt,
        X,
        y,
        args.epochs,
        on_epoch=lambda epoch, loss, acc: out.progress(epoch, args.epochs, loss, acc),
        test=test,
        label=args.activation,
        traced=getattr(args, "traced", False),
    )
    out.line(f"final loss {result.final_loss:.4f}, training accuracy {result.accuracy:.1%} ({result.seconds:.1f} s)")
    if result.test_accuracy is not None:
        out.line(f"test accuracy {result.test_accuracy:.1%} ({len(test[1])} held-out samples)")  # type: ignore[index]
    _table(out, X, y, result.shown, result.predicted, head)
    return TrainResult(
        model, X, y, head, result.final_loss, result.accuracy, out.lines, result.history, result.test_accuracy, start
    )


def _table(
    out: _Printer, X: np.ndarray, y: np.ndarray, shown: np.ndarray, predicted: np.ndarray, head: Head, rows: int = 8
) -> None:
    """The first ``rows`` samples: inputs (or the sample's number beyond 2-D), the prediction as the head
    reads it, and the target."""
    flat = X.shape[1] == 2
    out.line(
        (f"{'x1':>8} {'x2':>8}" if flat else f"{'sample':>17}") + f" | {head.shown:>9} {'class':>5} | {'target':>6}"
    )
    for i, (x, value, k_hat, k) in enumerate(list(zip(X, shown, predicted, y))[:rows]):
        mark = "" if k_hat == k else "  <- wrong"
        where = f"{x[0]:8.3f} {x[1]:8.3f}" if flat else f"{i:17d}"
        out.line(f"{where} | {value:9.4f} {k_hat:5d} | {int(k):6d}{mark}")
    if len(X) > rows:
        out.line(f"... {len(X) - rows} more rows")


def compare(args: argparse.Namespace) -> list[TrainResult]:
    """Train once per ``--compare`` activation from the same seed, then print one summary line per run."""
    results = []
    for activation in args.compare:
        print(f"== {activation} ==")
        alpha = args.alpha if activation in ("leaky_relu", "prelu") else None
        results.append(train(argparse.Namespace(**{**vars(args), "activation": activation, "alpha": alpha})))
    print(f"comparison, the same network from the same start (seed {args.seed}):")
    print(f"{'activation':<12} {'final loss':>10} {'train acc':>9} {'test acc':>8}  units <= 0")
    for activation, result in zip(args.compare, results):
        test = "-" if result.test_accuracy is None else f"{result.test_accuracy:.1%}"
        shares = result.history.dead_share[-1] if result.history.dead_share else []
        where = "  ".join(f"{name} {share:.0%}" for name, share in zip(result.history.rectifiers, shares))
        print(f"{activation:<12} {result.final_loss:10.4f} {result.accuracy:9.1%} {test:>8}  {where or '-'}")
    print(
        "units <= 0: per hidden layer, the share of units <= 0 on every training sample in the last epoch "
        "(dead for relu, on the alpha side for leaky_relu and prelu)"
    )
    return results


def plot(results: list[TrainResult], path: str) -> None:
    """Write one figure of every run's history (and decision regions for 2-D data) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # a file is all we draw: no window, whatever the display
    from .plot import plot_comparison  # loads matplotlib

    first = results[0]
    figure = plot_comparison([(r.history, r.model) for r in results], first.X, first.y, first.head)
    figure.savefig(path)
    from matplotlib import pyplot

    pyplot.close(figure)
    print(f"training history: {path}")


def draw_sample(result: TrainResult, args: argparse.Namespace) -> int:
    """Draw the backward pass of one sample's loss (--graph, --frames, --explore); 1 if dot is missing."""
    from .viz import (  # loads graphviz
        GraphvizNotFoundError,
        backward_frames,
        draw_graph,
        explore,
        save_graph,
        write_frames,
    )

    at = getattr(args, "explore_at", "start")
    i = result.default_sample(at) if args.sample is None else args.sample
    if i >= len(result.X):
        print(
            f"tinygrad-relu: --sample {i}: there are only {len(result.X)} samples (0 to {len(result.X) - 1})",
            file=sys.stderr,
        )
        return 2
    loss = result.sample_loss(i, at)
    loss.label = "loss"
    group = None if args.group == "none" else args.group
    still = "neuron" if group == "auto" else group  # a still picture is drawn whole: one box per neuron
    moment = "before training" if at == "start" else "after training"
    how = "the worst-classified, " if args.sample is None else ""
    where = f"sample {i} ({how}loss {float(np.reshape(loss.data, -1)[0]):.4g} {moment})"
    try:
        if args.graph:
            save_graph(draw_graph(loss, mode="backward", group=still, dataset=result.X), args.graph)
            print(f"backward pass of the loss on {where}: {args.graph}")
        if args.frames:
            paths = write_frames(backward_frames(loss, group=still, dataset=result.X), args.frames)
            print(f"{len(paths)} frames, one per backward closure: {args.frames}/frame_*.svg")
        if args.explore:
            with warnings.catch_warnings(record=True) as said:  # a big page: one line, not a traceback's
                warnings.simplefilter("always")
                explore(loss, group=group, dataset=result.X).save(args.explore)
            for warning in said:
                print(f"tinygrad-relu: {warning.message}", file=sys.stderr)
            print(f"explore the backward pass on {where} in a browser: {args.explore}")
    except (GraphvizNotFoundError, ValueError) as error:
        print(f"tinygrad-relu: {error}", file=sys.stderr)
        return 1
    return 0
