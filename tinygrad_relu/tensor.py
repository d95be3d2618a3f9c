"""Tensor: a float64 numpy array that is a node of the graph, on the same walker as Value.

Every op has Value's shape: compute the forward array, define ``_backward(out)`` that adds
``out.grad`` times the local derivative into each parent, return the new node. Binary ops
broadcast like numpy, so their backward sums the gradient back to each parent's shape
(``unbroadcast``). Gradients are float64 arrays of exactly the shape of ``.data``; a gradient
starts as None, as in PyTorch. The element-wise functions are in ``tensor_activations.py``,
reductions, softmax and shape ops in ``tensor_reduce.py``, the shared machinery in ``tensor_core.py``.

Numbers follow IEEE like Value and PyTorch: the ops with poles or domain limits (/, **, exp, log,
logsumexp, log_softmax) give inf or nan silently (exp(1000) = inf, log(0) = -inf, log(-1) = nan).
+, -, * and @ are left unwrapped for speed: numpy may warn when they overflow past 1.8e308 or meet
inf - inf, with the same IEEE result.
"""

from __future__ import annotations

from functools import wraps
from numbers import Real
from typing import Any, Callable, Iterable, Sequence, Union

import numpy as np

from . import graph
from .tensor_core import acc, broadcast_error, check_shape_from, float_array, matmul_error, node, quiet, unbroadcast
from .tensor_activations import ActivationOps
from .tensor_reduce import ReduceOps

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]


