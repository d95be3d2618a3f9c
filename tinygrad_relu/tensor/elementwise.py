"""Tensor's element-wise functions: exp, log, tanh, sigmoid and the ReLU family (relu, leaky_relu, prelu).

Same op shape as everywhere. Two speed tricks are kept behind named helpers whose docstrings give
the plain numpy they stand for: ``_slope`` (1 or alpha per element) and ``_keep_positive`` (relu's
gradient mask). The mask always comes from the input, never from the output, and compares with the float
0.0 (an int 0 costs numpy a type resolution: 0.14 us more on a small array).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import checks
from .autograd import accumulate, node, quiet, quietly, unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor

_f64 = np.float64


@lru_cache(maxsize=64)
def _leaky_name(alpha: float) -> str:
    """The op name, as Value gives it (cached: formatting a float costs as much as a small op's arithmetic)."""
    return f"leaky_relu({alpha:g})"


def _slope(positive: np.ndarray, alpha: Any) -> np.ndarray:
    """``np.where(positive, 1.0, alpha)``: 1.0 where ``positive``, else ``alpha`` (a number or an array
    broadcast against it), exactly. np.where itself up to 4096 elements; above, it branches per element and is
    2-4x slower on a random mask (numpy 2.4), so the slope is arithmetic on 0/1 floats there -- but not for an
    infinite or nan alpha, where 0 * alpha would turn the positive side into nan."""
    if positive.size <= 4096 or not _finite(alpha):
        return np.where(positive, 1.0, alpha)
    on = positive.astype(_f64)
    off = 1.0 - on
    off *= alpha  # exactly alpha or 0, so the sum below is exactly 1 or alpha
    off += on
    return off


def _finite(alpha: Any) -> bool:
    """True if the slope ``alpha`` (a number or an array) has no inf or nan."""
    return alpha - alpha == 0.0 if type(alpha) is float else bool(np.isfinite(alpha).all())


@quietly
def _product(x: Any, slope: np.ndarray) -> np.ndarray:
    """``x * slope`` for a slope with an inf or nan: 0 * inf is nan (as in Value and PyTorch), without a warning.
    A finite slope is multiplied in place of the call (``x * slope if finite else _product(x, slope)``)."""
    product: np.ndarray = x * slope
    return product


def _positive_bits(x: np.ndarray) -> np.ndarray:
    """A 64-bit mask with every bit set where ``x > 0`` and none elsewhere (for ``_keep_positive``)."""
    return -(x > 0.0).astype(np.int64)


def _keep_positive(g: Any, bits: np.ndarray) -> np.ndarray:
    """``np.where(x > 0, g, 0.0)`` for the ``bits`` of x: a bitwise and of the float64 words, ~10x faster
    than np.where on a random mask; ``g * mask`` would turn an infinite ``g`` into nan where x <= 0."""
    kept: np.ndarray = (np.asarray(g).view(np.int64) & bits).view(_f64)
    return kept


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
    data = _slope(a.data >= 0.0, e) / (1.0 + e)  # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below

    def _backward(out: Tensor) -> None:
        s = out.data
        accumulate(a, out.grad * s * (1.0 - s))

    return node(data, (a,), "sigmoid", _backward)


def relu(a: Tensor) -> Tensor:
    """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""
    bits = _positive_bits(a.data)

    def _backward(out: Tensor) -> None:
        accumulate(a, _keep_positive(out.grad, bits))

    return node(np.maximum(a.data, 0.0), (a,), "relu", _backward)


def leaky_relu(a: Tensor, alpha: float = 0.01) -> Tensor:
    """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

    ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
    alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
    """
    if type(alpha) is not float:
        alpha = checks.real(alpha, "leaky_relu alpha")
    slope, finite = _slope(a.data > 0.0, alpha), _finite(alpha)

    def _backward(out: Tensor) -> None:
        g = out.grad
        accumulate(a, g * slope if finite else _product(g, slope))

    return node(a.data * slope if finite else _product(a.data, slope), (a,), _leaky_name(alpha), _backward)


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
    slope, finite = _slope(a.data > 0.0, per_channel), _finite(per_channel)

    def _backward(out: Tensor) -> None:
        g = out.grad
        if a.requires_grad:
            accumulate(a, g * slope if finite else _product(g, slope))
        if w.requires_grad:
            dw = unbroadcast(g * np.minimum(a.data, 0.0), per_channel.shape)
            accumulate(w, dw.reshape(ws))

    return node(a.data * slope if finite else _product(a.data, slope), (a, w), "prelu", _backward)
