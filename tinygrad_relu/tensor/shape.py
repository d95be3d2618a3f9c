"""Tensor ops that move elements without changing them: reshape, transpose and indexing.

Their backward moves the gradient back: reshape it, transpose it the other way, or scatter it into
zeros at the indexed positions (adding where an index repeats an element).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.rules import code_rule
from .node import accumulate, node
from .reduce import axes_of

if TYPE_CHECKING:
    from .tensor import Tensor


# Each op's code rule (for tinygrad_relu.trace) sits just above it: see engine/rules.py.
@code_rule(
    lambda c: f"{c[0]}.reshape({c.out_shape})",
    lambda c: [(0, f"{c.g}.reshape({c.shape(0)})")],
)
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
        accumulate(a, out.grad.reshape(a.data.shape), may_alias=True)

    return node(data, (a,), "reshape", _backward)


@code_rule(
    lambda c: f"{c[0]}.transpose({tuple(int(i) for i in np.argsort(c.value('inverse')))})",
    lambda c: [(0, f"{c.g}.transpose({c.param('inverse')})")],
)
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
        accumulate(a, out.grad.transpose(inverse), may_alias=True)

    return node(a.data.transpose(order), (a,), "transpose", _backward)


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


def _getitem_grads(c: Any) -> list[tuple[int, str]]:
    """``getitem``'s backward as code: zeros of the input's shape, the gradient added (or written) at the index."""
    g = c.let(f"np.zeros({c.shape(0)})", "scatter")
    index, shape = c.param("index"), c.shape(0)
    if not c.value("fancy"):
        c.stmt(f"{g}[{index}] = {c.g}")
    elif _repeats(shape, c.value("index")):
        c.stmt(f"np.add.at({g}, {index}, {c.g})")
    else:  # no position twice: add.at into zeros gives 0.0 + g, which is g + 0.0, bit for bit (-0.0 becomes 0.0)
        c.stmt(f"{g}[{index}] = {c.g} + 0.0")
    return [(0, g)]


def _repeats(shape: tuple[int, ...], index: Any) -> bool:
    """Whether ``index`` selects some position of an array of ``shape`` more than once."""
    picked = np.arange(math.prod(shape)).reshape(shape)[index]
    return bool(np.unique(picked).size != np.size(picked))


@code_rule(lambda c: f"{c[0]}[{c.param('index')}]", _getitem_grads)
def getitem(a: Tensor, index: Any) -> Tensor:
    """Select with ints, slices, None, ``...``, integer (or boolean) arrays and masks (``t[t > 0]``), as numpy does."""
    cls = type(a)
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
        g = np.zeros(a.data.shape)
        if fancy:  # an index array may repeat an element: add.at adds each time
            np.add.at(g, index, out.grad)
        else:
            g[index] = out.grad
        accumulate(a, g)

    return node(data, (a,), "index", _backward)
