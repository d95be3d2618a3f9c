"""Grouped drawings: a network's backward pass with one box per neuron (or per layer), layers as columns.

``draw_graph(loss, group="neuron")`` comes here. The groups come from the modules that made the
nodes (``groups.find_groups``); nodes no module made (the inputs, the loss) are drawn alone. An edge
between two boxes carries the sum of the gradients that flowed along the scalar edges it stands for,
coloured by what flowed: full, through the alpha slope, or zero. A unit that passed no gradient back
on this sample is grey; one whose activation input is <= 0 on every sample of ``dataset`` is dark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .explain import op_title
from .groups import Group, representative
from .look import (
    CURRENT_NODE,
    DIRECTION_RULE,
    EDGE,
    FORWARD_ONLY,
    LEAF,
    WAITING_EDGE,
    WAITING_NODE,
    Drawing,
    add_legend,
    edge_rows,
    legend_row,
    new_drawing,
    plain,
    plain_lines,
    record_field,
)
from .names import describe, number, shape_of, span
from .record import ALPHA, FULL, OFF, ZERO, Step, is_zero
from .said import group_grad

#: fill colours of a box, by what the unit did on this sample
STATE_LOOK = {
    "active": {"fillcolor": "#eaf2fb"},
    "alpha": {"fillcolor": "#fde7cc"},
    "silent": {"fillcolor": "#eeeeee", "fontcolor": "#707070", "color": "#a0a0a0"},
    "dead": {"fillcolor": "#4a4a4a", "fontcolor": "#ffffff", "color": "#222222"},
}
STATE_TEXT = {
    "active": "passes its gradient on",
    "alpha": "input <= 0: passes alpha x its gradient",
    "silent": "passed no gradient back on this sample",
    "dead": "activation input <= 0 on every sample",
}
_LABELLED_EDGES = 60  # a still picture past this many edges shows their numbers as tooltips; a page labels all


@dataclass
class GroupEdge:
    """One drawn edge between two boxes (or lone nodes): the scalar edges it stands for, summed."""

    tail: str
    head: str
    flows: list[Any] = field(default_factory=list)  # (child node, Flow) pairs, the child's closure sent it
    kind: str = FULL

    def carried(self, until: int | None = None, numbers: dict[Any, Any] | None = None) -> Any:
        """The gradient it carried to each input it reaches, summed per input: a number for one input, an
        array for several (None before any ran). ``until``: only the closures that ran by that step."""
        per_input: dict[int, Any] = {}
        for child, flow in self.flows:
            if until is None or numbers is None or numbers[id(child)] <= until:
                add_into(per_input, flow)
        return summed(per_input)

    def text(self, until: int | None = None, numbers: dict[Any, Any] | None = None) -> str:
        """Its label: the number it carried, or for several numbers their norm and share of zeros."""
        return carried_text(self.carried(until, numbers))


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


def carried_text(carried: Any) -> str:
    """A carried gradient as an edge's label: a number, or the norm and share of zeros of several."""
    if carried is None:
        return ""
    return number(carried) if np.size(carried) == 1 else describe(np.asarray(carried, dtype=float), True)


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
    if _units(group) == 1 and any(
        flow.kind == ALPHA for node in group.members for flow in step.flows.get(id(node), [])
    ):
        return "alpha"
    return "active"


def _units(group: Group) -> int:
    return len(group.outputs) if len(group.outputs) > 1 else int(np.size(group.output.data))


def alpha_share(group: Group, step: Step) -> float:
    """The share of a group's units whose activation input was <= 0 (on the alpha side) on this sample."""
    shares: list[float] = [flow.alpha_share for node in group.members for flow in step.flows.get(id(node), [])]
    if len(group.outputs) > 1:
        return sum(share > 0 for share in shares) / len(group.outputs)
    return float(max(shares, default=0.0))


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


def group_label(
    group: Group,
    grad: Any,
    state: str,
    dead: np.ndarray | None,
    alpha: float = 0.0,
    grad_text: str | None = None,
    names: dict[Any, Any] | None = None,
    step_text: str | None = None,
) -> str:
    """The text of a box: its title, what it computed (by the names of its outputs), its gradient (or
    ``grad_text``), the steps that ran in it (``step_text``, on a page) and what its units did."""
    out = group.output
    lines = [group.title]
    said = (lambda node: names[id(node)]) if names is not None else (lambda node: "output")
    if len(group.outputs) > 1:  # a layer of scalar neurons: its outputs as one vector
        data = np.array([o.data for o in group.outputs])
        outputs = span([said(o) for o in group.outputs]) if names is not None else f"{len(group.outputs)} units"
        lines.append(f"{outputs}: {len(group.outputs)} units, data {describe(data, is_grad=False)}")
    else:
        lines.append(
            f"{said(out)} = {op_title(out) or 'leaf'}{' ' + shape_of(out) if shape_of(out) else ''}, "
            f"data {describe(out.data, is_grad=False)}"
        )
    lines.append(grad_text or f"grad {describe(grad, is_grad=True)}")
    if step_text is not None:
        lines.append(step_text)
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
    return plain_lines(lines)


