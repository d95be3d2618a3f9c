"""The graph both engines build, and the one walker that runs it backwards.

Read this file first, after micrograd's ``backward``. A node (a ``Value`` or a ``Tensor``) knows its
parents, the name of the op that made it, its gradient, and a closure that pushes its gradient into its
parents (the ``Node`` protocol below). ``backward()`` is then the same for both engines: order the nodes
so that each comes after everything it was computed from, and run their closures from the root back.

Nothing here recurses, so a graph as deep as memory allows can be walked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Node(Protocol):
    """What the walker needs of a node; ``Value`` and ``Tensor`` both have it."""

    #: the parents: empty for a leaf, or for a node built under ``no_grad()``
    _prev: tuple[Any, ...]
    #: ``_backward(out)`` adds ``out.grad`` times the local derivative into each parent's ``.grad``
    #: (None for a leaf); it gets its node as an argument, so the graph holds no reference cycle
    _backward: Callable[[Any], None] | None
    #: the name of the op that made the node ("" for a leaf)
    _op: str
    #: the gradient so far (a float for a Value; an array, or None before any, for a Tensor)
    grad: Any

    def zero_grad(self) -> None:
        """Reset ``grad`` to its empty state (0.0 for a Value, None for a Tensor)."""

    def _add_grad(self, g: Any) -> None:
        """Add ``g`` into ``grad``."""


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` was computed from, ``root`` included, each after all of its parents (leaves first).

    micrograd's ``build_topo`` without recursion: the stack holds the path from ``root`` down to the node
    being looked at, each node followed by an iterator over the parents it has not looked at yet. (Two
    entries, not a pair: a pair is one more object per node for Python's cycle collector to count, and on a
    10^6-deep path they set off a collection over the whole graph, which took the walk from 0.4 s to 1.2 s.)
    """
    stack: list[Any]  # a node, then the iterator over its parents; the next node, then its iterator; ...
    order, visited, stack = [], {root}, [root, iter(root._prev)]
    while stack:
        for parent in stack[-1]:
            if parent not in visited:
                visited.add(parent)
                if parent._prev:  # go down first; the rest of this node's parents wait in its iterator
                    stack += (parent, iter(parent._prev))
                    break
                order.append(parent)  # a leaf has nothing before it: its place is now
        else:  # every parent is placed: the node can follow them
            stack.pop()
            order.append(stack.pop())
    return order


def backward_order(root: Node) -> list[Node]:
    """The nodes whose closures ``backward()`` runs, in the order it runs them (the root first)."""
    return [node for node in reversed(topological_order(root)) if node._prev]


def backward(root: Node, seed: Any, after: Callable[[Node], None] | None = None) -> None:
    """Run reverse-mode autodiff from ``root``, seeded with ``seed`` (d root / d root): micrograd's loop.

    Order the nodes, seed the root, and run each closure from the root back, so that a node's gradient is
    complete before its closure passes it on. ``one_pass`` around the loop starts every ``.grad`` from zero
    and adds the leaves' old gradients back after (or puts every one back if the pass fails). ``after(node)``,
    if given, is called after each closure ran (the drawings record the pass with it).
    """
    if root._op and not root._prev:
        raise RuntimeError(
            f"backward() on a node of op {root._op!r} that has no graph: it was computed under "
            "no_grad(), or only from inputs that need no gradient (detached, or requires_grad=False), "
            "so there is nothing to differentiate"
        )
    with one_pass(topological_order(root)) as order:
        root.grad = seed
        for node in reversed(order):
            if node._backward is not None:
                node._backward(node)
                if after is not None:
                    after(node)


# Passes from several threads into shared leaves take turns, so that each one's contribution is added whole.
_one_pass_at_a_time = threading.RLock()


@contextmanager
def one_pass(order: list[Node]) -> Iterator[list[Node]]:
    """The pass over ``order`` inside this ``with`` as one step: alone (passes in other threads wait), from zero,
    whole or not at all.

    Every node starts from zero, and at the end each leaf gets back what it held before added to this pass's
    gradient: leaves accumulate across passes, two passes giving exactly twice one (micrograd adds into the old
    gradient, which rounds differently). If the pass fails, every ``.grad`` is put back as it was.
    """
    with _one_pass_at_a_time:
        held = [node.grad for node in order]
        for node in order:
            node.zero_grad()
        try:
            yield order
        except BaseException:
            for node, grad in zip(order, held):
                node.grad = grad
            raise
        for node, grad in zip(order, held):
            if grad is not None and not node._prev:  # a Tensor leaf that had no gradient gets nothing added
                node._add_grad(grad)
