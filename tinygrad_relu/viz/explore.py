"""The backward pass in the browser: ``explore(loss)`` gives one self-contained HTML page to step through it.

The page holds everything it needs -- SVG drawn by the system ``dot``, the pass as JSON, the vendored
pan/zoom library and the script and style of ``explorer.html`` -- so it works from ``file://``, offline, and
inline in Jupyter: it makes no network request of any kind. It starts at "step 0 of N" (forward values,
only the seed known) with readable text on the root; each step runs one more backward closure: the node
whose closure ran lights up and stays in view, the edges it filled turn from thin grey to arrows pointing at
the inputs that received the gradient, every gradient known so far is shown, and the caption says what the
closure did in the names on the screen (``names.py``). A click on a node opens its details (op, data,
gradient at this step, and per input the local derivative, why it has that value (``explain.py``), and the
chain-rule product it carried); a click on a layer box expands it in place into its neurons, a click on a
neuron box opens it in place onto its scalar nodes (its neighbours moved aside), and its heading folds it back.
The details are one pane of a side column (``#side``); the code pane below it shows the pass as ``trace``
writes it, the current step's statements lit, and a click on one selects its node.
"""

from __future__ import annotations

from typing import Any

from .. import checks
from .groups import levels
from .layout import lay_out
from .names import name
from .page import MAX_MB, Explorer, page
from .record import record
from .said import say


def explore(
    root: Any,
    group: str | None = "auto",
    seed: Any = None,
    dataset: Any = None,
    max_nodes: int = 500,
    title: str | None = None,
    max_mb: float = MAX_MB,
) -> Explorer:
    """An interactive page that steps through the backward pass from ``root``, closure by closure.

    ``group="auto"`` (the default) draws a small graph node by node, a network one box per neuron when they
    fit the view with readable text, else one box per layer; a click on a layer box expands it in place into
    its neurons, a click on a neuron box opens its scalar nodes, and the same click folds either back.
    ``"neuron"`` or ``"layer"`` choose the level, ``None`` draws node by node. ``dataset`` marks units dead on
    every sample. Every node is called by the one name the code pane's program gives it. A page over 5 MB
    warns, one over ``max_mb`` is refused. The pass runs on the side: every ``.grad`` is left as it was.
    Needs the graphviz program ``dot``.
    """
    checks.count(max_nodes, "max_nodes")
    recording = record(root, seed, max_nodes if group is None else None, hint=True)  # what the pass did
    if recording.steps[0].current is None:
        raise ValueError("the root is a leaf: its backward pass runs no closure, so there is nothing to explore")
    boxes = levels(recording, group, dataset)  # which nodes each box holds, at the level the page opens on
    named = name(recording)  # every node's one name, and the code pane's program that uses them
    said = say(recording, boxes, named, title)  # what the page says at each step
    pictures = lay_out(recording, boxes, said)  # the pictures, laid out by dot
    return page(recording, boxes, said, pictures, max_mb)  # the page, safe to open
