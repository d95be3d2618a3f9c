"""Value: a scalar node of the graph -- the whole engine for one number, op by op.

Every op has micrograd's shape: compute the forward number, define ``_backward(out)`` that adds
``out.grad`` times the local derivative into each parent (``+=``, so a node used twice adds up), and
return the new node. Read ``__mul__`` and ``leaky_relu`` first; the rest are the same few lines. ``relu``
and ``weighted_sum``, made thousands of times a step, share one backward function each (its docstring
has the plain closure).

Why ``_backward`` takes ``out`` instead of closing over it: micrograd's closure refers to its own
output node, so every node sits in a reference cycle and each training step leaves a graph that only
Python's cyclic garbage collector can free. Here the closure gets the node as an argument and the
graph holds no cycle: it is freed by reference counting the moment the loss goes out of scope.

Numbers follow IEEE like PyTorch (``scalar_math``): exp(1000) = inf, log(0) = -inf, log(-1) = nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import ClassVar

from . import checks, graph
from .scalar_math import ieee_div, ieee_exp, ieee_log, ieee_pow, ieee_sigmoid

Number = int | float
Backward = Callable[["Value"], None]
_grad_mode, _new = graph.grad_mode, object.__new__


def _lift(x: object) -> Value | None:
    """A plain number as a leaf Value; None for anything else, so an operator can return NotImplemented."""
    return Value(x) if type(x) is float or type(x) is int or isinstance(x, Real) else None  # type: ignore[arg-type]


def _node(data: float, prev: tuple[Value, ...], op: str, backward: Backward) -> Value:
    """An op's output node (under ``no_grad()``: the op name, no parents). Plain version: ``out = Value(data);
    out._op, out._prev, out._backward = op, prev, backward``, but without ``__init__``'s check of a float."""
    out = _new(Value)
    out.data, out.grad, out.label, out._op = data, 0.0, "", op
    out._prev, out._backward = (prev, backward) if _grad_mode.all_on or _grad_mode.recording() else ((), None)
    return out


