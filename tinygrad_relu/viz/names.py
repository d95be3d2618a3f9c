"""The names the screen shows: how captions, panels and frame titles call a node, the way its box does.

A node no module made is called by its one stable name (``x1``, ``loss``, ``v404``); a node inside a group box
by the box and its role there (``neuron 2.12's weighted sum``, ``neuron 2.12's w3``); a one-output group's
output, seen from elsewhere, by the box alone (``neuron 1.3``).
"""

from __future__ import annotations

from typing import Any

from .groups import Group, roles


def short_title(group: Group) -> str:
    """A group as a caption names it: 'neuron 2.12', 'layer 1' (a Tensor layer's title without its modules)."""
    return group.title.split(":")[0]


def screen_names(
    nodes: list[Any], groups: list[Group], names: dict[Any, Any]
) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
    """Three ways to name a node as the screen does: id(node) -> how other boxes' text names it ('x1', and
    a one-output group's output by its box: 'neuron 1.3'); its name in its group's expanded view ('weighted
    sum', 'w3'); and its full name (x1, "neuron 2.12's leaky_relu")."""
    screen, inner, full = dict(names), dict(names), dict(names)
    for group in groups:
        for node_id, role in roles(group).items():
            inner[node_id] = role
            screen[node_id] = full[node_id] = f"{short_title(group)}'s {role}"
        if len(group.outputs) == 1:  # the box stands for its output: the rest of the graph reads it
            screen[id(group.output)] = short_title(group)
    return screen, inner, full


def namer(node: Any, screen: dict[Any, Any], inner: dict[Any, Any], owner: dict[Any, Any], its: str) -> Any:
    """How text about ``node`` names another node: its own group's members by role (``its`` + "w3"), others as
    drawn."""
    group = owner.get(id(node))

    def name_of(other: Any) -> str:
        if group is not None and owner.get(id(other)) is group:
            return f"{its}{inner[id(other)]}"
        return str(screen[id(other)])

    return name_of
