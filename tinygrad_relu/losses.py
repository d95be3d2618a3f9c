"""Loss functions: each takes predictions and targets and returns one node, the mean over samples.

On Values, predictions are a list of Values or numbers (one per sample; a single Value counts as a
list of one) and targets a list of numbers. On Tensors, predictions are one Tensor (a batch) and
targets an array of the same shape ((N,) against (N, 1) is accepted); see ``tensor_losses``.
The names and formulas follow PyTorch's functional API.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Sequence, Union

from . import tensor_losses
from .tensor import Tensor
from .value import Value

__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss", "mse_loss"]

Scalar = Union[Value, float]


def _as_list(x: Union[Scalar, Sequence[Scalar]]) -> list:
    return [x] if isinstance(x, (Value, Real)) else list(x)


def _pairs(pred: Union[Scalar, Sequence[Scalar]], target: Sequence, loss: str) -> tuple[list, list]:
    """Predictions as Values and targets as floats, checked to be the same, non-zero length."""
    preds, targets = _as_list(pred), _as_list(target)
    if len(preds) != len(targets):
        raise ValueError(f"{loss}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{loss}: no predictions (the mean over zero samples is undefined)")
    preds = [p if isinstance(p, Value) else Value(_number(p, f"{loss} prediction")) for p in preds]
    return preds, [_number(t, f"{loss} target") for t in targets]


def _number(x: object, what: str) -> float:
    """A target as a float: a number, or a Value's data (targets get no gradient)."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"{what} must be a number or a Value, got {type(x).__name__} {x!r}")


def _mean(terms: list) -> Value:
    return sum(terms[1:], terms[0]) * (1.0 / len(terms))


def mse_loss(pred: Union[Scalar, Sequence[Scalar]], target: Sequence) -> Value:
    """Mean squared error: mean of (pred - target)^2."""
    if isinstance(pred, Tensor):
        return tensor_losses.mse_loss(pred, target)
    preds, targets = _pairs(pred, target, "mse_loss")
    return _mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def _bce_term(z: Value, y: float) -> Value:
    """One sample's max(z, 0) - z*y + log(1 + e^-|z|), with the exact gradient sigmoid(z) - y.

    Built as one node: composed from relu and |z| it would get slope -y at exactly z = 0 (both
    relu kinks give 0 there), half a unit off the true sigmoid(0) - y.
    """
    x = z.data
    softplus = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x) without overflow
    # sigmoid(x) = e^x / (1 + e^x) = e^(x - softplus), an exponent <= 0; inf - inf would give nan
    sig = 1.0 if x == math.inf else math.exp(x - softplus)
    return Value.custom_op(softplus - x * y, (z,), lambda g: (sig - y) * g, op="bce_logits")


def binary_cross_entropy_with_logits(logits: Union[Scalar, Sequence[Scalar]], target: Sequence) -> Value:
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1], stable for any logit (even +-1000)."""
    if isinstance(logits, Tensor):
        return tensor_losses.binary_cross_entropy_with_logits(logits, target)
    zs, ys = _pairs(logits, target, "binary_cross_entropy_with_logits")
    for y in ys:
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: targets must lie in [0, 1], got {y:g}")
    return _mean([_bce_term(z, y) for z, y in zip(zs, ys)])


def hinge_loss(scores: Union[Scalar, Sequence[Scalar]], target: Sequence) -> Value:
    """Max-margin loss: mean of relu(1 - y * score) for labels y in {-1, +1}."""
    if isinstance(scores, Tensor):
        return tensor_losses.hinge_loss(scores, target)
    ss, ys = _pairs(scores, target, "hinge_loss")
    for y in ys:
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: labels must be -1 or +1, got {y:g} (map 0/1 labels with 2*y - 1)")
    return _mean([(1.0 - y * s).relu() for s, y in zip(ss, ys)])


def _ce_term(row: list, label: int) -> Value:
    """One sample's logsumexp(row) - row[label] as one node; its gradient is softmax(row) - onehot(label).

    The largest logit is subtracted before exponentiating, so no exp overflows.
    """
    zs = [z.data for z in row]
    shift = max(zs)
    exps = [math.exp(z - shift) for z in zs]
    total = sum(exps)
    probs = [e / total for e in exps]

    def backward(g: float) -> list:
        return [(p - (i == label)) * g for i, p in enumerate(probs)]

    # shift - zs[label] first: added to a huge shift, log(total) would round away
    return Value.custom_op(math.log(total) + (shift - zs[label]), row, backward, op="cross_entropy")


def cross_entropy(logits: Sequence[Sequence[Scalar]], target: Sequence[int]) -> Value:
    """Softmax cross-entropy: mean of logsumexp(row) - row[label], one row of class logits per sample.

    A Tensor of logits (N, C) with integer labels (N,) goes through log_softmax, stable for any logits.
    """
    if isinstance(logits, Tensor):
        return tensor_losses.cross_entropy(logits, target)
    rows = [_as_list(row) for row in logits]
    labels = list(target)
    if len(rows) != len(labels):
        raise ValueError(f"cross_entropy: {len(rows)} rows of logits but {len(labels)} labels")
    if not rows:
        raise ValueError("cross_entropy: no predictions (the mean over zero samples is undefined)")
    terms = []
    for i, (row, label) in enumerate(zip(rows, labels)):
        if isinstance(label, bool) or not isinstance(label, Real) or label != int(label) \
                or not 0 <= label < len(row):
            raise ValueError(f"cross_entropy: label {label!r} of sample {i} is not a class index "
                             f"in 0..{len(row) - 1}")
        row = [z if isinstance(z, Value) else Value(_number(z, "cross_entropy logit")) for z in row]
        terms.append(_ce_term(row, int(label)))
    return _mean(terms)
