"""What a row of the explanations reads: the op's node, the input asked about and the names on the screen
(``Local`` for a reason, ``Caption`` for a caption), and the row itself (``Op``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..words import span


def param(out: Any, name: str) -> Any:
    """The op's parameter ``name`` as its node holds it (a Value op holds its one parameter as it is)."""
    arg = out._arg
    return arg[name] if isinstance(arg, dict) else arg


def scalar(x: Any) -> float:
    """The first number of ``x`` (a float, or a one-element array)."""
    return float(np.reshape(x, -1)[0])


def shape(x: Any) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple (() for a float)."""
    return tuple(np.shape(x))


@dataclass
class Local:
    """What a reason reads: the op's node, the input asked about, how the screen names a node and the op's row."""

    out: Any
    parent: Any
    name_of: Callable[[Any], str]
    row: Op

    @property
    def prev(self) -> Any:
        """The op's inputs."""
        return self.out._prev

    @property
    def first(self) -> bool:
        """Whether the input asked about is the op's first."""
        return bool(self.prev[0] is self.parent)

    @property
    def other(self) -> Any:
        """The op's second input, if it has one."""
        return self.prev[1] if len(self.prev) > 1 else None

    @property
    def x(self) -> float:
        """The first input's number."""
        return scalar(self.prev[0].data)

    @property
    def shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The output's shape and the input's."""
        return shape(self.out.data), shape(self.parent.data)

    def broadcast(self) -> str:
        """Why the input's gradient is summed back: it was broadcast to the output's shape."""
        o, p = self.shapes
        if p == o:
            return ""
        return (
            f"; the input {p} was broadcast to {o}, so each of its entries was used several times and "
            f"its gradient is the upstream gradient summed over the broadcast axes back to {p}"
        )


@dataclass
class Caption:
    """What a caption reads: the op's node, the names on the screen and the op's row; it records every node it
    names."""

    out: Any
    names: dict[int, str]
    row: Op
    said: list[Any] = field(default_factory=list)

    @property
    def prev(self) -> Any:
        """The op's inputs."""
        return self.out._prev

    @property
    def subject(self) -> str:
        """The name of the node whose closure ran."""
        return self.names[id(self.out)]

    def name(self, node: Any) -> str:
        """A node by its name, said (and, if it asks for no gradient, that its closure skips it)."""
        self.said.append(node)
        if getattr(node, "requires_grad", True):
            return self.names[id(node)]
        return f"{self.names[id(node)]} (which asks for no gradient, so its closure skips it)"

    def bare(self, node: Any) -> str:
        """A node by its name alone, once it has been said."""
        return self.names[id(node)]

    def some(self, nodes: Any, most: int = 4) -> str:
        """Several nodes: listed, or past ``most`` as a span ('h1_1..h1_16')."""
        nodes = list({id(p): p for p in nodes}.values())
        if len(nodes) > most:
            self.said.extend(nodes)
            return span([self.names[id(p)] for p in nodes])
        return listed([self.name(p) for p in nodes])


def listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not names:
        return "nothing"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


Text = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Op:
    """One row of the table: how a drawing titles the op, and its reasons and caption (None: the generic one)."""

    scalar: Text | None = None
    tensor: Text | None = None
    caption: Text | None = None  # a clause after the node's name: "passed its gradient unchanged to x1 and x2"
    title: Callable[[Any], str] | None = None
    slope: Callable[[Any, str], str] | None = None  # a rectifier's slope where the input is <= 0
