"""Tensor: a float64 numpy array that is a node of the graph, on the same walker as Value.

The class holds the data and the graph slots and binds each op, one line each; the ops themselves
live by kind in ``arithmetic.py``, ``elementwise.py``, ``reduce.py`` and ``shape.py``, each in Value's
shape (forward array, ``_backward(out)`` adding into the parents, return the node). Gradients are
float64 arrays of exactly the shape of ``.data``; a gradient starts as None, as in PyTorch.

Numbers follow IEEE like Value and PyTorch: the ops with poles or domain limits (/, **, exp, log,
logsumexp, log_softmax) give inf or nan silently (exp(1000) = inf, log(0) = -inf, log(-1) = nan).
+, -, * and @ are left unwrapped for speed: numpy may warn when they overflow past 1.8e308 or meet
inf - inf, with the same IEEE result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import wraps
from numbers import Real
from typing import Any, TypeAlias

import numpy as np

from .. import checks
from ..engine import graph
from ..engine.grad_mode import in_place
from . import arithmetic, elementwise, reduce, shape
from .node import Backward, accumulate, broadcast_error, check_shape_from, float_array, leaf, node

ArrayLike: TypeAlias = "Tensor | np.ndarray | Real | float | int | Sequence[Any]"
Gradients: TypeAlias = "ArrayLike | Iterable[ArrayLike | None] | None"


def _operand(x: Any) -> Tensor | None:
    """The other side of a binary op as a Tensor (a constant unless it is one), or None when it is
    not numeric, so that the op returns NotImplemented and Python names both types."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (Real, np.ndarray, list, tuple)):
        return Tensor(x)
    checks.same_engine(x, Tensor, "the other operand")
    return None


