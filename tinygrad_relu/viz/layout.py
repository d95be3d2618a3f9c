"""The fifth stage of a page: its pictures laid out by the system ``dot``. Every picture the boxes make (the main
one at the level the page opens on, one per layer box expanded in place into its neurons, one per box opened in
place onto its scalar nodes), each drawn as what was said of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .draw_groups import draw_grouped, draw_nodes
from .groups import Boxes
from .look import svgs
from .record import Recording
from .said import Said


@dataclass
class Pictures:
    """A page's pictures as SVG, by level: "" the picture as opened, a layer's key that layer expanded into its
    neurons, a box's key that box opened in place onto its nodes. ``parents``: the level each opened box is
    opened from; ``across``: which way the main picture runs."""

    levels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    across: str = "LR"


def lay_out(recording: Recording, boxes: Boxes, said: Said) -> Pictures:
    """Every picture of the page of ``recording``, drawn as ``boxes`` and labelled as ``said``."""
    nodes, top = recording.nodes, boxes.top
    if not top:
        sources = [draw_nodes(said.title, nodes, said.alone, recording.final).source]
    else:
        # a layer level reads top to bottom, inputs first: the whole network fits the stage with readable text
        across = "TB" if boxes.level == "layer" else "LR" if np.size(top[0].output.data) == 1 else None
        sources = []
        for key, view in boxes.views.items():
            flows, words = said.views[key]
            settings: dict[str, Any] = {"hidden": boxes.hidden, "fold": view.fold, "open": view.opened}
            drawing = draw_grouped(
                nodes, view.groups, view.owner, said.names, flows, words, None, said.title, True, across, settings
            )
            sources.append(drawing.source)
    levels = dict(zip(boxes.views or [""], svgs(sources)))  # every picture drawn by one run of dot
    parents = {key: view.parent for key, view in boxes.views.items() if view.opened is not None}
    return Pictures(levels, parents, "TB" if "rankdir=TB" in sources[0] else "LR")
