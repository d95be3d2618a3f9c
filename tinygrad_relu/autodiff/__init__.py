"""Gradients as values: ``grad`` (``torch.autograd.grad``, ``jax.grad``), and from it ``hessian`` and ``hvp``.

``grad(output, inputs)`` runs the ops' backward closures from ``output`` back, as ``backward()`` does, but on
stand-ins of the nodes (``Shadow``), so no node's ``.grad`` is touched: the gradients are returned. With
``create_graph=True`` the stand-ins' numbers are the nodes themselves (``on_nodes.py``), so each closure builds
nodes instead of numbers, and the gradients returned are nodes of a new graph, which ``grad`` differentiates again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from ..engine import Value
from ..engine.graph import topological_order
from ..tensor import Tensor
from ..tensor.node import Saved
from .on_nodes import Lifted, run_on_nodes

__all__ = ["grad", "hessian", "hvp", "refusing_grad"]

Node = Any  # a Value or a Tensor


class _Zero:
    """The gradient of a Value stand-in before anything was added to it, on nodes: ``0 + x`` is ``x`` itself, so
    the graph of a gradient holds no additions of zero."""

    def __add__(self, x: Any) -> Any:
        return x

    def __sub__(self, x: Any) -> Any:
        return -x


_ZERO = _Zero()


class Shadow:
    """A node as ``grad`` shows it to the node's closure: its numbers (or, on nodes, the node itself), parents,
    parameters and op, and a gradient of its own, so that the node's ``.grad`` stays as it is."""

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_arg", "_op")

    def __init__(self, node: Node, on_nodes: bool, wanted: bool) -> None:
        self.data = Lifted(node) if on_nodes else node.data
        self.grad: Any = None if isinstance(node, Tensor) else _ZERO if on_nodes else 0.0
        self.requires_grad = wanted  # a Tensor closure skips a parent whose gradient nobody wants
        self.label, self._op, self._arg = node.label, node._op, node._arg
        self._prev: tuple[Shadow, ...] = ()


_refusal: ContextVar[tuple[type[Exception], str] | None] = ContextVar("create_graph_refused", default=None)


@contextmanager
def refusing_grad(error: type[Exception], where: str) -> Iterator[None]:
    """A context in which ``grad`` raises ``error``, saying it was called ``where``: ``trace`` records a function
    in one, since a gradient is made of the numbers of one call (and its graph of the branches taken on them)."""
    token = _refusal.set((error, where))
    try:
        yield
    finally:
        _refusal.reset(token)


def _seed(output: Node, seed: Any, on_nodes: bool) -> Any:
    """The gradient ``output`` starts from: ``seed``, or 1 for one number; a leaf node of it on nodes."""
    if isinstance(output, Value):
        if on_nodes:
            return Lifted(seed if isinstance(seed, Value) else Value(1.0 if seed is None else float(seed)))
        return 1.0 if seed is None else float(seed.data if isinstance(seed, Value) else seed)
    if seed is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"grad of a Tensor of shape {output.data.shape} needs a seed of that shape (d(loss)/d(output)), "
                "as backward() needs a gradient; a one-element output is seeded with 1"
            )
        seed = np.ones(output.data.shape)
    if isinstance(seed, Tensor):
        array = seed.data
    else:
        array = np.array(seed, dtype=np.float64)
    if array.shape != output.data.shape:
        raise ValueError(f"grad: the seed has shape {array.shape} but the output has shape {output.data.shape}")
    if on_nodes:
        return Lifted(seed if isinstance(seed, Tensor) else Tensor(array))
    return array.copy()


def _refuse(node: Node) -> None:
    """Refuse a closure that closes over something: its derivative may use numbers the graph does not hold."""
    closure = node._backward
    kept = closure.__code__.co_freevars
    arg = node._arg if isinstance(node._arg, dict) else {}
    saved = [k for k, v in arg.items() if isinstance(v, Saved) and not v.constant]
    if saved:
        raise RuntimeError(
            f"grad(..., create_graph=True) cannot differentiate op {node._op!r} again: its backward reads "
            f"{', '.join(saved)} saved from the forward pass, whose own derivative the graph does not hold. Write it "
            "with Tensor ops, whose closures read only their node"
        )
    if kept:
        how = (
            "Make the op with Value.op (a closure that reads only its node, its parents and out._arg)"
            if isinstance(node, Value)
            else "Write it with Tensor ops, whose closures read only their node"
        )
        raise RuntimeError(
            f"grad(..., create_graph=True) cannot differentiate op {node._op!r} again: its backward closure keeps "
            f"{', '.join(kept)} from the forward pass (a custom_op's backward(g)), so its own derivative is not "
            f"known. {how}"
        )


def _zero(like: Node, on_nodes: bool) -> Any:
    """The gradient of an input ``output`` does not depend on: 0, in the input's form."""
    if isinstance(like, Value):
        return Value(0.0) if on_nodes else 0.0
    return Tensor(np.zeros(like.data.shape)) if on_nodes else np.zeros(like.data.shape)


