"""The losses on a batch Tensor, each one node or a few. ``losses`` checks the inputs and calls these."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.rules import code_rule
from ..tensor import Tensor
from ..tensor.node import accumulate, node, quiet


def _mse_code(c: Any) -> str:
    """``mse_loss``'s forward as code: the difference, then its dot with itself over the count."""
    diff = c.let(f"{c[0]} - {c[1]}", "diff")
    return f"np.vdot({diff}, {diff}) / {math.prod(c.shape(0))}"


def _mse_grads(c: Any) -> list[tuple[int, str]]:
    """``mse_loss``'s backward as code: 2 (pred - target) / N times g, and its negative for the target."""
    g, diff = c.let(f"{c.g} * {c.param('scale')}", "g"), c.temp("diff")
    return [(0, f"{diff} * {g}"), (1, f"{diff} * -{g}")]


# The code rules (for tinygrad_relu.trace) sit just above their losses: see engine/rules.py.
@code_rule(_mse_code, _mse_grads)
def mse_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean of (pred - target)^2 over every element, one node: d/dpred = 2 (pred - target) / N."""
    diff = pred.data - target.data
    scale = 2.0 / diff.size

    def _backward(out: Tensor) -> None:
        g = out.grad * scale
        if pred.requires_grad:
            accumulate(pred, diff * g)
        if target.requires_grad:
            accumulate(target, diff * -g)

    return node(np.vdot(diff, diff) / diff.size, (pred, target), "mse_loss", _backward)


def _bce_code(c: Any) -> str:
    """``binary_cross_entropy_with_logits``'s forward as code: softplus and sigmoid without overflow, then the mean."""
    z, y = c[0], c[1] if c.n == 2 else c.param("y")
    softplus = c.let(f"np.maximum({z}, 0.0) + np.log1p(np.exp(-np.abs({z})))", "softplus")
    c.let(f"np.where({z} == np.inf, 1.0, np.exp({z} - {softplus}))", "sig")
    return f"np.mean({softplus} - {z} * {y})"


def _bce_grads(c: Any) -> list[tuple[int, str]]:
    """``binary_cross_entropy_with_logits``'s backward as code: (sigmoid(z) - y) g / N, and -z g / N for a target."""
    z, y, size = c[0], c[1] if c.n == 2 else c.param("y"), math.prod(c.shape(0))
    g = c.let(f"{c.g}.item()", "g")
    return [(0, f"({c.temp('sig')} - {y}) * {g} / {size}"), (1, f"-{z} * {g} / {size}")][: c.n]


@code_rule(_bce_code, _bce_grads)
def binary_cross_entropy_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Mean of softplus(z) - z*y, one node: d/dz = (sigmoid(z) - y) / N and d/dy = -z / N, as in PyTorch."""
    z, y = logits.data, target.data
    with quiet():
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^z) without overflow
        sig = np.where(z == np.inf, 1.0, np.exp(z - softplus))  # e^z / (1 + e^z); inf - inf would be nan

    def _backward(out: Tensor) -> None:
        g = out.grad.item()
        with quiet():  # an infinite logit times a zero gradient is nan, as in PyTorch, without a warning
            if logits.requires_grad:
                accumulate(logits, (sig - y) * g / z.size)
            if target.requires_grad:
                accumulate(target, -z * g / z.size)

    parents = (logits, target) if target.requires_grad else (logits,)  # a constant target stays out of the drawing
    return node(np.mean(softplus - z * y), parents, "bce_logits", _backward)


def hinge_loss(scores: Tensor, target: Tensor) -> Tensor:
    """Mean of relu(1 - y * score)."""
    return (1.0 - target * scores).relu().mean()


def cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean over rows of -log_softmax(row)[label]."""
    return -logits.log_softmax(axis=1)[np.arange(len(labels)), labels].mean()
