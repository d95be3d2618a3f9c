"""The one reverse-mode driver shared by Value and Tensor.

A node is any object with these attributes:

- ``_prev``: tuple of parent nodes (empty for a leaf or a node built under ``no_grad``),
- ``_backward``: a function ``backward(out)`` that adds ``out.grad`` times the local derivative
  into each parent's ``.grad`` (``None`` for a leaf),
- ``_op``: the name of the op that built it (``""`` for a leaf),
- ``grad``; the class attribute ``_GRAD_RESET`` (what an intermediate's grad restarts from) and
  the method ``_add_grad(g)`` (add g, which may be the reset value, into ``grad``).

Nothing here recurses, so a graph as deep as memory allows can be walked.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterator


class _GradMode:
    """Module-level switch read by every op; a class so ops can read one attribute quickly."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


grad_mode = _GradMode()


@contextmanager
def no_grad() -> Iterator[None]:
    """Context in which ops compute values but record no graph (like ``torch.no_grad()``)."""
    previous = grad_mode.enabled
    grad_mode.enabled = False
    try:
        yield
    finally:
        grad_mode.enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return grad_mode.enabled


def _count_consumers(root: Any) -> tuple[dict, dict]:
    """Walk down from ``root``: for each inner node (one with parents) count the edges into it from
    inner nodes above; collect the leaves apart, mapped to their current gradient."""
    consumers = {root: 0}
    leaves: dict = {}
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        for parent in pop()._prev:
            if parent._prev:
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    push(parent)
            else:  # nothing changes a grad during this walk, so storing a leaf twice stores the same
                leaves[parent] = parent.grad
    return consumers, leaves


def _kahn_order(root: Any, consumers: dict) -> list:
    """Inner nodes from ``root`` down, each only after every node that consumes it (Kahn's algorithm).

    This is the order in which backward closures must run: a node's gradient is complete once
    all its consumers have added into it. ``consumers`` is used up.
    """
    order: list = []
    ready = [root]
    pop, push, add = ready.pop, ready.append, order.append
    while ready:
        node = pop()
        add(node)
        for parent in node._prev:
            if parent._prev:
                left = consumers[parent] - 1
                if left:
                    consumers[parent] = left
                else:
                    push(parent)
    return order


def backward_order(root: Any) -> list:
    """The nodes whose backward function runs, in the order ``backward()`` runs them."""
    if not root._prev:
        return []
    return _kahn_order(root, _count_consumers(root)[0])


def topological_order(root: Any) -> list:
    """Every node reachable from ``root``, each after all of its parents (leaves first, root last)."""
    if not root._prev:
        return [root]
    consumers, leaves = _count_consumers(root)
    order = _kahn_order(root, consumers)
    order.reverse()
    return list(leaves) + order


def iter_backward(root: Any, seed: Any) -> Iterator[Any]:
    """Run reverse-mode autodiff from ``root`` seeded with ``seed``, yielding each node after its backward ran.

    Intermediate nodes (those with parents) restart from zero, so repeated runs give exactly the
    sum of the individual runs at the leaves -- leaves accumulate, like PyTorch. Leaves collect this
    pass's gradient from zero and get their old one added back at the end, so two passes give exactly
    twice one pass (old + new, not old + each contribution in turn). Drawings step through this
    generator to show the backward pass one closure at a time.
    """
    if root._op and not root._prev:
        raise RuntimeError(
            f"backward() on a node of op {root._op!r} that has no graph: it was computed under "
            "no_grad(), or only from inputs that need no gradient (detached, or requires_grad=False), "
            "so there is nothing to differentiate"
        )
    if not root._prev:  # backward() on a leaf: d(leaf)/d(leaf) = seed, nothing else to run
        root._add_grad(seed)
        return
    # The walk allocates only acyclic bookkeeping, but on a graph of millions of nodes each cyclic-GC
    # pass it triggers scans the whole graph: pausing the collector makes a 10^6-node backward ~2x faster.
    collecting = gc.isenabled()
    gc.disable()
    consumers, leaves = _count_consumers(root)
    for node in leaves:
        node.grad = node._GRAD_RESET
    for node in consumers:
        node.grad = node._GRAD_RESET
    root._add_grad(seed)
    try:
        for node in _kahn_order(root, consumers):
            node._backward(node)
            yield node
    finally:
        for node, previous in leaves.items():
            node._add_grad(previous)
        if collecting:
            gc.enable()


def backward(root: Any, seed: Any) -> None:
    """Run the whole backward pass from ``root`` (see ``iter_backward``)."""
    for _ in iter_backward(root, seed):
        pass
