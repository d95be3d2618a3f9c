"""Tensor arithmetic: + - * / ** and negation, broadcasting like numpy; @; and the fused ``linear``.

Every op has Value's shape: compute the forward array, define ``_backward(out)`` that adds ``out.grad``
times the local derivative into each parent, return the new node. A parent that was broadcast gets its
gradient summed back to its own shape (``accumulate`` does it). ``Tensor`` binds each op as a method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import fast
from .node import accumulate, broadcast_error, matmul_error, node, quiet, tensor_class, unbroadcast

if TYPE_CHECKING:
    from .tensor import Tensor


def _broadcasting(f: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """``f(a.data, b.data)``, with an error naming the op and both shapes when they do not broadcast."""
    try:
        return f(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.data, b.data) from None


def add(a: Tensor, b: Tensor) -> Tensor:
    """a + b; both get the output's gradient as it is (summed back where broadcast)."""

    def _backward(out: Tensor) -> None:
        a, b = out._prev
        if a.requires_grad:
            accumulate(a, out.grad, may_alias=True)
        if b.requires_grad:
            accumulate(b, out.grad, may_alias=True)

    return node(_broadcasting(np.add, a, b, "+"), (a, b), "+", _backward)


def sub(a: Tensor, b: Tensor) -> Tensor:
    """a - b; d/da = 1, d/db = -1."""

    def _backward(out: Tensor) -> None:
        a, b = out._prev
        if a.requires_grad:
            accumulate(a, out.grad, may_alias=True)
        if b.requires_grad:
            accumulate(b, -out.grad)

    return node(_broadcasting(np.subtract, a, b, "-"), (a, b), "-", _backward)


def mul(a: Tensor, b: Tensor) -> Tensor:
    """a * b; d/da = b, d/db = a (a square a * a gets both: 2a)."""

    def _backward(out: Tensor) -> None:
        a, b = out._prev
        if a.requires_grad:
            accumulate(a, out.grad * b.data)
        if b.requires_grad:
            accumulate(b, out.grad * a.data)

    return node(_broadcasting(np.multiply, a, b, "*"), (a, b), "*", _backward)


def truediv(a: Tensor, b: Tensor) -> Tensor:
    """a / b, IEEE at b == 0 (inf, nan) without warnings."""
    with quiet():
        data = _broadcasting(np.divide, a, b, "/")

    def _backward(out: Tensor) -> None:
        a, b = out._prev
        with quiet():
            if a.requires_grad:
                accumulate(a, out.grad / b.data)  # d(a/b)/da = 1/b
            if b.requires_grad:
                accumulate(b, -out.grad * out.data / b.data)  # d(a/b)/db = -a/b^2 = -(a/b)/b

    return node(data, (a, b), "/", _backward)


def pow_tensor(a: Tensor, b: Tensor) -> Tensor:
    """a ** b for an exponent that is a Tensor too."""
    with quiet():
        data = _broadcasting(np.power, a, b, "**")

    def _backward(out: Tensor) -> None:
        (a, b), g = out._prev, out.grad
        with quiet():
            if a.requires_grad:  # 0 where b == 0 (a constant 1), not 0 * 0**-1 = nan at a == 0, as PyTorch
                accumulate(a, np.where(b.data == 0, 0.0, g * b.data * np.power(a.data, b.data - 1.0)))
            if b.requires_grad:  # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's limit)
                limit = (a.data == 0) & (b.data >= 0)
                accumulate(b, np.where(limit, 0.0, g * out.data * np.log(a.data)))

    return node(data, (a, b), "**", _backward)


def pow_number(a: Tensor, k: float) -> Tensor:
    """a ** k for a constant exponent."""

    with quiet():
        data = np.power(a.data, k)

    def _backward(out: Tensor) -> None:
        (a,), k = out._prev, out._arg["k"]
        if k == 0.0:  # x ** 0 is constant: gradient 0, also at x = 0 where 0 * 0**-1 would give nan (as PyTorch)
            accumulate(a, np.zeros_like(a.data))
            return
        with quiet():
            accumulate(a, out.grad * (k * np.power(a.data, k - 1.0)))

    return node(data, (a,), "**", _backward, {"k": k})


