"""The third stage of a page: what it says of the pass. Every node by its one name, each step's caption, each
node's details (per input the local derivative, its reason and the chain-rule product), and for each box the
gradient text and the last step that ran inside it at every step where they change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tracing import TraceError, graph_source_lines
from .explain import caption, op_title, reason
from .groups import Boxes, Group
from .look import LEAF
from .names import describe, number, shape_of, span
from .record import OFF, Recording

NO_GRAD = "–"  # what a gradient shows before any closure has sent it one
#: the line of a box a page rewrites at each step: when the box's own closures ran
STEP_LINE = "step here: –"


@dataclass
class Said:
    """What a page says: ``names`` (id(node) -> name), ``captions`` (per step: the sentence and the nodes it
    names), ``nodes`` (each node's details), ``texts`` and ``hists`` (DOT name -> [[step, gradient text or
    histogram]]), ``runs`` (box -> [[step, node that ran]]) and ``widest`` (DOT name -> the longest text a step
    writes into it, to size its box)."""

    title: str
    names: dict[int, str]
    captions: list[tuple[str, list[Any]]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    texts: dict[str, list[Any]] = field(default_factory=dict)
    hists: dict[str, list[Any]] = field(default_factory=dict)
    runs: dict[str, list[Any]] = field(default_factory=dict)
    widest: dict[str, str] = field(default_factory=dict)
    step_lines: dict[str, str] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)
    seed: str = ""
    code: dict[str, Any] = field(default_factory=dict)  # the code pane's statements, or why there are none


def say(recording: Recording, boxes: Boxes, names: dict[int, str], title: str | None = None) -> Said:
    """Everything the page of ``recording`` drawn as ``boxes`` says, step by step, calling nodes by ``names``."""
    nodes, steps = recording.nodes, recording.steps
    try:  # each statement as [text, node place or -1, "f"/"b"/""]
        code: dict[str, Any] = {
            "lines": [[text, i, phase[:1]] for text, i, phase in graph_source_lines(recording.root)]
        }
    except TraceError as error:  # an op trace cannot write (a custom_op): the page still works, its pane says why
        code = {"error": " ".join(str(error).split())}
    level = boxes.level
    title = title or f"backward pass from {names[id(recording.root)]}" + (f", one box per {level}" if level else "")
    said = Said(title, names, [caption(s.current, names) for s in steps], code=code)
    said.seed = describe(recording.seed, is_grad=True)
    index = {id(node): i for i, node in enumerate(nodes)}
    owner, final = boxes.owner, recording.final
    for node in nodes:
        group = owner.get(id(node))
        inputs = [_input(node, flow, final.grads.get(id(node)), index, names) for flow in final.flows.get(id(node), [])]
        said.nodes.append(
            {
                "name": names[id(node)],
                "op": op_title(node) or LEAF,
                "label": node.label,
                "shape": str(np.shape(node.data)) if shape_of(node) else "",
                "data": describe(node.data, is_grad=False),
                "ran": final.numbers.get(id(node), 0),
                "group": group.key if group is not None else None,
                "inputs": inputs,
                "parents": [index[id(p)] for p in dict.fromkeys(node._prev)],
            }
        )
    _changes(said, recording, boxes, index)
    in_groups = boxes.within
    said.runs = {g.key: [] for g in boxes.every}
    for k, step in enumerate(steps, 1):
        for group in in_groups.get(id(step.current), []):
            said.runs[group.key].append([k, names[id(step.current)]])
    # each box drawn wide enough for the longest gradient text a step will write into it
    said.widest = {key: "grad " + max((t for _, t in changes), key=len) for key, changes in said.texts.items()}
    longest = {key: max((len(name) for _, name in ran), default=1) for key, ran in said.runs.items()}
    said.step_lines = {key: f"{STEP_LINE} now {len(steps)}, {'m' * n}" for key, n in longest.items()}
    said.about = {g.key: _about(g, names) for g in boxes.every}
    return said


def _input(node: Any, flow: Any, upstream: Any, index: dict[int, int], names: dict[int, str]) -> dict[str, Any]:
    """What the details pane says of one input of ``node``: what its closure sent it, and why."""
    local = number(flow.local) if flow.scalar else "a Jacobian (see the histogram of what it carried)"
    carried = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
    product = (
        f"{number(upstream)} × {number(flow.local)} = {carried}"
        if flow.scalar
        else f"upstream {describe(upstream, is_grad=True)} → {carried}"
    )
    return {
        "p": index[id(flow.parent)],
        "local": local,
        "why": reason(node, flow.parent, lambda other: str(names[id(other)])),
        "chain": product if flow.kind != OFF else "no gradient asked for",
        "kind": flow.kind,
        "uses": flow.uses,
    }


def _grad_text(grad: Any, complete: bool) -> str:
    if grad is None:
        return NO_GRAD
    return describe(grad, is_grad=True) + ("" if complete else " so far")


def _histogram(grad: Any) -> dict[Any, Any] | None:
    """Ten bins of a Tensor's gradient, and the share of its entries that are exactly zero."""
    if not isinstance(grad, np.ndarray) or grad.size <= 1:
        return None
    values = grad[np.isfinite(grad)]
    if values.size == 0:
        return None
    counts, edges = np.histogram(values, bins=10)
    zero = float(np.mean(grad == 0))
    return {"counts": counts.tolist(), "lo": number(edges[0]), "hi": number(edges[-1]), "zero": zero}


