"""An op's own backward closure, run on nodes instead of numbers: the backward pass recorded as a graph of its own.

A closure reads its node and its parents, ``a.grad += b.data * out.grad``. Run on numbers it is backprop. Here it
runs on stand-ins (``Shadow``) whose ``.data`` is the node itself, wrapped as a ``Lifted``: arithmetic on a Lifted
is done by the node's ops, so ``b.data * out.grad`` makes a ``*`` node of the two; a question about its numbers
(``a.data > 0``, ``.shape``) is answered from the numbers, so the closure takes the branch it took on numbers.

The helpers a closure calls are rebound in its globals, as ``trace`` rebinds them to record calls: a helper that
is an op on numbers becomes that op on nodes (``ieee_div`` is ``/``, ``np.where`` is ``where``, ``np.dot`` is ``@``);
a Python function of the package or of the user is run the same way, on nodes (``unbroadcast`` sums nodes). Only a
closure that closes over something (``custom_op``'s ``backward(g)``, which may keep numbers of the forward pass)
cannot be run so: it is refused, by its op's name.
"""

from __future__ import annotations

import builtins
import math
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import Value, ieee
from ..rebinding import Operators, names_used, with_globals
from ..tensor import Tensor, elementwise, reduce, shape
from ..tensor import node as tensor_node

#: what each operator does, to nodes (arithmetic: the ops) or to their numbers (comparisons)
_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "@": operator.matmul,
    "&": operator.and_,
    "|": operator.or_,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class Lifted(Operators):
    """A node seen by a closure run on nodes: computing with it builds nodes; comparing it compares its numbers."""

    __slots__ = ("node",)
    __array_ufunc__ = None  # numpy defers to our reflected ops: array * Lifted is Lifted.__rmul__

    def __init__(self, node: Any) -> None:
        self.node = node

    def _operate(self, symbol: str, other: Any, reflected: bool = False) -> Any:
        op = _OPERATIONS[symbol]
        if isinstance(other, Lifted):
            other = other.node
        return Lifted(op(other, self.node) if reflected else op(self.node, other))

    def _compare(self, symbol: str, other: Any) -> Any:
        # a question about the numbers gets the numbers' answer: the closure branches as it did on numbers
        return _OPERATIONS[symbol](numbers(self), numbers(other))

    def __neg__(self) -> Lifted:
        return Lifted(-self.node)

    def __pos__(self) -> Lifted:
        return self

    def __abs__(self) -> Any:
        if isinstance(self.node, Value):
            return self if self.node.data >= 0 else -self
        return where(numbers(self) >= 0, self, -self)

    def __float__(self) -> float:
        raise TypeError("float() of a node while a backward closure runs on nodes: the number would leave the graph")

    def __bool__(self) -> bool:
        raise TypeError("the truth of a node while a backward closure runs on nodes: compare it (x > 0) instead")

    # what a Tensor closure asks of an array
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the node's numbers."""
        return np.shape(self.node.data)

    @property
    def ndim(self) -> int:
        """The number of dimensions of the node's numbers."""
        return np.ndim(self.node.data)

    @property
    def size(self) -> int:
        """The number of the node's numbers."""
        return int(np.size(self.node.data))

    @property
    def T(self) -> Lifted:
        """The transpose, a node."""
        return Lifted(self.node.T)

    def reshape(self, *new_shape: Any) -> Lifted:
        """The node reshaped, a node."""
        return Lifted(self.node.reshape(*new_shape))

    def transpose(self, *axes: Any) -> Lifted:
        """The node's axes permuted, a node."""
        return Lifted(self.node.transpose(*axes))

    def sum(self, axis: Any = None, keepdims: bool = False) -> Lifted:
        """The node summed, a node."""
        return Lifted(self.node.sum(axis=axis, keepdims=keepdims))

    def __getitem__(self, index: Any) -> Lifted:
        return Lifted(self.node[index])


def numbers(x: Any) -> Any:
    """The numbers behind ``x``: a Lifted node's data, anything else as it is."""
    return x.node.data if isinstance(x, Lifted) else x


