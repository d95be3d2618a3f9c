"""The losses on Values: one node per sample (or a few), averaged. ``losses`` checks the inputs and calls these."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..engine import Value

Targets = Sequence[Value | float]  # a Value target is a node of the graph and gets its gradient


def _mean(terms: list[Value]) -> Value:
    """The terms' sum divided by their count: a division, as PyTorch's mean (a product with 1/n is an ulp off)."""
    return sum(terms[1:], terms[0]) / len(terms)


def mse_loss(preds: list[Value], targets: Targets) -> Value:
    """Mean of (pred - target)^2."""
    return _mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def _softplus(x: float) -> float:
    """log(1 + e^x) without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _bce_forward(x: float, t: float) -> float:
    """One sample's max(x, 0) - x*t + log(1 + e^-|x|): softplus(x) - x*t."""
    return _softplus(x) - x * t


def _bce_forward_fixed(t: float, x: float) -> float:
    """``_bce_forward`` for a target that is a number, the op's parameter."""
    return _bce_forward(x, t)


def _sigmoid(x: float) -> float:
    """sigmoid(x) = e^(x - softplus(x)), an exponent <= 0 (inf - inf would give nan, so sigmoid(inf) = 1)."""
    return 1.0 if x == math.inf else math.exp(x - _softplus(x))


def _bce_backward(out: Value) -> None:
    """d/dz = sigmoid(z) - y, exactly; d/dy = -z (a target Value gets its gradient, as in PyTorch)."""
    z, y = out._prev
    z.grad += (_sigmoid(z.data) - y.data) * out.grad
    y.grad += -z.data * out.grad


def _bce_backward_fixed(out: Value) -> None:
    """d/dz = sigmoid(z) - y for a target y that is a number (``out._arg``)."""
    (z,) = out._prev
    z.grad += (_sigmoid(z.data) - out._arg) * out.grad


def _bce_term(z: Value, y: Value | float) -> Value:
    """One sample's binary cross-entropy on a logit, as one node (``Value.op``).

    Composed from relu and |z| it would get slope -y at exactly z = 0 (both relu kinks give 0 there), half a
    unit off the true sigmoid(0) - y. A number target is the op's parameter and stays out of the drawing.
    """
    if isinstance(y, Value):
        return Value.op("bce_logits", (z, y), _bce_forward, _bce_backward)
    return Value.op("bce_logits", (z,), _bce_forward_fixed, _bce_backward_fixed, y)


def binary_cross_entropy_with_logits(logits: list[Value], targets: Targets) -> Value:
    """Mean of softplus(z) - z*y, each term one node."""
    return _mean([_bce_term(z, y) for z, y in zip(logits, targets)])


def hinge_loss(scores: list[Value], targets: Targets) -> Value:
    """Mean of relu(1 - y * score)."""
    return _mean([(1.0 - y * s).relu() for s, y in zip(scores, targets)])


def _ce_forward(label: int, *zs: float) -> float:
    """One sample's logsumexp(zs) - zs[label], shifting by the largest logit so that no exp overflows."""
    shift = max(zs)
    total = sum([math.exp(z - shift) for z in zs])
    return math.log(total) + (shift - zs[label])  # shift - zs[label] first: added to a huge shift, it rounds away


def _ce_backward(out: Value) -> None:
    """d/dz_i = softmax(z)_i - [i is the label]."""
    zs = [z.data for z in out._prev]
    shift = max(zs)
    exps = [math.exp(z - shift) for z in zs]
    total = sum(exps)
    for i, z in enumerate(out._prev):
        p = exps[i] / total
        z.grad += (p - 1.0 if i == out._arg else p) * out.grad


def _ce_term(row: list[Value], label: int) -> Value:
    """One sample's logsumexp(row) - row[label] as one node; its gradient is softmax(row) - onehot(label)."""
    return Value.op("cross_entropy", row, _ce_forward, _ce_backward, label)


def cross_entropy(rows: list[list[Value]], labels: np.ndarray) -> Value:
    """Mean of logsumexp(row) - row[label]."""
    return _mean([_ce_term(row, label) for row, label in zip(rows, labels.tolist())])
