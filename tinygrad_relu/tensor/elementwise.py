"""Tensor's element-wise functions: exp, log, tanh, sigmoid and the ReLU family (relu, leaky_relu, prelu).

Same op shape as everywhere. The ReLU family's gradient mask comes from the input (``x > 0``), never
from the output, so the gradient at exactly 0 is 0 for relu and alpha for the leaky ones, as in PyTorch.
The leaky slope and its product go through ``fast.py``, whose docstrings give the plain numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import checks
from . import fast
from .node import accumulate, node, quiet, tensor_class, unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


def exp(a: Tensor) -> Tensor:
    """e ** x (inf on overflow)."""
    with quiet():
        data = np.exp(a.data)

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(a, out.grad * out.data)

    return node(data, (a,), "exp", _backward)


def log(a: Tensor) -> Tensor:
    """Natural log: -inf at 0, nan below 0."""
    with quiet():
        data = np.log(a.data)

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(a, out.grad / a.data)

    return node(data, (a,), "log", _backward)


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""

    def _backward(out: Tensor) -> None:
        accumulate(a, out.grad * (1.0 - out.data * out.data))

    return node(np.tanh(a.data), (a,), "tanh", _backward)


def sigmoid(a: Tensor) -> Tensor:
    """Logistic function 1 / (1 + e^-x), stable for large |x| (e^-|x| never overflows)."""
    e = np.exp(-np.abs(a.data))
    data = np.where(a.data >= 0.0, 1.0, e) / (1.0 + e)  # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below

    def _backward(out: Tensor) -> None:
        s = out.data
        accumulate(a, out.grad * s * (1.0 - s))

    return node(data, (a,), "sigmoid", _backward)


def relu(a: Tensor) -> Tensor:
    """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""

    def _backward(out: Tensor) -> None:
        accumulate(a, np.where(a.data > 0.0, out.grad, 0.0))

    return node(np.maximum(a.data, 0.0), (a,), "relu", _backward)


def leaky_relu(a: Tensor, alpha: float = 0.01) -> Tensor:
    """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

    ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
    alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
    """
    alpha = checks.real(alpha, "leaky_relu alpha")
    slope = fast.slope(a.data > 0.0, alpha)  # the local derivative: 1 where x > 0, alpha elsewhere
    finite = fast.finite(alpha)

    def _backward(out: Tensor) -> None:
        accumulate(a, fast.times_slope(out.grad, slope, finite))

    return node(fast.times_slope(a.data, slope, finite), (a,), "leaky_relu", _backward, {"alpha": alpha})


def prelu(a: Tensor, weight: Tensor | float) -> Tensor:
    """Leaky ReLU whose slope is a node: ``weight`` of shape (), (1,) or (channels,) on dim 1, as
    PyTorch. d/dx = 1 or the slope; d/dslope = x where x <= 0, summed over all but the channel."""
    cls = tensor_class(a)
    w = weight if isinstance(weight, cls) else cls(checks.real(weight, "prelu slope"))
    ws = w.data.shape
    if len(ws) > 1 or (ws and ws[0] != 1 and (a.data.ndim < 2 or a.data.shape[1] != ws[0])):
        raise ValueError(
            f"prelu: the slope has shape {ws}, but it must have shape (), (1,) or (channels,) "
            f"where channels is dim 1 of the input, of shape {a.data.shape}"
        )
    per_channel = w.data.reshape((-1,) + (1,) * (a.data.ndim - 2)) if ws and ws[0] != 1 else w.data.reshape(())
    slope = fast.slope(a.data > 0.0, per_channel)  # d/dx: 1 where x > 0, the slope elsewhere
    finite = fast.finite(per_channel)

    def _backward(out: Tensor) -> None:
        g = out.grad
        if a.requires_grad:
            accumulate(a, fast.times_slope(g, slope, finite))
        if w.requires_grad:  # d/dslope = x where x <= 0, summed over every position that shares the slope
            with quiet():
                dw = unbroadcast(g * np.minimum(a.data, 0.0), per_channel.shape)
            accumulate(w, dw.reshape(ws))

    return node(fast.times_slope(a.data, slope, finite), (a, w), "prelu", _backward, {"ws": ws})
