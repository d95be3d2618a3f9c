"""The third stage: what the screen calls things. Every node by the one name the traced program gives it (``x1``,
``w2_16_3``, ``z2_16``, ``h2_16``, ``bce1``, ``loss``), chosen once by ``tracing.names.graph_names``, and the code
pane's statements, that program itself; the picture, the captions, the details pane and the code pane all read
the names from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..tracing import TraceError, graph_source_lines
from ..tracing.names import graph_names
from .record import Recording


@dataclass
class Named:
    """Every node's one name (id(node) -> name) and the code pane's statements (``code["lines"]``: [text, node
    place or -1, "f"/"b"/""]), or why there are none (``code["error"]``)."""

    names: dict[int, str]
    code: dict[str, Any]


def node_names(nodes: list[Any]) -> dict[int, str]:
    """id(node) -> its one name, for ``nodes`` in topological order (the root last)."""
    return {id(node): name for node, name in zip(nodes, graph_names(nodes))}


def name(recording: Recording) -> Named:
    """The names of a recorded pass's nodes and the program the code pane shows, which uses the same names."""
    try:
        code: dict[str, Any] = {
            "lines": [[text, i, phase[:1]] for text, i, phase in graph_source_lines(recording.root)]
        }
    except TraceError as error:  # an op trace cannot write (a custom_op): the page still works, its pane says why
        code = {"error": " ".join(str(error).split())}
    nodes = recording.nodes  # named as node_names names them, once the tracer has written the code
    return Named({id(node): text for node, text in zip(nodes, graph_names(nodes))}, code)