def _operand(x: Any) -> "Tensor | None":
    """The other side of a binary op as a Tensor (a constant unless it is one), or None when it is
    not numeric, so that the op returns NotImplemented and Python names both types."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (Real, np.ndarray, list, tuple)):
        return Tensor(x)
    return None


def _lifted(method: Callable) -> Callable:
    """Wrap a binary op so that ``other`` arrives as a Tensor; for a non-numeric one the op returns
    NotImplemented, so Python tries the reflected op and then names both types."""

    @wraps(method)
    def op(self: "Tensor", other: Any) -> Any:
        b = other if type(other) is Tensor else _operand(other)
        return NotImplemented if b is None else method(self, b)

    return op


def _binary(f: Callable, a: "Tensor", b: "Tensor", op: str) -> np.ndarray:
    """``f(a.data, b.data)``, with an error naming the op and both shapes when they do not broadcast."""
    try:
        return f(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.data, b.data) from None


class Tensor(ActivationOps, ReduceOps):
    """A float64 array that records the operations applied to it so ``backward()`` can differentiate them.

    ``Tensor(data, requires_grad=False, label="")`` copies ``data``. ``requires_grad=True`` marks a
    leaf whose gradient is wanted (a parameter); an op records its graph only when one of its
    inputs requires a gradient and grad mode is on, as in PyTorch.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_op", "_prev", "_backward")
    _GRAD_RESET = None
    __array_ufunc__ = None  # numpy defers to our reflected ops, so ndarray + Tensor builds a node

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "") -> None:
        self.data = float_array(data.data if isinstance(data, Tensor) else data, "Tensor data")
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._op = ""
        self._prev: tuple = ()
        self._backward = None

    # ---------------------------------------------------------------- arithmetic
    @_lifted
    def __add__(self, b: "Tensor") -> "Tensor":
        a = self

        def _backward(out: Tensor) -> None:
            if a.requires_grad:
                acc(a, out.grad, True)
            if b.requires_grad:
                acc(b, out.grad, True)

        return node(_binary(np.add, a, b, "+"), (a, b), "+", _backward)

    @_lifted
    def __sub__(self, b: "Tensor") -> "Tensor":
        a = self

        def _backward(out: Tensor) -> None:
            if a.requires_grad:
                acc(a, out.grad, True)
            if b.requires_grad:
                acc(b, -out.grad)

        return node(_binary(np.subtract, a, b, "-"), (a, b), "-", _backward)

    @_lifted
    def __mul__(self, b: "Tensor") -> "Tensor":
        a = self

        def _backward(out: Tensor) -> None:
            if a is b:  # a square: one contribution, not two
                acc(a, out.grad * (2.0 * a.data))
                return
            if a.requires_grad:
                acc(a, out.grad * b.data)
            if b.requires_grad:
                acc(b, out.grad * a.data)

        return node(_binary(np.multiply, a, b, "*"), (a, b), "*", _backward)

    @_lifted
    def __truediv__(self, b: "Tensor") -> "Tensor":
        a = self
        with quiet():
            data = _binary(np.divide, a, b, "/")

        def _backward(out: Tensor) -> None:
            with quiet():
                if a.requires_grad:
                    acc(a, out.grad / b.data)  # d(a/b)/da = 1/b
                if b.requires_grad:
                    acc(b, -out.grad * out.data / b.data)  # d(a/b)/db = -a/b^2 = -(a/b)/b

        return node(data, (a, b), "/", _backward)

    def __pow__(self, other: ArrayLike) -> "Tensor":
        if isinstance(other, Real):
            return self._pow_number(float(other), f"**{other:g}")
        return self._pow_tensor(other)

    @_lifted
    def _pow_tensor(self, b: "Tensor") -> "Tensor":
        """self ** b for an exponent that is a Tensor (or array-like)."""
        a = self
        with quiet():
            data = _binary(np.power, a, b, "**")

        def _backward(out: Tensor) -> None:
            g = out.grad
            with quiet():
                if a.requires_grad:  # 0 where b == 0 (a constant 1), not 0 * 0**-1 = nan at a == 0, as PyTorch
                    acc(a, np.where(b.data == 0, 0.0, g * b.data * np.power(a.data, b.data - 1.0)))
                if b.requires_grad:  # d(a^b)/db = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's limit)
                    limit = (a.data == 0) & (b.data >= 0)
                    acc(b, np.where(limit, 0.0, g * out.data * np.log(a.data)))

        return node(data, (a, b), "**", _backward)

    def _pow_number(self, k: float, op: str) -> "Tensor":
        """self ** k for a constant exponent (a square is a product: cheaper than np.power)."""
        a = self
        with quiet():
            data = a.data * a.data if k == 2.0 else np.power(a.data, k)

        def _backward(out: Tensor) -> None:
            with quiet():
                if k == 0.0:  # x ** 0 is constant: gradient 0, also at x = 0 where 0 * 0**-1 would give nan (as PyTorch)
                    acc(a, np.zeros(a.data.shape))
                else:
                    acc(a, out.grad * (2.0 * a.data if k == 2.0 else k * np.power(a.data, k - 1.0)))

        return node(data, (a,), op, _backward)

    def __neg__(self) -> "Tensor":
        a = self

        def _backward(out: Tensor) -> None:
            acc(a, -out.grad)

        return node(-a.data, (a,), "neg", _backward)

    @_lifted
    def __matmul__(self, b: "Tensor") -> "Tensor":
        a = self
        try:
            data = np.matmul(a.data, b.data)
        except ValueError:
            raise matmul_error(a.data.shape, b.data.shape) from None

        if a.data.ndim == 2 and b.data.ndim == 2:
            def _backward(out: Tensor) -> None:
                if a.requires_grad:
                    acc(a, out.grad @ b.data.T)
                if b.requires_grad:
                    acc(b, a.data.T @ out.grad)
        else:
            def _backward(out: Tensor) -> None:
                _matmul_backward(a, b, np.asarray(out.grad))

        return node(data, (a, b), "@", _backward)

    def linear(self, weight: "Tensor", bias: "Tensor | None" = None) -> "Tensor":
        """``self @ weight + bias`` as one node, for a 2-D ``weight`` (in, out) and a ``bias`` (out,).

        The op of ``nn.Linear`` (PyTorch's addmm): one node and one closure instead of two, which
        is most of a small layer's cost. ``self`` is (..., in).
        """
        x, w = self, weight
        if type(w) is not Tensor or w.data.ndim != 2:
            raise ValueError(f"linear: weight must be a 2-D Tensor (in, out), got {getattr(w, 'shape', type(w))}")
        if bias is not None and (type(bias) is not Tensor or bias.data.shape != w.data.shape[1:]):
            raise ValueError(f"linear: bias must be a Tensor of shape {w.data.shape[1:]} for a weight of shape "
                             f"{w.data.shape}, got {getattr(bias, 'shape', type(bias))}")
        try:
            data = np.matmul(x.data, w.data)
        except ValueError:
            raise matmul_error(x.data.shape, w.data.shape) from None
        if bias is not None:
            data += bias.data  # in place: data is the new matmul result

        def _backward(out: Tensor) -> None:
            g = out.grad
            if x.requires_grad:
                acc(x, g @ w.data.T)
            if w.requires_grad:
                xs = x.data
                if xs.ndim != 2:  # leading axes fold into one batch axis
                    xs, g = xs.reshape(-1, w.data.shape[0]), g.reshape(-1, w.data.shape[1])
                acc(w, xs.T @ g)
            if bias is not None and bias.requires_grad:
                acc(bias, out.grad, True)  # passed through as is when there is no batch axis to sum

        return node(data, (x, w) if bias is None else (x, w, bias), "linear", _backward)

    def __radd__(self, other: ArrayLike) -> "Tensor":
        return self + other

    def __rmul__(self, other: ArrayLike) -> "Tensor":
        return self * other

    def __rsub__(self, other: ArrayLike) -> "Tensor":
        b = _operand(other)
        return NotImplemented if b is None else b - self

    def __rtruediv__(self, other: ArrayLike) -> "Tensor":
        b = _operand(other)
        return NotImplemented if b is None else b / self

    def __rpow__(self, other: ArrayLike) -> "Tensor":
        b = _operand(other)
        return NotImplemented if b is None else b ** self

    def __rmatmul__(self, other: ArrayLike) -> "Tensor":
        b = _operand(other)
        return NotImplemented if b is None else b @ self

    # ---------------------------------------------------------------- array facts
    @property
    def shape(self) -> tuple:
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

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, as ``torch.Tensor.numpy()`` shares memory)."""
        return self.data

    # ---------------------------------------------------------------- graph
    def backward(self, gradient: ArrayLike | None = None) -> None:
        """Fill ``.grad`` of every leaf this Tensor depends on that requires a gradient.

        A one-element Tensor is seeded with 1; any other needs ``gradient`` of its own shape
        (d(loss)/d(self), as in PyTorch). Leaves accumulate across calls until ``zero_grad()``;
        intermediate nodes restart from None each time.
        """
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a one-element Tensor, but this one has "
                                   f"shape {self.data.shape}: reduce it first (e.g. .sum()) or pass gradient= "
                                   "an array of that shape")
            seed = np.ones(self.data.shape) if self.data.ndim else np.array(1.0)  # the latter is 5x cheaper
        else:
            seed = float_array(gradient.data if isinstance(gradient, Tensor) else gradient, "backward gradient")
            if seed.shape != self.data.shape:
                raise ValueError(f"backward gradient has shape {seed.shape} but the Tensor has shape "
                                 f"{self.data.shape}; they must match")
        if not self._op and not self.requires_grad:
            raise RuntimeError("backward() on a leaf Tensor that does not require grad: create it with "
                               "Tensor(..., requires_grad=True) to get its gradient")
        graph.backward(self, seed)

    def zero_grad(self) -> None:
        """Forget this Tensor's gradient (None, as PyTorch's ``set_to_none``)."""
        self.grad = None

    def detach(self) -> "Tensor":
        """A new leaf that shares this Tensor's data (as in PyTorch) and needs no gradient."""
        out = object.__new__(Tensor)
        out.data, out.grad, out.requires_grad, out.label = self.data, None, False, self.label
        out._op, out._prev, out._backward = "", (), None
        return out

    @classmethod
    def custom_op(
        cls,
        data: ArrayLike,
        parents: Sequence[ArrayLike],
        backward: Callable[[np.ndarray], Union[ArrayLike, Iterable[Union[ArrayLike, None]], None]],
        op: str = "custom",
    ) -> "Tensor":
        """Make a new op's output node from its forward array and a backward closure.

        ``backward(g)`` receives the gradient of the output (an array of its shape) and returns one
        gradient per parent, in order: a tuple or list, or one array when there is one parent; None means
        no gradient for that parent. A gradient may have a shape broadcast from its parent's (the
        output's, typically): the engine sums it back. Same contract as ``Value.custom_op`` and
        ``torch.autograd.Function.backward``. Example, a hand-written leaky ReLU::

            def my_leaky(x, alpha=0.1):
                slope = np.where(x.data > 0, 1.0, alpha)
                return Tensor.custom_op(x.data * slope, (x,), lambda g: g * slope, op="my_leaky")
        """
        nodes = tuple(p if isinstance(p, Tensor) else Tensor(float_array(p, f"custom_op parent {i}"))
                      for i, p in enumerate(parents))
        if not nodes:
            raise ValueError(f"custom_op {op!r} needs at least one parent")

        def _backward(out: Tensor) -> None:
            grads = backward(out.grad)
            if len(nodes) == 1 and not isinstance(grads, (tuple, list)):
                grads = (grads,)
            grads = tuple(grads)
            if len(grads) != len(nodes):
                raise ValueError(f"backward of op {op!r} returned {len(grads)} gradients for {len(nodes)} parents")
            for i, (parent, g) in enumerate(zip(nodes, grads)):
                if g is None or not parent.requires_grad:
                    continue
                what = f"gradient {i} returned by backward of op {op!r}"
                g = float_array(g, what)
                check_shape_from(g, parent.data.shape, what)
                acc(parent, g, True)  # the caller may keep a reference to the array it returned

        return node(float_array(data, f"forward value of op {op!r}"), nodes, op, _backward)

    def _add_grad(self, g: np.ndarray | None) -> None:
        if g is None:
            return
        if self.grad is None:
            self.grad = g
        else:  # a new array, never in place: the old one may be the user's
            total = self.grad + g
            self.grad = total if type(total) is np.ndarray else np.asarray(total)

    # ---------------------------------------------------------------- display
    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = "".join([f", label={self.label!r}" if self.label else "",
                         ", requires_grad=True" if self.requires_grad and not self._op else "",
                         f", op={self._op!r}" if self._op else ""])
        return f"Tensor({body}{extra})"


def _matmul_backward(a: Tensor, b: Tensor, g: np.ndarray) -> None:
    """Gradients of ``a @ b`` when an operand is 1-D or batched: promote 1-D operands to matrices
    (as matmul does), multiply by the transposes, and sum the broadcast batch axes back."""
    left = a.data if a.data.ndim > 1 else a.data[None, :]
    right = b.data if b.data.ndim > 1 else b.data[:, None]
    if b.data.ndim == 1:
        g = g[..., None]
    if a.data.ndim == 1:
        g = g[..., None, :]
    if a.requires_grad:
        acc(a, unbroadcast(g @ np.swapaxes(right, -1, -2), left.shape).reshape(a.data.shape))
    if b.requires_grad:
        acc(b, unbroadcast(np.swapaxes(left, -1, -2) @ g, right.shape).reshape(b.data.shape))
