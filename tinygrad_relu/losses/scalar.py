"""The losses on Values: one node per sample (or a few), averaged. ``losses`` checks the inputs and calls these."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import Value
from ..engine.rules import code_rule

Targets = Sequence[Value | float]  # a Value target is a node of the graph and gets its gradient


def _mean(terms: list[Value]) -> Value:
    """The terms' sum divided by their count: a division, as PyTorch's mean (a product with 1/n is an ulp off)."""
    return sum(terms[1:], terms[0]) / len(terms)


def mse_loss(preds: list[Value], targets: Targets) -> Value:
    """Mean of (pred - target)^2."""
    return _mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def _bce_code(c: Any) -> str:
    """``_bce_term``'s forward as code: softplus and the sigmoid as the term computes them, then the term."""
    z, t = c[0], c[1] if c.n == 2 else c.param("t")
    softplus = c.let(f"max({z}, 0.0) + log1p(exp(-abs({z})))", "softplus")
    c.let(f"1.0 if {z} == inf else exp({z} - {softplus})", "sig")
    return f"{softplus} - {z} * {t}"


def _bce_grads(c: Any) -> list[tuple[int, str]]:
    """``_bce_term``'s backward as code: (sigmoid(z) - y) g, and -z g for a target Value."""
    t = c[1] if c.n == 2 else c.param("t")
    return [(0, f"({c.temp('sig')} - {t}) * {c.g}"), (1, f"-{c[0]} * {c.g}")][: c.n]


# The code rules (for tinygrad_relu.trace) sit just above their terms: see engine/rules.py.
@code_rule(_bce_code, _bce_grads, closure="<lambda>")
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


def _ce_code(c: Any) -> str:
    """``_ce_term``'s forward as code: shift by the largest logit, the exps, their sum, the probabilities."""
    label, zs = c.value("label"), [c[i] for i in range(c.n)]
    shift = c.let(f"max({', '.join(zs)})", "shift")
    exps = [c.let(f"exp({z} - {shift})", "e") for z in zs]
    total = c.let(" + ".join(["0", *exps]), "total")  # sum() starts from the int 0
    for i, e in enumerate(exps):
        c.let(f"{e} / {total}", f"p{i}")
    return f"log({total}) + ({shift} - {zs[label]})"


def _ce_grads(c: Any) -> list[tuple[int, str]]:
    """``_ce_term``'s backward as code: (p_i - [i is the label]) g; p - 0 is p, bit for bit."""
    label = c.value("label")
    return [(i, f"({c.temp(f'p{i}')} - 1) * {c.g}" if i == label else f"{c.temp(f'p{i}')} * {c.g}") for i in range(c.n)]


@code_rule(_ce_code, _ce_grads, closure="backward")
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