def box_word(groups: list[Group], group: str | None) -> str:
    """What one box of a grouped drawing is: a Tensor network's boxes are layers whatever was asked."""
    return "layer" if groups and isinstance(groups[0].output.data, np.ndarray) else str(group)


def _divided(node: Any, hidden: set[int]) -> str | None:
    """How a box says a division by a count that is not drawn: '/ 100 (the mean)'."""
    if node._op == "/" and len(node._prev) == 2 and id(node._prev[1]) in hidden:
        return f"/ {number(node._prev[1].data)} (the mean)"
    return None


def node_label(
    node: Any,
    name: str,
    grad: Any,
    order: int | None = None,
    so_far: bool = False,
    grad_text: str | None = None,
    op: str | None = None,
    across: str = "LR",
) -> str:
    """A lone node's record: [#k |] name | op (or ``op``) | [shape |] data | grad (or ``grad_text``), its fields
    side by side whichever way the picture runs (``across``)."""
    fields = [f"#{order}"] if order else []
    fields.append(name)
    fields.append(op or op_title(node) or LEAF)
    if shape_of(node):
        fields.append(shape_of(node))
    fields.append(f"data {describe(node.data, is_grad=False)}")
    fields.append(grad_text or f"grad {describe(grad, is_grad=True)}" + (" so far" if so_far else ""))
    fields_text = " | ".join(record_field(f) for f in fields)
    return "{ " + fields_text + " }" if across == "LR" else fields_text


