"""Tensor ops that move elements without changing them: reshape, transpose and indexing; and two that the
backward pass of others is made of, when it is run on nodes: expand (of a sum) and scatter (of indexing).

Their backward moves the gradient back: reshape it, transpose it the other way, or scatter it into
zeros at the indexed positions (adding where an index repeats an element). Each pair is the other's derivative:
indexing sends back a scatter and a scatter an index; a sum sends back an expansion and an expansion a sum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .node import accumulate, node, tensor_class
from .reduce import axes_of

if TYPE_CHECKING:
    from .tensor import Tensor


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; -1 allowed)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"reshape: the shape must be ints, got {type(n).__name__} {n!r} in {shape}")
    try:
        data = a.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a Tensor of shape {a.data.shape} ({a.data.size} elements) into {shape}"
        ) from None

    def _backward(out: Tensor) -> None:
        (a,) = out._prev
        accumulate(a, out.grad.reshape(a.data.shape), may_alias=True)

    return node(data, (a,), "reshape", _backward)


def transpose(a: Tensor, *axes: Any) -> Tensor:
    """Permute the axes (reverse them when none are given), as ``numpy.transpose``."""
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = tuple(axes[0])
    ndim = a.data.ndim
    if not axes:
        order = tuple(reversed(range(ndim)))
    elif len(axes_of(axes, ndim, "transpose")) != ndim:  # axes_of checks the range and repeats
        raise ValueError(f"transpose: {len(axes)} axes given for a Tensor of {ndim} dimensions; give all of them")
    else:
        order = tuple(int(ax) % ndim for ax in axes)
    inverse = tuple(int(i) for i in np.argsort(order))

    def _backward(out: Tensor) -> None:
        accumulate(out._prev[0], out.grad.transpose(out._arg["inverse"]), may_alias=True)

    return node(a.data.transpose(order), (a,), "transpose", _backward, {"inverse": inverse})


# the ops whose result is a mask (1.0 where true): a Tensor made by one of them indexes as a boolean array
MASKS = frozenset(("==", "!=", "<", "<=", ">", ">="))


def _mask(t: Tensor) -> np.ndarray:
    """A comparison's result as the boolean array it stands for; any other Tensor index is refused."""
    if t._op not in MASKS or t._prev:
        raise TypeError(
            "index a Tensor with ints, slices, integer numpy arrays or a comparison (t[t > 0]), not a Tensor "
            "(its data are floats; use t.data.astype(int) if it holds indices)"
        )
    mask: np.ndarray = t.data != 0.0
    return mask


def getitem(a: Tensor, index: Any) -> Tensor:
    """Select with ints, slices, None, ``...``, integer (or boolean) arrays and masks (``t[t > 0]``), as numpy does."""
    cls = tensor_class(a)
    if isinstance(index, cls):
        index = _mask(index)
    elif type(index) is tuple and any(isinstance(i, cls) for i in index):
        index = tuple(_mask(i) if isinstance(i, cls) else i for i in index)
    data = a.data[index]
    # a list, an array, or a tuple inside the index selects by position and may repeat an element
    fancy = (
        any(isinstance(i, (list, tuple, np.ndarray)) for i in index)
        if type(index) is tuple
        else isinstance(index, (list, np.ndarray))
    )

    def _backward(out: Tensor) -> None:
        (a,), arg = out._prev, out._arg
        accumulate(a, scattered(out.grad, a.data.shape, arg["index"], arg["fancy"]))

    return node(data, (a,), "index", _backward, {"index": index, "fancy": fancy})


def scattered(g: np.ndarray, shape: tuple[int, ...], index: Any, fancy: bool) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` put at ``index``: what ``a[index]`` sends back to ``a``. A fancy index may
    select an element twice, so there ``g`` is added (``np.add.at``) rather than written."""
    full = np.zeros(shape)
    if fancy:
        np.add.at(full, index, g)
    else:
        full[index] = g
    return full


def scatter(g: Tensor, shape: tuple[int, ...], index: Any, fancy: bool) -> Tensor:
    """``scattered`` as an op: zeros of ``shape`` holding ``g`` at ``index``; its gradient is ``out.grad[index]``."""

    def _backward(out: Tensor) -> None:
        accumulate(out._prev[0], out.grad[out._arg["index"]])

    data = scattered(g.data, shape, index, fancy)
    return node(data, (g,), "scatter", _backward, {"index": index, "fancy": fancy, "shape": shape})


def expand(a: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``a`` repeated along the axes where it has length 1 (or lacks), up to ``shape``, as ``np.broadcast_to``
    would, in a new array; its gradient is summed back over those axes (``accumulate`` does it)."""

    def _backward(out: Tensor) -> None:
        accumulate(out._prev[0], out.grad, may_alias=True)

    return node(np.broadcast_to(a.data, shape).copy(), (a,), "expand", _backward, {"shape": shape})
