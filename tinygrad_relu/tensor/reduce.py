"""Tensor reductions: sum, mean, max, and the softmax family (logsumexp, log_softmax).

A reduction's backward spreads the output's gradient back along the reduced axes: each element
gets all of it (sum), a share (mean), or the arg-max gets it (max). The softmax family subtracts the
largest entry before exponentiating, so no exp overflows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .node import Axis, accumulate, node, quiet

if TYPE_CHECKING:
    from .tensor import Tensor


def axes_of(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (every axis for None), or an error naming the op."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    elif isinstance(axis, (int, np.integer)):
        axes = (axis,)
    else:
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {type(axis).__name__} {axis!r}")
    result = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {type(ax).__name__}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for a Tensor of {ndim} dimension(s)")
        result.append(int(ax) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` set to 1, as ``keepdims=True`` leaves it."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _dropped(kept: tuple[int, ...], axes: tuple[int, ...]) -> list[int]:
    """The shape ``keepdims=False`` leaves: ``kept`` without the reduced axes."""
    return [n for i, n in enumerate(kept) if i not in axes]


def _plan(a: Tensor, axis: Axis, op: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(axes, kept shape) of a sum-like reduction; (None, None) for all axes."""
    if axis is None:
        return None, None
    axes = axes_of(axis, a.data.ndim, op)
    return axes, _kept_shape(a.data.shape, axes)


def _spread(g: Any, kept: tuple[int, ...] | None, shape: tuple[int, ...]) -> np.ndarray:
    """``g`` (of the reduced or the ``kept`` shape) repeated along the reduced axes, as a new array. ``kept`` None
    means every axis was reduced: ``g`` holds one number and broadcasts as it is."""
    full = np.empty(shape)
    full[...] = g if kept is None else g.reshape(kept)  # numpy repeats it along the axes of length 1
    return full


def _finite_max(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max over ``axes`` with keepdims, as the shift that keeps exp from overflowing; 0 where it is infinite."""
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)  # an empty axis: -inf, so its logsumexp is log(0)
    return np.where(np.isfinite(m), m, 0.0)  # an infinite max is not subtracted: inf - inf would be nan


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001  (Tensor.sum's body)
    """Sum over ``axis`` (every axis when None); the gradient copies ``out.grad`` back along it."""
    axes, kept = _plan(a, axis, "sum")

    def _backward(out: Tensor) -> None:
        (a,) = out._prev
        accumulate(a, _spread(out.grad, out._arg["kept"], a.data.shape))

    data = np.add.reduce(a.data, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]  # stubs want a literal
    return node(data, (a,), "sum", _backward, {"kept": kept})


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (every axis when None); each element gets ``out.grad / count``."""
    axes, kept = _plan(a, axis, "mean")
    count = a.data.size if axes is None else math.prod(a.data.shape[i] for i in axes)
    divisor = count or 1  # nothing averaged: the gradient is empty, any divisor serves

    def _backward(out: Tensor) -> None:
        (a,), arg = out._prev, out._arg
        accumulate(a, _spread(out.grad / arg["divisor"], arg["kept"], a.data.shape))

    with quiet():  # the mean of nothing is 0 / 0 = nan, as in numpy and PyTorch
        # a division, not a product with 1 / count, which is an ulp off numpy's and PyTorch's mean
        data = np.add.reduce(a.data, axis=axes, keepdims=keepdims) / count  # type: ignore[call-overload]
    return node(data, (a,), "mean", _backward, {"kept": kept, "divisor": divisor})


def max(a: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest element over one ``axis`` (or all), with PyTorch's gradient: ``x.max(axis)``
    sends it to the arg-max (the first, on ties); ``x.max()`` splits it evenly among ties."""
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise TypeError(f"max: axis must be one int or None (as in PyTorch), got {axis!r}")
    axes = axes_of(axis, a.data.ndim, "max")
    kept = _kept_shape(a.data.shape, axes)
    if a.data.size == 0:
        raise ValueError(f"max of an empty Tensor of shape {a.data.shape}")
    top = np.max(a.data, axis=axes, keepdims=True)

    def _backward(out: Tensor) -> None:
        (a,), axis, kept = out._prev, out._arg["axis"], out._arg["kept"]
        if axis is None:
            top = out.data.reshape(kept)
            # a nan maximum goes to the nan elements, as torch.max(x) sends it
            hits = np.isnan(a.data) if np.isnan(top).all() else a.data == top
            share = hits / np.count_nonzero(hits)
        else:
            share = np.zeros(a.data.shape)
            first = np.expand_dims(np.argmax(a.data, axis=axis), axis)
            np.put_along_axis(share, first, 1.0, axis=axis)
        accumulate(a, share * out.grad.reshape(kept))

    out = top if keepdims else top.reshape(_dropped(kept, axes))
    return node(out, (a,), "max", _backward, {"axis": axis, "kept": kept})


def logsumexp(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed without overflow; its gradient is softmax(x)."""
    axes = axes_of(axis, a.data.ndim, "logsumexp")
    kept = _kept_shape(a.data.shape, axes)
    with quiet():
        m = _finite_max(a.data, axes)
        lse = np.log(np.add.reduce(np.exp(a.data - m), axis=axes, keepdims=True)) + m

    def _backward(out: Tensor) -> None:
        (a,), kept = out._prev, out._arg["kept"]
        with quiet():  # d/dx = exp(x - logsumexp(x)), the softmax
            accumulate(a, np.exp(a.data - out.data.reshape(kept)) * out.grad.reshape(kept))

    out = lse if keepdims else lse.reshape(_dropped(kept, axes))
    return node(out, (a,), "logsumexp", _backward, {"kept": kept})


def log_softmax(a: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``: log-probabilities, stable for any logits.

    Computed as (x - max) - log(sum(exp(x - max))): subtracting the max first keeps the log term, which
    ``x - (log(...) + max)`` rounds away once |max| passes ~1e15.
    """
    axes = axes_of(axis, a.data.ndim, "log_softmax")
    with quiet():
        # the max itself, even an infinite one: a row holding +inf (or only -inf) is nan throughout, as in PyTorch
        shifted = a.data - np.max(a.data, axis=axes, keepdims=True, initial=-np.inf)
        data = shifted - np.log(np.add.reduce(np.exp(shifted), axis=axes, keepdims=True))

    def _backward(out: Tensor) -> None:
        g = out.grad
        with quiet():  # d/dx_j = g_j - softmax_j * sum(g)
            accumulate(out._prev[0], g - np.exp(out.data) * np.add.reduce(g, axis=out._arg["axes"], keepdims=True))

    return node(data, (a,), "log_softmax", _backward, {"axes": axes})
