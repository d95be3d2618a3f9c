"""The first stage of every picture: what a backward pass did, worked out without touching the graph. One pass
is run on the side (``record``): the state after each closure, and each closure's local derivatives.

Everything here saves every ``.grad`` it may change and puts it back exactly (same object, same
contents), so drawing a graph never changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import checks
from ..engine.graph import backward, topological_order

# Edge kinds, by what flowed along the edge in the backward pass; OFF: the parent asked for no
# gradient (a Tensor with requires_grad=False), so its closure skipped it.
FULL, ALPHA, ZERO, OFF = "full", "alpha", "zero", "off"


def nodes_within(root: Any, max_nodes: int, hint: bool = False) -> list[Any]:
    """Every node of ``root``'s graph, leaves first, or a ValueError if there are more than ``max_nodes``
    (``hint``: the message suggests drawing it grouped, as a drawing can). A root that is not a node, or a
    ``max_nodes`` that is not a positive int, is an error that says so."""
    if not hasattr(root, "_prev"):
        raise TypeError(
            f"the root to draw must be a Value or a Tensor (a node of a graph), got {type(root).__name__} {root!r}"
        )
    checks.count(max_nodes, "max_nodes")
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        grouped = '; a network made of modules draws one box per neuron with group="neuron"' if hint else ""
        raise ValueError(
            f"this graph has {len(nodes)} nodes, more than max_nodes={max_nodes}{grouped}; or pass "
            f"max_nodes={len(nodes)} (or more) to draw it anyway -- graphviz gets slow and the picture hard to "
            "read past a few hundred nodes"
        )
    return nodes


def _copy(grad: Any) -> Any:
    """A copy of a gradient that later in-place additions cannot reach."""
    return grad.copy() if isinstance(grad, np.ndarray) else grad


class _Kept:
    """Every node's gradient object and a copy of its contents, put back exactly when the with-block ends."""

    def __init__(self, nodes: Any) -> None:
        self.saved = [(node, node.grad, _copy(node.grad)) for node in nodes]

    def __enter__(self) -> _Kept:
        return self

    def __exit__(self, *exc: object) -> None:
        for node, grad, contents in self.saved:
            if isinstance(grad, np.ndarray) and grad.flags.writeable:
                grad[...] = contents
            node.grad = grad


def distinct_parents(out: Any) -> list[Any]:
    """``out``'s parents in order, each once (by identity: a Tensor's == is elementwise)."""
    return list({id(node): node for node in out._prev}.values())


def uses(out: Any, parent: Any) -> int:
    """How many of ``out``'s inputs are ``parent`` (2 for a * a)."""
    return sum(p is parent for p in out._prev)


def _unit_seed(node: Any) -> Any:
    """1 in the shape of the node: the seed that makes a closure hand out its local derivatives."""
    if isinstance(node.data, np.ndarray):
        return np.ones_like(node.data, dtype=np.float64)
    return 1.0


def default_seed(root: Any) -> Any:
    """What ``backward()`` seeds the root with: 1 for a scalar; a non-scalar Tensor needs it given."""
    data = root.data
    if not isinstance(data, np.ndarray):
        return 1.0
    if data.size != 1:
        raise ValueError(
            f"the root is a Tensor of shape {data.shape}, not a scalar: pass seed= (an array of that shape, "
            "the gradient backward() would be given), or draw a scalar such as out.sum()"
        )
    return np.ones_like(data, dtype=np.float64)


@dataclass
class Flow:
    """One edge of the backward pass: from ``out``'s closure into ``parent``."""

    parent: Any
    uses: int  # how many of out's inputs are this parent (2 for a * a)
    local: Any  # d(out)/d(parent): the closure's output for an upstream gradient of 1
    carried: Any  # what the closure added into parent.grad in the pass
    kind: str  # FULL, ALPHA or ZERO
    alpha_share: float  # fraction of entries that went through the slope (0 or 1 for a scalar)
    scalar: bool  # out and parent hold one number each, so local is a plain derivative, not a Jacobian


def _alpha_share(out: Any, parent: Any) -> float:
    """Fraction of the input's entries on the slope side of a leaky_relu/prelu (input <= 0), else 0."""
    if out._op not in ("leaky_relu", "prelu") or parent is not out._prev[0]:
        return 0.0
    return float(np.mean(np.asarray(parent.data) <= 0))