def neg(a: Tensor) -> Tensor:
    """-a."""

    def _backward(out: Tensor) -> None:
        accumulate(out._prev[0], -out.grad)

    return node(-a.data, (a,), "neg", _backward)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b as numpy's matmul (1-D, 2-D and batched); d/da = g @ b.T, d/db = a.T @ g."""
    try:
        data = fast.matmul(a.data, b.data)
    except ValueError:
        raise matmul_error(a.data.shape, b.data.shape) from None

    def _backward(out: Tensor) -> None:
        (a, b), g = out._prev, out.grad
        if a.data.ndim != 2 or b.data.ndim != 2:  # a 1-D or batched operand
            if a.requires_grad:
                accumulate(a, _matmul_grad(a.data, b.data, g, left=True))
            if b.requires_grad:
                accumulate(b, _matmul_grad(a.data, b.data, g, left=False))
            return
        if a.requires_grad:
            accumulate(a, fast.matmul(g, b.data.T))  # g @ b.T
        if b.requires_grad:
            accumulate(b, fast.matmul(a.data.T, g))  # a.T @ g

    return node(data, (a, b), "@", _backward)


def _matmul_grad(a: np.ndarray, b: np.ndarray, g: np.ndarray, left: bool) -> np.ndarray:
    """The gradient of ``a @ b`` for ``a`` (``left``) or ``b`` when an operand is 1-D or batched: promote 1-D
    operands to matrices (as matmul does), multiply by the other's transpose, sum the broadcast batch axes back."""
    a2 = a if a.ndim > 1 else a[None, :]
    b2 = b if b.ndim > 1 else b[:, None]
    if b.ndim == 1:
        g = g[..., None]
    if a.ndim == 1:
        g = g[..., None, :]
    if left:
        return unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    return unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one node, for a 2-D ``weight`` (out, in) and a ``bias`` (out,): PyTorch's
    ``F.linear``, layout included. One node and one closure instead of three, which is most of a small
    layer's cost; ``weight.T`` is a view, which BLAS reads without a copy. ``x`` is (..., in).
    """
    w = weight
    if (type(w) is not type(x) and not isinstance(w, tensor_class(x))) or w.data.ndim != 2:
        raise ValueError(f"linear: weight must be a 2-D Tensor (out, in), got {getattr(w, 'shape', type(w))}")
    if bias is not None and (not isinstance(bias, tensor_class(w)) or bias.data.shape != w.data.shape[:1]):
        raise ValueError(
            f"linear: bias must be a Tensor of shape {w.data.shape[:1]} for a weight of shape "
            f"{w.data.shape}, got {getattr(bias, 'shape', type(bias))}"
        )
    try:
        data = fast.matmul(x.data, w.data.T)  # x @ w.T
    except ValueError:
        raise matmul_error(x.data.shape, w.data.T.shape) from None
    if bias is not None:
        data += bias.data  # in place: data is the new matmul result

    def _backward(out: Tensor) -> None:
        (x, w, *bias), g = out._prev, out.grad  # bias: [the bias], or [] for none
        if x.requires_grad:
            accumulate(x, fast.matmul(g, w.data))  # g @ w
        # leading axes fold into one batch axis (none: a batch of one); a batch of rows is one already
        rows = g if g.ndim == 2 else g.reshape(-1, w.data.shape[0])
        if w.requires_grad:
            xs = x.data if x.data.ndim == 2 else x.data.reshape(-1, w.data.shape[1])
            accumulate(w, fast.matmul(rows.T, xs))  # g.T @ x
        if bias and bias[0].requires_grad:
            accumulate(bias[0], rows.sum(axis=0))  # the bias was added to every row: the sum over rows

    return node(data, (x, w) if bias is None else (x, w, bias), "linear", _backward)