def group_grad(group: Group, grads: dict[Any, Any]) -> Any:
    """The gradient shown on a box: its output's, or the vector of a layer's neuron outputs."""
    if len(group.outputs) > 1:
        values = [grads.get(id(o)) for o in group.outputs]
        return None if all(v is None for v in values) else np.array([0.0 if v is None else v for v in values])
    return grads.get(id(group.output))


def _changes(said: Said, recording: Recording, boxes: Boxes, index: dict[int, int]) -> None:
    """For each drawn box, its gradient text at every step where it changes; and Tensor histograms likewise."""
    nodes, steps, seed = recording.nodes, recording.steps, recording.seed
    users: dict[int, list[Any]] = {id(node): [] for node in nodes}
    for node in nodes:
        for parent in dict.fromkeys(node._prev):
            users[id(parent)].append(node)
    ran_at = {id(step.current): k for k, step in enumerate(steps, 1)}
    complete_at = {id(n): max((ran_at.get(id(u), 0) for u in users[id(n)]), default=0) for n in nodes}
    root = nodes[-1]
    texts: dict[str, list[Any]] = {f"n{index[id(node)]}": [[0, NO_GRAD]] for node in nodes}
    texts[f"n{index[id(root)]}"] = [[0, describe(seed, is_grad=True)]]
    in_groups, groups = boxes.within, boxes.every
    for group in groups:
        texts[group.key] = [[0, _grad_text(group_grad(group, {id(root): seed}), group.output is root)]]
    for k, step in enumerate(steps, 1):
        touched: dict[int, Any] = {id(p): p for p in step.current._prev}
        for parent in touched.values():
            grad = step.grads.get(id(parent))
            key = f"n{index[id(parent)]}"
            texts[key].append([k, _grad_text(grad, complete_at[id(parent)] <= k)])
            hist = _histogram(grad)
            if hist is not None:
                said.hists.setdefault(key, []).append([k, hist])
        changed = {id(g): g for p in touched.values() for g in in_groups.get(id(p), [])}
        for group in changed.values():
            done = all(complete_at[id(o)] <= k for o in group.outputs)
            texts[group.key].append([k, _grad_text(group_grad(group, step.grads), done)])
    said.texts = texts


def _about(group: Group, names: dict[Any, Any]) -> str:
    """What a group's box holds, for the details panel."""
    if isinstance(group.output.data, np.ndarray):
        return f"{len(group.members)} Tensor nodes: " + ", ".join(names[id(m)] for m in group.members)
    outputs = span([names[id(o)] for o in group.outputs])
    return f"{len(group.members)} scalar nodes, its output{'s' if len(group.outputs) > 1 else ''} {outputs}"
