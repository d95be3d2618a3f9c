"""How the drawings look: the graphviz Digraph they are, the colours of edges and nodes, and the legend rows.

Shared by ``draw.py`` (one node per box) and ``draw_groups.py`` (a neuron or a layer per box).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphviz

from .record import ALPHA, FULL, OFF, ZERO

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
def needs_dot() -> Iterator[None]:
    """Turn graphviz's own missing-`dot` error into one that says how to install it."""
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
        with needs_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """Render to a file; GraphvizNotFoundError if the ``dot`` program is missing."""
        with needs_dot():
            return super().render(*args, **kwargs)


EDGE = {
    FULL: {"color": "#1f5fa8", "fontcolor": "#1f5fa8", "penwidth": "1.6"},
    ALPHA: {"color": "#e07b00", "fontcolor": "#a85a00", "penwidth": "2.4"},
    ZERO: {"color": "#a0a0a0", "fontcolor": "#808080", "style": "dashed"},
    OFF: {"color": "#c8c8c8", "fontcolor": "#a0a0a0", "style": "dotted", "arrowhead": "none"},  # carried nothing
}
WAITING_EDGE = {
    "color": "#d0d0d0",
    "fontcolor": "#c0c0c0",
    "penwidth": "0.8",
    "arrowhead": "none",
}  # thin, faint and headless: it cannot be taken for an edge that carried a gradient
#: the one direction rule of every backward picture, as its legend says it
DIRECTION_RULE = "an arrow is a gradient: from the node whose closure sent it\nto the input that received it"
FORWARD_ONLY = "thin grey, no arrowhead: a forward edge (input -> output)\nno gradient has flowed on it yet"
OP_NODE = {
    "shape": "ellipse",
    "style": "filled",
    "fillcolor": "#eeeeee",
    "color": "#bbbbbb",
    "fontsize": "9",
    "height": "0.3",
    "margin": "0.04",
}
CURRENT_NODE = {"style": "filled", "fillcolor": "#ffe27a", "penwidth": "2.2"}
WAITING_NODE = {"color": "#c8c8c8", "fontcolor": "#9a9a9a"}
LEGEND_ROWS = (  # (kind, line drawn in the legend, meaning)
    (FULL, "━━━", "gradient passed on"),
    (ALPHA, "━━━", "through the slope alpha (leaky_relu/prelu input <= 0)"),
    (ZERO, "╍╍╍", "zero: nothing flowed, a dead path"),
    (OFF, "┈┈┈", "no gradient asked for (a Tensor with requires_grad=False)"),
)


def encodable(text: str) -> str:
    """``text`` with any lone surrogate (which UTF-8, and so dot, cannot take) written as its escape ``\\ud800``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def record_field(text: str) -> str:
    """Text shown as itself in one field of a record label, where { } | < > and backslash have meanings."""
    text = encodable(text)
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text.replace("&", "&amp;")  # dot reads &name; as an entity, even in a record


def plain(text: str) -> str:
    """Text shown as itself in an ordinary label: never graphviz HTML, no backslash escapes, no entities."""
    # nohtml: the graphviz package passes a string of the form <...> to dot unquoted, as an HTML label
    shown: str = graphviz.escape(encodable(text).replace("&", "&amp;"))
    return shown


def plain_lines(lines: list[str]) -> str:
    """Lines of text shown as themselves, one under the other, in an ordinary label."""
    shown: str = graphviz.nohtml("\\n".join(plain(line) for line in lines))
    return shown


def legend_row(key: str, text: str, color: str | None = None, fill: str | None = None) -> str:
    """One row of a legend table: ``key`` (in ``color``, on ``fill``) and what it means."""
    cell = html.escape(key) if color is None else f'<font color="{color}">{html.escape(key)}</font>'
    background = "" if fill is None else f' bgcolor="{fill}"'
    # each line ends in a left-aligned break: graphviz aligns a line by the break after it
    lines = (
        "".join(html.escape(line) + '<br align="left"/>' for line in text.split("\n"))
        if "\n" in text
        else html.escape(text)
    )
    return f'<tr><td{background}>{cell}</td><td align="left">{lines}</td></tr>'


def edge_rows(kinds: set[Any]) -> str:
    """The legend rows of the edge styles in ``kinds``."""
    return "".join(legend_row(line, text, EDGE[kind]["color"]) for kind, line, text in LEGEND_ROWS if kind in kinds)


def add_legend(drawing: Drawing, rows: str, beside: str | None = None) -> None:
    """The legend node: ``rows`` (from ``legend_row``) as the one HTML label the drawings make; ``beside`` (a
    node's name) puts it in that node's rank: by the root, where a backward pass (and a page's first view) starts."""
    label = f'<<table border="0" cellspacing="1">{rows}</table>>'
    if beside is None:
        drawing.node("legend", label, shape="plaintext", fontsize="9")
        return
    with drawing.subgraph(name="legend_rank") as rank:
        rank.attr(rank="same")
        rank.node(beside)
        rank.node("legend", label, shape="plaintext", fontsize="9")


def new_drawing(name: str, rankdir: str, title: str) -> Drawing:
    """An empty drawing with the shared fonts and spacing, ``title`` on top."""
    return Drawing(
        name=name,
        graph_attr={
            "rankdir": rankdir,
            "label": plain(title),
            "labelloc": "t",
            "fontname": "Helvetica",
            "fontsize": "12",
            "nodesep": "0.25",
            "ranksep": "0.35",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "record", "height": "0.3"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
    )


def svgs(sources: list[str]) -> list[str]:
    """Every DOT source rendered to SVG by one run of ``dot`` (one process, not one per drawing)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError()
    done = subprocess.run([program, "-Tsvg"], input="\n".join(sources).encode("utf-8"), capture_output=True, check=True)
    found = re.findall(r"<svg.*?</svg>", done.stdout.decode("utf-8"), flags=re.S)
    if len(found) != len(sources):
        raise RuntimeError(f"dot drew {len(found)} pictures for {len(sources)} graphs")
    return found
