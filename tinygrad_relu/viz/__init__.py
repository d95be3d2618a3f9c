"""Seeing the backward pass: ``trace.py`` works out what a pass did (no graphviz needed), ``draw.py``
turns it into graphviz drawings. ``import tinygrad_relu`` loads this package only on the first drawing."""

from .draw import Drawing, GraphvizNotFoundError, backward_frames, draw_graph, save_graph, write_frames

__all__ = ["Drawing", "GraphvizNotFoundError", "backward_frames", "draw_graph", "save_graph", "write_frames"]
