"""Graphviz drawings of a graph: its forward values, and its backward pass closure by closure.

``draw_graph(y)`` draws what ``y`` was computed from (one box per node, one small node per op);
``draw_graph(loss, group="neuron")`` draws a network one box per neuron (``draw_groups.py``);
``draw_graph(y, mode="backward")`` draws the backward pass: each node numbered by when its closure
ran, each edge labelled with the local derivative and the gradient it carried, coloured by what
flowed. ``backward_frames(y)`` gives one drawing per closure, and ``write_frames`` saves them.

Building a drawing and its DOT text (``.source``) needs only the Python package ``graphviz``;
rendering it (``.pipe()``, ``.render()``, display in Jupyter) needs the system program ``dot``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz

from .. import checks
from .draw_groups import draw_grouped
from .explain import caption, op_title
from .flows import flowed
from .groups import Group, dead_on_every_sample, find_groups, representative
from .look import (
    CURRENT_NODE,
    DIRECTION_RULE,
    EDGE,
    FORWARD_ONLY,
    OP_NODE,
    WAITING_EDGE,
    WAITING_NODE,
    Drawing,
    GraphvizNotFoundError,
    add_legend,
    edge_rows,
    legend_row,
    needs_dot,
    new_drawing,
    plain,
    plain_lines,
    record_field,
)
from .names import node_names
from .record import (
    FULL,
    OFF,
    ZERO,
    Flow,
    Step,
    default_seed,
    distinct_parents,
    is_zero,
    nodes_within,
    trace_backward,
    uses,
)
from .words import LEAF, box_word, describe, number, picture_words, shape_of

__all__ = ["Drawing", "GraphvizNotFoundError", "backward_frames", "draw_graph", "save_graph", "write_frames"]


def _names(nodes: list[Any]) -> dict[Any, Any]:
    """DOT names: n0, n1, ... in topological order (leaves first)."""
    return {id(node): f"n{i}" for i, node in enumerate(nodes)}


def _box(node: Any, name: str, grad: Any, rankdir: str, order: int | None = None, so_far: bool = False) -> str:
    """A record label: [#order |] name | [shape |] data | grad."""
    fields = [f"#{order}"] if order else []
    fields.append(name)
    if shape_of(node):
        fields.append(shape_of(node))
    fields.append(f"data {describe(node.data, is_grad=False)}")
    fields.append(f"grad {describe(grad, is_grad=True)}" + (" so far" if so_far else ""))
    text = " | ".join(record_field(f) for f in fields)
    # A record lays its fields across the rank direction: braces keep them in a row for LR/RL.
    return "{ " + text + " }" if rankdir in ("LR", "RL") else text


def _flow_label(out: Any, flow: Flow, upstream: Any, names: dict[Any, Any]) -> str:
    """What an edge of the backward pass says: the local derivative and the gradient carried."""
    if flow.kind == OFF:
        return "no gradient asked for"
    if flow.scalar:
        lines = [
            f"∂{names[id(out)]}/∂{names[id(flow.parent)]} = {number(flow.local)}",
            f"carries {number(upstream)} × {number(flow.local)} = {number(flow.carried)}",
        ]
    else:  # a Jacobian is too big to print: say what kind of path it is and what got through
        lines = [f"{flow.alpha_share:.0%} of entries on the alpha path"] if flow.alpha_share else []
        lines.append(f"carries {describe(flow.carried, is_grad=True)}")
    if flow.uses > 1:
        lines.append(f"(input used {flow.uses}×, summed)")
    return plain_lines(lines)


def _legend(drawing: Drawing, kinds: set[Any], waiting: bool, so_far: bool) -> None:
    """The legend: one row per line style drawn, and what #k and ∂ mean."""
    rows = edge_rows(kinds) + legend_row("━━▶", DIRECTION_RULE)
    if waiting:
        rows += legend_row("───", FORWARD_ONLY, WAITING_EDGE["color"])
    rows += legend_row("#k", "order in which the backward closures ran")
    rows += legend_row("∂", "local derivative d(out)/d(in) at this point")
    if so_far:
        rows += legend_row("so far", "more gradient to come from closures still to run")
    add_legend(drawing, rows)


def consumers(nodes: list[Any]) -> dict[Any, Any]:
    """id(node) -> the nodes that use it (its children), each once."""
    found: dict[int, dict[Any, Any]] = {id(node): {} for node in nodes}
    for node in nodes:
        for parent in node._prev:
            found[id(parent)][id(node)] = node
    return {key: list(children.values()) for key, children in found.items()}


# ---------------------------------------------------------------- drawings


def _draw_forward(nodes: list[Any], rankdir: str) -> Drawing:
    drawing = new_drawing("forward", rankdir, "forward pass: each node's data and current grad")
    dot, names = _names(nodes), node_names(nodes)
    for node in nodes:
        name = dot[id(node)]
        drawing.node(name, _box(node, names[id(node)], node.grad, rankdir))
        if node._prev:
            drawing.node(name + "_op", plain(op_title(node)), **OP_NODE)
            drawing.edge(name + "_op", name)
            for parent in distinct_parents(node):
                count = uses(node, parent)
                drawing.edge(dot[id(parent)], name + "_op", label=f"×{count}" if count > 1 else None)
    return drawing


def _draw_backward(nodes: list[Any], step: Step, seed: Any, rankdir: str, title: str) -> Drawing:
    """The graph read in reverse: edges run from each node's closure to the parents it feeds.

    A node no gradient has reached yet is greyed, leaf or not; "so far" marks a gradient that closures
    not run yet will still add to; edges of closures not run yet are faint.
    """
    drawing = new_drawing("backward", rankdir, title)
    dot, names, users = _names(nodes), node_names(nodes), consumers(nodes)
    root = nodes[-1]
    drawing.node("seed", plain(f"seed {describe(seed, is_grad=True)}"), shape="plaintext")
    drawing.edge("seed", dot[id(root)], **EDGE[ZERO if is_zero(seed) else FULL])
    kinds, waiting_edges, any_so_far = {ZERO if is_zero(seed) else FULL}, False, False
    for node in reversed(nodes):
        name, grad = dot[id(node)], step.grads.get(id(node))
        order = step.numbers.get(id(node))
        ran = [id(user) in step.numbers for user in users[id(node)]]
        reached = node is root or any(ran)
        look = CURRENT_NODE if node is step.current else WAITING_NODE if not reached else {}
        so_far = reached and not all(ran)
        any_so_far |= so_far
        drawing.node(name, _box(node, names[id(node)], grad, rankdir, order, so_far), **look)
        if not node._prev:
            continue
        op = name + "_op"
        drawing.node(op, plain(op_title(node)), **OP_NODE)
        if order is None:  # its closure has not run yet: nothing has flowed on these edges
            waiting_edges = True
            drawing.edge(name, op, **WAITING_EDGE)
            for parent in distinct_parents(node):
                drawing.edge(op, dot[id(parent)], **WAITING_EDGE)
            continue
        kinds.add(ZERO if is_zero(grad) else FULL)
        drawing.edge(name, op, **EDGE[ZERO if is_zero(grad) else FULL])
        for flow in step.flows[id(node)]:
            kinds.add(flow.kind)
            drawing.edge(op, dot[id(flow.parent)], label=_flow_label(node, flow, grad, names), **EDGE[flow.kind])
    _legend(drawing, kinds, waiting_edges, any_so_far)
    return drawing


def _draw_grouped(
    nodes: list[Any],
    groups: list[Group],
    names: dict[int, str],
    step: Step,
    seed: Any,
    title: str,
    dead: dict[Any, Any],
    backward: bool = True,
) -> Drawing:
    """The grouped picture of ``step``: what flowed, in words, arranged one box per group."""
    owner = representative(groups)
    dot = {id(node): f"n{i}" for i, node in enumerate(nodes)}
    ops = {id(node): op_title(node) or LEAF for node in nodes}
    flows = flowed(nodes, groups, owner, dot, step, dead, backward)
    words = picture_words(nodes, groups, names, ops, flows, step, seed, dead, backward)
    return draw_grouped(nodes, groups, owner, names, flows, words, step.current, title, backward)


def _check(mode: str, rankdir: str) -> None:
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode must be 'forward' or 'backward', got {mode!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")


def _grouped_nodes(root: Any, group: str | None, max_nodes: int) -> tuple[list[Any], list[Any]]:
    """The graph's nodes and groups; a graph too big to draw node by node is refused, one that groups is not."""
    checks.count(max_nodes, "max_nodes")
    if group is None:
        return nodes_within(root, max_nodes, hint=True), []
    nodes = nodes_within(root, 10**9)
    groups = find_groups(nodes, group)
    drawn = len(groups) + len(nodes) - len(representative(groups))
    if drawn > max_nodes:
        raise ValueError(
            f"even grouped by {group}, this graph draws {drawn} boxes, more than max_nodes={max_nodes}: "
            f"pass max_nodes={drawn} (or more) to draw it anyway"
        )
    return nodes, groups


def draw_graph(
    root: Any,
    mode: str = "forward",
    rankdir: str = "LR",
    max_nodes: int = 500,
    seed: Any = None,
    group: str | None = None,
    dataset: Any = None,
) -> Drawing:
    """Draw the graph that computed ``root`` (a Value or Tensor) as a ``graphviz.Digraph``.

    ``mode="forward"``: each node's data and its current ``.grad``, and the op that made it.
    ``mode="backward"``: one backward pass from ``root`` (seeded with ``seed``, default 1), run on the
    side: nodes numbered in the order their closures ran, edges labelled with the local derivative
    d(out)/d(in) and the gradient they carried, coloured full / alpha path / zero. The gradients shown
    are those of this one pass. Neither mode changes any ``.grad`` or ``.data``.

    ``group="neuron"`` (or ``"layer"``) draws a network one box per neuron (or layer), layers as
    columns, as the modules that made the nodes say; ``dataset`` (the model's inputs, one row per
    sample) marks the units whose activation input is <= 0 on every row. Without ``group``, a graph of
    more than ``max_nodes`` nodes is refused with a ValueError that says how to draw it.
    """
    _check(mode, rankdir)
    nodes, groups = _grouped_nodes(root, group, max_nodes)
    names = node_names(nodes)
    if mode == "forward" and not groups:
        return _draw_forward(nodes, rankdir)
    seed = default_seed(root) if seed is None else seed
    (step,) = trace_backward(root, nodes, seed, every_step=False) if mode == "backward" else (Step(),)
    step.current = None  # the whole pass: no closure stands out
    name = names[id(root)]
    if groups:
        title = (
            f"backward pass from {name}, one box per {box_word(groups, group)}"
            if mode == "backward"
            else f"forward pass, one box per {box_word(groups, group)}"
        )
        dead = dead_on_every_sample(groups, dataset)
        return _draw_grouped(nodes, groups, names, step, seed, title, dead, backward=mode == "backward")
    return _draw_backward(nodes, step, seed, rankdir, f"backward pass from {name}: #k = order the closures ran")


def backward_frames(
    root: Any,
    rankdir: str = "LR",
    max_nodes: int = 500,
    seed: Any = None,
    group: str | None = None,
    dataset: Any = None,
) -> list[Drawing]:
    """The backward pass step by step: frame k is the graph after the first k closures ran.

    Gradients are those known so far in one pass from ``root`` (run on the side, like
    ``draw_graph(mode="backward")``); the node whose closure just ran is highlighted and nodes no
    gradient has reached yet are greyed. There is one frame per closure; nothing in the graph is
    changed. ``group`` and ``dataset`` as in ``draw_graph``.
    """
    _check("backward", rankdir)
    nodes, groups = _grouped_nodes(root, group, max_nodes)
    seed = default_seed(root) if seed is None else seed
    steps = trace_backward(root, nodes, seed, every_step=True)
    if steps[0].current is None:  # root is a leaf: no closure ran, so there is nothing to step through
        return []
    total, names = len(steps), node_names(nodes)
    dead = dead_on_every_sample(groups, dataset)
    frames = []
    for k, step in enumerate(steps, 1):
        node = step.current
        said, _ = caption(node, names)
        title = f"step {k} of {total} (#{k}): {said}"
        frames.append(
            _draw_grouped(nodes, groups, names, step, seed, title, dead)
            if groups
            else _draw_backward(nodes, step, seed, rankdir, title)
        )
    return frames


#: past this many pixels a picture is refused: image viewers and Pillow refuse it, and nobody can read it
MAX_MEGAPIXELS = 50.0


def picture_size(drawing: graphviz.Digraph) -> tuple[int, int]:
    """The width and height in pixels (at graphviz's 96 dpi) of a drawing once laid out: one run of ``dot``."""
    with needs_dot():
        first = drawing.pipe(format="plain", encoding="utf-8").split("\n", 1)[0].split()
    scale, width, height = (float(v) for v in first[1:4])  # "graph <scale> <width in> <height in>"
    return round(scale * width * 96), round(scale * height * 96)


def check_size(drawing: graphviz.Digraph, max_megapixels: float | None = MAX_MEGAPIXELS) -> None:
    """A ValueError, with the size and how to draw it smaller, if ``drawing`` is over ``max_megapixels``."""
    if max_megapixels is None:
        return
    width, height = picture_size(drawing)
    if width * height > max_megapixels * 1e6:
        raise ValueError(
            f"this picture would be {width} x {height} pixels = {width * height / 1e6:.0f} megapixels, more than "
            f"{max_megapixels:g}: viewers refuse it and nobody could read it. Draw a network one box per neuron "
            '(draw_graph(..., group="neuron") or "layer"; on the command line --group neuron or --group layer), '
            "or pass max_megapixels=None to save_graph to write it anyway"
        )


def save_graph(drawing: graphviz.Digraph, path: str | Path, max_megapixels: float | None = MAX_MEGAPIXELS) -> Path:
    """Write a drawing to ``path``; the suffix picks the format (.dot/.gv: DOT text, needs no ``dot``).

    A rendered picture of more than ``max_megapixels`` (50) is refused with a ValueError that gives its size
    and the grouping that draws it smaller; ``max_megapixels=None`` writes it anyway.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"cannot tell the format of {str(path)!r}: give it a suffix such as .svg, .png or .dot")
    if fmt in ("dot", "gv"):
        path.write_text(drawing.source, encoding="utf-8")
    else:
        check_size(drawing, max_megapixels)
        with needs_dot():
            path.write_bytes(drawing.pipe(format=fmt))
    return path


def write_frames(frames: Sequence[graphviz.Digraph], folder: str | Path, format: str = "svg") -> list[Path]:
    """Save frames as ``folder/frame_001.svg`` (or .png, .dot, ...) in order; returns the paths written.

    Frames of this format left by an earlier, longer run (``frame_<digits>.svg`` not written now) are removed
    afterwards, so the folder holds one sequence; every other file is left alone."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = format.lstrip(".")
    width = max(3, len(str(len(frames))))
    written = [save_graph(frame, folder / f"frame_{k:0{width}d}.{suffix}") for k, frame in enumerate(frames, 1)]
    ours = re.compile(rf"frame_[0-9]+\.{re.escape(suffix)}")
    for stale in sorted(set(folder.iterdir()) - set(written)):
        if ours.fullmatch(stale.name) and stale.is_file():
            stale.unlink()
    return written
