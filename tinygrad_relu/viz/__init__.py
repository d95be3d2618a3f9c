"""Seeing the backward pass, in stages: ``record.py`` works out what a pass did, ``groups.py`` which nodes make
a neuron or a layer, ``names.py`` what each node is called (``explain.py``: why each local derivative is what it
is, one row per op), ``said.py`` what a page says at each step; ``draw.py`` and ``draw_groups.py`` turn them into
graphviz drawings, ``layout.py`` into a page's pictures and ``page.py`` into the page ``explore`` returns.
``import tinygrad_relu`` loads this package only on the first drawing."""

from .draw import Drawing, GraphvizNotFoundError, backward_frames, draw_graph, save_graph, write_frames
from .explore import Explorer, explore

__all__ = [
    "Drawing",
    "Explorer",
    "GraphvizNotFoundError",
    "backward_frames",
    "draw_graph",
    "explore",
    "save_graph",
    "write_frames",
]
