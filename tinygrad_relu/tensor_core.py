"""The machinery under Tensor's ops: building output nodes, adding gradients, unbroadcasting, checks.

Kept apart from ``tensor.py`` so the op files stay short; nothing here is public.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Sequence, Union

import numpy as np

from . import graph

Axis = Union[int, Sequence[int], None]
_grad_mode = graph.grad_mode
_ndarray, _f64, _asarray = np.ndarray, np.float64, np.asarray
_new = object.__new__
quiet = partial(np.errstate, all="ignore")  # a context: IEEE results (inf, nan) without RuntimeWarnings


def float_array(data: Any, what: str) -> np.ndarray:
    """A float64 copy of numeric array-like ``data``, or an error that names ``what`` and the dtype."""
    if type(data) is _ndarray and data.dtype == _f64:  # the common case skips the checks
        return data.copy()
    try:
        array = _asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{what} is not a rectangular array: {error}") from None
    if array.dtype.kind not in "biuf":
        kind = {"c": "complex numbers are not supported", "O": "non-numeric objects",
                "U": "strings", "S": "bytes"}.get(array.dtype.kind, "not numbers")
        raise TypeError(f"{what} must be numeric (bool, int or float), got dtype {array.dtype} ({kind})")
    return array.astype(_f64)


def node(data: Any, prev: tuple, op: str, backward: Callable[[Any], None]) -> Any:
    """An op's output (of the first parent's class); it records its parents only in grad mode and
    when one of them requires a gradient, else it keeps ``op`` with ``_prev == ()``."""
    out = _new(prev[0].__class__)
    out.data = data if type(data) is _ndarray else _asarray(data, dtype=_f64)  # numpy gives 0-d results as scalars
    out.grad = None
    out.label = ""
    out._op = op
    if _grad_mode.enabled:
        for parent in prev:
            if parent.requires_grad:
                out.requires_grad = True
                out._prev = prev
                out._backward = backward
                return out
    out.requires_grad = False
    out._prev = ()
    out._backward = None
    return out


def unbroadcast(g: Any, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape``: over the leading axes and the axes that were 1.

    Always a new array (a sum over no axes still copies), so the caller owns it.
    """
    lead = g.ndim - len(shape)
    if lead == 1 and g.shape[1:] == shape:  # a bias added to every row: the common case, kept cheap
        return np.add.reduce(g, axis=0)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return np.add.reduce(g, axis=axes, keepdims=True).reshape(shape)


def acc(parent: Any, g: Any, shared: bool = False) -> None:
    """Add gradient ``g`` (the output's shape, maybe broadcast) into ``parent.grad``.

    ``shared`` says another node may hold ``g`` too (a pass-through such as ``+``): an intermediate
    may keep it as is, since nothing updates an intermediate's gradient in place, but a leaf gets a
    copy, because an optimizer or the user may update ``leaf.grad`` in place. Without ``shared``,
    ``g`` was made for this parent alone and a leaf may keep it.
    """
    if g.shape != parent.data.shape:
        g = unbroadcast(g, parent.data.shape)
        shared = False
    grad = parent.grad
    if grad is None:
        if parent._prev:
            parent.grad = g
        elif shared or type(g) is not _ndarray:  # np.float64 scalars come from 0-d arithmetic
            parent.grad = np.array(g, dtype=_f64)
        else:
            parent.grad = g
    elif parent._prev:
        parent.grad = grad + g
    else:
        grad += g  # a leaf's gradient was copied or made for it alone during this pass


def broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    """The error for two shapes that do not broadcast, naming the op."""
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                      "(each dimension, aligned from the right, must be equal or 1)")


def matmul_error(a: tuple, b: tuple) -> ValueError:
    """The error for ``a @ b``, saying which dimensions disagree."""
    if not a or not b:
        side = "left" if not a else "right"
        return ValueError(f"@: the {side} operand has shape () but @ needs at least 1 dimension "
                          f"(shapes {a} and {b}); use * to multiply by a scalar")
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        which = "only" if len(b) == 1 else "second-to-last"
        return ValueError(f"@: shapes {a} and {b} disagree: the left's last dimension is {a[-1]} but the "
                          f"right's {which} dimension is {inner}; they must be equal")
    return ValueError(f"@: the batch dimensions {a[:-2]} of {a} and {b[:-2]} of {b} cannot be broadcast together")


def check_shape_from(g: np.ndarray, shape: tuple, what: str) -> None:
    """Check that gradient ``g`` has ``shape`` or a shape broadcast from it, else name both."""
    if g.shape == shape:
        return
    try:
        ok = np.broadcast_shapes(shape, g.shape) == g.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{what} has shape {g.shape} for a parent of shape {shape}: it must be that shape "
                         "or one broadcast from it")


def axes_of(axis: Axis, ndim: int, op: str) -> tuple:
    """``axis`` as a sorted tuple of non-negative axes (every axis for None), or an error naming the op."""
    if axis is None:
        return tuple(range(ndim))
    many = not isinstance(axis, (int, np.integer))
    result = []
    for ax in (tuple(axis) if many else (axis,)):
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {type(ax).__name__}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for a Tensor of {ndim} dimension(s)")
        result.append(int(ax) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def kept_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with the reduced ``axes`` set to 1, as ``keepdims=True`` leaves it."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def spread(g: Any, kept: tuple | None, shape: tuple) -> np.ndarray:
    """A new array of ``shape`` holding ``g`` (given as the reduced or the ``kept`` shape) repeated
    along the reduced axes -- cheaper than materializing ``np.broadcast_to``. ``kept`` None means
    every axis was reduced: ``g`` holds one number and broadcasts as it is."""
    full = np.empty(shape)
    full[...] = g if kept is None or g.shape == kept else g.reshape(kept)
    return full


def _finite_max(x: np.ndarray, axes: tuple) -> np.ndarray:
    """The max over ``axes`` with keepdims, as the shift that keeps exp from overflowing; 0 where it is infinite."""
    m = np.max(x, axis=axes, keepdims=True)
    return np.where(np.isfinite(m), m, 0.0)  # an infinite max is not subtracted: inf - inf would be nan


def logsumexp_kept(x: np.ndarray, axes: tuple) -> np.ndarray:
    """log(sum(exp(x))) over ``axes`` with keepdims, shifted by the max so that no exp overflows."""
    m = _finite_max(x, axes)
    return np.log(np.add.reduce(np.exp(x - m), axis=axes, keepdims=True)) + m


def log_softmax_kept(x: np.ndarray, axes: tuple) -> np.ndarray:
    """x - logsumexp(x) over ``axes``, as (x - max) - log(sum(exp(x - max))): subtracting the max first
    keeps the log term, which ``x - (log(...) + max)`` rounds away once |max| passes ~1e15."""
    shifted = x - _finite_max(x, axes)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axes, keepdims=True))
