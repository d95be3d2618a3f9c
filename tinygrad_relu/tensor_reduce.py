"""Tensor ops that change shape: reductions, the softmax family, reshape, transpose and indexing.

A mixin of ``Tensor`` (see ``tensor.py``), kept in its own file so each stays short. The op shape
is the same as everywhere: forward array, ``_backward(out)`` adding into the parent, return.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tensor_core import Axis, acc, axes_of, kept_shape, log_softmax_kept, logsumexp_kept, node, quiet, spread


def _plan(a: Any, axis: Axis, op: str) -> tuple:
    """(axes, kept shape) of a sum-like reduction; (None, None) for all axes, the common case made cheap."""
    if axis is None:
        return None, None
    axes = axes_of(axis, a.data.ndim, op)
    return axes, kept_shape(a.data.shape, axes)


class ReduceOps:
    """Reductions, log-softmax and shape ops of ``Tensor``."""

    __slots__ = ()

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Any:
        """Sum over ``axis`` (every axis when None); the gradient copies ``out.grad`` back along it."""
        a = self
        axes, kept = _plan(a, axis, "sum")

        def _backward(out: Any) -> None:
            acc(a, spread(out.grad, kept, a.data.shape))

        return node(np.add.reduce(a.data, axis=axes, keepdims=keepdims), (a,), "sum", _backward)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Any:
        """Mean over ``axis`` (every axis when None); each element gets ``out.grad / count``."""
        a = self
        axes, kept = _plan(a, axis, "mean")
        count = a.data.size if axes is None else math.prod(a.data.shape[i] for i in axes)
        scale = 1.0 / count if count else np.nan  # the mean of nothing is nan, as in numpy

        def _backward(out: Any) -> None:
            acc(a, spread(out.grad * scale, kept, a.data.shape))

        return node(np.add.reduce(a.data, axis=axes, keepdims=keepdims) * scale, (a,), "mean", _backward)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Any:
        """The largest element over one ``axis`` (or all), with PyTorch's gradient: ``x.max(axis)``
        sends it to the arg-max (the first, on ties); ``x.max()`` splits it evenly among ties."""
        a = self
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"max: axis must be one int or None (as in PyTorch), got {axis!r}")
        axes = axes_of(axis, a.data.ndim, "max")
        kept = kept_shape(a.data.shape, axes)
        if a.data.size == 0:
            raise ValueError(f"max of an empty Tensor of shape {a.data.shape}")
        top = np.max(a.data, axis=axes, keepdims=True)

        def _backward(out: Any) -> None:
            if axis is None:
                # a nan maximum goes to the nan elements, as torch.max(x) sends it
                hits = np.isnan(a.data) if np.isnan(top).all() else a.data == top
                share = hits / np.count_nonzero(hits)
            else:
                share = np.zeros(a.data.shape)
                first = np.expand_dims(np.argmax(a.data, axis=axis), axis)
                np.put_along_axis(share, first, 1.0, axis=axis)
            acc(a, share * out.grad.reshape(kept))

        return node(top if keepdims else top.reshape([n for i, n in enumerate(kept) if i not in axes]),
                    (a,), "max", _backward)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Any:
        """log(sum(exp(x))) over ``axis``, computed without overflow; its gradient is softmax(x)."""
        a = self
        axes = axes_of(axis, a.data.ndim, "logsumexp")
        kept = kept_shape(a.data.shape, axes)
        with quiet():
            lse = logsumexp_kept(a.data, axes)

        def _backward(out: Any) -> None:
            with quiet():
                acc(a, np.exp(a.data - lse) * out.grad.reshape(kept))

        return node(lse if keepdims else lse.reshape([n for i, n in enumerate(kept) if i not in axes]),
                    (a,), "logsumexp", _backward)

    def log_softmax(self, axis: int = -1) -> Any:
        """x - logsumexp(x) along ``axis``: log-probabilities, stable for any logits."""
        a = self
        axes = axes_of(axis, a.data.ndim, "log_softmax")
        with quiet():
            data = log_softmax_kept(a.data, axes)

        def _backward(out: Any) -> None:
            g = out.grad
            with quiet():  # d/dx_j = g_j - softmax_j * sum(g)
                acc(a, g - np.exp(out.data) * np.add.reduce(g, axis=axes, keepdims=True))

        return node(data, (a,), "log_softmax", _backward)

    def reshape(self, *shape: Any) -> Any:
        """The same elements in a new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; -1 allowed)."""
        a = self
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        try:
            data = a.data.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a Tensor of shape {a.data.shape} "
                             f"({a.data.size} elements) into {shape}") from None

        def _backward(out: Any) -> None:
            acc(a, out.grad.reshape(a.data.shape), True)

        return node(data, (a,), "reshape", _backward)

    def transpose(self, *axes: Any) -> Any:
        """Permute the axes (reverse them when none are given), as ``numpy.transpose``."""
        a = self
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        ndim = a.data.ndim
        if not axes:
            order = tuple(reversed(range(ndim)))
        elif len(axes_of(axes, ndim, "transpose")) != ndim:  # axes_of checks the range and repeats
            raise ValueError(f"transpose: {len(axes)} axes given for a Tensor of {ndim} dimensions; give all of them")
        else:
            order = tuple(int(ax) % ndim for ax in axes)
        inverse = tuple(np.argsort(order))

        def _backward(out: Any) -> None:
            acc(a, out.grad.transpose(inverse), True)

        return node(a.data.transpose(order), (a,), "transpose", _backward)

    @property
    def T(self) -> Any:
        """The transpose (axes reversed)."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Any:
        """Select with ints, slices, None, ``...`` and integer (or boolean) arrays, as numpy does."""
        a = self
        if isinstance(index, ReduceOps) or (type(index) is tuple and any(isinstance(i, ReduceOps) for i in index)):
            raise TypeError("index a Tensor with ints, slices or integer numpy arrays, not a Tensor "
                            "(its data are floats; use t.data.astype(int) if it holds indices)")
        data = a.data[index]
        parts = index if type(index) is tuple else (index,)
        fancy = any(isinstance(i, (list, np.ndarray)) for i in parts)

        def _backward(out: Any) -> None:
            g = np.zeros(a.data.shape)
            if fancy:  # an index array may repeat an element: add.at adds each time
                np.add.at(g, index, out.grad)
            else:
                g[index] = out.grad
            acc(a, g)

        return node(data, (a,), "index", _backward)
