"""Value: a scalar node of the graph.

Every op has the same shape: compute the forward number, define ``_backward(out)`` that adds
``out.grad`` times the local derivative into each parent (``+=``, so reused nodes add up), and
return the new node. Numbers follow IEEE like PyTorch: overflow gives inf, log(0) gives -inf,
log(-1) gives nan -- no OverflowError or ValueError escapes an op.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Iterable, Sequence, Union

from . import graph

Number = Union[int, float]
_grad_mode = graph.grad_mode
_inf, _nan = math.inf, math.nan


def _div(a: float, b: float) -> float:
    """a / b with IEEE results for b == 0 (inf with the right sign, nan for 0/0)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return _nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)


def _pow(a: float, b: float) -> float:
    """a ** b as IEEE/PyTorch give it: 0 ** -1 = inf, (-0.0) ** -1 = -inf, (-8) ** 0.5 = nan, overflow = +-inf."""
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError) as error:
        if isinstance(error, ValueError) and a != 0:  # a negative base to a fractional power
            return _nan
        # overflow, or 0 to a negative power: the sign of a survives only an odd integer power
        odd_integer = b.is_integer() and b % 2 == 1
        return math.copysign(_inf, a) if odd_integer else _inf


def _exp(x: float) -> float:
    """e ** x, inf on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return _inf


def _log(x: float) -> float:
    """Natural log with log(0) = -inf and log(negative) = nan."""
    if x > 0:
        return math.log(x)
    return -_inf if x == 0 else _nan


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _real(x: object, what: str) -> float:
    """x as a float, or a TypeError that names what was wrong."""
    if isinstance(x, Real):
        return float(x)
    hint = " (Value holds one number; use Tensor for arrays)" if hasattr(x, "__len__") else ""
    raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}{hint}")


def _lift(x: object) -> "Value | None":
    """A plain number as a leaf Value; None for anything else, so an operator can return NotImplemented."""
    return Value(x) if isinstance(x, Real) else None


def _node(data: float, prev: tuple, op: str, backward: Callable[["Value"], None]) -> "Value":
    """Build an op's output node; under no_grad() it keeps the op name but records no parents."""
    out = object.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    if _grad_mode.enabled:
        out._prev = prev
        out._backward = backward
    else:
        out._prev = ()
        out._backward = None
    return out


