"""One training loop for both engines: full-batch steps of a model on (X, y), read through an output head.

The engine is a fact of the model, not a setting: a model whose parameters are Values runs one input
row at a time (micrograd's way), one whose parameters are Tensors runs the whole batch at once. Either
way the network's outputs come back as a numpy array of shape (samples, outputs), which is all an
output head reads. ``fit`` also keeps a ``History``: per epoch the loss, the accuracies, and per layer
the gradient norm and the share of units stuck on the zero / alpha side.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from . import checks, losses
from .data import as_samples
from .engine import Value, no_grad
from .nn import Layer, Linear, Module, RectifierWatch
from .optim import Optimizer
from .tensor import Tensor

__all__ = ["HEADS", "Fit", "Head", "History", "accuracy", "fit", "forward", "loss_of", "uses_values", "weight_layers"]

Loss = Value | Tensor


def _sigmoid(z: np.ndarray) -> np.ndarray:
    p: np.ndarray = np.exp(-np.logaddexp(0.0, -z))  # 1 / (1 + e^-z) without overflow
    return p


def _read_softmax(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = np.argmax(out, axis=1)
    top = out[np.arange(len(out)), k]
    return 1.0 / np.exp(out - top[:, None]).sum(axis=1), k


@dataclass(frozen=True)
class Head:
    """How a network's output is read: the loss, the targets it wants, and the prediction shown."""

    title: str
    shown: str  # the header of the prediction shown per sample
    loss: Callable[[Any, Any], Loss]
    target: Callable[[np.ndarray], np.ndarray]  # class labels -> what the loss compares against
    # outputs (samples, k) -> (the number shown per sample, the predicted class per sample)
    read: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    outputs: Callable[[int], int]  # number of classes -> number of network outputs


HEADS = {
    "bce": Head(
        "binary cross-entropy on a sigmoid output",
        "p(y=1)",
        losses.binary_cross_entropy_with_logits,
        lambda y: y.astype(np.float64),
        lambda z: (_sigmoid(z[:, 0]), (z[:, 0] > 0).astype(int)),
        lambda classes: 1,
    ),
    "mse": Head(
        "mean squared error on a linear (regression) output",
        "output",
        losses.mse_loss,
        lambda y: y.astype(np.float64),
        lambda z: (z[:, 0], (z[:, 0] > 0.5).astype(int)),
        lambda classes: 1,
    ),
    "hinge": Head(
        "hinge loss on a linear score, labels -1/+1",
        "score",
        losses.hinge_loss,
        lambda y: 2.0 * y - 1.0,
        lambda z: (z[:, 0], (z[:, 0] > 0).astype(int)),
        lambda classes: 1,
    ),
    "ce": Head(
        "softmax cross-entropy over one output per class",
        "p(class)",
        losses.cross_entropy,
        lambda y: y,
        _read_softmax,
        lambda classes: classes,
    ),
}


def uses_values(model: Module) -> bool:
    """True if the model's parameters are Values (the scalar engine), False for Tensors."""
    params = model.parameters()
    return bool(params) and isinstance(params[0], Value)


def forward(model: Module, X: np.ndarray) -> tuple[Any, np.ndarray]:
    """The model's output graph on every row of ``X``, and its numbers as an array (samples, outputs)."""
    if uses_values(model):
        out = [model(row) for row in X.tolist()]
        rows = [[v.data for v in o] if isinstance(o, list) else [o.data] for o in out]
        return out, np.array(rows, dtype=np.float64).reshape(len(out), -1)
    batch = model(Tensor(X))
    return batch, batch.data.reshape(len(X), -1)


def loss_of(model: Module, head: Head, X: np.ndarray, y: np.ndarray) -> tuple[Loss, np.ndarray]:
    """The head's loss of the model on (X, y) as a graph, and the outputs it was computed from."""
    out, numbers = forward(model, X)
    return head.loss(out, head.target(y)), numbers


@dataclass
class History:
    """What ``fit`` saw at each epoch, one list entry per epoch (row ``e`` of a per-layer list is epoch ``e + 1``).

    Every number describes the model as the epoch's forward pass saw it, before that step's update.
    ``grad_norm[e][l]`` is the L2 norm of the gradient of weight layer ``layers[l]`` (its weights and bias
    together); ``dead_share[e][r]`` the share of the units of rectifier ``rectifiers[r]`` whose
    pre-activation was <= 0 on every training sample (as ``nn.dead_units`` counts them). ``test_accuracy``
    stays empty when ``fit`` had no held-out set. ``np.array(history.grad_norm)`` has shape (epochs, layers).
    """

    label: str = ""  # what the run is, e.g. its activation: plots use it as a title
    layers: list[str] = field(default_factory=list)
    rectifiers: list[str] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    grad_norm: list[list[float]] = field(default_factory=list)
    dead_share: list[list[float]] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.loss)


