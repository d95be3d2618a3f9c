"""Loss functions: each takes predictions and targets and returns one node, the mean over samples.

On Values, predictions are a list of Values or numbers (one per sample; a single Value counts as a
list of one) and targets a list of numbers. On Tensors, predictions are one Tensor (a batch) and
targets an array of the same shape ((N,) against (N, 1) is accepted). The names and formulas follow
PyTorch's functional API. This file checks the inputs, the same way for both engines, and hands them
to the engine's own version (``scalar.py`` or ``tensor.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np

from .. import checks
from ..engine import Value
from ..tensor import Tensor
from ..tracing.leaves import DataTensor, DataValue, TraceError
from . import scalar, tensor

__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss", "mse_loss"]

Predictions = Tensor | Value | float | Sequence[Value | float]
Loss = Value | Tensor


def _as_list(x: Any) -> list[Any]:
    return [x] if isinstance(x, (Value, Real)) else list(x)


def _values(pred: Any, target: Any, loss: str) -> tuple[list[Value], list[Value | float]]:
    """Scalar engine: predictions as Values, targets as numbers or Values (kept as nodes: they get a
    gradient, as a PyTorch target that requires one), checked to pair up."""
    preds, targets = _as_list(pred), _as_list(target)
    if len(preds) != len(targets):
        raise ValueError(f"{loss}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{loss}: no predictions (the mean over zero samples is undefined)")
    values = [p if isinstance(p, Value) else Value(checks.number(p, f"{loss} prediction")) for p in preds]
    return values, [t if isinstance(t, Value) else checks.number(t, f"{loss} target") for t in targets]


def _numbers(targets: list[Value | float]) -> np.ndarray:
    """The targets' numbers, for checking their range."""
    return np.array([t.data if isinstance(t, Value) else t for t in targets], dtype=np.float64)


def _batch(pred: Tensor, target: Any, loss: str) -> Tensor:
    """Tensor engine: ``target`` as a Tensor of ``pred``'s shape; (N,) against (N, 1) is accepted,
    nothing that would broadcast."""
    if type(target) is Tensor and target.data.shape == pred.data.shape and pred.data.size:  # the common case
        return target
    if pred.data.size == 0:
        raise ValueError(f"{loss}: no predictions (the mean over zero samples is undefined)")
    t = target if isinstance(target, Tensor) else Tensor(target)
    if t.data.shape != pred.data.shape:
        if [n for n in t.shape if n != 1] != [n for n in pred.shape if n != 1]:
            raise ValueError(
                f"{loss}: predictions of shape {pred.shape} but targets of shape {t.shape}; they must "
                "hold one target per prediction (broadcasting them would compare every pair)"
            )
        t = t.reshape(pred.shape)
    return t


def _check_all(ok: np.ndarray, values: np.ndarray, message: str) -> None:
    """A ValueError with ``message`` formatted with the first value where ``ok`` is False."""
    if not np.all(ok):
        raise ValueError(message.format(values[~ok].ravel()[0]))


def mse_loss(pred: Predictions, target: Any) -> Loss:
    """Mean squared error: mean of (pred - target)^2."""
    if isinstance(pred, Tensor):
        return tensor.mse_loss(pred, _batch(pred, target, "mse_loss"))
    return scalar.mse_loss(*_values(pred, target, "mse_loss"))


