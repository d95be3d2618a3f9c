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
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, TextIO

import numpy as np

from . import data, optim
from .nn import ACTIVATIONS, MLP, Module, mlp
from .train import HEADS, Head, History, Loss, fit, loss_of

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {"xor": data.xor, "moons": data.make_moons, "circles": data.make_circles,
            "spirals": data.make_spirals, "digits": data.load_digits}
MULTICLASS = {"spirals": "three", "digits": "ten"}  # the datasets only softmax cross-entropy handles
SPLIT_SEED = 0  # the held-out digits are the same whatever --seed says, so runs compare
VALUE_DIGITS = 200  # training images the Value engine takes: a node per number is slow on all 1,438
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


def _whole_number(text: str, least: int, most: Optional[int] = None) -> int:
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
        raise argparse.ArgumentTypeError(f"expected distinct activations among {', '.join(ACTIVATIONS)}, "
                                         f"comma-separated, got {text!r}")
    return names


def _plot_target_problem(path: str) -> Optional[str]:
    """Why ``--plot path`` cannot be written (checked before training), or None."""
    if os.path.splitext(path)[1].lower() not in PLOT_SUFFIXES:
        return f"--plot {path}: the file name must end in {', '.join(PLOT_SUFFIXES)}"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        return f"--plot {path}: cannot write in {folder}"
    if importlib.util.find_spec("matplotlib") is None:
        return "--plot needs matplotlib: pip install \"tinygrad_relu[plot]\" (or pip install matplotlib)"
    return None


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
                             "150 spiral points (3 classes), or the 1,797 8x8 handwritten digits (10 classes; "
                             "80%% train, 20%% held out for a test accuracy; Tensor engine by default)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default=None,
                        help="hidden-layer activation (default leaky_relu); the output layer is always linear")
    parser.add_argument("--alpha", type=_finite_float, default=None,
                        help="negative slope of leaky_relu (default 0.01) or initial learnable slope of "
                             "prelu (default 0.25); not allowed with relu, tanh, sigmoid")
    parser.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="SIZES",
                        help="hidden layer sizes, comma-separated, e.g. 16,16")
    parser.add_argument("--epochs", type=_epochs, default=None,
                        help="full-batch training steps")
    parser.add_argument("--lr", type=_positive_float, default=None, help="learning rate")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default=None,
                        help="sgd (momentum 0.9) or adam")
    parser.add_argument("--loss", choices=list(HEADS), default=None,
                        help="bce: sigmoid output with binary cross-entropy; mse: regression on 0/1 targets; "
                             "hinge: max-margin on -1/+1 labels; ce: softmax cross-entropy (needed for spirals and digits)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed for the weights and the data (an integer >= 0, "
                        "default 0)")
    parser.add_argument("--engine", choices=["value", "tensor"], default=None,
                        help="value: one graph node per number (default, what --graph draws best; on digits it "
                             f"trains on the first {VALUE_DIGITS} images, 30 epochs unless --epochs says); tensor: the same network as Linear "
                             "layers on numpy arrays, much faster (the default for digits)")
    parser.add_argument("--graph", metavar="FILE", default=None,
                        help="after training, draw the backward pass of sample 0's loss to FILE "
                             "(.svg, .png or .dot; needs the graphviz program 'dot' except for .dot)")
    parser.add_argument("--frames", metavar="DIR", default=None,
                        help="after training, write the same backward pass one closure at a time, "
                             "as DIR/frame_001.svg, frame_002.svg, ...")
    parser.add_argument("--plot", metavar="FILE", default=None,
                        help="draw the training history to FILE (.png, .svg or .pdf; needs matplotlib): loss and "
                             "accuracy, gradient norm and dead / alpha-side share per layer, and the decision "
                             "regions for 2-D data")
    parser.add_argument("--compare", type=_activation_list, default=None, metavar="ACTIVATIONS",
                        help="train the same network from the same seed once per activation, e.g. "
                             "relu,leaky_relu,prelu, and compare them in the summary (and in --plot's figure)")
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
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
        parser.error(f"--loss {args.loss} handles two classes; {args.dataset} has {MULTICLASS[args.dataset]}: "
                     "use --loss ce")
    problem = args.plot and _plot_target_problem(args.plot)
    if problem:
        parser.error(problem)
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
    history: History = field(default_factory=History)
    test_accuracy: Optional[float] = None  # on the held-out set, for a dataset that has one

    def sample_loss(self, i: int = 0) -> Loss:
        """A fresh graph of the trained model's loss on sample ``i`` alone (for drawing it)."""
        return loss_of(self.model, self.head, self.X[i:i + 1], self.y[i:i + 1])[0]


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


