"""What flowed between the boxes of a picture, in numbers: the edges between boxes (each the sum of the scalar
edges it stands for, and its kind: full, through the slope alpha, zero or none asked for), what each unit did on
this sample, and the gradient each box and edge held after every step. No text: ``words.py`` says it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .groups import Group
from .record import ALPHA, FULL, OFF, ZERO, Recording, Step, is_zero


@dataclass
class GroupEdge:
    """One drawn edge between two boxes (or lone nodes): the scalar edges it stands for, summed."""

    tail: str
    head: str
    flows: list[Any] = field(default_factory=list)  # (child node, Flow) pairs, the child's closure sent it
    kind: str = FULL

    def carried(self) -> Any:
        """The gradient it carried to each input it reaches, summed per input: a number for one input, an
        array for several (None before any ran)."""
        per_input: dict[int, Any] = {}
        for _, flow in self.flows:
            add_into(per_input, flow)
        return summed(per_input)


def add_into(per_input: dict[int, Any], flow: Any) -> None:
    """Add what ``flow`` carried to its input's running sum."""
    if flow.carried is not None:
        key = id(flow.parent)
        per_input[key] = flow.carried if key not in per_input else per_input[key] + flow.carried


def summed(per_input: dict[int, Any]) -> Any:
    """The running sums as one number (one input) or one array (several), None if nothing was carried."""
    values = list(per_input.values())
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if all(np.size(v) == 1 for v in values):
        return np.array([float(np.reshape(v, -1)[0]) for v in values])
    return np.concatenate([np.reshape(v, -1) for v in values])


def dot_name(node: Any, owner: dict[Any, Any], dot: dict[Any, Any]) -> str:
    """The DOT name a node is drawn under: its group's key, or its own n<k> (k: its place in the forward order)."""
    group = owner.get(id(node))
    return str(group.key if group is not None else dot[id(node)])


def unit_state(group: Group, step: Step, dead: np.ndarray | None) -> str:
    """What a group's unit(s) did: "dead", "silent", "alpha" or "active" (the worst of a layer's units)."""
    if dead is not None and bool(np.all(dead)):
        return "dead"
    members = {id(node) for node in group.members}
    sent = [
        flow.carried
        for node in group.members
        for flow in step.flows.get(id(node), [])
        if id(flow.parent) not in members or not flow.parent._prev
    ]
    if sent and all(is_zero(g) for g in sent):
        return "silent"
    units = len(group.outputs) if len(group.outputs) > 1 else int(np.size(group.output.data))
    if units == 1 and any(flow.kind == ALPHA for node in group.members for flow in step.flows.get(id(node), [])):
        return "alpha"
    return "active"


def alpha_share(group: Group, step: Step) -> float:
    """The share of a group's units whose activation input was <= 0 (on the alpha side) on this sample."""
    shares: list[float] = [flow.alpha_share for node in group.members for flow in step.flows.get(id(node), [])]
    if len(group.outputs) > 1:
        return sum(share > 0 for share in shares) / len(group.outputs)
    return float(max(shares, default=0.0))


def group_grad(group: Group, grads: dict[Any, Any]) -> Any:
    """The gradient shown on a box: its output's, or the vector of a layer's neuron outputs."""
    if len(group.outputs) > 1:
        values = [grads.get(id(o)) for o in group.outputs]
        return None if all(v is None for v in values) else np.array([0.0 if v is None else v for v in values])
    return grads.get(id(group.output))


def group_edges(nodes: list[Any], owner: dict[Any, Any], dot: dict[Any, Any], step: Step) -> list[GroupEdge]:
    """The edges between boxes, each the sum of the scalar edges between their members."""
    edges: dict[tuple[str, str], GroupEdge] = {}
    for node in nodes:
        if not node._prev:
            continue
        head = dot_name(node, owner, dot)
        flows = step.flows.get(id(node))
        pairs = [(p, None) for p in dict.fromkeys(node._prev)] if flows is None else [(f.parent, f) for f in flows]
        pairs = [(parent, flow) for parent, flow in pairs if id(parent) in dot]
        for parent, flow in pairs:
            tail = dot_name(parent, owner, dot)
            if tail == head:
                continue
            edge = edges.setdefault((tail, head), GroupEdge(tail, head))
            if flow is not None:
                edge.flows.append((node, flow))
    states: dict[int, str] = {}  # id(group) -> its unit_state, worked out once
    for edge in edges.values():
        kinds = {flow.kind for _, flow in edge.flows}
        head_group = next((owner.get(id(child)) for child, _ in edge.flows), None)
        if head_group is not None and id(head_group) not in states:
            states[id(head_group)] = unit_state(head_group, step, None)
        if not edge.flows:
            edge.kind = ""
        elif kinds == {OFF}:
            edge.kind = OFF
        elif is_zero(edge.carried()):
            edge.kind = ZERO
        elif head_group is not None and states[id(head_group)] == "alpha":
            edge.kind = ALPHA
        else:
            edge.kind = FULL
    return list(edges.values())


