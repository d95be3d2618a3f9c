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
from .groups import Boxes, representative
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
from .names import describe, number, shape_of
from .record import OFF, Recording, Step
from .said import Said

OPEN_BOXES = 1200  # past this many boxes in the pictures of the boxes opened in place, the page leaves them out


@dataclass
class Pictures:
    """A page's pictures as SVG, by level: "" the picture as opened, a layer's key that layer expanded into its
    neurons, a box's key that box opened in place onto its nodes. ``parents``: the level each opened box is
    opened from; ``edges``: "tail->head" -> [[step, label]]; ``across``: which way the main picture runs."""

    levels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    edges: dict[str, list[Any]] = field(default_factory=dict)
    across: str = "LR"
    left_out: str = ""  # the boxes whose nodes are not drawn, when drawing them would make the page too big


def lay_out(recording: Recording, boxes: Boxes, said: Said) -> Pictures:
    """Every picture of the page of ``recording``, drawn as ``boxes`` and labelled as ``said``."""
    nodes, final, names = recording.nodes, recording.final, said.names
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes) if id(node) not in boxes.hidden}
    page = {"hidden": boxes.hidden, "steps": said.step_lines}
    top = boxes.top
    # a layer level reads top to bottom, inputs first: the whole network fits the stage with readable text
    across = "TB" if boxes.level == "layer" else "LR" if top and np.size(top[0].output.data) == 1 else None
    if not top:
        index = {id(node): i for i, node in enumerate(nodes)}
        (svg,) = _svgs([_node_view(said.title, nodes, names, index, final, said.widest)])
        return Pictures({"": svg}, {}, {}, "LR")
    # each layer expanded, and each box that opens onto its nodes opened in place in the picture it is drawn in:
    # a picture per box, so a page leaves them out when they would draw more than OPEN_BOXES boxes in all
    inner = boxes.inner.items()
    parents = {g.key: next((k for k, units in inner if any(u is g for u in units)), "") for g in boxes.fine}
    alone = len(nodes) - len(boxes.hidden) - len(representative(boxes.top))
    drawn = sum(len(boxes.pictures[parents[g.key]][0]) + alone + len(g.members) for g in boxes.fine)
    opens = boxes.fine if drawn <= OPEN_BOXES else []
    parents = {g.key: parents[g.key] for g in opens}
    shown = {key: groups for key, (groups, _) in boxes.pictures.items()}
    for g in opens:
        shown[g.key] = [b for b in shown[parents[g.key]] if b is not g]
    sources, edges = [], []
    for key, groups in shown.items():
        parent = parents.get(key, key)
        settings: dict[str, Any] = dict(page)
        if parent:
            settings["fold"] = next(g.column for g in top if g.key == parent)
        if key in parents:
            settings["open"] = next(g for g in opens if g.key == key)
        drawing = draw_grouped(
            nodes, groups, names, final, recording.seed, said.title, boxes.dead, True, said.widest, across, settings
        )
        sources.append(drawing.source)
        edges += group_edges(nodes, representative(groups), dot, final)
    svgs = _svgs(sources)
    return Pictures(
        dict(zip(shown, svgs)),
        parents,
        _edge_texts(edges, final.numbers),
        "TB" if "rankdir=TB" in sources[0] else "LR",
        "" if opens or not boxes.fine else f"{len(boxes.fine)} more pictures of {drawn} boxes in all",
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
    title: str, nodes: list[Any], names: dict[Any, Any], index: dict[Any, Any], step: Step, grad_texts: dict[str, str]
) -> str:
    """DOT of a graph drawn node by node, its legend beside the root.

    An edge that carried a gradient has its arrowhead at the input that received it (``dir=back``: the
    layout still reads from the inputs to the output); one that carried none has no arrowhead.
    """
    drawing = new_drawing("view", "LR", title)
    kinds: set[str] = set()
    for node in nodes:
        key = f"n{index[id(node)]}"
        drawing.node(key, _node_box(node, names[id(node)], step.grads.get(id(node)), grad_texts.get(key)))
    for node in nodes:
        for flow in step.flows.get(id(node), []):
            text = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
            look = dict(EDGE[flow.kind], dir="back") if flow.kind != OFF else dict(EDGE[OFF])
            label = plain(text) if flow.kind != OFF else None
            drawing.edge(f"n{index[id(flow.parent)]}", f"n{index[id(node)]}", label=label, **look)
            kinds.add(flow.kind)
        if id(node) not in step.flows:
            for parent in dict.fromkeys(node._prev):
                drawing.edge(f"n{index[id(parent)]}", f"n{index[id(node)]}", **WAITING_EDGE)
    rows = edge_rows(kinds) + legend_row("◀━━", DIRECTION_RULE) + legend_row("───", FORWARD_ONLY, "#b0b0b0")
    add_legend(drawing, rows, beside=f"n{index[id(nodes[-1])]}")
    return str(drawing.source)
