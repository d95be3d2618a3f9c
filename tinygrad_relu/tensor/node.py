"""What every Tensor op is built from: making its output node, adding a gradient into a parent, and
summing a broadcast gradient back to its parent's shape. The error messages the ops share live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.grad_mode import grad_enabled

if TYPE_CHECKING:
    from .tensor import Tensor

Axis = int | Sequence[int] | None
Backward = Callable[["Tensor"], None]
quiet = partial(np.errstate, all="ignore")  # a context: IEEE results (inf, nan) without RuntimeWarnings
#: The class of the nodes the ops make while ``trace`` records a function: its stand-in (a Tensor whose numbers the
#: function's own code may not take out of the graph); None the rest of the time, for the first parent's class.
made_by_ops: ContextVar[type[Tensor] | None] = ContextVar("tensor_made_by_ops", default=None)


class Saved:
    """An array an op's forward pass keeps for its backward pass in the node's parameters, as PyTorch's
    ``ctx.save_for_backward`` keeps a tensor. It follows the data, so it is not what defines the op: all Saved
    arrays print alike, and a traced program's check (which compares the ops' parameters) does not see it."""

    __slots__ = ("array", "constant")

    def __init__(self, array: np.ndarray, constant: bool = False) -> None:
        #: ``constant``: the array's own derivative is 0 wherever it is defined (a ReLU's slope), so a gradient of
        #: this gradient may take it as it is; otherwise the op cannot be differentiated twice through it
        self.array, self.constant = array, constant

    def __repr__(self) -> str:
        return "Saved(...)"


def float_array(data: Any, what: str) -> np.ndarray:
    """A float64 copy of numeric array-like ``data``, or an error that names ``what`` and the dtype."""
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{what} is not a rectangular array: {error}") from None
    if array.dtype.kind not in "biuf":
        kind = {"c": "complex numbers are not supported", "O": "non-numeric objects", "U": "strings", "S": "bytes"}.get(
            array.dtype.kind, "not numbers"
        )
        raise TypeError(f"{what} must be numeric (bool, int or float), got dtype {array.dtype} ({kind})")
    result: np.ndarray = array.astype(np.float64, order="C")  # always a copy, laid out row by row as PyTorch's
    return result


def leaf(cls: type[Tensor], data: np.ndarray, label: str = "") -> Tensor:
    """A leaf Tensor (of class ``cls``) that holds the float64 array ``data`` itself, not a copy of it."""
    out: Tensor = object.__new__(cls)
    out.data, out.grad, out.requires_grad, out.label = data, None, False, label
    out._op, out._arg, out._prev, out._backward = "", None, (), None
    return out


def tensor_class(t: Tensor) -> type[Tensor]:
    """The Tensor class of ``t``: its own, or for one of trace's stand-ins the Tensor class they stand in for."""
    cls = type(t)
    while cls._stand_in:
        cls = cls.__base__  # type: ignore[assignment]
    return cls


def node(data: Any, parents: tuple[Tensor, ...], op: str, backward: Backward, arg: Any = None) -> Tensor:
    """An op's output: a Tensor holding the op's new array that remembers its parents, its op, the op's parameters
    ``arg`` (an axis, a slope) and its backward closure -- when grad mode is on and a parent requires a gradient, as
    in PyTorch; else only the array, the op and its parameters. It is a Tensor of its first parent's class (so that
    the ops need not import ``Tensor``), or of the class ``made_by_ops`` says."""
    if not isinstance(data, np.ndarray):  # numpy gives a 0-d result as a scalar
        data = np.asarray(data, dtype=np.float64)
    out = leaf(made_by_ops.get() or type(parents[0]), data)
    out._op, out._arg = op, arg
    if grad_enabled.get():
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad, out._prev, out._backward = True, parents, backward
                break
    return out


def unbroadcast(g: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape``: over the axes where the parent had 1 (kept, as 1), then over the
    leading axes the parent did not have. Always a new array (a sum over no axes still copies), so the caller owns it.
    """
    lead = g.ndim - len(shape)
    ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    kept = g.sum(axis=ones, keepdims=True) if ones else g
    summed: np.ndarray = kept.sum(axis=tuple(range(lead)))
    return summed


def accumulate(parent: Tensor, g: Any, may_alias: bool = False) -> None:
    """Add gradient ``g`` (the output's shape, maybe broadcast) into ``parent.grad``.

    ``may_alias=True`` says someone else may hold ``g`` too (a pass-through such as ``+`` hands the same
    array to both inputs; a custom op's caller may keep what it returned). An intermediate may keep it
    as is, since nothing updates an intermediate's gradient in place; a leaf gets a copy, because an
    optimizer or the user may update ``leaf.grad`` in place. Otherwise ``g`` was made for this parent
    alone and a leaf keeps it, and adds later contributions into it in place.
    """
    shape = parent.data.shape
    if g.shape != shape:
        g = unbroadcast(g, shape)
        may_alias = False
    grad = parent.grad
    if parent._prev:  # an intermediate: nothing changes its gradient in place, so it may share g
        parent.grad = g if grad is None else grad + g
    elif grad is not None:
        grad += g  # a leaf's gradient was copied or made for it alone during this pass
    elif may_alias or not isinstance(g, np.ndarray):  # np.float64 scalars come from 0-d arithmetic
        parent.grad = np.array(g, dtype=np.float64)
    else:
        parent.grad = g


def broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    """The error for two shapes that do not broadcast, naming the op."""
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
        "(each dimension, aligned from the right, must be equal or 1)"
    )


def matmul_error(a: tuple[int, ...], b: tuple[int, ...]) -> ValueError:
    """The error for ``a @ b``, saying which dimensions disagree."""
    if not a or not b:
        side = "left" if not a else "right"
        return ValueError(
            f"@: the {side} operand has shape () but @ needs at least 1 dimension "
            f"(shapes {a} and {b}); use * to multiply by a scalar"
        )
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        which = "only" if len(b) == 1 else "second-to-last"
        return ValueError(
            f"@: shapes {a} and {b} disagree: the left's last dimension is {a[-1]} but the "
            f"right's {which} dimension is {inner}; they must be equal"
        )
    return ValueError(f"@: the batch dimensions {a[:-2]} of {a} and {b[:-2]} of {b} cannot be broadcast together")


def check_shape_from(g: np.ndarray, shape: tuple[int, ...], what: str) -> None:
    """Check that gradient ``g`` has ``shape`` or a shape broadcast from it, else name both."""
    if g.shape == shape:
        return
    try:
        ok = np.broadcast_shapes(shape, g.shape) == g.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{what} has shape {g.shape} for a parent of shape {shape}: it must be that shape or one broadcast from it"
        )
