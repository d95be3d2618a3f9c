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


def _bce_term(z: Value, y: Value | float) -> Value:
    """One sample's max(z, 0) - z*y + log(1 + e^-|z|), with the exact gradient sigmoid(z) - y.

    Built as one node: composed from relu and |z| it would get slope -y at exactly z = 0 (both
    relu kinks give 0 there), half a unit off the true sigmoid(0) - y.
    """
    x, t = z.data, (y.data if isinstance(y, Value) else y)
    softplus = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x) without overflow
    # sigmoid(x) = e^x / (1 + e^x) = e^(x - softplus), an exponent <= 0; inf - inf would give nan
    sig = 1.0 if x == math.inf else math.exp(x - softplus)
    parents = (z, y) if isinstance(y, Value) else (z,)  # a target Value gets d/dy = -z, as in PyTorch
    return Value.custom_op(
        softplus - x * t, parents, lambda g: ((sig - t) * g, -x * g)[: len(parents)], op="bce_logits"
    )


def binary_cross_entropy_with_logits(logits: list[Value], targets: Targets) -> Value:
    """Mean of softplus(z) - z*y, each term one node."""
    return _mean([_bce_term(z, y) for z, y in zip(logits, targets)])


def hinge_loss(scores: list[Value], targets: Targets) -> Value:
    """Mean of relu(1 - y * score)."""
    return _mean([(1.0 - y * s).relu() for s, y in zip(scores, targets)])


def _ce_term(row: list[Value], label: int) -> Value:
    """One sample's logsumexp(row) - row[label] as one node; its gradient is softmax(row) - onehot(label).

    The largest logit is subtracted before exponentiating, so no exp overflows.
    """
    zs = [z.data for z in row]
    shift = max(zs)
    exps = [math.exp(z - shift) for z in zs]
    total = sum(exps)
    probs = [e / total for e in exps]

    def backward(g: float) -> list[float]:
        return [(p - (i == label)) * g for i, p in enumerate(probs)]

    # shift - zs[label] first: added to a huge shift, log(total) would round away
    return Value.custom_op(math.log(total) + (shift - zs[label]), row, backward, op="cross_entropy")


def cross_entropy(rows: list[list[Value]], labels: np.ndarray) -> Value:
    """Mean of logsumexp(row) - row[label]."""
    return _mean([_ce_term(row, label) for row, label in zip(rows, labels.tolist())])
