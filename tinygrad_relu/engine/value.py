"""Value: one number that is a node of the graph -- the whole scalar engine, op by op.

Every op has micrograd's shape: compute the forward number, define ``_backward(out)`` that adds
``out.grad`` times the local derivative into each parent (``+=``, so a node used twice adds up), and
return the new node. Read ``__add__``, ``__mul__`` and ``leaky_relu`` first; the rest are the same few lines.

One change from micrograd: ``_backward`` gets its node ``out`` as an argument and finds the parents in
``out._prev``, instead of closing over ``out``. micrograd's closure refers to its own output, so every
node sits in a reference cycle and a training step leaves a graph that only Python's cyclic garbage
collector can free; here the graph has no cycle and is freed the moment the loss is dropped.

Numbers follow IEEE like PyTorch (``ieee.py``): exp(1000) = inf, log(0) = -inf, log(-1) = nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import wraps
from numbers import Real
from typing import Any

from .. import checks
from . import graph
from .grad_mode import grad_enabled, in_place
from .ieee import ieee_div, ieee_exp, ieee_log, ieee_pow, ieee_sigmoid

Number = int | float
Backward = Callable[["Value"], None]


def _node(data: float, children: tuple[Value, ...], op: str, backward: Backward, arg: Any = None) -> Value:
    """An op's output: a Value that remembers its op and the op's parameter ``arg`` (a slope, an exponent), and,
    unless this thread is inside ``no_grad()``, its parents and its backward closure."""
    out = object.__new__(made_by_ops.get())  # made here, not by Value(): a leaf's checks are not an op's
    out.data, out.grad, out.label, out._op, out._arg = float(data), 0.0, "", op, arg  # float: a numpy number too
    out._prev, out._backward = (children, backward) if grad_enabled.get() else ((), None)
    return out


def _binary(op: Callable[[Value, Value], Value]) -> Callable[[Value, Any], Value]:
    """``op`` as the method ``self <op> other``, with a number ``other`` made a leaf first (as ``w * 2.0`` needs);
    for anything else it returns NotImplemented, so that Python tries the other side, then names both types."""

    @wraps(op)
    def method(self: Value, other: Any) -> Value:
        return op(self, other) if isinstance(other, Value) else _with_number(op, self, other)

    return method


def _with_number(op: Callable[[Value, Value], Value], a: Value, x: object) -> Value:
    """``op(a, x)`` with a number ``x`` made a leaf; NotImplemented for anything else, so that Python tries the
    other side, then names both types."""
    b = _value(x)
    return NotImplemented if b is None else op(a, b)


def _value(x: object) -> Value | None:
    """A number as a new leaf; None for anything else (the op then returns NotImplemented)."""
    return Value(float(x)) if isinstance(x, Real) else None


class Value:
    """A number that records the ops applied to it, so ``backward()`` can differentiate them."""

    # __weakref__: so that what is noted about a node beside it (the module call that returned it) goes with it
    __slots__ = ("data", "grad", "label", "_op", "_arg", "_prev", "_backward", "__weakref__")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data: float = checks.number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._op = ""  # the op that made it ("" for a leaf; see _node)
        self._arg: Any = None  # the op's parameter, if it has one: leaky_relu's slope, the exponent of x ** k
        self._prev: tuple[Value, ...] = ()  # its parents
        self._backward: Backward | None = None  # adds its gradient into the parents

    @_binary
    def __add__(self, b: Value) -> Value:
        def _backward(out: Value) -> None:
            for parent in out._prev:  # d(a + b)/da = d(a + b)/db = 1
                parent.grad += out.grad

        return _node(self.data + b.data, (self, b), "+", _backward)

    @_binary
    def __mul__(self, b: Value) -> Value:
        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad

        return _node(self.data * b.data, (self, b), "*", _backward)

    @_binary
    def __sub__(self, b: Value) -> Value:
        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += out.grad
            b.grad -= out.grad

        return _node(self.data - b.data, (self, b), "-", _backward)

    @_binary
    def __truediv__(self, b: Value) -> Value:
        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += ieee_div(out.grad, b.data)  # d(a/b)/da = 1/b
            b.grad += ieee_div(-out.data * out.grad, b.data)  # d(a/b)/db = -a/b^2 = -(a/b)/b

        return _node(ieee_div(self.data, b.data), (self, b), "/", _backward)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return self._pow_value(other)
        if not isinstance(other, Real):
            return NotImplemented
        k = float(other)

        def _backward(out: Value) -> None:
            (a,), k = out._prev, out._arg
            if k != 0.0:  # x ** 0 is constant: gradient 0, also at x = 0 where 0 * 0**-1 would give nan (as PyTorch)
                a.grad += k * ieee_pow(a.data, k - 1.0) * out.grad

        return _node(ieee_pow(self.data, k), (self,), "**", _backward, k)

    def _pow_value(self, other: Value) -> Value:
        """Value ** Value: the exponent is a node too."""

        def _backward(out: Value) -> None:
            a, b = out._prev
            if b.data != 0.0:  # d(a^0)/da is 0, not 0 * 0**-1 = nan at a == 0 (as PyTorch)
                a.grad += b.data * ieee_pow(a.data, b.data - 1.0) * out.grad
            # d(a^b)/db = a^b log a; PyTorch takes it as 0 where a == 0 and b >= 0 (a limit, not nan).
            if not (a.data == 0 and b.data >= 0):
                b.grad += out.data * ieee_log(a.data) * out.grad

        return _node(ieee_pow(self.data, other.data), (self, other), "**", _backward)

    def __neg__(self) -> Value:
        def _backward(out: Value) -> None:
            out._prev[0].grad -= out.grad

        return _node(-self.data, (self,), "neg", _backward)

    # 2 + v is v + 2: the same node, parents (v, 2), as micrograd's
    __radd__, __rmul__ = __add__, __mul__
    # `p -= lr * p.grad` under no_grad() changes p itself
    __iadd__, __isub__ = in_place(__add__), in_place(__sub__)
    __imul__, __itruediv__ = in_place(__mul__), in_place(__truediv__)

    def __rsub__(self, other: Number) -> Value:
        a = _value(other)
        return NotImplemented if a is None else a - self

    def __rtruediv__(self, other: Number) -> Value:
        a = _value(other)
        return NotImplemented if a is None else a / self

    def __rpow__(self, other: Number) -> Value:
        a = _value(other)
        return NotImplemented if a is None else a._pow_value(self)

    def exp(self) -> Value:
        """e ** self (inf on overflow)."""

        def _backward(out: Value) -> None:
            out._prev[0].grad += out.data * out.grad

        return _node(ieee_exp(self.data), (self,), "exp", _backward)

    def log(self) -> Value:
        """Natural log: -inf at 0, nan below 0."""

        def _backward(out: Value) -> None:
            (a,) = out._prev
            a.grad += ieee_div(out.grad, a.data)

        return _node(ieee_log(self.data), (self,), "log", _backward)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""

        def _backward(out: Value) -> None:
            out._prev[0].grad += (1.0 - out.data * out.data) * out.grad

        return _node(math.tanh(self.data), (self,), "tanh", _backward)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e^-x), stable for large |x|."""

        def _backward(out: Value) -> None:
            s = out.data
            out._prev[0].grad += s * (1.0 - s) * out.grad

        return _node(ieee_sigmoid(self.data), (self,), "sigmoid", _backward)

    def relu(self) -> Value:
        """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""

        def _backward(out: Value) -> None:
            (a,) = out._prev
            if a.data > 0:  # the mask comes from the input, not the output
                a.grad += out.grad

        x = self.data
        return _node(x if not x <= 0 else 0.0, (self,), "relu", _backward)  # written so that a nan stays nan

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

        ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
        alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
        """
        alpha = checks.real(alpha, "leaky_relu alpha")

        def _backward(out: Value) -> None:
            (a,), alpha = out._prev, out._arg
            a.grad += out.grad if a.data > 0 else alpha * out.grad

        x = self.data
        return _node(x if x > 0 else alpha * x, (self,), "leaky_relu", _backward, alpha)

    def prelu(self, a: Value | Number) -> Value:
        """Leaky ReLU whose slope ``a`` is a node of the graph: d/dx = 1 or a, d/da = 0 or x."""
        slope = a if isinstance(a, Value) else Value(checks.real(a, "prelu slope a"))

        def _backward(out: Value) -> None:
            x, slope = out._prev
            if x.data > 0:
                x.grad += out.grad
            else:
                x.grad += slope.data * out.grad
                slope.grad += x.data * out.grad

        x = self.data
        return _node(x if x > 0 else slope.data * x, (self, slope), "prelu", _backward)

    @staticmethod
    def weighted_sum(
        weights: Sequence[Value | Number], inputs: Sequence[Value | Number], bias: Value | Number | None = None
    ) -> Value:
        """``bias + sum_i weights[i] * inputs[i]`` as ONE node (a neuron's pre-activation): the numbers and
        gradients of the chain of ``*`` and ``+`` nodes, with 2n fewer nodes for n inputs."""
        ws, xs = tuple(weights), tuple(inputs)
        if len(ws) != len(xs):
            raise ValueError(f"weighted_sum got {len(ws)} weights for {len(xs)} inputs")
        total: Any = 0.0
        try:  # the common case, every item a Value, checked by the products themselves
            for w, x in zip(ws, xs):
                total += w.data * x.data  # type: ignore[union-attr]
        except (AttributeError, TypeError):  # numbers among them (numpy's have a .data of another kind)
            total = None
        if type(total) is not float:  # make the numbers leaves, as w * 2.0 would, and add again
            return Value.weighted_sum(_leaves(ws, "weighted_sum weight"), _leaves(xs, "weighted_sum input"), bias)
        if bias is None:
            return _node(total, (*ws, *xs), "wsum", _weighted_sum_backward)  # type: ignore[arg-type]
        b = bias if isinstance(bias, Value) else Value(checks.number(bias, "weighted_sum bias"))
        return _node(total + b.data, (*ws, *xs, b), "wsum", _weighted_sum_backward)  # type: ignore[arg-type]

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on, seeding 1; leaves accumulate until ``zero_grad()``."""
        graph.backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set this node's gradient to 0."""
        self.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data, cut from the graph."""
        return Value(self.data, self.label)

    @staticmethod
    def op(
        name: str, parents: Sequence[Value | Number], forward: Callable[..., float], backward: Backward, arg: Any = None
    ) -> Value:
        """Make a new op the way ``Value``'s own ops are made: its number is ``forward(*numbers)`` of the parents'
        numbers (``forward(arg, *numbers)`` when it has a parameter ``arg``), and ``backward(out)`` adds ``out.grad``
        times each local derivative into ``out._prev[i].grad``, reading only ``out``, its parents and ``out._arg``.

        Such an op traces with no extra code: ``trace`` runs the same two functions on names to write it. Give
        module-level functions (or lambdas that close over nothing): what an op is called with goes in ``arg``.
        """
        checks.op_name(name)
        nodes = _leaves(parents, f"parent of op {name!r}")
        known = getattr(backward, "forward", None)
        if known is not None and known.__code__ is not forward.__code__:
            raise ValueError(f"op {name!r}: this backward function was already given another forward function")
        backward.forward = forward  # type: ignore[attr-defined]  # what trace runs on names for this op
        numbers = [p.data for p in nodes]
        data = forward(*numbers) if arg is None else forward(arg, *numbers)
        return _node(checks.number(data, f"forward value of op {name!r}"), nodes, name, backward, arg)

    @staticmethod
    def custom_op(
        data: Number,
        parents: Sequence[Value | Number],
        backward: Callable[[float], Any],
        op: str = "custom",
    ) -> Value:
        """A new op's output node from its forward value and a closure ``backward(g)`` that returns one gradient
        per parent, in order (a tuple or list; one number for one parent; None for no gradient), as
        ``torch.autograd.Function.backward`` does. The same contract as ``Tensor.custom_op``. ``backward`` may close
        over forward numbers, so ``trace`` refuses such an op by name: make it with ``Value.op`` to trace it."""
        checks.op_name(op)
        nodes = _leaves(parents, "custom_op parent")

        def _backward(out: Value) -> None:
            grads = checks.per_parent(backward(out.grad), len(out._prev), op)
            for i, (parent, g) in enumerate(zip(out._prev, grads)):
                if g is not None:
                    parent.grad += checks.number(g, f"gradient {i} returned by backward of op {op!r}")

        return _node(checks.number(data, f"forward value of op {op!r}"), nodes, op, _backward)

    def _add_grad(self, g: float) -> None:
        self.grad += g

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of a leaf (its number, gradient and label); a node computed from others is refused, as in
        PyTorch: its copy's backward would run into the original's leaves."""
        if self._prev:
            raise RuntimeError(
                "only a leaf Value can be deep-copied (as in PyTorch): this one was computed from others, so a "
                "copy would share their graph; use v.detach() for a new leaf with its number"
            )
        copied = Value(self.data, self.label)
        copied.grad = self.grad
        return copied

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


#: The class of the nodes the ops make: Value, or while ``trace`` records a function, its stand-in (a Value whose
#: number the function's own code may not take out of the graph: the program it writes could not replay that).
made_by_ops: ContextVar[type[Value]] = ContextVar("made_by_ops", default=Value)


def _weighted_sum_backward(out: Value) -> None:
    """``weighted_sum``'s backward: one function for every neuron's node, reading the n weights, the n inputs
    and the bias (if any) from the node's parents, so that a neuron allocates no closure of its own."""
    prev, g = out._prev, out.grad
    n = len(prev) // 2
    for w, x in zip(prev, prev[n : 2 * n]):  # zip stops after the n pairs (weight i, input i)
        w.grad += x.data * g
        x.grad += w.data * g
    if len(prev) % 2:
        prev[-1].grad += g


def _leaves(items: Sequence[Value | Number], what: str) -> tuple[Value, ...]:
    """``items`` as a tuple of Values, plain numbers made leaves (as ``w * 2.0`` would make one)."""
    return tuple(v if isinstance(v, Value) else Value(checks.number(v, f"{what} {i}")) for i, v in enumerate(items))