def _binary(op: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``op`` as the method ``self <op> other``; ``other`` arrives as a Tensor, or the method returns
    NotImplemented for a non-numeric one, so that Python tries the reflected op and then names both types."""

    @wraps(op)  # its name and docstring: help(Tensor.__add__) and the in-place ops' docs say "add"
    def method(self: Tensor, other: Any) -> Tensor:
        b = _operand(other)
        return NotImplemented if b is None else op(self, b)

    return method


def _reflected(op: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``op`` as the reflected method ``other <op> self`` (Python calls it when ``other`` does not know Tensors)."""

    @wraps(op)
    def method(self: Tensor, other: Any) -> Tensor:
        a = _operand(other)
        return NotImplemented if a is None else op(a, self)

    return method


def _comparison(compare: np.ufunc, symbol: str) -> Callable[[Tensor, Any], Tensor]:
    """``compare`` as the method ``self <symbol> other``: elementwise 1.0 where true, 0.0 where false, with no
    gradient (as PyTorch's bool result); indexing reads it as a boolean mask, so ``t[t == 0]`` selects."""

    def compared(a: Tensor, b: Tensor) -> Tensor:
        """Elementwise: 1.0 where true, 0.0 where false; no gradient."""
        try:
            data: np.ndarray = np.asarray(compare(a.data, b.data), dtype=np.float64)
        except ValueError:
            raise broadcast_error(symbol, a.data, b.data) from None
        out = leaf(Tensor, data)
        out._op = symbol  # the mark shape.getitem reads to take it as a mask; there is no graph behind it
        return out

    compared.__name__ = compared.__qualname__ = compare.__name__
    return _binary(compared)


def _no_leaf(t: Tensor) -> None:
    """An in-place op outside no_grad() on a leaf that requires a gradient would lose it: refuse, as PyTorch does."""
    if t.requires_grad and not t._prev and not t._op:
        raise RuntimeError(
            "an in-place op (+=, -=, *=, /=) on a leaf Tensor that requires grad, outside no_grad(): "
            "wrap the update in `with no_grad():` (as an optimizer step is), or use `p.data -= ...`"
        )


class Tensor:
    """A float64 array that records the operations applied to it so ``backward()`` can differentiate them.

    ``Tensor(data, requires_grad=False, label="")`` copies ``data``. ``requires_grad=True`` marks a
    leaf whose gradient is wanted (a parameter); an op records its graph only when one of its
    inputs requires a gradient and grad mode is on, as in PyTorch.
    """

    # __weakref__: so that what is noted about a node beside it (nn.module_call) is dropped with it
    __slots__ = ("data", "grad", "requires_grad", "label", "_op", "_arg", "_prev", "_backward", "__weakref__")
    #: a subclass whose instances ``Tensor(t)`` hands back as they are, instead of copying (trace's data leaves)
    _taken_as_is = False
    #: a subclass that ``trace`` makes nodes of while it records, in place of this one (see ``node.tensor_class``)
    _stand_in = False
    __array_ufunc__ = None  # numpy defers to our reflected ops, so ndarray + Tensor builds a node

    def __new__(cls, data: ArrayLike = (), requires_grad: bool = False, label: str = "") -> Tensor:
        """A new Tensor; ``Tensor(t)`` of a Tensor whose class says so is ``t`` itself (see ``_taken_as_is``)."""
        if isinstance(data, Tensor) and data._taken_as_is:
            return data
        return object.__new__(cls)

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "") -> None:
        self.data: np.ndarray = float_array(data.data if isinstance(data, Tensor) else data, "Tensor data")
        self.grad: Any = None  # None, or a float64 array of the data's shape (always one inside a closure)
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._op = ""
        self._arg: Any = None  # the op's parameters (an axis, a slope), as the op stored them
        self._prev: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None

    # the ops, bound as methods
    __add__, __radd__ = _binary(arithmetic.add), _reflected(arithmetic.add)
    __sub__, __rsub__ = _binary(arithmetic.sub), _reflected(arithmetic.sub)
    __mul__, __rmul__ = _binary(arithmetic.mul), _reflected(arithmetic.mul)
    __truediv__, __rtruediv__ = _binary(arithmetic.truediv), _reflected(arithmetic.truediv)
    __matmul__, __rmatmul__ = _binary(arithmetic.matmul), _reflected(arithmetic.matmul)
    __rpow__ = _reflected(arithmetic.pow_tensor)
    __iadd__, __isub__ = in_place(__add__, _no_leaf), in_place(__sub__, _no_leaf)
    __imul__, __itruediv__ = in_place(__mul__, _no_leaf), in_place(__truediv__, _no_leaf)
    __neg__ = arithmetic.neg
    linear = arithmetic.linear
    exp, log, tanh, sigmoid = elementwise.exp, elementwise.log, elementwise.tanh, elementwise.sigmoid
    relu, leaky_relu, prelu = elementwise.relu, elementwise.leaky_relu, elementwise.prelu
    sum, mean, max = reduce.sum, reduce.mean, reduce.max
    logsumexp, log_softmax = reduce.logsumexp, reduce.log_softmax
    reshape, transpose, __getitem__ = shape.reshape, shape.transpose, shape.getitem
    __eq__, __ne__ = _comparison(np.equal, "=="), _comparison(np.not_equal, "!=")  # type: ignore[assignment]
    __lt__, __le__ = _comparison(np.less, "<"), _comparison(np.less_equal, "<=")
    __gt__, __ge__ = _comparison(np.greater, ">"), _comparison(np.greater_equal, ">=")
    __hash__ = object.__hash__  # by identity: the graph walker and the drawings key dicts and sets by node

    def __pow__(self, other: ArrayLike) -> Tensor:
        """self ** other, for a number or a Tensor (or array-like) exponent."""
        if isinstance(other, Real):
            return arithmetic.pow_number(self, float(other))
        b = _operand(other)
        return NotImplemented if b is None else arithmetic.pow_tensor(self, b)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return shape.transpose(self)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``.data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions of ``.data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements of ``.data``."""
        return self.data.size

    def __iter__(self) -> Iterator[Tensor]:
        """The rows ``self[0], self[1], ...``, each a node; a 0-d Tensor refuses, as in PyTorch."""
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self.data)))

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def item(self) -> float:
        """The number held by a one-element Tensor."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, got shape {self.data.shape}")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a Tensor of shape {self.data.shape} is ambiguous: use .data.any() or .data.all()"
            )
        return bool(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, as ``torch.Tensor.numpy()`` shares memory)."""
        return self.data

    def backward(self, gradient: ArrayLike | None = None) -> None:
        """Fill ``.grad`` of every leaf this Tensor depends on that requires a gradient.

        A one-element Tensor is seeded with 1; any other needs ``gradient`` of its own shape
        (d(loss)/d(self), as in PyTorch). Leaves accumulate across calls until ``zero_grad()``;
        intermediate nodes restart from None each time.
        """
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element Tensor, but this one has "
                    f"shape {self.data.shape}: reduce it first (e.g. .sum()) or pass gradient= "
                    "an array of that shape"
                )
            seed = np.array(1.0).reshape(self.data.shape)
        else:
            seed = float_array(gradient.data if isinstance(gradient, Tensor) else gradient, "backward gradient")
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward gradient has shape {seed.shape} but the Tensor has shape "
                    f"{self.data.shape}; they must match"
                )
        if not self._op and not self.requires_grad:
            raise RuntimeError(
                "backward() on a leaf Tensor that does not require grad: create it with "
                "Tensor(..., requires_grad=True) to get its gradient"
            )
        graph.backward(self, seed)

    def zero_grad(self) -> None:
        """Forget this Tensor's gradient (None, as PyTorch's ``set_to_none``)."""
        self.grad = None

    def detach(self) -> Tensor:
        """A new leaf that shares this Tensor's data (as in PyTorch) and needs no gradient."""
        return leaf(Tensor, self.data, self.label)

    @staticmethod
    def custom_op(
        data: ArrayLike, parents: Sequence[ArrayLike], backward: Callable[[np.ndarray], Gradients], op: str = "custom"
    ) -> Tensor:
        """Make a new op's output node from its forward array and a backward closure.

        ``backward(g)`` receives the gradient of the output (its own copy, an array of the output's shape:
        changing it in place is safe) and returns one gradient per parent, in order: a tuple or list, or one
        array when there is one parent; None means no gradient for that parent. A gradient may have a shape
        broadcast from its parent's (the output's, typically): the engine sums it back. Same contract as
        ``Value.custom_op`` and ``torch.autograd.Function.backward``. Example, a hand-written leaky ReLU::

            def my_leaky(x, alpha=0.1):
                slope = np.where(x.data > 0, 1.0, alpha)
                return Tensor.custom_op(x.data * slope, (x,), lambda g: g * slope, op="my_leaky")
        """
        checks.op_name(op)
        for i, p in enumerate(parents):
            checks.same_engine(p, Tensor, f"custom_op parent {i}")
        nodes = tuple(
            p if isinstance(p, Tensor) else Tensor(float_array(p, f"custom_op parent {i}"))
            for i, p in enumerate(parents)
        )
        if not nodes:
            raise ValueError(f"custom_op {op!r} needs at least one parent")

        def _backward(out: Tensor) -> None:
            grads = backward(out.grad.copy())  # its own copy: user code may change it in place (g *= 2)
            for i, (parent, g) in enumerate(zip(out._prev, checks.per_parent(grads, len(out._prev), op))):
                if g is None or not parent.requires_grad:
                    continue
                what = f"gradient {i} returned by backward of op {op!r}"
                array = float_array(g, what)
                check_shape_from(array, parent.data.shape, what)
                accumulate(parent, array, may_alias=True)  # the caller may keep a reference to the array it returned

        return node(float_array(data, f"forward value of op {op!r}"), nodes, op, _backward)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """A copy of a leaf (its data, gradient, requires_grad and label); a node computed from others is refused,
        as in PyTorch: its copy's backward would run into the original's leaves."""
        if self._prev:
            raise RuntimeError(
                "only a leaf Tensor can be deep-copied (as in PyTorch): this one was computed from others, so a "
                "copy would share their graph; use t.detach() for a new leaf with its data"
            )
        copied = Tensor(self.data, self.requires_grad, self.label)
        copied.grad = None if self.grad is None else self.grad.copy()
        copied._op = self._op
        return copied

    def _add_grad(self, g: np.ndarray) -> None:
        accumulate(self, g, may_alias=True)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = "".join(
            [
                f", label={self.label!r}" if self.label else "",
                ", requires_grad=True" if self.requires_grad and not self._op else "",
                f", op={self._op!r}" if self._op else "",
            ]
        )
        return f"Tensor({body}{extra})"
