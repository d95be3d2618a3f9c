"""What the screen calls things: every node by the one name the traced program gives it (``x1``, ``w2_16_3``,
``z2_16``, ``h2_16``, ``bce1``, ``loss``), chosen once by ``tracing.names.graph_names``; the code pane, the
picture, the captions and the details pane all read it from here. A group box is called by its title; a number
by at most 4 digits, an array by a short summary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


def number(x: Any) -> str:
    """A number (or a one-element array) in at most 4 significant digits (0 for -0; "none" for no gradient)."""
    if x is None:
        return "none"
    x = float(np.reshape(x, -1)[0])
    return "0" if x == 0 else f"{x:.4g}"


def describe(x: Any, is_grad: bool) -> str:
    """A number as itself; an array as a short summary, never all its entries."""
    if x is None:
        return "none"
    if not isinstance(x, np.ndarray):
        return number(x)
    if x.size == 1:
        return number(x)
    if x.size == 0:
        return "empty"
    if is_grad:
        return f"norm {number(np.linalg.norm(x))}, {np.mean(x == 0):.0%} zero"
    return f"mean {number(x.mean())}, range [{number(x.min())}, {number(x.max())}]"


def shape_of(node: Any) -> str:
    """'shape (2, 3)' for a Tensor holding more than one number, else ''."""
    data = node.data
    if isinstance(data, np.ndarray) and data.size != 1:
        return f"shape {data.shape}"
    return ""