def build_model(args: argparse.Namespace, classes: int, inputs: int = 2) -> Module:
    """The network the options describe: ``nn.MLP`` on Values, or ``nn.mlp`` (Linear layers) on Tensors."""
    build = mlp if args.engine == "tensor" else MLP
    return build(inputs, [*args.hidden, HEADS[args.loss].outputs(classes)], activation=args.activation,
                 alpha=args.alpha, seed=args.seed)


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, Optional[tuple[np.ndarray, np.ndarray]]]:
    """The training set ``(X, y)`` of ``args.dataset`` and its held-out ``(X_test, y_test)`` (None for the toys)."""
    if args.dataset != "digits":
        X, y = data.xor() if args.dataset == "xor" else DATASETS[args.dataset](seed=args.seed)
        return X, y, None
    X_train, y_train, X_test, y_test = data.train_test_split(*data.load_digits(), test=0.2, seed=SPLIT_SEED)
    return X_train, y_train, (X_test, y_test)


def train(args: argparse.Namespace, stream: Optional[TextIO] = None) -> TrainResult:
    """Build the data and the model from ``args``, train full-batch, print progress and the results."""
    out = _Printer(sys.stdout if stream is None else stream)  # looked up now: sys.stdout may be swapped
    head = HEADS[args.loss]
    X, y, test = load_data(args)
    model = build_model(args, int(y.max()) + 1, X.shape[1])
    params = model.parameters()
    opt = optim.Adam(params, lr=args.lr) if args.optimizer == "adam" \
        else optim.SGD(params, lr=args.lr, momentum=0.9)
    out.line(f"model: {model} ({sum(np.size(p.data) for p in params)} parameters)")
    if test is not None and args.engine == "value" and len(X) > VALUE_DIGITS:
        out.line(f"value engine: training on the first {VALUE_DIGITS} of the {len(X)} training images "
                 "(a node per number is slow; --engine tensor trains on all of them)")
        X, y = X[:VALUE_DIGITS], y[:VALUE_DIGITS]
    held_out = "" if test is None else f" (+ {len(test[1])} held out)"
    out.line(f"data: {args.dataset}, {len(X)} points{held_out}; loss: {head.title}; "
             f"{args.optimizer} lr={args.lr:g}, {args.epochs} epochs, seed {args.seed}")
    result = fit(model, head, opt, X, y, args.epochs,
                 on_epoch=lambda epoch, loss, acc: out.progress(epoch, args.epochs, loss, acc),
                 test=test, label=args.activation)
    out.line(f"final loss {result.final_loss:.4f}, training accuracy {result.accuracy:.1%} ({result.seconds:.1f} s)")
    if result.test_accuracy is not None:
        out.line(f"test accuracy {result.test_accuracy:.1%} ({len(test[1])} held-out samples)")  # type: ignore[index]
    _table(out, X, y, result.shown, result.predicted, head)
    return TrainResult(model, X, y, head, result.final_loss, result.accuracy, out.lines, result.history,
                       result.test_accuracy)


def _table(out: _Printer, X: np.ndarray, y: np.ndarray, shown: np.ndarray, predicted: np.ndarray, head: Head,
           rows: int = 8) -> None:
    """The first ``rows`` samples: inputs (or the sample's number beyond 2-D), the prediction as the head
    reads it, and the target."""
    flat = X.shape[1] == 2
    out.line((f"{'x1':>8} {'x2':>8}" if flat else f"{'sample':>17}") + f" | {head.shown:>9} {'class':>5} | {'target':>6}")
    for i, (x, value, k_hat, k) in enumerate(list(zip(X, shown, predicted, y))[:rows]):
        mark = "" if k_hat == k else "  <- wrong"
        where = f"{x[0]:8.3f} {x[1]:8.3f}" if flat else f"{i:17d}"
        out.line(f"{where} | {value:9.4f} {k_hat:5d} | {int(k):6d}{mark}")
    if len(X) > rows:
        out.line(f"... {len(X) - rows} more rows")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the options, train, print; returns the exit code (argparse exits with 2 on bad input)."""
    args = parse_args(argv)
    try:
        results = [train(args)] if not args.compare else _compare(args)
        if args.plot:
            _plot(results, args.plot)
        if args.graph or args.frames:
            return _draw_sample(results[-1], args.graph, args.frames)
    except BrokenPipeError:
        return _reader_gone()
    return 0


def _compare(args: argparse.Namespace) -> list[TrainResult]:
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
    print("units <= 0: per hidden layer, the share of units <= 0 on every training sample in the last epoch "
          "(dead for relu, on the alpha side for leaky_relu and prelu)")
    return results


def _plot(results: list[TrainResult], path: str) -> None:
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


def _reader_gone() -> int:
    """The reader of stdout stopped early (``| head``): stop quietly, as other command-line tools do."""
    # Python flushes stdout again at exit, which would raise once more: point it at devnull.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _draw_sample(result: TrainResult, graph: Optional[str], frames: Optional[str]) -> int:
    """Draw the backward pass of sample 0's loss (--graph) and its frames (--frames); 1 if dot is missing."""
    from .viz import GraphvizNotFoundError, backward_frames, draw_graph, save_graph, write_frames  # loads graphviz

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