class Value:
    """A scalar that records the operations applied to it so ``backward()`` can differentiate them."""

    __slots__ = ("data", "grad", "label", "_op", "_prev", "_backward")
    _GRAD_RESET = 0.0

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _real(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._prev: tuple = ()
        self._backward = None

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other: Union["Value", Number]) -> "Value":
        other = other if type(other) is Value else _lift(other)
        if other is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += out.grad
            b.grad += out.grad

        return _node(self.data + other.data, (self, other), "+", _backward)

    def __mul__(self, other: Union["Value", Number]) -> "Value":
        other = other if type(other) is Value else _lift(other)
        if other is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad

        return _node(self.data * other.data, (self, other), "*", _backward)

    def __sub__(self, other: Union["Value", Number]) -> "Value":
        other = other if type(other) is Value else _lift(other)
        if other is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += out.grad
            b.grad -= out.grad

        return _node(self.data - other.data, (self, other), "-", _backward)

    def __truediv__(self, other: Union["Value", Number]) -> "Value":
        other = other if type(other) is Value else _lift(other)
        if other is None:
            return NotImplemented

        def _backward(out: Value) -> None:
            a, b = out._prev
            a.grad += _div(out.grad, b.data)  # d(a/b)/da = 1/b
            b.grad += _div(-out.data * out.grad, b.data)  # d(a/b)/db = -a/b^2 = -(a/b)/b

        return _node(_div(self.data, other.data), (self, other), "/", _backward)

    def __pow__(self, other: Union["Value", Number]) -> "Value":
        if type(other) is Value:
            return self._pow_value(other)
        if not isinstance(other, Real):
            return NotImplemented
        k = float(other)

        def _backward(out: Value) -> None:
            (a,) = out._prev
            if k != 0.0:  # x ** 0 is constant: gradient 0, also at x = 0 where 0 * 0**-1 would give nan (as PyTorch)
                a.grad += k * _pow(a.data, k - 1.0) * out.grad

        return _node(_pow(self.data, k), (self,), f"**{other:g}", _backward)

    def _pow_value(self, other: "Value") -> "Value":
        """Value ** Value: the exponent is a node too."""

        def _backward(out: Value) -> None:
            a, b = out._prev
            if b.data != 0.0:  # d(a^0)/da is 0, not 0 * 0**-1 = nan at a == 0 (as PyTorch)
                a.grad += b.data * _pow(a.data, b.data - 1.0) * out.grad
            # d(a^b)/db = a^b log a; PyTorch takes it as 0 where a == 0 and b >= 0 (a limit, not nan).
            if a.data == 0 and b.data >= 0:
                return
            b.grad += out.data * _log(a.data) * out.grad

        return _node(_pow(self.data, other.data), (self, other), "**", _backward)

    def __neg__(self) -> "Value":
        def _backward(out: Value) -> None:
            (a,) = out._prev
            a.grad -= out.grad

        return _node(-self.data, (self,), "neg", _backward)

    def __radd__(self, other: Number) -> "Value":
        return self + other

    def __rmul__(self, other: Number) -> "Value":
        return self * other

    def __rsub__(self, other: Number) -> "Value":
        if not isinstance(other, Real):
            return NotImplemented
        return Value(other) - self

    def __rtruediv__(self, other: Number) -> "Value":
        if not isinstance(other, Real):
            return NotImplemented
        return Value(other) / self

    def __rpow__(self, other: Number) -> "Value":
        if not isinstance(other, Real):
            return NotImplemented
        return Value(other)._pow_value(self)

    # ---------------------------------------------------------------- functions
    def exp(self) -> "Value":
        """e ** self (inf on overflow)."""

        def _backward(out: Value) -> None:
            out._prev[0].grad += out.data * out.grad

        return _node(_exp(self.data), (self,), "exp", _backward)

    def log(self) -> "Value":
        """Natural log: -inf at 0, nan below 0."""

        def _backward(out: Value) -> None:
            (a,) = out._prev
            a.grad += _div(out.grad, a.data)

        return _node(_log(self.data), (self,), "log", _backward)

    def tanh(self) -> "Value":
        """Hyperbolic tangent."""

        def _backward(out: Value) -> None:
            out._prev[0].grad += (1.0 - out.data * out.data) * out.grad

        return _node(math.tanh(self.data), (self,), "tanh", _backward)

    def sigmoid(self) -> "Value":
        """Logistic function 1 / (1 + e^-x), stable for large |x|."""

        def _backward(out: Value) -> None:
            s = out.data
            out._prev[0].grad += s * (1.0 - s) * out.grad

        return _node(_sigmoid(self.data), (self,), "sigmoid", _backward)

    def relu(self) -> "Value":
        """max(0, x); the gradient is 1 for x > 0 and 0 otherwise (0 at exactly 0, like PyTorch)."""

        def _backward(out: Value) -> None:
            (a,) = out._prev
            if a.data > 0:  # the mask comes from the input, not the output
                a.grad += out.grad

        x = self.data
        return _node(x if not x <= 0 else 0.0, (self,), "relu", _backward)

    def leaky_relu(self, alpha: float = 0.01) -> "Value":
        """x if x > 0 else alpha * x; gradient 1 if x > 0 else alpha (alpha at exactly 0).

        ``alpha`` is PyTorch's ``negative_slope``. Any real alpha works, including alpha > 1 and
        alpha < 0: the function is piecewise, not ``max(x, alpha * x)``.
        """
        alpha = _real(alpha, "leaky_relu alpha")

        def _backward(out: Value) -> None:
            (a,) = out._prev
            a.grad += out.grad if a.data > 0 else alpha * out.grad

        x = self.data
        return _node(x if x > 0 else alpha * x, (self,), f"leaky_relu({alpha:g})", _backward)

    def prelu(self, a: Union["Value", Number]) -> "Value":
        """Leaky ReLU whose slope ``a`` is a node of the graph: d/dx = 1 or a, d/da = 0 or x."""
        if type(a) is not Value:
            a = Value(_real(a, "prelu slope a"))

        def _backward(out: Value) -> None:
            x, slope = out._prev
            if x.data > 0:
                x.grad += out.grad
            else:
                x.grad += slope.data * out.grad
                slope.grad += x.data * out.grad

        x = self.data
        return _node(x if x > 0 else a.data * x, (self, a), "prelu", _backward)

    @staticmethod
    def weighted_sum(
        weights: Sequence[Union["Value", Number]],
        inputs: Sequence[Union["Value", Number]],
        bias: Union["Value", Number, None] = None,
    ) -> "Value":
        """``bias + sum_i weights[i] * inputs[i]`` as ONE node: a neuron's pre-activation.

        The same number and gradients as the chain of ``*`` and ``+`` nodes, but one node with all
        the weights, inputs and the bias as parents (so a drawing shows one node per neuron) and one
        closure whose loop runs the whole backward -- about 2n fewer nodes for n inputs.
        """
        ws = weights if type(weights) is tuple else tuple(weights)
        xs = inputs if type(inputs) is tuple else tuple(inputs)
        if len(ws) != len(xs):
            raise ValueError(f"weighted_sum got {len(ws)} weights for {len(xs)} inputs")
        total = 0.0
        try:
            for w, x in zip(ws, xs):
                total += w.data * x.data
        except AttributeError:  # plain numbers among them: make them leaves, as `w * 2.0` would
            total = None
        if type(total) is not float:  # also catches objects with a .data that is not a float
            ws = tuple(w if type(w) is Value else Value(_real(w, f"weighted_sum weight {i}"))
                       for i, w in enumerate(ws))
            xs = tuple(x if type(x) is Value else Value(_real(x, f"weighted_sum input {i}"))
                       for i, x in enumerate(xs))
            total = sum([w.data * x.data for w, x in zip(ws, xs)], 0.0)
        if bias is None:
            prev = ws + xs
        else:
            if type(bias) is not Value:
                bias = Value(_real(bias, "weighted_sum bias"))
            total += bias.data
            prev = (*ws, *xs, bias)

        def _backward(out: Value) -> None:
            g = out.grad
            for w, x in zip(ws, xs):
                w.grad += x.data * g
                x.grad += w.data * g
            if bias is not None:
                bias.grad += g

        return _node(total, prev, "wsum", _backward)

    # ---------------------------------------------------------------- graph
    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on, seeding d(self)/d(self) = 1.

        Leaves accumulate across calls (call ``zero_grad()`` on them to reset); intermediate
        nodes are recomputed from zero each time.
        """
        graph.backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set this node's gradient to 0."""
        self.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same data, cut from the graph."""
        return Value(self.data, self.label)

    @classmethod
    def custom_op(
        cls,
        data: Number,
        parents: Sequence[Union["Value", Number]],
        backward: Callable[[float], Union[Number, Iterable[Number]]],
        op: str = "custom",
    ) -> "Value":
        """Make a new op's output node from its forward value and a backward closure.

        ``backward(g)`` receives the gradient flowing into the output and returns the gradient for
        each parent, in order (a single number when there is one parent) -- the same contract as
        ``torch.autograd.Function.backward``. Example, a hand-written leaky ReLU::

            def my_leaky(x, alpha=0.1):
                return Value.custom_op(x.data if x.data > 0 else alpha * x.data, (x,),
                                       lambda g: g if x.data > 0 else alpha * g, op="my_leaky")
        """
        nodes = tuple(p if type(p) is Value else Value(_real(p, f"custom_op parent {i}"))
                      for i, p in enumerate(parents))

        def _backward(out: Value) -> None:
            grads = backward(out.grad)
            if len(out._prev) == 1 and isinstance(grads, Real):
                grads = (grads,)
            grads = tuple(grads)
            if len(grads) != len(out._prev):
                raise ValueError(f"backward of op {op!r} returned {len(grads)} gradients "
                                 f"for {len(out._prev)} parents")
            for i, (parent, g) in enumerate(zip(out._prev, grads)):
                parent.grad += _real(g, f"gradient {i} returned by backward of op {op!r}")

        return _node(_real(data, f"forward value of op {op!r}"), nodes, op, _backward)

    def _add_grad(self, g: float) -> None:
        self.grad += g

    # ---------------------------------------------------------------- display
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"
