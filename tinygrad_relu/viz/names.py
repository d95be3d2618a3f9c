"""The names the screen shows: every node by the one name the traced program gives it (``x1``, ``w2_16_3``,
``z2_16``, ``h2_16``, ``bce1``, ``loss``), chosen once by ``tracing.names.graph_names``; the code pane, the
picture, the captions and the details pane all read it from here. A group box is called by its title.
"""

from __future__ import annotations

from typing import Any

from ..tracing.names import graph_names
from .groups import Group


def node_names(nodes: list[Any]) -> dict[int, str]:
    """id(node) -> its one name, for ``nodes`` in topological order (the root last)."""
    return {id(node): name for node, name in zip(nodes, graph_names(nodes))}


def short_title(group: Group) -> str:
    """A group as a caption names it: 'neuron 2.12', 'layer 1' (a Tensor layer's title without its modules)."""
    return group.title.split(":")[0]


def span(names: list[str]) -> str:
    """Names that differ only in their last number said once: 'h2_1..h2_16'; others listed, at most three."""
    if len(names) <= 3:
        return ", ".join(names)
    head = names[0].rsplit("_", 1)[0] if "_" in names[0] else names[0].rstrip("0123456789")
    if all(name.startswith(head) for name in names):
        return f"{names[0]}..{names[-1]}"
    return ", ".join(names[:3]) + f" and {len(names) - 3} more"