class Value:
    """A scalar that records the operations applied to it so ``backward()`` can differentiate them."""

    __slots__ = ("data", "grad", "label", "_op", "_prev", "_backward")
    _GRAD_RESET: ClassVar[float] = 0.0

    def __init__(self, data: Number, label: str = "") -> None:
        self.data: float = checks.number(data, "Value data")
        self.grad: float = 0.0
        self.label = label
        self._op = ""
        self._prev: tuple[Value, ...] = ()
        self._backward: Backward | None = None

    def __add__(self, other: Value | Number) -> Value:
        if (b := other if type(other) is Value else _lift(other)) is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += out.grad
            b.grad += out.grad

        return _node(self.data + b.data, (self, b), "+", _backward)

    def __mul__(self, other: Value | Number) -> Value:
        if (b := other if type(other) is Value else _lift(other)) is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad

        return _node(self.data * b.data, (self, b), "*", _backward)

    def __sub__(self, other: Value | Number) -> Value:
        if (b := other if type(other) is Value else _lift(other)) is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += out.grad
            b.grad -= out.grad

        return _node(self.data - b.data, (self, b), "-", _backward)

    def __truediv__(self, other: Value | Number) -> Value:
        if (b := other if type(other) is Value else _lift(other)) is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += ieee_div(out.grad, b.data)  # d(a/b)/da = 1/b
            b.grad += ieee_div(-out.data * out.grad, b.data)  # d(a/b)/db = -a/b^2 = -(a/b)/b

        return _node(ieee_div(self.data, b.data), (self, b), "/", _backward)

    def __pow__(self, other: Value | Number) -> Value:
        if type(other) is Value:
            return self._pow_value(other)
        if not isinstance(other, Real):
            return NotImplemented
        k = float(other)

        def _backward(out: Value) -> None:
            (a,) = out._prev
            if k != 0.0:  # x ** 0 is constant: gradient 0, also at x = 0 where 0 * 0**-1 would give nan (as PyTorch)
                a.grad += k * ieee_pow(a.data, k - 1.0) * out.grad

        return _node(ieee_pow(self.data, k), (self,), f"**{k:g}", _backward)

    def _pow_value(self, other: Value) -> Value:
        """Value ** Value: the exponent is a node too."""

        def _backward(out: Value) -> None:
            a, b = out._prev
            if b.data != 0.0:  # d(a^0)/da is 0, not 0 * 0**-1 = nan at a == 0 (as PyTorch)
                a.grad += b.data * ieee_pow(a.data, b.data - 1.0) * out.grad
            # d(a^b)/db = a^b log a; PyTorch takes it as 0 where a == 0 and b >= 0 (a limit, not nan).
            if a.data != 0 or b.data < 0:
                b.grad += out.data * ieee_log(a.data) * out.grad

        return _node(ieee_pow(self.data, other.data), (self, other), "**", _backward)

    __radd__, __rmul__ = __add__, __mul__  # 2 + v is v + 2: the same node, parents (v, 2), as micrograd's
    __iadd__, __isub__ = graph.in_place(__add__), graph.in_place(__sub__)  # `p -= lr * p.grad` under no_grad()
    __imul__, __itruediv__ = graph.in_place(__mul__), graph.in_place(__truediv__)

    def __neg__(self) -> Value:
        def _backward(out: Value) -> None:
            out._prev[0].grad -= out.grad

        return _node(-self.data, (self,), "neg", _backward)

    def __rsub__(self, other: Number) -> Value:
        a = _lift(other)
        return NotImplemented if a is None else a - self

    def __rtruediv__(self, other: Number) -> Value:
        a = _lift(other)
        return NotImplemented if a is None else a / self

    def __rpow__(self, other: Number) -> Value:
        a = _lift(other)
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
        return _node(self.data if not self.data <= 0 else 0.0, (self,), "relu", _relu_backward)  # a nan stays nan

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

        ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
        alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
        """
        alpha = checks.real(alpha, "leaky_relu alpha")

        def _backward(out: Value) -> None:
            (a,) = out._prev
            a.grad += out.grad if a.data > 0 else alpha * out.grad

        x = self.data
        return _node(x if x > 0 else alpha * x, (self,), f"leaky_relu({alpha:g})", _backward)

    def prelu(self, a: Value | Number) -> Value:
        """Leaky ReLU whose slope ``a`` is a node of the graph: d/dx = 1 or a, d/da = 0 or x."""
        slope = a if type(a) is Value else Value(checks.real(a, "prelu slope a"))

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
        ws: tuple[Value, ...] = weights if type(weights) is tuple else tuple(weights)  # type: ignore[arg-type]
        xs: tuple[Value, ...] = inputs if type(inputs) is tuple else tuple(inputs)  # type: ignore[arg-type]
        if len(ws) != len(xs):
            raise ValueError(f"weighted_sum got {len(ws)} weights for {len(xs)} inputs")
        total = 0.0  # a loop, not sum([...]): no list to build (0.2 us less for 16 inputs); adds in order, as + does
        try:  # the common case, all Values (as typed), without a check per element
            for w, x in zip(ws, xs):
                total += w.data * x.data
        except (AttributeError, TypeError):  # plain numbers (numpy's have a .data buffer) among them
            total = None  # type: ignore[assignment]
        if type(total) is not float and not all(type(v) is Value for v in ws + xs):  # numbers: make them leaves
            return Value.weighted_sum(_leaves(ws, "weighted_sum weight"), _leaves(xs, "weighted_sum input"), bias)
        b = bias if bias is None or type(bias) is Value else Value(checks.number(bias, "weighted_sum bias"))
        if b is None:
            return _node(total, ws + xs, "wsum", _weighted_sum_backward)
        return _node(total + b.data, (*ws, *xs, b), "wsum", _weighted_sum_backward)

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
    def custom_op(
        data: Number,
        parents: Sequence[Value | Number],
        backward: Callable[[float], Number | Iterable[Number]],
        op: str = "custom",
    ) -> Value:
        """A new op's output node from its forward value and a closure ``backward(g)`` that returns one gradient
        per parent, in order (one number for one parent), as ``torch.autograd.Function.backward`` does."""
        nodes = _leaves(parents, "custom_op parent")

        def _backward(out: Value) -> None:
            grads = backward(out.grad)
            many = (grads,) if isinstance(grads, Real) and len(nodes) == 1 else tuple(grads)  # type: ignore[arg-type]
            if len(many) != len(nodes):
                raise ValueError(f"backward of op {op!r} returned {len(many)} gradients for {len(nodes)} parents")
            for i, (parent, g) in enumerate(zip(nodes, many)):
                parent.grad += checks.number(g, f"gradient {i} returned by backward of op {op!r}")

        return _node(checks.number(data, f"forward value of op {op!r}"), nodes, op, _backward)

    def _add_grad(self, g: float) -> None:
        self.grad += g

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


def _weighted_sum_backward(out: Value) -> None:
    """``weighted_sum``'s backward, read from the node's parents (n weights, n inputs, then the bias if there is
    one) rather than from a closure: a neuron's node allocates no function and no cells, which the cyclic GC
    would scan. Plain: ``for w, x in zip(ws, xs): w.grad += x.data * g; x.grad += w.data * g``; ``b.grad += g``."""
    prev, g = out._prev, out.grad
    n = len(prev) // 2
    for w, x in zip(prev, prev[n : 2 * n]):  # zip stops after n pairs: (weight i, input i)
        w.grad += x.data * g
        x.grad += w.data * g
    if len(prev) % 2:
        prev[-1].grad += g


def _relu_backward(out: Value) -> None:
    """relu's backward, one function for all relu nodes, not a closure per node (thousands per step, each for the
    cyclic GC to scan). Plain: ``def _backward(out): (a,) = out._prev; if a.data > 0: a.grad += out.grad``."""
    (a,) = out._prev
    if a.data > 0:  # the mask comes from the input, not the output
        a.grad += out.grad


def _leaves(items: Sequence[Value | Number], what: str) -> tuple[Value, ...]:
    """``items`` as a tuple of Values, plain numbers made leaves (as ``w * 2.0`` would make one)."""
    return tuple(v if type(v) is Value else Value(checks.number(v, f"{what} {i}")) for i, v in enumerate(items))
