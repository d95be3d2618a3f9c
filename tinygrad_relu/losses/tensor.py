"""The losses on a batch Tensor, each one node or a few. ``losses`` checks the inputs and calls these."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..tensor.node import Saved, accumulate, node, quiet


def mse_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean of (pred - target)^2 over every element, one node: d/dpred = 2 (pred - target) / N."""
    diff = pred.data - target.data
    scale = 2.0 / diff.size

    def _backward(out: Tensor) -> None:
        (pred, target), arg = out._prev, out._arg
        diff, g = pred.data - target.data, out.grad * arg["scale"]  # from the parents: differentiable again
        if pred.requires_grad:
            accumulate(pred, diff * g)
        if target.requires_grad:
            accumulate(target, diff * -g)

    return node(np.vdot(diff, diff) / diff.size, (pred, target), "mse_loss", _backward, {"scale": scale})


def binary_cross_entropy_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Mean of softplus(z) - z*y, one node: d/dz = (sigmoid(z) - y) / N and d/dy = -z / N, as in PyTorch."""
    z, y = logits.data, target.data
    with quiet():
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^z) without overflow
        sig = np.where(z == np.inf, 1.0, np.exp(z - softplus))  # e^z / (1 + e^z); inf - inf would be nan

    def _backward(out: Tensor) -> None:
        logits, arg, g = out._prev[0], out._arg, out.grad.item()
        z, y = logits.data, out._prev[1].data if len(out._prev) == 2 else arg["y"]
        with quiet():  # an infinite logit times a zero gradient is nan, as in PyTorch, without a warning
            if logits.requires_grad:
                accumulate(logits, (arg["sig"].array - y) * g / z.size)
            if len(out._prev) == 2 and out._prev[1].requires_grad:
                accumulate(out._prev[1], -z * g / z.size)

    parents = (logits, target) if target.requires_grad else (logits,)  # a constant target stays out of the drawing
    arg = {"y": y, "sig": Saved(sig)}
    return node(np.mean(softplus - z * y), parents, "bce_logits", _backward, arg)


def hinge_loss(scores: Tensor, target: Tensor) -> Tensor:
    """Mean of relu(1 - y * score)."""
    return (1.0 - target * scores).relu().mean()


def cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean over rows of -log_softmax(row)[label]."""
    return -logits.log_softmax(axis=1)[np.arange(len(labels)), labels].mean()
