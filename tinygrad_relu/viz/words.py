"""How the screen writes what a pass did: a number in at most 4 digits, an array as a short summary, a run of
names once, and from them the text of every box, lone node, edge and details pane. It is given the numbers
(``flows.py``) and the ops' words (``explain.py``) and only writes them; the drawings arrange its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .flows import Flowed
from .groups import Group
from .record import OFF, Step

LEAF = "leaf"  # the one word for a node no op made (an input, a weight, a constant)
NO_GRAD = "–"  # what a gradient shows before any closure has sent it one
STATE_TEXT = {
    "active": "passes its gradient on",
    "alpha": "input <= 0: passes alpha x its gradient",
    "silent": "passed no gradient back on this sample",
    "dead": "activation input <= 0 on every sample",
}


def number(x: Any) -> str:
    """A number (or a one-element array) in at most 4 significant digits (0 for -0; "none" for no gradient)."""
    if x is None:
        return "none"
    x = float(np.reshape(x, -1)[0])
    return "0" if x == 0 else f"{x:.4g}"


def describe(x: Any, is_grad: bool) -> str:
    """A number as itself; an array as a short summary, never all its entries."""
    if x is None:
        return "none"
    if not isinstance(x, np.ndarray):
        return number(x)
    if x.size == 1:
        return number(x)
    if x.size == 0:
        return "empty"
    if is_grad:
        return f"norm {number(np.linalg.norm(x))}, {np.mean(x == 0):.0%} zero"
    return f"mean {number(x.mean())}, range [{number(x.min())}, {number(x.max())}]"


def shape_of(node: Any) -> str:
    """'shape (2, 3)' for a Tensor holding more than one number, else ''."""
    data = node.data
    if isinstance(data, np.ndarray) and data.size != 1:
        return f"shape {data.shape}"
    return ""


def span(names: list[str]) -> str:
    """Names that differ only in their last number said once: 'h2_1..h2_16'; others listed, at most three."""
    if len(names) <= 3:
        return ", ".join(names)
    head = names[0].rsplit("_", 1)[0] if "_" in names[0] else names[0].rstrip("0123456789")
    if all(name.startswith(head) for name in names):
        return f"{names[0]}..{names[-1]}"
    return ", ".join(names[:3]) + f" and {len(names) - 3} more"


def carried_text(carried: Any) -> str:
    """A carried gradient as an edge's label: a number, or the norm and share of zeros of several."""
    if carried is None:
        return ""
    return number(carried) if np.size(carried) == 1 else describe(np.asarray(carried, dtype=float), True)


def grad_text(grad: Any, complete: bool) -> str:
    """A gradient as a box shows it during a pass: '–' before any, and 'so far' while closures will add to it."""
    if grad is None:
        return NO_GRAD
    return describe(grad, is_grad=True) + ("" if complete else " so far")


def histogram(grad: Any) -> dict[Any, Any] | None:
    """Ten bins of a Tensor's gradient, and the share of its entries that are exactly zero."""
    if not isinstance(grad, np.ndarray) or grad.size <= 1:
        return None
    values = grad[np.isfinite(grad)]
    if values.size == 0:
        return None
    counts, edges = np.histogram(values, bins=10)
    zero = float(np.mean(grad == 0))
    return {"counts": counts.tolist(), "lo": number(edges[0]), "hi": number(edges[-1]), "zero": zero}


def box_word(groups: list[Group], group: str | None) -> str:
    """What one box of a grouped drawing is: a Tensor network's boxes are layers whatever was asked."""
    return "layer" if groups and isinstance(groups[0].output.data, np.ndarray) else str(group)


def box_lines(
    group: Group,
    op: str,
    grad: Any,
    state: str,
    dead: np.ndarray | None,
    alpha: float = 0.0,
    grad_line: str | None = None,
    names: dict[Any, Any] | None = None,
    step_line: str | None = None,
) -> list[str]:
    """The lines of a box: its title, what it computed (by the names of its outputs; ``op``: its output's op), its
    gradient (or ``grad_line``), the steps that ran in it (``step_line``, on a page) and what its units did."""
    out = group.output
    lines = [group.title]
    said = (lambda node: names[id(node)]) if names is not None else (lambda node: "output")
    if len(group.outputs) > 1:  # a layer of scalar neurons: its outputs as one vector
        data = np.array([o.data for o in group.outputs])
        outputs = span([said(o) for o in group.outputs]) if names is not None else f"{len(group.outputs)} units"
        lines.append(f"{outputs}: {len(group.outputs)} units, data {describe(data, is_grad=False)}")
    else:
        shape = shape_of(out)
        lines.append(f"{said(out)} = {op}{' ' + shape if shape else ''}, data {describe(out.data, is_grad=False)}")
    lines.append(grad_line or f"grad {describe(grad, is_grad=True)}")
    if step_line is not None:
        lines.append(step_line)
    params = [
        f"{n.label} {n.data.shape}" for n in group.members if not n._prev and n.label and isinstance(n.data, np.ndarray)
    ]
    if params:  # a Tensor layer: its weight arrays by name
        lines.insert(1, ", ".join(params))
    if dead is not None and dead.size > 1 and dead.any():
        lines.append(f"{int(dead.sum())} of {dead.size} units <= 0 on every sample")
    elif state != "active":
        lines.append(STATE_TEXT[state])
    elif alpha > 0:
        lines.append(f"{alpha:.0%} of units on the alpha side (input <= 0)")
    return lines