def binary_cross_entropy_with_logits(logits: Predictions, target: Any) -> Loss:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], stable for any logit (even +-1000)."""
    loss = "binary_cross_entropy_with_logits"
    if isinstance(logits, Tensor):
        t = _batch(logits, target, loss)
        _check_all((t.data >= 0.0) & (t.data <= 1.0), t.data, loss + ": targets must lie in [0, 1], got {:g}")
        return tensor.binary_cross_entropy_with_logits(logits, t)
    zs, ys = _values(logits, target, loss)
    numbers = _numbers(ys)
    _check_all((numbers >= 0.0) & (numbers <= 1.0), numbers, loss + ": targets must lie in [0, 1], got {:g}")
    return scalar.binary_cross_entropy_with_logits(zs, ys)


def hinge_loss(scores: Predictions, target: Any) -> Loss:
    """Max-margin loss: mean of relu(1 - y * score) for labels y in {-1, +1}."""
    message = "hinge_loss: labels must be -1 or +1, got {:g} (map 0/1 labels with 2*y - 1)"
    if isinstance(scores, Tensor):
        t = _batch(scores, target, "hinge_loss")
        _check_all((t.data == 1.0) | (t.data == -1.0), t.data, message)
        return tensor.hinge_loss(scores, t)
    ss, ys = _values(scores, target, "hinge_loss")
    numbers = _numbers(ys)
    _check_all((numbers == 1.0) | (numbers == -1.0), numbers, message)
    return scalar.hinge_loss(ss, ys)


def _class_labels(labels: Any, rows: int, classes: int) -> np.ndarray:
    """``labels`` as an integer array of shape (rows,) with each label in 0..classes-1, or a ValueError
    naming the first label that is not a class index."""
    array = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if array.shape != (rows,):
        raise ValueError(
            f"cross_entropy: {rows} rows of logits need {rows} labels (shape ({rows},)), got shape {array.shape}"
        )
    if array.dtype.kind in "iuf":  # the common case, checked without a Python loop
        with np.errstate(invalid="ignore"):
            if np.all((array == np.round(array)) & (array >= 0) & (array < classes)):
                return array.astype(np.intp)
    for i, k in enumerate(array.tolist()):
        x = float(k) if isinstance(k, Real) and not isinstance(k, bool) else math.nan
        if not 0 <= x < classes or x != int(x):
            raise ValueError(f"cross_entropy: label {k!r} of sample {i} is not a class index in 0..{classes - 1}")
    return array.astype(np.intp)


def _no_label_gradient(labels: list[Any], wants: bool) -> None:
    """Class labels are indices, integers in PyTorch, which cannot require a gradient: refuse labels that would,
    and labels that are a traced data argument (an index is fixed when the program is written)."""
    if any(isinstance(t, (DataTensor, DataValue)) for t in labels):
        raise TraceError(
            "cross_entropy: the class labels are a data argument of trace, but labels index the logits, and a traced "
            "program fixes its indices when it is written: close over the labels in the traced function instead"
        )
    if wants:
        raise TypeError(
            "cross_entropy: class labels get no gradient (they are indices; PyTorch's are integers): pass plain "
            "numbers (labels.detach() for a Tensor, v.data for a Value)"
        )


def cross_entropy(logits: Tensor | Sequence[Sequence[Value | float]], target: Any) -> Loss:
    """Softmax cross-entropy: mean of logsumexp(row) - row[label], one row of class logits per sample.

    A Tensor of logits (N, C) with integer labels (N,) goes through log_softmax, stable for any logits.
    """
    if isinstance(logits, Tensor):
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: logits must have shape (samples, classes), got {logits.shape}")
        n, classes = logits.shape
        _no_label_gradient([target], isinstance(target, Tensor) and target.requires_grad)
        labels = _class_labels(target, n, classes)
        if n == 0:
            raise ValueError("cross_entropy: no predictions (the mean over zero samples is undefined)")
        return tensor.cross_entropy(logits, labels)
    rows = [
        [z if isinstance(z, Value) else Value(checks.number(z, "cross_entropy logit")) for z in _as_list(row)]
        for row in logits
    ]
    if not rows:
        raise ValueError("cross_entropy: no predictions (the mean over zero samples is undefined)")
    targets = _as_list(target)
    _no_label_gradient(targets, any(isinstance(t, Value) for t in targets))
    labels = _class_labels(targets, len(rows), min(len(row) for row in rows))
    return scalar.cross_entropy(rows, labels)
