"""Tensor's element-wise functions: exp, log, tanh, sigmoid and the ReLU family (relu, leaky_relu, prelu).

Same op shape as everywhere. The ReLU family's gradient mask comes from the input (``x > 0``), never
from the output, so the gradient at exactly 0 is 0 for relu and alpha for the leaky ones, as in PyTorch.
The leaky slope and its product go through ``fast.py``, whose docstrings give the plain numpy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import checks
from ..engine.ieee import leaky_name, leaky_slope
from ..engine.rules import code_rule
from . import fast
from .node import accumulate, node, quiet, unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


# Each op's code rule (for tinygrad_relu.trace) sits just above it: see engine/rules.py.
@code_rule(lambda c: f"np.exp({c[0]})", lambda c: [(0, f"{c.g} * {c.out}")])
def exp(a: Tensor) -> Tensor:
    """e ** x (inf on overflow)."""
    with quiet():
        data = np.exp(a.data)

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(a, out.grad * out.data)

    return node(data, (a,), "exp", _backward)


@code_rule(lambda c: f"np.log({c[0]})", lambda c: [(0, f"{c.g} / {c[0]}")])
def log(a: Tensor) -> Tensor:
    """Natural log: -inf at 0, nan below 0."""
    with quiet():
        data = np.log(a.data)

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(a, out.grad / a.data)

    return node(data, (a,), "log", _backward)


@code_rule(lambda c: f"np.tanh({c[0]})", lambda c: [(0, f"{c.g} * (1.0 - {c.out} * {c.out})")])
def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""

    def _backward(out: Tensor) -> None:
        accumulate(a, out.grad * (1.0 - out.data * out.data))

    return node(np.tanh(a.data), (a,), "tanh", _backward)


def _sigmoid_code(c: Any) -> str:
    """``sigmoid``'s forward as code: e^-|x| first, then one of its two stable forms per element."""
    e = c.let(f"np.exp(-np.abs({c[0]}))", "e")
    return f"np.where({c[0]} >= 0.0, 1.0, {e}) / (1.0 + {e})"


@code_rule(_sigmoid_code, lambda c: [(0, f"{c.g} * {c.out} * (1.0 - {c.out})")])
def sigmoid(a: Tensor) -> Tensor:
    """Logistic function 1 / (1 + e^-x), stable for large |x| (e^-|x| never overflows)."""
    e = np.exp(-np.abs(a.data))
    data = np.where(a.data >= 0.0, 1.0, e) / (1.0 + e)  # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below

    def _backward(out: Tensor) -> None:
        s = out.data
        accumulate(a, out.grad * s * (1.0 - s))

    return node(data, (a,), "sigmoid", _backward)


@code_rule(lambda c: f"np.maximum({c[0]}, 0.0)", lambda c: [(0, f"np.where({c[0]} > 0.0, {c.g}, 0.0)")])
def relu(a: Tensor) -> Tensor:
    """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""

    def _backward(out: Tensor) -> None:
        accumulate(a, np.where(a.data > 0.0, out.grad, 0.0))

    return node(np.maximum(a.data, 0.0), (a,), "relu", _backward)


def _slope_code(c: Any, x: str, alpha: str) -> str:
    """``fast.slope(x > 0.0, alpha)`` as code: the plain ``np.where`` where the fast path takes it (small arrays),
    else the fast path itself, so that the slope is the closure's to the bit."""
    if math.prod(c.out_shape) <= 4096:
        return f"np.where({x} > 0.0, 1.0, {alpha})"
    return f"fast.slope({x} > 0.0, {alpha})"


def _leaky_code(c: Any) -> str:
    """``leaky_relu``'s forward as code: the slope array (1 where x > 0, alpha elsewhere) times x. The closure keeps
    the slope array, not alpha: the exact alpha comes from the op's name (``leaky_slope``)."""
    c.let(_slope_code(c, c[0], c.num(leaky_slope(c.op))), "slope")
    return f"{c[0]} * {c.temp('slope')}"


@code_rule(_leaky_code, lambda c: [(0, f"{c.g} * {c.temp('slope')}")])
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

    return node(fast.times_slope(a.data, slope, finite), (a,), leaky_name(alpha), _backward)


def _per_channel_shape(c: Any) -> tuple[int, ...]:
    """The shape ``prelu`` gives its slope to broadcast over the input: one per channel (dim 1), or ()."""
    ws = c.value("ws")
    return (ws[0],) + (1,) * (len(c.shape(0)) - 2) if ws and ws[0] != 1 else ()


def _prelu_code(c: Any) -> str:
    """``prelu``'s forward as code: the slope of each position (its channel's), then as leaky_relu."""
    per_channel = c.let(f"{c[1]}.reshape({_per_channel_shape(c)})", "per_channel")
    c.let(_slope_code(c, c[0], per_channel), "slope")
    return f"{c[0]} * {c.temp('slope')}"


def _prelu_grads(c: Any) -> list[tuple[int, str]]:
    """``prelu``'s backward as code: slope times g for x; x where x <= 0 times g, summed per channel, for the slope."""
    dw = f"unbroadcast({c.g} * np.minimum({c[0]}, 0.0), {_per_channel_shape(c)}).reshape({c.value('ws')})"
    return [(0, f"{c.g} * {c.temp('slope')}"), (1, dw)]


@code_rule(_prelu_code, _prelu_grads)
def prelu(a: Tensor, weight: Tensor | float) -> Tensor:
    """Leaky ReLU whose slope is a node: ``weight`` of shape (), (1,) or (channels,) on dim 1, as
    PyTorch. d/dx = 1 or the slope; d/dslope = x where x <= 0, summed over all but the channel."""
    w = weight if isinstance(weight, type(a)) else type(a)(checks.real(weight, "prelu slope"))
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

    return node(fast.times_slope(a.data, slope, finite), (a, w), "prelu", _backward)