def grad(output: Node, inputs: Node | Sequence[Node], seed: Any = None, create_graph: bool = False) -> Any:
    """The gradients of ``output`` with respect to ``inputs``, returned; no ``.grad`` is touched.

    ``inputs`` is one node (its gradient is returned) or a sequence of nodes (a list of gradients, in order),
    leaves or not. ``seed`` is d(loss)/d(output), 1 by default for one number (a Tensor of another shape needs
    one), as ``backward(gradient)`` takes it. Without ``create_graph`` each gradient is what ``backward()`` would
    add into the input's ``.grad``, bit for bit: a float for a Value, an array for a Tensor. With
    ``create_graph=True`` each is a node (a Value or a Tensor) of a new graph, the backward pass written in nodes,
    which can be differentiated again, to any order, as ``torch.autograd.grad(..., create_graph=True)`` gives.
    An input ``output`` does not depend on gets 0. An op made by ``custom_op`` refuses ``create_graph``.
    """
    single = not isinstance(inputs, (list, tuple))
    wanted_nodes: Sequence[Node] = [inputs] if single else inputs
    for i, x in enumerate(wanted_nodes):
        if not isinstance(x, type(output)) and not isinstance(output, type(x)):
            raise TypeError(f"grad: input {i} is a {type(x).__name__}, but the output is a {type(output).__name__}")
    refused = _refusal.get()
    if refused is not None:
        error, where = refused
        raise error(
            f"grad() {where}: a gradient is made of this call's numbers, and on nodes (create_graph=True) it follows "
            "the branches its closures took on them (which side of each kink an element is on), which a program "
            "replayed on new data would keep. Compute such a loss (a gradient penalty) eagerly"
        )
    order = topological_order(output)
    place = {id(node): i for i, node in enumerate(order)}
    wanted = {id(x) for x in wanted_nodes}
    needed = [False] * len(order)
    for i, node in enumerate(order):  # a node is needed if an input is it or behind it
        needed[i] = id(node) in wanted or any(needed[place[id(p)]] for p in node._prev)
    shadows = [Shadow(node, create_graph, needed[i]) for i, node in enumerate(order)]
    for node, shadow in zip(order, shadows):
        shadow._prev = tuple(shadows[place[id(p)]] for p in node._prev)
    shadows[-1].grad = _seed(output, seed, create_graph)
    for i in range(len(order) - 1, -1, -1):
        node, shadow = order[i], shadows[i]
        if node._backward is None or not node._prev or not needed[i]:
            continue
        if not create_graph:
            node._backward(shadow)
        elif shadow.grad is not None and shadow.grad is not _ZERO:  # nothing reached it: it sends nothing back
            _refuse(node)
            run_on_nodes(node._backward)(shadow)
    results = []
    for x in wanted_nodes:
        g = shadows[place[id(x)]].grad if id(x) in place else None
        if g is None or g is _ZERO:
            results.append(_zero(x, create_graph))
        elif create_graph:
            results.append(g.node)
        else:  # an intermediate's gradient may be an array another node holds too (a + passes it on as it is)
            results.append(np.array(g) if isinstance(g, np.ndarray) and x._prev else g)
    return results[0] if single else results


def _fresh(x: Any) -> tuple[Any, list[Node]]:
    """A copy of ``x`` made of new leaves to differentiate by, and the leaves: a Tensor's own, a Value for a
    number, a list of Values for a sequence of numbers or Values."""
    if isinstance(x, Tensor):
        leaf = Tensor(x.data, requires_grad=True)
        return leaf, [leaf]
    if isinstance(x, (list, tuple)):
        leaves = [Value(float(v.data if isinstance(v, Value) else v)) for v in x]
        return leaves, leaves
    leaf_value = Value(float(x.data if isinstance(x, Value) else x))
    return leaf_value, [leaf_value]


def _as_numbers(grads: list[Any], x: Any) -> Any:
    """Gradients by the leaves ``_fresh`` made, in the form of ``x``: an array for a Tensor or a sequence, a float."""
    if isinstance(x, Tensor):
        return np.asarray(grads[0], dtype=np.float64)
    if isinstance(x, (list, tuple)):
        return np.array(grads, dtype=np.float64)
    return float(grads[0])


def hvp(f: Any, x: Any, v: Any) -> Any:
    """The Hessian of ``f`` at ``x`` times the vector ``v``, by differentiating twice, without forming the Hessian:
    the gradient ``g(x)`` as a graph, then the gradient of ``g(x) . v``. ``x`` is a Tensor, a sequence of numbers
    (``f`` gets a list of Values) or one number; ``v`` has its shape. Returns an array (a float for one number),
    as ``torch.autograd.functional.hvp(f, x, v)[1]`` does."""
    x0, leaves = _fresh(x)
    first = grad(f(x0), leaves, create_graph=True)
    if isinstance(x, Tensor):
        dot = (first[0] * Tensor(np.asarray(v, dtype=np.float64))).sum()
    else:
        vs = np.atleast_1d(np.asarray(v, dtype=np.float64)).tolist()
        dot = sum((g * vi for g, vi in zip(first, vs)), Value(0.0))
    return _as_numbers(grad(dot, leaves), x)


def hessian(f: Any, x: Any) -> Any:
    """The matrix of second derivatives of ``f`` at ``x``: row i is the gradient of the i-th entry of the gradient.

    ``x`` is a Tensor (the Hessian has shape ``x.shape + x.shape``, as ``torch.autograd.functional.hessian``), a
    sequence of n numbers (``f`` gets a list of Values; an n x n array) or one number (a float)."""
    x0, leaves = _fresh(x)
    first = grad(f(x0), leaves, create_graph=True)
    if isinstance(x, Tensor):
        flat = first[0].reshape(-1)
        rows = [grad(flat[i], leaves[0]) for i in range(x.data.size)]
        return np.array(rows).reshape(x.data.shape + x.data.shape)
    rows = [grad(g, leaves) for g in first]
    return _as_numbers(rows, x) if isinstance(x, (list, tuple)) else float(rows[0][0])
