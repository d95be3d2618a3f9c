"""Tensor's element-wise functions: exp, log, tanh, sigmoid, the ReLU family (relu, leaky_relu, prelu) and where.

Same op shape as everywhere. The ReLU family's gradient mask comes from the input (``x > 0``), never
from the output, so the gradient at exactly 0 is 0 for relu and alpha for the leaky ones, as in PyTorch.
The leaky slope and its product go through ``fast.py``, whose docstrings give the plain numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import checks
from . import fast
from .node import Saved, accumulate, node, quiet, tensor_class, unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


def exp(a: Tensor) -> Tensor:
    """e ** x (inf on overflow)."""
    with quiet():
        data = np.exp(a.data)

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(out._prev[0], out.grad * out.data)

    return node(data, (a,), "exp", _backward)


def log(a: Tensor) -> Tensor:
    """Natural log: -inf at 0, nan below 0."""
    with quiet():
        data = np.log(a.data)

    def _backward(out: Tensor) -> None:
        (a,) = out._prev
        with quiet():
            accumulate(a, out.grad / a.data)

    return node(data, (a,), "log", _backward)


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""

    def _backward(out: Tensor) -> None:
        accumulate(out._prev[0], out.grad * (1.0 - out.data * out.data))

    return node(np.tanh(a.data), (a,), "tanh", _backward)


def sigmoid(a: Tensor) -> Tensor:
    """Logistic function 1 / (1 + e^-x), stable for large |x| (e^-|x| never overflows)."""
    e = np.exp(-np.abs(a.data))
    data = np.where(a.data >= 0.0, 1.0, e) / (1.0 + e)  # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below

    def _backward(out: Tensor) -> None:
        s = out.data
        accumulate(out._prev[0], out.grad * s * (1.0 - s))

    return node(data, (a,), "sigmoid", _backward)


def relu(a: Tensor) -> Tensor:
    """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""

    def _backward(out: Tensor) -> None:
        (a,) = out._prev
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
        arg = out._arg
        accumulate(out._prev[0], fast.times_slope(out.grad, arg["slope"].array, arg["finite"]))

    # the slope is kept for the backward pass, as PyTorch's ctx saves a tensor: computing it again costs a step
    arg = {"alpha": alpha, "finite": finite, "slope": Saved(slope, constant=True)}
    return node(fast.times_slope(a.data, slope, finite), (a,), "leaky_relu", _backward, arg)


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
    channels = (-1,) + (1,) * (a.data.ndim - 2) if ws and ws[0] != 1 else ()  # how the slope broadcasts
    per_channel = w.data.reshape(channels)
    slope = fast.slope(a.data > 0.0, per_channel)  # d/dx: 1 where x > 0, the slope elsewhere

    def _backward(out: Tensor) -> None:
        (a, w), g, arg = out._prev, out.grad, out._arg
        per_channel = w.data.reshape(arg["channels"])
        if a.requires_grad:  # the slope again, from the slope's node: d/dx depends on it (d2/dx dslope is 1)
            accumulate(a, fast.times_slope(g, fast.slope(a.data > 0.0, per_channel), fast.finite(per_channel)))
        if w.requires_grad:  # d/dslope = x where x <= 0, summed over every position that shares the slope
            with quiet():
                dw = unbroadcast(g * np.minimum(a.data, 0.0), per_channel.shape)
            accumulate(w, dw.reshape(arg["ws"]))

    data = fast.times_slope(a.data, slope, fast.finite(per_channel))
    return node(data, (a, w), "prelu", _backward, {"ws": ws, "channels": channels})


def where(condition: np.ndarray, a: Tensor, b: Tensor) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (numpy's ``where``, broadcasting): each gradient goes back to
    the side its element came from. ``condition`` is a boolean array, not a node. The backward pass of relu and
    of ``**`` is this op when it is run on nodes (``grad(..., create_graph=True)``)."""

    def _backward(out: Tensor) -> None:
        (a, b), condition = out._prev, out._arg["condition"]
        if a.requires_grad:
            accumulate(a, np.where(condition, out.grad, 0.0))
        if b.requires_grad:
            accumulate(b, np.where(condition, 0.0, out.grad))

    return node(np.where(condition, a.data, b.data), (a, b), "where", _backward, {"condition": condition})
