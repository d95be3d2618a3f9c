"""Tensor reductions: sum, mean, max, and the softmax family (logsumexp, log_softmax).

A reduction's backward spreads the output's gradient back along the reduced axes: each element
gets all of it (sum), a share (mean), or the arg-max gets it (max). The softmax family subtracts the
largest entry before exponentiating, so no exp overflows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.rules import code_rule
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


def _reduce_code(c: Any) -> str:
    """A sum's forward as code for the shapes at hand: over the axes the closure kept as 1 (a size-1 axis changes
    nothing), with ``keepdims`` as the output's shape says. ``a.sum(...)`` is ``np.add.reduce``, as the op calls it."""
    shape, kept, out = c.shape(0), c.value("kept"), c.out_shape
    if kept is None:  # every axis, as the closure's axis=None reduces them
        return f"{c[0]}.sum()" if out == () else f"{c[0]}.sum(keepdims=True)"
    axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)
    if out == kept:
        return f"{c[0]}.sum(axis={axes}, keepdims=True)"
    dropped = tuple(n for i, n in enumerate(shape) if i not in axes)
    if out == dropped:
        return f"{c[0]}.sum(axis={axes})"
    return f"{c[0]}.sum(axis={axes}, keepdims=True).reshape({out})"


def _spread_code(c: Any, g: str) -> str:
    """``_spread(g, kept, shape)`` as code: ``g`` repeated along the reduced axes, in a new array."""
    kept, shape = c.value("kept"), c.shape(0)
    if kept is None:
        return f"np.full({shape}, {g})"
    return f"np.broadcast_to({g}.reshape({kept}), {shape}).copy()"


# Each op's code rule (for tinygrad_relu.trace) sits just above it: see engine/rules.py.
@code_rule(
    lambda c: _reduce_code(c),
    lambda c: [(0, _spread_code(c, c.g))],
)
def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001  (Tensor.sum's body)
    """Sum over ``axis`` (every axis when None); the gradient copies ``out.grad`` back along it."""
    axes, kept = _plan(a, axis, "sum")

    def _backward(out: Tensor) -> None:
        accumulate(a, _spread(out.grad, kept, a.data.shape))

    data = np.add.reduce(a.data, axis=axes, keepdims=keepdims)  # type: ignore[call-overload]  # stubs want a literal
    return node(data, (a,), "sum", _backward)


def _count(c: Any) -> int:
    """How many elements ``mean`` averaged (0 for an empty reduction, as its forward divides by)."""
    kept, shape = c.value("kept"), c.shape(0)  # an axis kept as 1 was reduced, or had length 1 anyway
    return math.prod(shape) if kept is None else math.prod(n for n, k in zip(shape, kept) if k == 1)


def _mean_grads(c: Any) -> list[tuple[int, str]]:
    """``mean``'s backward as code: g over the count, spread along the reduced axes."""
    return [(0, _spread_code(c, c.let(f"{c.g} / {c.param('divisor')}", "g")))]


@code_rule(
    lambda c: f"{_reduce_code(c)} / {_count(c)}",
    _mean_grads,
)
def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (every axis when None); each element gets ``out.grad / count``."""
    axes, kept = _plan(a, axis, "mean")
    count = a.data.size if axes is None else math.prod(a.data.shape[i] for i in axes)
    divisor = count or 1  # nothing averaged: the gradient is empty, any divisor serves

    def _backward(out: Tensor) -> None:
        accumulate(a, _spread(out.grad / divisor, kept, a.data.shape))

    with quiet():  # the mean of nothing is 0 / 0 = nan, as in numpy and PyTorch
        # a division, not a product with 1 / count, which is an ulp off numpy's and PyTorch's mean
        data = np.add.reduce(a.data, axis=axes, keepdims=keepdims) / count  # type: ignore[call-overload]
    return node(data, (a,), "mean", _backward)


def _max_code(c: Any) -> str:
    """``max``'s forward as code: the kept-dims maximum, reshaped unless ``keepdims``."""
    axis, kept = c.value("axis"), c.value("kept")
    top = c.let(f"np.max({c[0]}, axis={axis}, keepdims=True)", "top")
    return top if c.out_shape == kept else f"{top}.reshape({c.out_shape})"


def _max_grads(c: Any) -> list[tuple[int, str]]:
    """``max``'s backward as code: the share of each element (ties split evenly, or the first arg-max per row)."""
    a, top, axis = c[0], c.temp("top"), c.param("axis")
    if c.value("axis") is None:
        hits = c.let(f"np.isnan({a}) if np.isnan({top}).all() else {a} == {top}", "hits")
        share = c.let(f"{hits} / np.count_nonzero({hits})", "share")
    else:
        share = c.let(f"np.zeros({c.shape(0)})", "share")
        first = c.let(f"np.expand_dims(np.argmax({a}, axis={axis}), {axis})", "first")
        c.stmt(f"np.put_along_axis({share}, {first}, 1.0, axis={axis})")
    return [(0, f"{share} * {c.g}.reshape({c.value('kept')})")]


@code_rule(_max_code, _max_grads)
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
        if axis is None:
            # a nan maximum goes to the nan elements, as torch.max(x) sends it
            hits = np.isnan(a.data) if np.isnan(top).all() else a.data == top
            share = hits / np.count_nonzero(hits)
        else:
            share = np.zeros(a.data.shape)
            first = np.expand_dims(np.argmax(a.data, axis=axis), axis)
            np.put_along_axis(share, first, 1.0, axis=axis)
        accumulate(a, share * out.grad.reshape(kept))

    return node(top if keepdims else top.reshape(_dropped(kept, axes)), (a,), "max", _backward)


def _logsumexp_code(c: Any) -> str:
    """``logsumexp``'s forward as code: shift by the finite max, sum the exps, log, shift back."""
    a, kept, shape = c[0], c.value("kept"), c.shape(0)
    axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)  # size-1 axes change nothing
    top = c.let(f"np.max({a}, axis={axes}, keepdims=True, initial=-np.inf)", "top")
    m = c.let(f"np.where(np.isfinite({top}), {top}, 0.0)", "shift")
    lse = c.let(f"np.log(np.add.reduce(np.exp({a} - {m}), axis={axes}, keepdims=True)) + {m}", "lse")
    return lse if c.out_shape == kept else f"{lse}.reshape({c.out_shape})"