def weight_layers(model: Module) -> list[list[Any]]:
    """The parameters of each weight layer of ``model`` in order: a ``Linear``'s weight and bias, or the
    weights and biases of a ``Layer``'s neurons (a learned prelu slope is not a weight)."""
    groups: list[list[Any]] = []
    for module in model.modules():
        if isinstance(module, Linear):
            groups.append([p for p in (module.weight, module.bias) if p is not None])
        elif isinstance(module, Layer):
            groups.append([p for n in module.neurons for p in (*n.w, n.b)])
    return groups


def _grad_norm(params: list[Any]) -> float:
    total = 0.0
    for p in params:
        g = p.grad
        if isinstance(g, float):  # a Value's: numpy's call would cost more than the product
            total += g * g
        elif g is not None:  # a Tensor that took no part in the loss has none
            total += float(np.vdot(g, g))
    return float(np.sqrt(total))


def check_data(X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as a float64 array (samples, features) and ``y`` as one label per sample, shape (samples,): labels
    of shape (samples, 1) are flattened, so a prediction per sample compares with its own label only."""
    x_name, y_name = names
    X = as_samples(X, x_name).astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"{x_name} must be a 2-D array (samples, features), got shape {X.shape}")
    y = as_samples(y, y_name)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column of labels: compared with the (samples,) predictions it would broadcast
    if y.ndim != 1:
        raise ValueError(f"{y_name} must be one label per sample, of shape (samples,) or (samples, 1), got {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{x_name} has {len(X)} samples but {y_name} has {len(y)}")
    return X, y


def accuracy(model: Module, head: Head, X: np.ndarray, y: np.ndarray) -> float:
    """The share of rows of ``X`` whose class, as ``head`` reads the model's output, is ``y`` (no graph kept)."""
    X, y = check_data(X, y)
    with no_grad():
        return float(np.mean(head.read(forward(model, X)[1])[1] == y))


#: Multiply-adds per forward pass (parameters x samples) below which BLAS runs on one thread: matrices this
#: small gain nothing from a second thread, and on a busy machine its waiting for a core costs many times the run.
SMALL_WORK = 50_000_000


def blas_threads_for(parameters: int, samples: int) -> contextlib.AbstractContextManager[Any]:
    """A context limiting BLAS to one thread while a model this small (``parameters``, ``samples``) trains."""
    if parameters * samples > SMALL_WORK:
        return contextlib.nullcontext()
    limited: contextlib.AbstractContextManager[Any] = threadpool_limits(limits=1, user_api="blas")
    return limited


@dataclass
class Fit:
    """What ``fit`` measured after the last step: the loss, the accuracy and the head's reading per sample."""

    final_loss: float
    accuracy: float
    shown: np.ndarray  # the number the head shows per sample
    predicted: np.ndarray  # the predicted class per sample
    seconds: float
    history: History = field(default_factory=History)
    test_accuracy: float | None = None  # after the last step, on the held-out set if there was one


def fit(
    model: Module,
    head: Head,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    on_epoch: Callable[[int, float, float], None] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    label: str = "",
) -> Fit:
    """Train full-batch for ``epochs`` steps; ``on_epoch(epoch, loss, accuracy)`` is called after each
    step with that step's loss and accuracy (measured before the update). ``test=(X_test, y_test)`` is a
    held-out set, scored every epoch. ``y`` has one label per sample, of shape (samples,) or (samples, 1);
    ``epochs=0`` only measures. A small model trains with BLAS on one thread (see ``SMALL_WORK``).
    Returns the scores after the last step and the ``History``."""
    start = time.perf_counter()
    X, y = check_data(X, y)
    epochs = checks.count(epochs, "epochs", 0)
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            size = f" of length {len(test)}" if isinstance(test, (tuple, list)) else ""
            raise ValueError(f"test must be a pair (X_test, y_test), got a {type(test).__name__}{size}")
        test = check_data(*test, names=("X_test", "y_test"))
    with blas_threads_for(sum(np.size(p.data) for p in model.parameters()), len(X)):
        layers = weight_layers(model)
        watch = RectifierWatch(model)
        history = History(label, [f"layer {i}" for i in range(1, len(layers) + 1)])
        for epoch in range(1, epochs + 1):
            with watch:
                loss, outputs = loss_of(model, head, X, y)
            optimizer.zero_grad()
            loss.backward()
            history.loss.append(float(loss.data))
            history.accuracy.append(float(np.mean(head.read(outputs)[1] == y)))
            history.grad_norm.append([_grad_norm(group) for group in layers])
            history.dead_share.append(watch.shares())
            history.rectifiers = watch.names  # known once a forward pass has called them
            if test is not None:
                history.test_accuracy.append(accuracy(model, head, *test))
            optimizer.step()
            if on_epoch is not None:
                on_epoch(epoch, history.loss[-1], history.accuracy[-1])
        loss, outputs = loss_of(model, head, X, y)
        shown, predicted = head.read(outputs)
        held_out = None if test is None else accuracy(model, head, *test)
        return Fit(
            float(loss.data),
            float(np.mean(predicted == y)),
            shown,
            predicted,
            time.perf_counter() - start,
            history,
            held_out,
        )
