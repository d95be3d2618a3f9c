"""The fourth stage of a page: what it says of the pass. It asks ``explain`` for each step's caption, each op's
title and each local derivative's reason, ``flows`` for what flowed between the boxes of each picture, and then
``words`` for all the text: each node's details (per input the local derivative, its reason and the chain-rule
product), each box's and lone node's label and each edge's, and every text the page rewrites at each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .explain import caption, op_title, reason
from .flows import Flowed, edge_changes, flowed, grad_changes
from .groups import Boxes
from .names import Named
from .record import Recording, is_zero
from .words import LEAF, Words, about, carried_text, grad_text, histogram, input_words, node_words, picture_words

#: the line of a box a page rewrites at each step: when the box's own closures ran
STEP_LINE = "step here: –"


@dataclass
class Said:
    """What a page says: ``names`` (id(node) -> name), ``captions`` (per step: the sentence and the nodes it
    names), ``ops`` (per step: the op that ran), ``nodes`` (each node's details), ``texts`` and ``hists`` (DOT
    name -> [[step, gradient text or histogram]]), ``runs`` (box -> [[step, node that ran]]), ``edges`` ("tail->head"
    -> [[step, what it had carried]]) and, for each picture of boxes (``views``), what flowed in it and its words;
    ``alone`` the words of a graph drawn node by node."""

    title: str
    names: dict[int, str]
    captions: list[tuple[str, list[Any]]] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    texts: dict[str, list[Any]] = field(default_factory=dict)
    hists: dict[str, list[Any]] = field(default_factory=dict)
    runs: dict[str, list[Any]] = field(default_factory=dict)
    edges: dict[str, list[Any]] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)
    views: dict[str, tuple[Flowed, Words]] = field(default_factory=dict)
    alone: Words | None = None  # the words of a graph drawn node by node
    seed: str = ""
    zero_root: bool = False
    code: dict[str, Any] = field(default_factory=dict)  # the code pane's statements, or why there are none


def say(recording: Recording, boxes: Boxes, named: Named, title: str | None = None) -> Said:
    """Everything the page of ``recording`` drawn as ``boxes`` says, step by step, calling nodes by their names."""
    nodes, steps, final, names = recording.nodes, recording.steps, recording.final, named.names
    index = {id(node): i for i, node in enumerate(nodes)}
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes) if id(node) not in boxes.hidden}
    level = boxes.level
    title = title or f"backward pass from {names[id(recording.root)]}" + (f", one box per {level}" if level else "")
    said = Said(title, names, code=named.code, zero_root=bool(is_zero(recording.seed)))
    # what each op did, in the words of its row of the explanations
    said.captions = [caption(s.current, names) for s in steps]
    ops = {id(node): op_title(node) or LEAF for node in nodes}
    said.ops = [op_title(s.current) for s in steps]

    def name_of(other: Any) -> str:
        return str(names[id(other)])

    whys = {(id(n), id(f.parent)): reason(n, f.parent, name_of) for n in nodes for f in final.flows.get(id(n), [])}
    # what flowed, in numbers: each picture's edges and boxes, and every gradient shown after each step
    shown = {key: (v, flowed(nodes, v.groups, v.owner, dot, final, boxes.dead)) for key, v in boxes.views.items()}
    changes = grad_changes(recording, boxes.within, boxes.every)
    for _, flows in shown.values():
        said.edges.update(edge_changes(flows.edges, final.numbers))
    # and in words
    for node in nodes:
        upstream = final.grads.get(id(node))
        flows = final.flows.get(id(node), [])
        inputs = [input_words(f, upstream, index[id(f.parent)], whys[id(node), id(f.parent)]) for f in flows]
        group = boxes.owner.get(id(node))
        key = group.key if group is not None else None
        ran = final.numbers.get(id(node), 0)
        parents = [index[id(p)] for p in dict.fromkeys(node._prev)]
        said.nodes.append(node_words(node, names[id(node)], ops[id(node)], ran, key, inputs, parents))
    said.texts = {key: [[k, grad_text(g, done)] for k, g, done in ch] for key, ch in changes.items()}
    for key, ch in changes.items():
        hists = [[k, histogram(g)] for k, g, _ in ch[1:]] if key.startswith("n") else []
        if any(h is not None for _, h in hists):
            said.hists[key] = [[k, h] for k, h in hists if h is not None]
    said.edges = {key: [[k, carried_text(c)] for k, c in ch] for key, ch in said.edges.items()}
    said.seed = grad_text(recording.seed, True)
    said.runs = {g.key: [] for g in boxes.every}
    for k, step in enumerate(steps, 1):
        for group in boxes.within.get(id(step.current), []):
            said.runs[group.key].append([k, names[id(step.current)]])
    # each box drawn wide enough for the longest gradient text a step will write into it
    widest = {key: "grad " + max((t for _, t in texts), key=len) for key, texts in said.texts.items()}
    longest = {key: max((len(name) for _, name in ran), default=1) for key, ran in said.runs.items()}
    step_lines = {key: f"{STEP_LINE} now {len(steps)}, {'m' * n}" for key, n in longest.items()}
    said.about = {g.key: about(g, names) for g in boxes.every}
    page = {"widest": widest, "steps": step_lines, "hidden": boxes.hidden}
    for key, (view, flows) in shown.items():
        words = picture_words(nodes, view.groups, names, ops, flows, final, recording.seed, boxes.dead, True, page)
        said.views[key] = (flows, words)
    if not shown:  # a graph drawn node by node
        said.alone = picture_words(nodes, [], names, ops, None, final, recording.seed, {}, True, page)
    return said
