"""The fourth stage of a page: its pictures laid out by the system ``dot``. The main picture at the level it opens
on, one more per layer box with that layer expanded in place into its neurons (the others pushed aside), and
each box's scalar nodes; with what every edge between boxes had carried after each step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .draw_groups import add_into, carried_text, draw_grouped, group_edges, summed
from .explain import op_title
from .groups import Boxes, Group
from .look import (
    DIRECTION_RULE,
    EDGE,
    FORWARD_ONLY,
    LEAF,
    WAITING_EDGE,
    GraphvizNotFoundError,
    add_legend,
    edge_rows,
    legend_row,
    new_drawing,
    plain,
    record_field,
)
from .names import describe, number, shape_of, short_title
from .record import OFF, Recording, Step
from .said import Said

VIEW_NODES = 4000  # past this many scalar nodes in the boxes that open, the page leaves their pictures out


@dataclass
class Pictures:
    """A page's pictures as SVG: ``levels`` (layer key, "" for the picture as opened -> SVG), ``views`` (the boxes
    that open onto their nodes, with their SVG), ``edges`` ("tail->head" -> [[step, label]]) and ``across``
    (which way the main picture runs to its root)."""

    levels: dict[str, str] = field(default_factory=dict)
    views: list[tuple[Group, str]] = field(default_factory=list)
    edges: dict[str, list[Any]] = field(default_factory=dict)
    across: str = "LR"
    left_out: str = ""  # the boxes whose nodes are not drawn, when drawing them would make the page too big


def lay_out(recording: Recording, boxes: Boxes, said: Said) -> Pictures:
    """Every picture of the page of ``recording``, drawn as ``boxes`` and labelled as ``said``."""
    nodes, final, names = recording.nodes, recording.final, said.names
    index = {id(node): i for i, node in enumerate(nodes)}
    owner = boxes.owner
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes) if id(node) not in boxes.hidden}
    page = {"hidden": boxes.hidden, "steps": said.step_lines}
    top = boxes.top
    # a layer level reads top to bottom, inputs first: the whole network fits the stage with readable text
    across = "TB" if boxes.level == "layer" else "LR" if top and np.size(top[0].output.data) == 1 else None
    keys, sources, edges = [""], [], []
    if top:
        keys += list(boxes.inner)
        for key, (groups, owners) in boxes.pictures.items():
            opened = {**page, "fold": next(g.column for g in top if g.key == key)} if key else page
            drawing = draw_grouped(
                nodes, groups, names, final, recording.seed, said.title, boxes.dead, True, said.widest, across, opened
            )
            sources.append(drawing.source)
            edges += group_edges(nodes, owners, dot, final)
    else:
        sources.append(_node_view(said.title, nodes, {}, names, index, final, owner, said.widest))
    fine = boxes.fine
    members = sum(len(g.members) for g in fine)
    views = fine if members <= VIEW_NODES else []
    for g in views:
        inside = {id(node) for node in g.members}
        outside = {id(p): p for node in g.members for p in node._prev if id(p) not in inside}
        sources.append(_node_view(g.title, g.members, outside, names, index, final, owner, said.widest))
    svgs = _svgs(sources)
    return Pictures(
        dict(zip(keys, svgs)),
        list(zip(views, svgs[len(keys) :])),
        _edge_texts(edges, final.numbers),
        "TB" if "rankdir=TB" in sources[0] else "LR",
        "" if views or not fine else f"{members} scalar nodes in {len(fine)} boxes",
    )


def _svgs(sources: list[str]) -> list[str]:
    """Every DOT source rendered to SVG by one run of ``dot`` (one process, not one per drawing)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError()
    done = subprocess.run([program, "-Tsvg"], input="\n".join(sources).encode("utf-8"), capture_output=True, check=True)
    svgs = re.findall(r"<svg.*?</svg>", done.stdout.decode("utf-8"), flags=re.S)
    if len(svgs) != len(sources):
        raise RuntimeError(f"dot drew {len(svgs)} pictures for {len(sources)} graphs")
    return svgs


def _edge_texts(edges: list[Any], numbers: dict[Any, Any]) -> dict[str, list[Any]]:
    """ "tail->head" -> [[step, label]] for each drawn edge: what it had carried after each step that added to it."""
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
            changes.append([k, carried_text(summed(per_input))])
        found[f"{edge.tail}->{edge.head}"] = changes
    return found


def _node_box(node: Any, name: str, grad: Any, grad_text: str | None) -> str:
    """A node of an expanded view: name, op, [shape,] data, grad (``grad_text``: the longest it will show)."""
    fields = [name, op_title(node) or LEAF]
    if shape_of(node):
        fields.append(shape_of(node))
    fields += [f"data {describe(node.data, is_grad=False)}", grad_text or f"grad {describe(grad, is_grad=True)}"]
    return " | ".join(record_field(f) for f in fields)


def _node_view(
    title: str,
    members: list[Any],
    stubs: dict[Any, Any],
    names: dict[Any, Any],
    index: dict[Any, Any],
    step: Step,
    owner: dict[Any, Any],
    grad_texts: dict[str, str],
) -> str:
    """DOT of scalar nodes: ``members`` as boxes, and ``stubs`` (outside nodes feeding them) as small labels.

    An edge that carried a gradient has its arrowhead at the input that received it (``dir=back``: the
    layout still reads from the inputs to the output); one that carried none has no arrowhead.
    """
    drawing = new_drawing("view", "LR", title)
    inside = {id(node) for node in members}
    kinds: set[str] = set()
    for node in stubs.values():
        drawing.node(
            f"s{index[id(node)]}", plain(stub_label(node, names, owner)), shape="plaintext", fontcolor="#606060"
        )
    for node in members:
        key = f"n{index[id(node)]}"
        drawing.node(key, _node_box(node, names[id(node)], step.grads.get(id(node)), grad_texts.get(key)))
    for node in members:
        for flow in step.flows.get(id(node), []):
            parent = flow.parent
            tail = f"n{index[id(parent)]}" if id(parent) in inside else f"s{index[id(parent)]}"
            text = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
            look = dict(EDGE[flow.kind], dir="back") if flow.kind != OFF else dict(EDGE[OFF])
            drawing.edge(tail, f"n{index[id(node)]}", label=plain(text) if flow.kind != OFF else None, **look)
            kinds.add(flow.kind)
        if id(node) not in step.flows:
            for parent in dict.fromkeys(node._prev):
                tail = f"n{index[id(parent)]}" if id(parent) in inside else f"s{index[id(parent)]}"
                drawing.edge(tail, f"n{index[id(node)]}", **WAITING_EDGE)
    if not stubs:  # the main picture of a graph drawn node by node: the legend says how to read its edges
        rows = edge_rows(kinds) + legend_row("◀━━", DIRECTION_RULE) + legend_row("───", FORWARD_ONLY, "#b0b0b0")
        add_legend(drawing, rows, beside=f"n{index[id(members[-1])]}")
    return str(drawing.source)


def stub_label(node: Any, names: dict[Any, Any], owner: dict[Any, Any]) -> str:
    """How an expanded view names a node from outside the group: 'x1', or 'h1_3 (neuron 1.3)'."""
    group = owner.get(id(node))
    return names[id(node)] if group is None else f"{names[id(node)]} ({short_title(group)})"
