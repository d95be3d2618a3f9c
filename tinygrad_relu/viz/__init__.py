"""Seeing the backward pass: ``trace.py`` works out what a pass did and ``groups.py`` which nodes make a
neuron or a layer (neither needs graphviz); ``draw.py`` and ``draw_groups.py`` turn them into graphviz
drawings, and ``explore.py`` into an interactive page. ``import tinygrad_relu`` loads this package
only on the first drawing."""

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