def draw_grouped(
    nodes: list[Any],
    groups: list[Group],
    names: dict[Any, Any],
    step: Step,
    seed: Any,
    title: str,
    dead: dict[Any, Any],
    backward: bool = True,
    grad_texts: dict[str, str] | None = None,
    rankdir: str | None = None,
    page: dict[str, Any] | None = None,
) -> Drawing:
    """The grouped picture of ``step`` (a whole pass, or the pass so far): one box per group, columns by layer.

    In a backward picture an edge that carried a gradient has its arrowhead at the input that received it
    (``dir=back`` on the forward edge, so the layout still reads from the inputs to the loss); an edge
    nothing has flowed on yet is thin, grey and has no arrowhead. ``grad_texts`` (DOT name -> text) sizes
    a box for the longest gradient text a page will write into it. ``page`` (for the explorer) may hold
    "steps" (group key -> the longest step line its box will show), "hidden" (ids of nodes not drawn: a
    mean's count), "fold" (the column whose heading folds an expanded layer back) and "open" (a box left out of
    ``groups`` and drawn opened in place: its nodes in a frame under a heading that folds it back).
    """
    page = page or {}
    hidden: set[int] = page.get("hidden", set())
    owner = representative(groups)
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes)}  # by place in the whole graph, as a page's data
    nodes = [node for node in nodes if id(node) not in hidden]
    reached = {id(nodes[-1])} | {id(p) for node in nodes if id(node) in step.numbers for p in node._prev}
    scalar_neurons = any(len(g.outputs) == 1 and np.size(g.output.data) == 1 for g in groups)
    # a Tensor network is a short chain of wide boxes: top to bottom reads better than a thin strip
    across = rankdir or ("LR" if scalar_neurons or not groups else "TB")
    drawing = new_drawing("grouped", across, title)
    # top to bottom, the ranks are rows of the stage's shorter side: kept close, so the whole network fits it
    ranksep = "1.1" if across == "LR" and scalar_neurons else "0.3" if across == "LR" else "0.12"
    drawing.attr(ranksep=ranksep, nodesep="0.12", newrank="true")
    columns: dict[int, list[Group]] = {}
    for group in groups:
        columns.setdefault(group.column, []).append(group)
    for column, members in sorted(columns.items()):
        with drawing.subgraph(name=f"col{column}") as sub:
            sub.attr(rank="same")
            chain = [group.key for group in members]
            if scalar_neurons and len(members) > 1:  # a heading node on top, not a cluster: clusters reorder
                heading = f"layer {column}" + (": click here to fold" if page.get("fold") == column else "")
                sub.node(f"layer{column}", plain(heading), shape="plaintext", fontsize="11")
                chain.insert(0, f"layer{column}")
            for group in members:
                grad = (
                    group_grad(group, step.grads)
                    if backward
                    else group_grad(group, {id(n): n.grad for n in group.outputs})
                )
                state = unit_state(group, step, dead.get(id(group))) if backward else "active"
                text = (grad_texts or {}).get(group.key)
                label = group_label(
                    group,
                    grad,
                    state,
                    dead.get(id(group)),
                    alpha_share(group, step),
                    text,
                    names,
                    page["steps"].get(group.key) if "steps" in page else None,
                )
                look = dict(STATE_LOOK[state])
                if backward and not any(id(o) in reached for o in group.outputs):  # no gradient reached it yet
                    look.update(fontcolor="#9a9a9a", color="#c8c8c8")
                if step.current is not None and any(m is step.current for m in group.members):
                    look.update(color="#b07d00", penwidth="3")  # its closure just ran
                sub.node(
                    group.key, label, shape="box", style="rounded,filled", fontsize="9", margin="0.06,0.03", **look
                )
            for tail, head in zip(chain, chain[1:]):  # invisible links keep a column in its numeric order
                sub.edge(tail, head, style="invis")
    opened = page.get("open")
    inside = {id(node) for node in opened.members} if opened is not None else set()
    if opened is not None:
        with drawing.subgraph(name="cluster_open") as box:
            box.attr(color="#1f5fa8", penwidth="2", style="rounded", label="")
            heading = plain(f"{opened.title}: click here to fold")
            box.node(f"fold-{opened.key}", heading, shape="plaintext", fontsize="11")
    for node in nodes:
        if id(node) in owner:
            continue
        grad = step.grads.get(id(node)) if backward else node.grad
        look = {}
        if not node._prev and not names[id(node)].startswith("x"):
            look = {"color": "#b0b0b0", "fontcolor": "#606060"}
        if backward and id(node) not in reached:
            look = dict(WAITING_NODE)
        if node is step.current:
            look = dict(CURRENT_NODE)
        text = (grad_texts or {}).get(dot[id(node)])
        op = _divided(node, hidden)
        label = node_label(node, names[id(node)], grad, grad_text=text, op=op, across=across)
        if id(node) in inside:
            with drawing.subgraph(name="cluster_open") as box:
                box.node(dot[id(node)], label, **look)
        else:
            drawing.node(dot[id(node)], label, **look)
    edges = group_edges(nodes, owner, {k: v for k, v in dot.items() if k not in hidden}, step)
    labelled = bool(page) or len(edges) <= _LABELLED_EDGES
    for edge in edges:
        text = edge.text()
        if backward:
            look = dict(EDGE[edge.kind], dir="back") if edge.kind and edge.kind != OFF else dict(WAITING_EDGE)
        else:
            look = {}
        if not labelled:
            look.pop("fontcolor", None)
        drawing.edge(
            edge.tail,
            edge.head,
            label=plain(text) if labelled and text and backward else None,
            tooltip=plain(f"gradient carried: {text}") if text and not labelled else None,
            **look,
        )
    if backward:
        root = nodes[-1]
        drawing.node("seed", plain(f"seed {describe(seed, is_grad=True)}"), shape="plaintext")
        drawing.edge(dot_name(root, owner, dot), "seed", dir="back", **EDGE[FULL])
        _group_legend(
            drawing,
            {e.kind for e in edges if e.kind} | {FULL},
            {unit_state(g, step, dead.get(id(g))) for g in groups},
            any(not e.kind or e.kind == OFF for e in edges),
            groups[len(groups) // 2].key if across == "TB" and groups else "seed",  # TB: beside the layers
        )
    return drawing


def _group_legend(drawing: Drawing, kinds: set[Any], states: set[Any], waiting: bool, beside: str) -> None:
    rows = edge_rows(kinds - {OFF}) + legend_row("◀━━", DIRECTION_RULE)
    if waiting:
        rows += legend_row("───", FORWARD_ONLY, WAITING_EDGE["color"])
    rows += "".join(legend_row(" ", STATE_TEXT[s], fill=STATE_LOOK[s]["fillcolor"]) for s in STATE_LOOK if s in states)
    add_legend(drawing, rows, beside=beside)
