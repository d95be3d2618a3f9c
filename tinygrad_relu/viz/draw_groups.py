"""Grouped drawings: a network's backward pass with one box per neuron (or per layer), layers as columns, and a
small graph node by node; laid out from what ``flows`` says flowed and the text ``words`` wrote, which this
module only arranges.

``draw_graph(loss, group="neuron")`` comes here, and so does every picture of an explorer page. An edge between
two boxes carries the sum of the gradients that flowed along the scalar edges it stands for, coloured by what
flowed: full, through the alpha slope, or zero. A unit that passed no gradient back on this sample is grey; one
whose activation input is <= 0 on every sample of ``dataset`` is dark.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .flows import Flowed
from .groups import Group
from .look import (
    CURRENT_NODE,
    DIRECTION_RULE,
    EDGE,
    FORWARD_ONLY,
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
from .record import FULL, OFF
from .words import STATE_TEXT, Words

#: fill colours of a box, by what the unit did on this sample
STATE_LOOK = {
    "active": {"fillcolor": "#eaf2fb"},
    "alpha": {"fillcolor": "#fde7cc"},
    "silent": {"fillcolor": "#eeeeee", "fontcolor": "#707070", "color": "#a0a0a0"},
    "dead": {"fillcolor": "#4a4a4a", "fontcolor": "#ffffff", "color": "#222222"},
}
_LABELLED_EDGES = 60  # a still picture past this many edges shows their numbers as tooltips; a page labels all


def draw_grouped(
    nodes: list[Any],
    groups: list[Group],
    owner: dict[int, Group],
    names: dict[Any, Any],
    flowed: Flowed,
    words: Words,
    current: Any,
    title: str,
    backward: bool = True,
    rankdir: str | None = None,
    page: dict[str, Any] | None = None,
) -> Drawing:
    """The grouped picture of a step (a whole pass, or the pass so far): one box per group, columns by layer, each
    box, lone node and edge labelled with ``words`` and looking as what ``flowed`` (``current``: the node whose
    closure just ran, if any).

    In a backward picture an edge that carried a gradient has its arrowhead at the input that received it
    (``dir=back`` on the forward edge, so the layout still reads from the inputs to the loss); an edge
    nothing has flowed on yet is thin, grey and has no arrowhead. ``page`` (for the explorer) may hold "hidden"
    (ids of nodes not drawn: a mean's count), "fold" (the column whose heading folds an expanded layer back) and
    "open" (a box left out of ``groups`` and drawn opened in place: its nodes in a frame under a heading that folds
    it back).
    """
    page = page or {}
    hidden: set[int] = page.get("hidden", set())
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes)}  # by place in the whole graph, as a page's data
    nodes = [node for node in nodes if id(node) not in hidden]
    reached = flowed.reached
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
                look = dict(STATE_LOOK[flowed.states[group.key]])
                if backward and not any(id(o) in reached for o in group.outputs):  # no gradient reached it yet
                    look.update(fontcolor="#9a9a9a", color="#c8c8c8")
                if flowed.current[group.key]:
                    look.update(color="#b07d00", penwidth="3")  # its closure just ran
                label = plain_lines(words.boxes[group.key])
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
        look = {}
        if not node._prev and not names[id(node)].startswith("x"):
            look = {"color": "#b0b0b0", "fontcolor": "#606060"}
        if backward and id(node) not in reached:
            look = dict(WAITING_NODE)
        if node is current:
            look = dict(CURRENT_NODE)
        fields = " | ".join(record_field(f) for f in words.nodes[dot[id(node)]])
        label = "{ " + fields + " }" if across == "LR" else fields  # side by side whichever way the picture runs
        if id(node) in inside:
            with drawing.subgraph(name="cluster_open") as box:
                box.node(dot[id(node)], label, **look)
        else:
            drawing.node(dot[id(node)], label, **look)
    labelled = bool(page) or len(flowed.edges) <= _LABELLED_EDGES
    for edge in flowed.edges:
        text = words.edges[f"{edge.tail}->{edge.head}"]
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
        drawing.node("seed", plain(words.seed), shape="plaintext")
        drawing.edge(owner[id(root)].key if id(root) in owner else dot[id(root)], "seed", dir="back", **EDGE[FULL])
        kinds = {e.kind for e in flowed.edges if e.kind} | {FULL}
        rows = edge_rows(kinds - {OFF}) + legend_row("◀━━", DIRECTION_RULE)
        if any(not e.kind or e.kind == OFF for e in flowed.edges):
            rows += legend_row("───", FORWARD_ONLY, WAITING_EDGE["color"])
        states = {flowed.states[g.key] for g in groups}
        rows += "".join(
            legend_row(" ", STATE_TEXT[s], fill=STATE_LOOK[s]["fillcolor"]) for s in STATE_LOOK if s in states
        )
        add_legend(drawing, rows, beside=groups[len(groups) // 2].key if across == "TB" and groups else "seed")
    return drawing


def draw_nodes(title: str, nodes: list[Any], words: Words | None, step: Any) -> Drawing:
    """A page's picture of a graph drawn node by node, labelled with ``words``, its legend beside the root.

    An edge that carried a gradient has its arrowhead at the input that received it (``dir=back``: the
    layout still reads from the inputs to the output); one that carried none has no arrowhead.
    """
    words = words or Words({}, {}, {}, "")
    drawing = new_drawing("view", "LR", title)
    index = {id(node): i for i, node in enumerate(nodes)}
    kinds: set[str] = set()
    for node in nodes:
        key = f"n{index[id(node)]}"
        drawing.node(key, " | ".join(record_field(f) for f in words.nodes[key]))
    for node in nodes:
        for flow in step.flows.get(id(node), []):
            tail, head = f"n{index[id(flow.parent)]}", f"n{index[id(node)]}"
            look = dict(EDGE[flow.kind], dir="back") if flow.kind != OFF else dict(EDGE[OFF])
            label = plain(words.edges[f"{tail}->{head}"]) if flow.kind != OFF else None
            drawing.edge(tail, head, label=label, **look)
            kinds.add(flow.kind)
        if id(node) not in step.flows:
            for parent in dict.fromkeys(node._prev):
                drawing.edge(f"n{index[id(parent)]}", f"n{index[id(node)]}", **WAITING_EDGE)
    rows = edge_rows(kinds) + legend_row("◀━━", DIRECTION_RULE) + legend_row("───", FORWARD_ONLY, "#b0b0b0")
    add_legend(drawing, rows, beside=f"n{index[id(nodes[-1])]}")
    return drawing