def _run_alone(out: Any, parents: list[Any], upstream: Any) -> list[Any]:
    """Run ``out``'s closure by itself with ``upstream`` as its gradient; what it adds into each parent."""
    for parent in parents:
        parent.zero_grad()
    out.grad = upstream
    out._backward(out)
    return [_copy(parent.grad) for parent in parents]


def local_flows(out: Any) -> list[Flow]:
    """Each distinct parent of ``out`` with its local derivative and the gradient ``out.grad`` carried to it.

    The closure is run alone twice (upstream 1, then upstream ``out.grad``) with the parents' gradients
    zeroed; a parent used twice (a * a) collects both contributions, as in the real pass. Every
    gradient touched is restored afterwards.
    """
    parents = distinct_parents(out)
    upstream = _copy(out.grad)
    with _Kept(parents + [out]):
        local = _run_alone(out, parents, _unit_seed(out))
        carried = _run_alone(out, parents, upstream)
    flows = []
    for parent, d, g in zip(parents, local, carried):
        share = _alpha_share(out, parent)
        if not getattr(parent, "requires_grad", True):
            kind = OFF
        else:
            kind = ZERO if is_zero(g) else ALPHA if share > 0 else FULL
        scalar = np.size(out.data) == 1 and np.size(parent.data) == 1
        flows.append(Flow(parent, uses(out, parent), d, g, kind, share, scalar))
    return flows


def is_zero(grad: Any) -> bool:
    """True if nothing flowed: the gradient is missing or every entry is exactly 0."""
    return grad is None or not np.any(grad)


@dataclass
class Step:
    """The graph after some backward closures ran: what a frame shows."""

    numbers: dict[Any, Any] = field(default_factory=dict)  # id(node) -> when its closure ran (1 = first)
    flows: dict[Any, Any] = field(default_factory=dict)  # id(node) -> [Flow] for the closures that ran
    grads: dict[Any, Any] = field(default_factory=dict)  # id(node) -> its gradient at this point
    current: Any = None  # the node whose closure just ran


def trace_backward(root: Any, nodes: list[Any], seed: Any, every_step: bool) -> list[Step]:
    """Run one backward pass from ``root`` on the side; the Steps after each closure (or only the last).

    The gradients shown are those of this pass alone (leaves start from zero), and every ``.grad`` of
    the graph is put back as it was before, so the drawing changes nothing.
    """
    inner = sum(1 for node in nodes if node._prev)
    steps: list[Step] = []
    numbers: dict[Any, Any] = {}
    flows: dict[Any, Any] = {}

    def record(node: Any) -> None:  # called by the walker after each closure
        numbers[id(node)] = len(numbers) + 1
        flows[id(node)] = local_flows(node)
        if every_step or len(numbers) == inner:
            if steps and every_step:  # a closure changes only its inputs' gradients
                grads = dict(steps[-1].grads)
                grads.update((id(p), _copy(p.grad)) for p in node._prev)
            else:
                grads = {id(n): _copy(n.grad) for n in nodes}
            steps.append(Step(dict(numbers), dict(flows), grads, node))

    alone = Step(grads={id(root): _copy(seed)})  # a leaf's: no closure runs, its gradient is just the seed
    with _Kept(nodes):
        backward(root, seed, after=record)  # its own clean-up (old leaf gradients added back) runs before ours
    return steps or [alone]


@dataclass
class Recording:
    """What one backward pass from ``root`` did: its graph's nodes (leaves first, the root last), the seed, and the
    state after each closure ran (``steps``; one step with no closure if the root is a leaf)."""

    root: Any
    nodes: list[Any]
    seed: Any
    steps: list[Step]

    @property
    def final(self) -> Step:
        """The whole pass, with no closure standing out."""
        return replace(self.steps[-1], current=None)


def record(
    root: Any, seed: Any = None, max_nodes: int | None = None, hint: bool = False, every_step: bool = True
) -> Recording:
    """One backward pass from ``root`` run on the side, seeded with ``seed`` (what ``backward()`` would use if
    None): every step (or, ``every_step=False``, only the last). A graph over ``max_nodes`` nodes is refused
    as ``nodes_within`` says."""
    seed = default_seed(root) if seed is None and hasattr(root, "_prev") else seed
    nodes = nodes_within(root, 10**9 if max_nodes is None else max_nodes, hint)
    return Recording(root, nodes, seed, trace_backward(root, nodes, seed, every_step))