@dataclass
class Flowed:
    """What flowed in one picture at one step, in numbers: its ``edges``, each box's gradient (``grads``), unit
    state and alpha share, the ids of the nodes a gradient has ``reached`` and whether the ``current`` closure ran
    in a box (group key -> bool)."""

    edges: list[GroupEdge]
    grads: dict[str, Any]
    states: dict[str, str]
    alphas: dict[str, float]
    reached: set[int]
    current: dict[str, bool]


def flowed(
    nodes: list[Any],
    groups: list[Group],
    owner: dict[int, Group],
    dot: dict[int, str],
    step: Step,
    dead: dict[Any, Any],
    backward: bool = True,
) -> Flowed:
    """What flowed in the picture of ``nodes`` drawn as ``groups`` (``owner``: id(node) -> its box) at ``step``; a
    forward picture (``backward=False``) shows each box's ``.grad`` as it is, and every unit active."""
    reached = {id(nodes[-1])} | {id(p) for node in nodes if id(node) in step.numbers for p in node._prev}
    grads = {
        g.key: group_grad(g, step.grads) if backward else group_grad(g, {id(n): n.grad for n in g.outputs})
        for g in groups
    }
    states = {g.key: unit_state(g, step, dead.get(id(g))) if backward else "active" for g in groups}
    current = {g.key: step.current is not None and any(m is step.current for m in g.members) for g in groups}
    edges = group_edges(nodes, owner, dot, step)
    return Flowed(edges, grads, states, {g.key: alpha_share(g, step) for g in groups}, reached, current)


def edge_changes(edges: list[GroupEdge], numbers: dict[Any, Any]) -> dict[str, list[Any]]:
    """ "tail->head" -> [[step, carried]] for each edge: what it had carried after each step that added to it."""
    found: dict[str, list[Any]] = {}
    for edge in edges:
        by_step: dict[int, list[Any]] = {}
        for child, flow in edge.flows:
            by_step.setdefault(numbers[id(child)], []).append(flow)
        per_input: dict[int, Any] = {}
        changes = []
        for k in sorted(by_step):
            for flow in by_step[k]:
                add_into(per_input, flow)
            changes.append([k, summed(per_input)])
        found[f"{edge.tail}->{edge.head}"] = changes
    return found


def grad_changes(recording: Recording, within: dict[int, list[Group]], every: list[Group]) -> dict[str, list[Any]]:
    """For each node (``n<k>``) and box, [[step, gradient, complete]] at every step where its gradient changes
    (``complete``: no closure still to run will add to it)."""
    nodes, steps, seed = recording.nodes, recording.steps, recording.seed
    index = {id(node): i for i, node in enumerate(nodes)}
    users: dict[int, list[Any]] = {id(node): [] for node in nodes}
    for node in nodes:
        for parent in dict.fromkeys(node._prev):
            users[id(parent)].append(node)
    ran_at = {id(step.current): k for k, step in enumerate(steps, 1)}
    complete_at = {id(n): max((ran_at.get(id(u), 0) for u in users[id(n)]), default=0) for n in nodes}
    root = nodes[-1]
    changes: dict[str, list[Any]] = {f"n{index[id(node)]}": [[0, None, False]] for node in nodes}
    changes[f"n{index[id(root)]}"] = [[0, seed, True]]
    for group in every:
        changes[group.key] = [[0, group_grad(group, {id(root): seed}), group.output is root]]
    for k, step in enumerate(steps, 1):
        touched: dict[int, Any] = {id(p): p for p in step.current._prev}
        for parent in touched.values():
            changes[f"n{index[id(parent)]}"].append([k, step.grads.get(id(parent)), complete_at[id(parent)] <= k])
        changed = {id(g): g for p in touched.values() for g in within.get(id(p), [])}
        for group in changed.values():
            done = all(complete_at[id(o)] <= k for o in group.outputs)
            changes[group.key].append([k, group_grad(group, step.grads), done])
    return changes