@code_rule(
    _logsumexp_code,
    lambda c: [(0, f"np.exp({c[0]} - {c.temp('lse')}) * {c.g}.reshape({c.value('kept')})")],
)
def logsumexp(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed without overflow; its gradient is softmax(x)."""
    axes = axes_of(axis, a.data.ndim, "logsumexp")
    kept = _kept_shape(a.data.shape, axes)
    with quiet():
        m = _finite_max(a.data, axes)
        lse = np.log(np.add.reduce(np.exp(a.data - m), axis=axes, keepdims=True)) + m

    def _backward(out: Tensor) -> None:
        with quiet():
            accumulate(a, np.exp(a.data - lse) * out.grad.reshape(kept))

    return node(lse if keepdims else lse.reshape(_dropped(kept, axes)), (a,), "logsumexp", _backward)


def _log_softmax_code(c: Any) -> str:
    """``log_softmax``'s forward as code: x minus its max, minus the log of the shifted exps' sum."""
    axes = c.param("axes")
    shifted = c.let(f"{c[0]} - np.max({c[0]}, axis={axes}, keepdims=True, initial=-np.inf)", "shifted")
    return f"{shifted} - np.log(np.add.reduce(np.exp({shifted}), axis={axes}, keepdims=True))"


@code_rule(
    _log_softmax_code,
    lambda c: [(0, f"{c.g} - np.exp({c.out}) * np.add.reduce({c.g}, axis={c.param('axes')}, keepdims=True)")],
)
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
            accumulate(a, g - np.exp(out.data) * np.add.reduce(g, axis=axes, keepdims=True))

    return node(data, (a,), "log_softmax", _backward)
