"""Seeing the backward pass, in stages, each taking the one before's result: ``record.py`` works out what a pass
did, ``groups.py`` which nodes make a neuron or a layer, ``names.py`` what each node is called, ``said.py`` what a
page says at each step (from ``explain/``: why each local derivative is what it is, one table row per op;
``flows.py``: what flowed between boxes; ``words.py``: all the text), ``layout.py`` a page's pictures (arranged by
``draw_groups.py``, looking as ``look.py`` says) and ``page.py`` the page ``explore`` returns; ``draw.py`` makes
the still graphviz drawings.
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
