"""Tensor's element-wise functions: exp, log, tanh, sigmoid and the ReLU family.

A mixin of ``Tensor`` (see ``tensor.py``), kept in its own file so each stays short; same op shape.
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Real
from typing import Any, Union

import numpy as np

from .tensor_core import acc, node, quiet, unbroadcast

_f64 = np.float64


def _real(x: Any, what: str) -> float:
    if isinstance(x, Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}")


@lru_cache(maxsize=64)
def _leaky_name(alpha: float) -> str:
    """The op name, as Value gives it (cached: formatting a float costs as much as a small op's arithmetic)."""
    return f"leaky_relu({alpha:g})"


def _slope(positive: np.ndarray, alpha: Any) -> np.ndarray:
    """1.0 where ``positive`` else ``alpha`` (a number or an array broadcast against it), exactly.

    Arithmetic on 0/1 floats: np.where is ~6x slower on a random mask (it branches per element).
    """
    on = positive.astype(_f64)
    off = 1.0 - on
    off *= alpha  # exactly alpha or 0, so the sum below is exactly 1 or alpha
    off += on
    return off


class ActivationOps:
    """exp, log, tanh, sigmoid, relu, leaky_relu and prelu of ``Tensor``."""

    __slots__ = ()

    def exp(self) -> Any:
        """e ** x (inf on overflow)."""
        a = self
        with quiet():
            data = np.exp(a.data)

        def _backward(out: Any) -> None:
            with quiet():
                acc(a, out.grad * out.data)

        return node(data, (a,), "exp", _backward)

    def log(self) -> Any:
        """Natural log: -inf at 0, nan below 0."""
        a = self
        with quiet():
            data = np.log(a.data)

        def _backward(out: Any) -> None:
            with quiet():
                acc(a, out.grad / a.data)

        return node(data, (a,), "log", _backward)

    def tanh(self) -> Any:
        """Hyperbolic tangent."""
        a = self

        def _backward(out: Any) -> None:
            acc(a, out.grad * (1.0 - out.data * out.data))

        return node(np.tanh(a.data), (a,), "tanh", _backward)

    def sigmoid(self) -> Any:
        """Logistic function 1 / (1 + e^-x), stable for large |x| (e^-|x| never overflows)."""
        a = self
        e = np.exp(-np.abs(a.data))
        data = _slope(a.data >= 0, e) / (1.0 + e)  # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below

        def _backward(out: Any) -> None:
            s = out.data
            acc(a, out.grad * s * (1.0 - s))

        return node(data, (a,), "sigmoid", _backward)

    def relu(self) -> Any:
        """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""
        a = self
        keep = -(a.data > 0).astype(np.int64)  # all 64 bits set where x > 0: the mask comes from the input

        def _backward(out: Any) -> None:
            # g where x > 0, else 0, exactly as np.where but without its per-element branch (~10x slower
            # on a random mask); g * mask would turn an infinite g into nan where x <= 0.
            acc(a, (np.asarray(out.grad).view(np.int64) & keep).view(_f64))

        return node(np.maximum(a.data, 0.0), (a,), "relu", _backward)

    def leaky_relu(self, alpha: float = 0.01) -> Any:
        """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

        ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
        alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
        """
        if type(alpha) is not float:
            alpha = _real(alpha, "leaky_relu alpha")
        a = self
        slope = _slope(a.data > 0, alpha)

        def _backward(out: Any) -> None:
            acc(a, out.grad * slope)

        return node(a.data * slope, (a,), _leaky_name(alpha), _backward)

    def prelu(self, weight: Union[Any, float]) -> Any:
        """Leaky ReLU whose slope is a node: ``weight`` of shape (), (1,) or (channels,) on dim 1, as
        PyTorch. d/dx = 1 or the slope; d/dslope = x where x <= 0, summed over all but the channel."""
        w = weight if isinstance(weight, ActivationOps) else type(self)(_real(weight, "prelu slope"))
        a = self
        ws = w.data.shape
        if len(ws) > 1 or (ws and ws[0] != 1 and (a.data.ndim < 2 or a.data.shape[1] != ws[0])):
            raise ValueError(f"prelu: the slope has shape {ws}, but it must have shape (), (1,) or (channels,) "
                             f"where channels is dim 1 of the input, of shape {a.data.shape}")
        per_channel = w.data.reshape((-1,) + (1,) * (a.data.ndim - 2)) if ws and ws[0] != 1 else w.data.reshape(())
        positive = a.data > 0
        slope = _slope(positive, per_channel)

        def _backward(out: Any) -> None:
            g = out.grad
            if a.requires_grad:
                acc(a, g * slope)
            if w.requires_grad:
                dw = unbroadcast(g * np.minimum(a.data, 0.0), per_channel.shape)
                acc(w, dw.reshape(ws))

        return node(a.data * slope, (a, w), "prelu", _backward)
