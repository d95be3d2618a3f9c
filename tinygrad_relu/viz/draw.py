"""Graphviz drawings of a graph: its forward values, and its backward pass closure by closure.

``draw_graph(y)`` draws what ``y`` was computed from (one box per node, one small node per op);
``draw_graph(y, mode="backward")`` draws the backward pass: each node numbered by when its closure
ran, each edge labelled with the local derivative and the gradient it carried, coloured by what
flowed. ``backward_frames(y)`` gives one drawing per closure, and ``write_frames`` saves them.

Building a drawing and its DOT text (``.source``) needs only the Python package ``graphviz``;
rendering it (``.pipe()``, ``.render()``, display in Jupyter) needs the system program ``dot``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import graphviz

from .trace import (ALPHA, FULL, OFF, ZERO, Flow, Step, default_seed, describe, distinct_parents, is_zero,
                       nodes_within, number, shape_of, trace_backward, uses)

_INSTALL_HINT = (
    "rendering a drawing needs the graphviz program 'dot', which was not found on PATH. Install it with "
    "'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
    "'conda install -c conda-forge graphviz' (conda), then restart Python. Without it the DOT text is "
    "still there: drawing.source, or save_graph(drawing, 'out.dot')."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs the system graphviz program ``dot``; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL_HINT)


@contextmanager
def _needs_dot() -> Iterator[None]:
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError() from None


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` (shows in Jupyter, ``.render()``/``.pipe()`` work) that explains a missing ``dot``."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Render to bytes or text; GraphvizNotFoundError if the ``dot`` program is missing."""
        with _needs_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """Render to a file; GraphvizNotFoundError if the ``dot`` program is missing."""
        with _needs_dot():
            return super().render(*args, **kwargs)


# ---------------------------------------------------------------- look

_EDGE = {
    FULL: {"color": "#1f5fa8", "fontcolor": "#1f5fa8", "penwidth": "1.6"},
    ALPHA: {"color": "#e07b00", "fontcolor": "#a85a00", "penwidth": "2.4"},
    ZERO: {"color": "#a0a0a0", "fontcolor": "#808080", "style": "dashed"},
    OFF: {"color": "#c8c8c8", "fontcolor": "#a0a0a0", "style": "dotted"},
}
_WAITING_EDGE = {"color": "#d0d0d0", "style": "dotted", "arrowhead": "none"}
_OP_NODE = {"shape": "ellipse", "style": "filled", "fillcolor": "#eeeeee", "color": "#bbbbbb",
            "fontsize": "9", "height": "0.3", "margin": "0.04"}
_CURRENT_NODE = {"style": "filled", "fillcolor": "#ffe27a", "penwidth": "2.2"}
_WAITING_NODE = {"color": "#c8c8c8", "fontcolor": "#9a9a9a"}
_LEGEND_ROWS = (  # (kind, line drawn in the legend, meaning)
    (FULL, "━━━", "gradient passed on"),
    (ALPHA, "━━━", "through the slope alpha (leaky_relu/prelu input <= 0)"),
    (ZERO, "╍╍╍", "zero: nothing flowed, a dead path"),
    (OFF, "┈┈┈", "no gradient asked for (a Tensor with requires_grad=False)"),
)