def lifted(x: Any, like: Any) -> Any:
    """``x`` as a node of the engine of ``like`` (a Lifted): itself if it is one, else a constant leaf."""
    if isinstance(x, Lifted):
        return x.node
    return Value(float(x)) if isinstance(like.node, Value) else Tensor(x)


def _any_lifted(args: tuple[Any, ...]) -> Lifted | None:
    return next((a for a in args if isinstance(a, Lifted)), None)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``np.where`` on nodes: the ``where`` op (the condition is numbers: it is the eager branch)."""
    like = _any_lifted((a, b))
    if like is None:
        return np.where(numbers(condition), a, b)
    return Lifted(elementwise.where(np.asarray(numbers(condition)), lifted(a, like), lifted(b, like)))


def _minimum(x: Any, y: Any) -> Any:
    """``np.minimum`` on nodes: the smaller side of each element (nan on either side wins, as numpy's)."""
    nx, ny = numbers(x), numbers(y)
    return where(((nx <= ny) | np.isnan(nx)) & ~np.isnan(ny), x, y)


def _swapaxes(x: Lifted, i: int, j: int) -> Lifted:
    order = list(range(x.ndim))
    order[i], order[j] = order[j], order[i]
    return x.transpose(tuple(order))


class _AddOnNodes:
    """``np.add`` as a closure uses it on nodes: ``np.add.reduce`` is ``sum``."""

    @staticmethod
    def reduce(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        """A sum over ``axis``, a node."""
        if isinstance(x, Lifted):
            return x.sum(axis=axis, keepdims=keepdims)
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]


def _method(name: str) -> Callable[[Lifted], Lifted]:
    """A function of one number (``np.exp``) as the node's method of that name (``.exp()``)."""
    return lambda x: Lifted(getattr(x.node, name)())


#: numpy's functions that are ops on nodes, by the op that computes the same numbers
_NUMPY_OPS: dict[str, Callable[..., Any]] = {
    "where": where,
    "minimum": _minimum,
    "power": operator.pow,
    "dot": operator.matmul,
    "matmul": operator.matmul,
    "exp": _method("exp"),
    "log": _method("log"),
    "tanh": _method("tanh"),
    "swapaxes": _swapaxes,
}
#: numpy's functions that only read numbers (a mask, an arg-max, a count): run on the nodes' numbers
_NUMPY_READS = frozenset(("isnan", "isfinite", "isinf", "argmax", "argmin", "count_nonzero", "zeros_like", "ones_like"))
_MATH_OPS: dict[str, Callable[..., Any]] = {
    "exp": _method("exp"),
    "log": _method("log"),
    "tanh": _method("tanh"),
    "log1p": lambda x: Lifted((1.0 + x.node).log()),
    "sqrt": lambda x: x**0.5,
    "pow": operator.pow,
}
_MATH_READS = frozenset(("isnan", "isfinite", "isinf"))


class _PackageModule:
    """One of the package's modules (``fast``) as a closure run on nodes sees it: its functions run on nodes too."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        replacement = _replacement(value)
        return value if replacement is None else replacement


class _ModuleOnNodes:
    """``np`` or ``math`` as a closure run on nodes sees it: a function given a node is the op computing the same
    numbers, or runs on the numbers when it only reads them; any other refuses, naming itself."""

    def __init__(self, module: Any, ops: dict[str, Callable[..., Any]], reads: frozenset[str]) -> None:
        self._module, self._ops, self._reads = module, ops, reads

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if name == "add" and self._module is np:
            return _AddOnNodes
        if not callable(value) or isinstance(value, type):
            return value
        on_nodes = self._ops.get(name)
        reads = name in self._reads
        module = self._module.__name__

        def call(*args: Any, **kwargs: Any) -> Any:
            if _any_lifted(args) is None:
                return value(*args, **kwargs)
            if on_nodes is not None:
                return on_nodes(*args, **kwargs)
            if reads:
                return value(*[numbers(a) for a in args], **kwargs)
            raise TypeError(f"{module}.{name} has no version on nodes, so this closure cannot be run on nodes")

        return call


def _when_lifted(plain: Callable[..., Any], on_nodes: Callable[..., Any]) -> Callable[..., Any]:
    """``plain`` on numbers, ``on_nodes`` as soon as a node is among the arguments."""
    return lambda *args: plain(*args) if _any_lifted(args) is None else on_nodes(*args)


def _accumulate(parent: Any, g: Any, may_alias: bool = False) -> None:
    """``accumulate`` on nodes: ``g`` summed back to the parent's shape where it was broadcast, then added."""
    if not parent.requires_grad:  # a parent no input is behind: its gradient is not wanted
        return
    if not isinstance(g, Lifted):  # a constant (zeros where x ** 0 has no gradient)
        g = Lifted(Tensor(g))
    if g.shape != parent.data.shape:
        g = run_on_nodes(tensor_node.unbroadcast)(g, parent.data.shape)
    parent.grad = g if parent.grad is None else parent.grad + g


def _spread(g: Any, kept: tuple[int, ...] | None, to: tuple[int, ...]) -> Any:
    """``reduce._spread`` on nodes: the ``expand`` op."""
    return Lifted(shape.expand(g.node if kept is None else g.node.reshape(kept), to))


def _scattered(g: Any, to: tuple[int, ...], index: Any, fancy: bool) -> Any:
    """``shape.scattered`` on nodes: the ``scatter`` op."""
    return Lifted(shape.scatter(g.node, to, index, fancy))


#: helpers the closures call that are ops on numbers, by the same op on nodes
_HELPERS: dict[Any, Any] = {
    ieee.ieee_div: _when_lifted(ieee.ieee_div, operator.truediv),
    ieee.ieee_pow: _when_lifted(ieee.ieee_pow, operator.pow),
    ieee.ieee_log: _when_lifted(ieee.ieee_log, _method("log")),
    ieee.ieee_exp: _when_lifted(ieee.ieee_exp, _method("exp")),
    ieee.ieee_sigmoid: _when_lifted(ieee.ieee_sigmoid, _method("sigmoid")),
    tensor_node.accumulate: _accumulate,
    reduce._spread: _when_lifted(reduce._spread, _spread),
    shape.scattered: _when_lifted(shape.scattered, _scattered),
}
_MODULES = {
    np: _ModuleOnNodes(np, _NUMPY_OPS, _NUMPY_READS),
    math: _ModuleOnNodes(math, _MATH_OPS, _MATH_READS),
}
_PACKAGE = __name__.split(".")[0] + "."
#: per code and module: the namespace it runs in on nodes, and the globals it was made from (name, object)
_rebound: dict[tuple[types.CodeType, int], tuple[dict[str, Any], list[tuple[str, Any]]]] = {}


def run_on_nodes(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (a closure or a helper) with the names its code looks up rebound for nodes; its code unchanged."""
    key = (fn.__code__, id(fn.__globals__))
    known = _rebound.get(key)
    # made again when a global it names was rebound since (a helper redefined in a notebook)
    if known is None or any(fn.__globals__.get(name) is not value for name, value in known[1]):
        names = sorted(names_used(fn.__code__))
        namespace = dict(fn.__globals__)
        _rebound[key] = known = namespace, [(name, fn.__globals__.get(name)) for name in names]  # a helper may recurse
        for name in names:
            replacement = _replacement(fn.__globals__.get(name, getattr(builtins, name, None)))
            if replacement is not None:
                namespace[name] = replacement
    return with_globals(fn, known[0])


def _replacement(value: Any) -> Any:
    """What a global name of a closure becomes on nodes (None: it stays)."""
    try:
        if value in _HELPERS:
            return _HELPERS[value]
    except TypeError:  # unhashable: not a helper
        return None
    if isinstance(value, types.ModuleType):
        if value in _MODULES:
            return _MODULES[value]
        return _PackageModule(value) if value.__name__.startswith(_PACKAGE) else None
    if isinstance(value, types.FunctionType) and not value.__code__.co_freevars:
        return run_on_nodes(value)  # the user's or the package's own Python: run it on nodes too
    return None