def node_fields(node: Any, name: str, op: str, grad: Any, grad_line: str | None = None) -> list[str]:
    """A lone node's record fields: name | op | [shape |] data | grad (or ``grad_line``)."""
    fields = [name, op]
    if shape_of(node):
        fields.append(shape_of(node))
    return fields + [f"data {describe(node.data, is_grad=False)}", grad_line or f"grad {describe(grad, is_grad=True)}"]


def divided(node: Any, hidden: set[int]) -> str | None:
    """How a box says a division by a count that is not drawn: '/ 100 (the mean)'."""
    if node._op == "/" and len(node._prev) == 2 and id(node._prev[1]) in hidden:
        return f"/ {number(node._prev[1].data)} (the mean)"
    return None


@dataclass
class Words:
    """What one picture says, ready to be arranged: each box's lines (group key -> lines), each lone node's record
    fields (DOT name -> fields), each edge's label ("tail->head" -> text) and the seed's."""

    boxes: dict[str, list[str]]
    nodes: dict[str, list[str]]
    edges: dict[str, str]
    seed: str


def picture_words(
    nodes: list[Any],
    groups: list[Group],
    names: dict[int, str],
    ops: dict[int, str],
    flowed: Flowed | None,
    step: Step,
    seed: Any,
    dead: dict[Any, Any],
    backward: bool = True,
    page: dict[str, Any] | None = None,
) -> Words:
    """Every text of the picture of ``nodes`` drawn as ``groups``, at ``step`` (``flowed``: what flowed between its
    boxes, None for a graph drawn node by node, whose every edge says what it carried; ``ops``: id(node) -> its op's
    title). ``page`` (for the explorer) may hold "widest" (DOT name -> the longest
    gradient text a step writes into it), "steps" (group key -> the longest step line) and "hidden" (the ids of
    the nodes not drawn: a mean's count)."""
    page = page or {}
    widest, step_lines, hidden = page.get("widest", {}), page.get("steps", {}), page.get("hidden", set())
    boxes = (
        {}
        if flowed is None
        else {
            g.key: box_lines(
                g,
                ops[id(g.output)],
                flowed.grads[g.key],
                flowed.states[g.key],
                dead.get(id(g)),
                flowed.alphas[g.key],
                widest.get(g.key),
                names,
                step_lines.get(g.key),
            )
            for g in groups
        }
    )
    inside = {id(node) for g in groups for node in g.members}
    lone = {}
    for i, node in enumerate(nodes):
        if id(node) not in inside and id(node) not in hidden:
            grad = step.grads.get(id(node)) if backward else node.grad
            op = divided(node, hidden) or ops[id(node)]
            lone[f"n{i}"] = node_fields(node, names[id(node)], op, grad, widest.get(f"n{i}"))
    if flowed is None:
        edges = flow_words(nodes, step)
    else:
        edges = {f"{e.tail}->{e.head}": carried_text(e.carried()) for e in flowed.edges}
    return Words(boxes, lone, edges, f"seed {describe(seed, is_grad=True)}")


def flow_words(nodes: list[Any], step: Step) -> dict[str, str]:
    """ "n<parent>->n<child>" -> what each scalar edge of a graph drawn node by node carried."""
    index = {id(node): i for i, node in enumerate(nodes)}
    return {
        f"n{index[id(flow.parent)]}->n{index[id(node)]}": (
            number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
        )
        for node in nodes
        for flow in step.flows.get(id(node), [])
    }


def input_words(flow: Any, upstream: Any, place: int, why: str) -> dict[str, Any]:
    """What the details pane says of one input (at ``place``) of a node: what its closure sent it, and ``why``."""
    local = number(flow.local) if flow.scalar else "a Jacobian (see the histogram of what it carried)"
    carried = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
    product = (
        f"{number(upstream)} × {number(flow.local)} = {carried}"
        if flow.scalar
        else f"upstream {describe(upstream, is_grad=True)} → {carried}"
    )
    return {
        "p": place,
        "local": local,
        "why": why,
        "chain": product if flow.kind != OFF else "no gradient asked for",
        "kind": flow.kind,
        "uses": flow.uses,
    }


def about(group: Group, names: dict[Any, Any]) -> str:
    """What a group's box holds, for the details panel."""
    if isinstance(group.output.data, np.ndarray):
        return f"{len(group.members)} Tensor nodes: " + ", ".join(names[id(m)] for m in group.members)
    outputs = span([names[id(o)] for o in group.outputs])
    return f"{len(group.members)} scalar nodes, its output{'s' if len(group.outputs) > 1 else ''} {outputs}"


def node_words(
    node: Any, name: str, op: str, ran: int, group: str | None, inputs: list[Any], parents: list[int]
) -> dict[str, Any]:
    """What the details pane says of a node: its name, op, shape, data, when its closure ran, its box, its inputs."""
    return {
        "name": name,
        "op": op,
        "label": node.label,
        "shape": str(np.shape(node.data)) if shape_of(node) else "",
        "data": describe(node.data, is_grad=False),
        "ran": ran,
        "group": group,
        "inputs": inputs,
        "parents": parents,
    }