def _field(text: str) -> str:
    """Text made safe inside a record label, where { } | < > and backslash have meanings."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text


def _plain(text: str) -> str:
    """Text made safe in an ordinary label, where a backslash starts an escape."""
    return text.replace("\\", "\\\\")


def _new(name: str, rankdir: str, title: str) -> Drawing:
    return Drawing(
        name=name,
        graph_attr={"rankdir": rankdir, "label": _plain(title), "labelloc": "t", "fontname": "Helvetica",
                    "fontsize": "12", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "record", "height": "0.3"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
    )


def _names(nodes: list) -> dict:
    """Stable DOT names: n0, n1, ... in topological order (leaves first)."""
    return {id(node): f"n{i}" for i, node in enumerate(nodes)}


def _box(node: Any, grad: Any, rankdir: str, order: int | None = None, waiting: bool = False) -> str:
    """A record label: [#order |] [label |] [shape |] data | grad."""
    fields = [f"#{order}"] if order else []
    if node.label:
        fields.append(node.label)
    if shape_of(node):
        fields.append(shape_of(node))
    fields.append(f"data {describe(node.data, is_grad=False)}")
    fields.append(f"grad {describe(grad, is_grad=True)}" + (" so far" if waiting else ""))
    text = " | ".join(_field(f) for f in fields)
    # A record lays its fields across the rank direction: braces keep them in a row for LR/RL.
    return "{ " + text + " }" if rankdir in ("LR", "RL") else text


def _flow_label(out: Any, flow: Flow, upstream: Any, numbers: dict) -> str:
    """What an edge of the backward pass says: the local derivative and the gradient carried."""
    if flow.kind == OFF:
        return "no gradient asked for"
    if flow.scalar:
        # Unlabelled nodes go by their order number, so each derivative names both ends.
        name_out = out.label or f"#{numbers[id(out)]}"
        name_in = flow.parent.label or (f"#{numbers[id(flow.parent)]}" if id(flow.parent) in numbers else "in")
        lines = [
            f"∂{name_out}/∂{name_in} = {number(flow.local)}",
            f"carries {number(upstream)} × {number(flow.local)} = {number(flow.carried)}",
        ]
    else:  # a Jacobian is too big to print: say what kind of path it is and what got through
        lines = [f"{flow.alpha_share:.0%} of entries on the alpha path"] if flow.alpha_share else []
        lines.append(f"carries {describe(flow.carried, is_grad=True)}")
    if flow.uses > 1:
        lines.append(f"(input used {flow.uses}×, summed)")
    return "\\n".join(_plain(line) for line in lines)


def _legend(drawing: Drawing, nodes: list) -> None:
    constants = any(not getattr(node, "requires_grad", True) for node in nodes)
    rows = "".join(
        f'<tr><td><font color="{_EDGE[kind]["color"]}">{line}</font></td>'
        f'<td align="left">{text.replace("<", "&lt;")}</td></tr>'
        for kind, line, text in _LEGEND_ROWS if kind != OFF or constants
    )
    rows += ('<tr><td>#k</td><td align="left">order in which the backward closures ran</td></tr>'
             '<tr><td>∂</td><td align="left">local derivative d(out)/d(in) at this point</td></tr>')
    drawing.node("legend", f'<<table border="0" cellspacing="1">{rows}</table>>',
                 shape="plaintext", fontsize="9")


# ---------------------------------------------------------------- drawings


def _draw_forward(nodes: list, rankdir: str) -> Drawing:
    drawing = _new("forward", rankdir, "forward pass: each node's data and current grad")
    names = _names(nodes)
    for node in nodes:
        name = names[id(node)]
        drawing.node(name, _box(node, node.grad, rankdir))
        if node._prev:
            drawing.node(name + "_op", _plain(node._op), **_OP_NODE)
            drawing.edge(name + "_op", name)
            for parent in distinct_parents(node):
                count = uses(node, parent)
                drawing.edge(names[id(parent)], name + "_op", label=f"×{count}" if count > 1 else None)
    return drawing


def _draw_backward(nodes: list, step: Step, seed: Any, rankdir: str, title: str) -> Drawing:
    """The graph read in reverse: edges run from each node's closure to the parents it feeds."""
    drawing = _new("backward", rankdir, title)
    names = _names(nodes)
    root = nodes[-1]
    drawing.node("seed", _plain(f"seed {describe(seed, is_grad=True)}"), shape="plaintext")
    drawing.edge("seed", names[id(root)], **_EDGE[ZERO if is_zero(seed) else FULL])
    for node in reversed(nodes):
        name, grad = names[id(node)], step.grads.get(id(node))
        order = step.numbers.get(id(node))
        waiting = bool(node._prev) and order is None
        look = _CURRENT_NODE if node is step.current else _WAITING_NODE if waiting else {}
        drawing.node(name, _box(node, grad, rankdir, order, waiting), **look)
        if not node._prev:
            continue
        op = name + "_op"
        drawing.node(op, _plain(node._op), **_OP_NODE)
        if waiting:  # its closure has not run yet: nothing has flowed on these edges
            drawing.edge(name, op, **_WAITING_EDGE)
            for parent in distinct_parents(node):
                drawing.edge(op, names[id(parent)], **_WAITING_EDGE)
            continue
        drawing.edge(name, op, **_EDGE[ZERO if is_zero(grad) else FULL])
        for flow in step.flows[id(node)]:
            label = _flow_label(node, flow, grad, step.numbers)
            drawing.edge(op, names[id(flow.parent)], label=label, **_EDGE[flow.kind])
    _legend(drawing, nodes)
    return drawing


def _check(mode: str, rankdir: str) -> None:
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode must be 'forward' or 'backward', got {mode!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")


def draw_graph(root: Any, mode: str = "forward", rankdir: str = "LR", max_nodes: int = 500,
               seed: Any = None) -> Drawing:
    """Draw the graph that computed ``root`` (a Value or Tensor) as a ``graphviz.Digraph``.

    ``mode="forward"``: each node's data and its current ``.grad``, and the op that made it.
    ``mode="backward"``: one backward pass from ``root`` (seeded with ``seed``, default 1), run on the
    side: nodes numbered in the order their closures ran, edges labelled with the local derivative
    d(out)/d(in) and the gradient they carried, coloured full / alpha path / zero. The gradients shown
    are those of this one pass. Neither mode changes any ``.grad`` or ``.data``. A graph of more than
    ``max_nodes`` nodes is refused with a ValueError (raise the cap to draw it anyway).
    """
    _check(mode, rankdir)
    nodes = nodes_within(root, max_nodes)
    if mode == "forward":
        return _draw_forward(nodes, rankdir)
    seed = default_seed(root) if seed is None else seed
    (step,) = trace_backward(root, nodes, seed, every_step=False)
    step.current = None  # the whole pass: no closure stands out
    name = root.label or "the root"
    return _draw_backward(nodes, step, seed, rankdir, f"backward pass from {name}: #k = order the closures ran")


def backward_frames(root: Any, rankdir: str = "LR", max_nodes: int = 500, seed: Any = None) -> list[Drawing]:
    """The backward pass step by step: frame k is the graph after the first k closures ran.

    Gradients are those known so far in one pass from ``root`` (run on the side, like
    ``draw_graph(mode="backward")``); the node whose closure just ran is highlighted and closures not
    yet run are greyed. There is one frame per closure; nothing in the graph is changed.
    """
    _check("backward", rankdir)
    nodes = nodes_within(root, max_nodes)
    seed = default_seed(root) if seed is None else seed
    steps = trace_backward(root, nodes, seed, every_step=True)
    if steps[0].current is None:  # root is a leaf: no closure ran, so there is nothing to step through
        return []
    total = len(steps)
    return [
        _draw_backward(nodes, step, seed, rankdir,
                       f"step {k} of {total}: the backward closure of #{k} ({step.current._op}) ran")
        for k, step in enumerate(steps, 1)
    ]


def save_graph(drawing: graphviz.Digraph, path: str | Path) -> Path:
    """Write a drawing to ``path``; the suffix picks the format (.dot/.gv: DOT text, needs no ``dot``)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"cannot tell the format of {str(path)!r}: give it a suffix such as .svg, .png or .dot")
    if fmt in ("dot", "gv"):
        path.write_text(drawing.source, encoding="utf-8")
    else:
        with _needs_dot():
            path.write_bytes(drawing.pipe(format=fmt))
    return path


def write_frames(frames: Sequence[graphviz.Digraph], folder: str | Path, format: str = "svg") -> list[Path]:
    """Save frames as ``folder/frame_001.svg`` (or .png, .dot, ...) in order; returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames))))
    return [save_graph(frame, folder / f"frame_{k:0{width}d}.{format.lstrip('.')}")
            for k, frame in enumerate(frames, 1)]
