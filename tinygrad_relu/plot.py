"""Pictures of training with matplotlib (the optional extra ``pip install "tinygrad_relu[plot]"``).

``plot_history`` draws a ``train.History``: the loss and accuracy curves, each layer's gradient norm on a
log axis, and each rectifier layer's share of units on the zero / alpha side. ``plot_decision_boundary``
colours the plane by the class a model predicts for 2-D data, with the points on top. ``plot_comparison``
puts several runs in one figure, one row per run. Each returns the matplotlib Figure and draws on the
Axes given as ``ax=``. matplotlib is imported when a plot is asked for, never by ``import tinygrad_relu``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .engine import no_grad
from .nn import Module
from .train import HEADS, Head, History, accuracy, check_data, forward, uses_values

__all__ = ["PANELS", "plot_comparison", "plot_decision_boundary", "plot_history"]

PANELS = ("curves", "gradients", "shares")  # what plot_history can draw, one Axes each


def _pyplot() -> Any:
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'plotting needs matplotlib: pip install "tinygrad_relu[plot]" (or pip install matplotlib)'
        ) from None
    return plt


def _axes(ax: Any, count: int, width: float = 4.2, height: float = 3.2) -> list[Any]:
    """``count`` Axes: the ones given as ``ax`` (one Axes or a sequence), or a new figure's row of them."""
    if ax is None:
        _, axes = _pyplot().subplots(1, count, figsize=(width * count, height), layout="constrained", squeeze=False)
        return list(axes[0])
    axes = [ax] if hasattr(ax, "plot") else list(ax)
    if len(axes) != count:
        raise ValueError(f"expected {count} Axes for {count} panels, got {len(axes)}")
    return axes


def _titled(ax: Any, history: History, text: str) -> None:
    ax.set_title(f"{history.label}: {text}" if history.label else text, fontsize="medium")


def _percent(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0))


def plot_history(history: History, ax: Any = None, panels: Sequence[str] = PANELS) -> Any:
    """Draw ``history``'s ``panels`` (any of "curves", "gradients", "shares"), one per Axes of ``ax`` (a new
    figure's row if None), and return the Figure: the loss (log scale) with the training and held-out
    accuracy on a second axis; each layer's gradient norm (log scale); each rectifier layer's share of
    units whose pre-activation was <= 0 on every training sample (dead for ReLU, alpha side for the others)."""
    unknown = [p for p in panels if p not in PANELS]
    if unknown or not panels:
        raise ValueError(f"panels must be some of {PANELS}, got {list(panels)}")
    axes = _axes(ax, len(panels))
    epochs = np.arange(1, history.epochs + 1)
    for name, axis in zip(panels, axes):
        if name == "curves":
            _draw_curves(axis, history, epochs)
        elif name == "gradients":
            for k, layer in enumerate(history.layers):
                axis.plot(epochs, [row[k] for row in history.grad_norm], label=layer)
            axis.set_yscale("log")
            axis.set_ylabel("gradient norm")
            _titled(axis, history, "gradient norm per layer")
        else:
            for r, layer in enumerate(history.rectifiers):
                axis.plot(epochs, [row[r] for row in history.dead_share], label=layer)
            axis.set_ylim(-0.02, 1.02)
            _percent(axis)
            axis.set_ylabel("units <= 0 on every sample")
            _titled(axis, history, "dead / alpha-side units" if history.rectifiers else "no ReLU-family layer")
        axis.set_xlabel("epoch")
        if name != "curves" and axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize="small")
    return axes[0].figure


def _draw_curves(ax: Any, history: History, epochs: np.ndarray) -> None:
    """Loss on ``ax`` (log scale), accuracies on a twin axis to its right, one legend for both."""
    ax.plot(epochs, history.loss, color="C0", label="loss")
    ax.set_yscale("log")
    ax.set_ylabel("loss")
    right = ax.twinx()
    right.plot(epochs, history.accuracy, color="C1", label="training accuracy")
    if history.test_accuracy:
        right.plot(epochs, history.test_accuracy, color="C2", linestyle="--", label="test accuracy")
    right.set_ylim(0.0, 1.02)
    _percent(right)
    right.set_ylabel("accuracy")
    lines = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="center right")
    _titled(ax, history, "loss and accuracy")


def plot_decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    ax: Any = None,
    head: Head | str | None = None,
    resolution: int | None = None,
) -> Any:
    """Colour the plane by the class ``model`` predicts (read through ``head``: a ``train.HEADS`` name or
    Head; by default softmax for several outputs, a logit for one) and draw the 2-D points ``X`` coloured by
    their label ``y``; returns the Figure. ``resolution`` grid points per side (150, or 60 for Values)."""
    X, y = check_data(X, y)
    if X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points, X of shape (n, 2), got {X.shape}")
    ax = _axes(ax, 1, 4.5, 4.0)[0]
    n = resolution or (60 if uses_values(model) else 150)
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (high - low) + 1e-9
    xs, ys = (np.linspace(low[i] - margin[i], high[i] + margin[i], n) for i in range(2))
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    reader = _head_for(model, X, head)
    classes = reader.read(_outputs(model, grid))[1].reshape(n, n)
    k = int(max(y.max(), classes.max())) + 1
    colours = [f"C{i}" for i in range(k)]
    ax.contourf(grid_x, grid_y, classes, levels=np.arange(k + 1) - 0.5, colors=colours, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=[colours[int(i)] for i in y], edgecolors="black", linewidths=0.5, s=18)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"decision regions ({accuracy(model, reader, X, y):.0%} right)", fontsize="medium")
    return ax.figure


def _outputs(model: Module, X: np.ndarray) -> np.ndarray:
    """The model's outputs on the rows of ``X`` as an array (samples, outputs), without keeping a graph."""
    with no_grad():
        return forward(model, X)[1]


def _head_for(model: Module, X: np.ndarray, head: Head | str | None) -> Head:
    if isinstance(head, Head):
        return head
    if head is None:
        return HEADS["ce"] if _outputs(model, X[:1]).shape[1] > 1 else HEADS["bce"]
    if head not in HEADS:
        raise ValueError(f"head must be a Head or one of {list(HEADS)}, got {head!r}")
    return HEADS[head]


def plot_comparison(
    runs: Sequence[tuple[History, Module]],
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    head: Head | str | None = None,
) -> Any:
    """One row per run (its history and trained model): the three ``plot_history`` panels and, when ``X`` is
    2-D points, the decision regions. Each column shares its axes across the rows (the accuracy axes are
    0-100 % everywhere), so the runs compare at a glance. Returns the new Figure."""
    if not runs:
        raise ValueError("plot_comparison needs at least one (history, model) run")
    boundary = X is not None and y is not None and np.ndim(X) == 2 and np.shape(X)[1] == 2
    columns = len(PANELS) + boundary
    _, grid = _pyplot().subplots(
        len(runs),
        columns,
        figsize=(4.2 * columns, 3.2 * len(runs)),
        layout="constrained",
        squeeze=False,
        sharex="col",
        sharey="col",
    )
    for row, (history, model) in zip(grid, runs):
        plot_history(history, ax=row[: len(PANELS)])
        if boundary:
            plot_decision_boundary(model, X, y, ax=row[-1], head=head)  # type: ignore[arg-type]  # checked above
            row[-1].set_title(
                f"{history.label}: {row[-1].get_title()}" if history.label else row[-1].get_title(), fontsize="medium"
            )
    for axis in grid[:-1].ravel():  # the rows share their epoch axis: say it once, at the bottom
        axis.set_xlabel("")
    return grid[0, 0].figure
