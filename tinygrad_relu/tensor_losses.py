"""The Tensor side of ``losses``: the same losses on a batch of predictions, each one node or a few.

``losses.mse_loss`` and its siblings send a Tensor here; call those, not these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor
from .tensor_core import acc, node, quiet


def _batch(pred: Tensor, loss: str) -> None:
    if pred.data.size == 0:
        raise ValueError(f"{loss}: no predictions (the mean over zero samples is undefined)")


def _target(pred: Tensor, target: Any, loss: str) -> Tensor:
    """``target`` as a Tensor of ``pred``'s shape; (N,) against (N, 1) is accepted, nothing that would broadcast."""
    t = target if type(target) is Tensor else Tensor(target.data if isinstance(target, Tensor) else target)
    if t.data.shape != pred.data.shape:
        if [n for n in t.shape if n != 1] != [n for n in pred.shape if n != 1]:
            raise ValueError(f"{loss}: predictions of shape {pred.shape} but targets of shape {t.shape}; they must "
                             "hold one target per prediction (broadcasting them would compare every pair)")
        t = t.reshape(pred.shape)
    return t


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    """Mean of (pred - target)^2 over every element, one node: d/dpred = 2 (pred - target) / N."""
    t = _target(pred, target, "mse_loss")
    diff = pred.data - t.data
    if not diff.size:
        _batch(pred, "mse_loss")
    scale = 2.0 / diff.size

    def _backward(out: Tensor) -> None:
        g = out.grad * scale
        if pred.requires_grad:
            acc(pred, diff * g)
        if t.requires_grad:
            acc(t, diff * -g)

    return node(np.vdot(diff, diff) / diff.size, (pred, t), "mse_loss", _backward)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any) -> Tensor:
    """Mean of softplus(z) - z*y, one node whose gradient is exactly (sigmoid(z) - y) / N."""
    _batch(logits, "binary_cross_entropy_with_logits")
    y = _target(logits, target, "binary_cross_entropy_with_logits").data
    if not np.all((y >= 0.0) & (y <= 1.0)):
        bad = y[~((y >= 0.0) & (y <= 1.0))][0]
        raise ValueError(f"binary_cross_entropy_with_logits: targets must lie in [0, 1], got {bad:g}")
    z = logits.data
    with quiet():
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^z) without overflow
        sig = np.where(z == np.inf, 1.0, np.exp(z - softplus))  # e^z / (1 + e^z); inf - inf would be nan
    scale = 1.0 / z.size
    return Tensor.custom_op(np.mean(softplus - z * y), (logits,), lambda g: g * scale * (sig - y), op="bce_logits")


def hinge_loss(scores: Tensor, target: Any) -> Tensor:
    """Mean of relu(1 - y * score) for labels y in {-1, +1}."""
    _batch(scores, "hinge_loss")
    y = _target(scores, target, "hinge_loss")
    bad = y.data[(y.data != 1.0) & (y.data != -1.0)]
    if bad.size:
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got {bad[0]:g} (map 0/1 labels with 2*y - 1)")
    return (1.0 - y * scores).relu().mean()


def cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Mean over rows of -log_softmax(row)[label], for logits (N, C) and integer labels (N,)."""
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (samples, classes), got {logits.shape}")
    n, classes = logits.shape
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: {n} rows of logits need {n} labels (shape ({n},)), got shape {labels.shape}")
    if n == 0:
        raise ValueError("cross_entropy: no predictions (the mean over zero samples is undefined)")
    if labels.dtype.kind not in "iuf" or np.any(labels != np.round(labels)) or labels.min() < 0 \
            or labels.max() >= classes:
        wrong, label = next((i, k) for i, k in enumerate(labels.tolist())
                            if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 <= k < classes
                            or k != int(k))
        raise ValueError(f"cross_entropy: label {label!r} of sample {wrong} is not a class index "
                         f"in 0..{classes - 1}")
    return -logits.log_softmax(axis=1)[np.arange(n), labels.astype(np.intp)].mean()
