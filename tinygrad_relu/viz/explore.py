"""The backward pass in the browser: ``explore(loss)`` gives one self-contained HTML page to step through it.

The page holds everything it needs -- SVG drawn by the system ``dot``, the pass as JSON, the vendored
pan/zoom library and the script and style of ``explorer.html`` -- so it works from ``file://``, offline, and
inline in Jupyter: it makes no network request of any kind. It starts at "step 0 of N" (forward values,
only the seed known) with readable text on the root; each step runs one more backward closure: the node
whose closure ran lights up and stays in view, the edges it filled turn from thin grey to arrows pointing at
the inputs that received the gradient, every gradient known so far is shown, and the caption says what the
closure did in the names on the screen (``names.py``). A click on a node opens its details (op, data,
gradient at this step, and per input the local derivative, why it has that value (``explain.py``), and the
chain-rule product it carried); a click on a group box opens its scalar nodes over the picture, and a
second click folds them back. The details are one pane of a side column (``#side``); the code pane below it
shows the pass as ``trace`` writes it, the current step's statements lit, and a click on one selects its node.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..tracing import TraceError, graph_source_lines
from .draw_groups import STEP_LINE, add_into, carried_text, draw_grouped, group_edges, group_grad, summed
from .explain import caption, reason
from .groups import LEVELS, Group, dead_on_every_sample, find_groups, representative
from .look import (
    DIRECTION_RULE,
    EDGE,
    FORWARD_ONLY,
    LEAF,
    WAITING_EDGE,
    GraphvizNotFoundError,
    add_legend,
    edge_rows,
    encodable,
    legend_row,
    new_drawing,
    plain,
    record_field,
)
from .names import node_names, short_title, span
from .page import content_security_policy, fill, script_json
from .page import template as page_template
from .trace import (
    OFF,
    Step,
    default_seed,
    describe,
    is_zero,
    nodes_within,
    number,
    op_title,
    shape_of,
    trace_backward,
)

_NO_GRAD = "–"  # what a gradient shows before any closure has sent it one
FIT_NODES = 40  # a scalar graph this small reads best node by node, whatever made it
FIT_BOXES = 12  # past this many neuron boxes the first view would need text under 11 px: open on layers
FIT_INPUTS = 8  # past this many inputs a layer level draws them as one box
VIEW_NODES = 4000  # past this many scalar nodes in the boxes that open, the page leaves their pictures out
WARN_MB, MAX_MB = 5.0, 20.0  # a page past WARN_MB warns; past max_mb (MAX_MB unless given) it is refused


class Explorer:
    """A built explorer page: ``.save("pass.html")`` writes it, and Jupyter shows it inline."""

    def __init__(self, page: str, steps: int, title: str, data: dict[Any, Any]) -> None:
        self.html = page
        self.steps = steps
        self.title = title
        #: what the page steps through, as Python data: ``data["steps"][k - 1]`` is closure k (the node
        #: that ran and the inputs it filled), ``data["nodes"][i]`` a node with, per input, the local
        #: derivative, its reason, the chain-rule product and the kind of edge ("full", "alpha", "zero")
        self.data = data

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (one .html file, nothing else needed); returns the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # A sandbox without allow-same-origin: the page's script runs but can never reach the notebook.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'title="{html.escape(self.title)}" '
            'style="width:100%;height:720px;border:1px solid #ccc"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}, {self.steps} steps, {len(self.html) / 1e6:.2f} MB)"


def _svgs(sources: list[str]) -> list[str]:
    """Every DOT source rendered to SVG by one run of ``dot`` (one process, not one per drawing)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError()
    done = subprocess.run([program, "-Tsvg"], input="\n".join(sources).encode("utf-8"), capture_output=True, check=True)
    svgs = re.findall(r"<svg.*?</svg>", done.stdout.decode("utf-8"), flags=re.S)
    if len(svgs) != len(sources):
        raise RuntimeError(f"dot drew {len(svgs)} pictures for {len(sources)} graphs")
    return svgs


def _grad_text(grad: Any, complete: bool) -> str:
    if grad is None:
        return _NO_GRAD
    return describe(grad, is_grad=True) + ("" if complete else " so far")


def _histogram(grad: Any) -> dict[Any, Any] | None:
    """Ten bins of a Tensor's gradient, and the share of its entries that are exactly zero."""
    if not isinstance(grad, np.ndarray) or grad.size <= 1:
        return None
    values = grad[np.isfinite(grad)]
    if values.size == 0:
        return None
    counts, edges = np.histogram(values, bins=10)
    return {
        "counts": counts.tolist(),
        "lo": number(edges[0]),
        "hi": number(edges[-1]),
        "zero": float(np.mean(grad == 0)),
    }


def _node_box(node: Any, name: str, grad: Any, grad_text: str | None) -> str:
    """A node of an expanded view: name, op, [shape,] data, grad (``grad_text``: the longest it will show)."""
    fields = [name, op_title(node) or LEAF]
    if shape_of(node):
        fields.append(shape_of(node))
    fields += [f"data {describe(node.data, is_grad=False)}", grad_text or f"grad {describe(grad, is_grad=True)}"]
    return " | ".join(record_field(f) for f in fields)


def _node_view(
    title: str,
    members: list[Any],
    stubs: dict[Any, Any],
    names: dict[Any, Any],
    index: dict[Any, Any],
    step: Step,
    owner: dict[Any, Any],
    grad_texts: dict[str, str],
) -> str:
    """DOT of scalar nodes: ``members`` as boxes, and ``stubs`` (outside nodes feeding them) as small labels.

    An edge that carried a gradient has its arrowhead at the input that received it (``dir=back``: the
    layout still reads from the inputs to the output); one that carried none has no arrowhead.
    """
    drawing = new_drawing("view", "LR", title)
    inside = {id(node) for node in members}
    kinds: set[str] = set()
    for node in stubs.values():
        drawing.node(
            f"s{index[id(node)]}", plain(stub_label(node, names, owner)), shape="plaintext", fontcolor="#606060"
        )
    for node in members:
        key = f"n{index[id(node)]}"
        drawing.node(key, _node_box(node, names[id(node)], step.grads.get(id(node)), grad_texts.get(key)))
    for node in members:
        for flow in step.flows.get(id(node), []):
            parent = flow.parent
            tail = f"n{index[id(parent)]}" if id(parent) in inside else f"s{index[id(parent)]}"
            text = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
            look = dict(EDGE[flow.kind], dir="back") if flow.kind != OFF else dict(EDGE[OFF])
            drawing.edge(tail, f"n{index[id(node)]}", label=plain(text) if flow.kind != OFF else None, **look)
            kinds.add(flow.kind)
        if id(node) not in step.flows:
            for parent in dict.fromkeys(node._prev):
                tail = f"n{index[id(parent)]}" if id(parent) in inside else f"s{index[id(parent)]}"
                drawing.edge(tail, f"n{index[id(node)]}", **WAITING_EDGE)
    if not stubs:  # the main picture of a graph drawn node by node: the legend says how to read its edges
        rows = edge_rows(kinds) + legend_row("◀━━", DIRECTION_RULE) + legend_row("───", FORWARD_ONLY, "#b0b0b0")
        add_legend(drawing, rows, beside=f"n{index[id(members[-1])]}")
    return str(drawing.source)


def stub_label(node: Any, names: dict[Any, Any], owner: dict[Any, Any]) -> str:
    """How an expanded view names a node from outside the group: 'x1', or 'h1_3 (neuron 1.3)'."""
    group = owner.get(id(node))
    return names[id(node)] if group is None else f"{names[id(node)]} ({short_title(group)})"


def _outside_inputs(members: list[Any]) -> dict[Any, Any]:
    inside = {id(node) for node in members}
    return {id(p): p for node in members for p in node._prev if id(p) not in inside}


def _node_data(
    node: Any,
    i: int,
    names: dict[Any, Any],
    index: dict[Any, Any],
    owner: dict[Any, Any],
    numbers: dict[Any, Any],
    flows: dict[Any, Any],
    upstream: Any,
    name_of: Any,
) -> dict[Any, Any]:
    """What the details panel shows of one node, apart from its gradient (which changes by step)."""
    group = owner.get(id(node))
    inputs = []
    for flow in flows.get(id(node), []):
        local = number(flow.local) if flow.scalar else "a Jacobian (see the histogram of what it carried)"
        carried = number(flow.carried) if flow.scalar else describe(flow.carried, is_grad=True)
        product = (
            f"{number(upstream)} × {number(flow.local)} = {carried}"
            if flow.scalar
            else f"upstream {describe(upstream, is_grad=True)} → {carried}"
        )
        inputs.append(
            {
                "p": index[id(flow.parent)],
                "local": local,
                "why": reason(node, flow.parent, name_of),
                "chain": product if flow.kind != OFF else "no gradient asked for",
                "kind": flow.kind,
                "uses": flow.uses,
            }
        )
    return {
        "name": names[id(node)],
        "op": op_title(node) or LEAF,
        "label": node.label,
        "shape": str(np.shape(node.data)) if shape_of(node) else "",
        "data": describe(node.data, is_grad=False),
        "ran": numbers.get(id(node), 0),
        "group": group.key if group is not None else None,
        "inputs": inputs,
        "parents": [index[id(p)] for p in dict.fromkeys(node._prev)],
    }


def _memberships(groups: list[Group]) -> dict[int, list[Group]]:
    """id(node) -> every group it is drawn in (a layer's box and, once the layer is open, its neuron's)."""
    found: dict[int, list[Group]] = {}
    for group in groups:
        for node in group.members:
            found.setdefault(id(node), []).append(group)
    return found


def _changes(
    nodes: list[Any], groups: list[Group], steps: list[Step], seed: Any, index: dict[Any, Any]
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """For each drawn box, its gradient text at every step where it changes; and Tensor histograms likewise."""
    users: dict[int, list[Any]] = {id(node): [] for node in nodes}
    for node in nodes:
        for parent in dict.fromkeys(node._prev):
            users[id(parent)].append(node)
    ran_at = {id(step.current): k for k, step in enumerate(steps, 1)}
    complete_at = {id(n): max((ran_at.get(id(u), 0) for u in users[id(n)]), default=0) for n in nodes}
    root = nodes[-1]
    texts: dict[str, list[Any]] = {f"n{index[id(node)]}": [[0, _NO_GRAD]] for node in nodes}
    texts[f"n{index[id(root)]}"] = [[0, describe(seed, is_grad=True)]]
    hists: dict[str, list[Any]] = {}
    in_groups = _memberships(groups)
    for group in groups:
        grad0 = group_grad(group, {id(root): seed})
        texts[group.key] = [[0, _grad_text(grad0, group.output is root)]]
    for k, step in enumerate(steps, 1):
        touched: dict[int, Any] = {id(p): p for p in step.current._prev}
        for parent in touched.values():
            grad = step.grads.get(id(parent))
            key = f"n{index[id(parent)]}"
            texts[key].append([k, _grad_text(grad, complete_at[id(parent)] <= k)])
            hist = _histogram(grad)
            if hist is not None:
                hists.setdefault(key, []).append([k, hist])
        changed = {id(g): g for p in touched.values() for g in in_groups.get(id(p), [])}
        for group in changed.values():
            done = all(complete_at[id(o)] <= k for o in group.outputs)
            texts[group.key].append([k, _grad_text(group_grad(group, step.grads), done)])
    return texts, hists


def _levels(nodes: list[Any], group: str | None) -> tuple[list[Group], dict[str, list[Group]], str | None]:
    """The boxes a page opens on, each layer box's neuron boxes (it expands into them in place), and the level
    opened on. ``group="auto"``: one box per neuron when they fit the view with readable text, else per layer."""
    if group not in ("auto", None, *LEVELS):
        raise ValueError(f"group must be 'auto', 'neuron', 'layer' or None, got {group!r}")
    if group is None:
        return [], {}, None
    neurons = find_groups(nodes, "neuron")
    tensor = bool(neurons) and isinstance(neurons[0].output.data, np.ndarray)
    if group == "neuron" or tensor or (group == "auto" and len(neurons) <= FIT_BOXES):
        return neurons, {}, ("layer" if tensor else "neuron") if neurons else None
    layers = find_groups(nodes, "layer")
    owned = {id(node) for g in layers for node in g.members}
    readers = {id(p) for g in layers for node in g.members for p in node._prev if not p._prev and id(p) not in owned}
    inputs = [n for n in nodes if id(n) in readers]
    if len(inputs) > FIT_INPUTS:  # many inputs (an image's pixels): one box, in order, not a row of boxes
        layers.insert(0, Group("gin", "inputs", (), inputs[-1], inputs, 0, inputs, [None] * len(inputs)))
    inner: dict[str, list[Group]] = {}
    units = iter(range(len(neurons)))
    for layer in layers:
        mine = [g for g in neurons if g.output in layer.outputs and len(layer.outputs) > 1]
        for g in mine:
            g.key = f"u{next(units)}"
        if mine:
            inner[layer.key] = mine
    return layers, inner, "layer"


def _mean_counts(nodes: list[Any]) -> set[int]:
    """The ids of the counts a mean divides by (an unlabelled one-number leaf read only as a divisor): a page
    says them on the division's box and draws no box for them, which would show a gradient nobody asked for."""
    readers: dict[int, list[Any]] = {}
    for node in nodes:
        for parent in node._prev:
            readers.setdefault(id(parent), []).append(node)
    return {
        id(node)
        for node in nodes
        if not node._prev
        and not getattr(node, "label", "")
        and np.size(node.data) == 1
        and readers.get(id(node))
        and all(r._op == "/" and r._prev[-1] is node and r._prev[0] is not node for r in readers[id(node)])
    }


def _edge_texts(edges: list[Any], numbers: dict[Any, Any]) -> dict[str, list[Any]]:
    """ "tail->head" -> [[step, label]] for each drawn edge: what it had carried after each step that added to it."""
    found: dict[str, list[Any]] = {}
    for edge in edges:
        by_step: dict[int, list[Any]] = {}
        for child, flow in edge.flows:
            by_step.setdefault(numbers[id(child)], []).append(flow)
        per_input: dict[int, Any] = {}
        changes = []
        for k in sorted(by_step):
            for flow in by_step[k]:
                add_into(per_input, flow)
            changes.append([k, carried_text(summed(per_input))])
        found[f"{edge.tail}->{edge.head}"] = changes
    return found


def _step_runs(groups: list[Group], steps: list[Step], names: dict[Any, Any]) -> dict[str, list[Any]]:
    """group key -> [[step, name of the node whose closure ran]] for the steps that ran inside the box."""
    in_groups = _memberships(groups)
    runs: dict[str, list[Any]] = {g.key: [] for g in groups}
    for k, step in enumerate(steps, 1):
        for group in in_groups.get(id(step.current), []):
            runs[group.key].append([k, names[id(step.current)]])
    return runs


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
    nodes = nodes_within(root, max_nodes, hint=True) if group is None else nodes_within(root, 10**9)
    if (
        group == "auto"
        and len(nodes) <= FIT_NODES
        and np.size(root.data) == 1
        and not isinstance(root.data, np.ndarray)
    ):
        group = None
    top, inner, level = _levels(nodes, group)
    seed = default_seed(root) if seed is None else seed
    steps = trace_backward(root, nodes, seed, every_step=True)
    if steps[0].current is None:
        raise ValueError("the root is a leaf: its backward pass runs no closure, so there is nothing to explore")
    final = replace(steps[-1], current=None)  # the whole pass, drawn with no closure standing out
    names = node_names(nodes)
    neurons = [g for gs in inner.values() for g in gs]
    every = top + neurons
    fine = neurons + [g for g in top if g.key not in inner and g.modules]  # the boxes that open onto their nodes
    owner = representative(fine)
    index = {id(node): i for i, node in enumerate(nodes)}
    hidden = _mean_counts(nodes) if top else set()
    title = title or f"backward pass from {names[id(root)]}" + (f", one box per {level}" if level else "")
    dead = dead_on_every_sample(every, dataset)
    texts, hists = _changes(nodes, every, steps, seed, index)
    runs = _step_runs(every, steps, names)
    # each box drawn wide enough for the longest gradient text a step will write into it
    widest = {key: "grad " + max((t for _, t in changes), key=len) for key, changes in texts.items()}
    longest = {key: max((len(name) for _, name in ran), default=1) for key, ran in runs.items()}
    page = {
        "hidden": hidden,
        "steps": {key: f"{STEP_LINE} now {len(steps)}, {'m' * n}" for key, n in longest.items()},
    }
    # a layer level reads top to bottom, inputs first: the whole network fits the stage with readable text
    across = "TB" if level == "layer" else "LR" if top and np.size(top[0].output.data) == 1 else None
    sources: list[str] = []
    levels = [""]
    edges: list[Any] = []
    if top:
        sources.append(
            draw_grouped(
                nodes, top, names, final, seed, title, dead, grad_texts=widest, rankdir=across, page=page
            ).source
        )
        edges += group_edges(nodes, representative(top), _dot_names(nodes, hidden), final)
        for key, units in inner.items():
            layer = next(g for g in top if g.key == key)
            groups = [g for g in top if g is not layer] + units
            opened = {**page, "fold": layer.column}
            drawing = draw_grouped(
                nodes, groups, names, final, seed, title, dead, grad_texts=widest, rankdir=across, page=opened
            )
            sources.append(drawing.source)
            edges += group_edges(nodes, representative(groups), _dot_names(nodes, hidden), final)
            levels.append(key)
    else:
        sources.append(_node_view(title, nodes, {}, names, index, final, owner, widest))
    members = sum(len(g.members) for g in fine)
    views = fine if members <= VIEW_NODES else []
    for g in views:
        sources.append(_node_view(g.title, g.members, _outside_inputs(g.members), names, index, final, owner, widest))
    svgs = _svgs(sources)
    final_grad = {id(n): final.grads.get(id(n)) for n in nodes}
    name_of = _name_of(names)
    data_nodes = [
        _node_data(n, i, names, index, owner, final.numbers, final.flows, final_grad[id(n)], name_of)
        for i, n in enumerate(nodes)
    ]
    captions = [caption(s.current, names) for s in steps]
    payload = {
        "title": title,
        "steps": [
            {
                "node": index[id(s.current)],
                "op": op_title(s.current),
                "filled": [index[id(p)] for p in dict.fromkeys(s.current._prev)],
                "caption": text,
                "mentions": [names[id(node)] for node in said],
            }
            for s, (text, said) in zip(steps, captions)
        ],
        "nodes": data_nodes,
        "groups": {
            g.key: {
                "title": g.title,
                "members": [f"n{index[id(m)]}" for m in g.members],
                "output": index[id(g.output)],
                "about": _about(g, names),
                "expands": g.key in inner,
                "view": any(v is g for v in views),
            }
            for g in every
        },
        "texts": texts,
        "hists": hists,
        "runs": runs,
        "edges": _edge_texts(edges, final.numbers),
        "seed": describe(seed, is_grad=True),
        "across": "TB" if "rankdir=TB" in sources[0] else "LR",  # which way the main picture runs to its root
        "zero_root": bool(is_zero(seed)),
        "code": _code(root),
        "views_left_out": "" if views or not fine else f"{members} scalar nodes in {len(fine)} boxes",
    }
    mains = "".join(
        f'<div class="level" data-level="{key}"{" hidden" if key else ""}>{svg}</div>'
        for key, svg in zip(levels, svgs[: len(levels)])
    )
    views_html = "".join(
        f'<section class="view" id="view-{g.key}" hidden><h3>{html.escape(g.title)} '
        f'<button class="fold" data-group="{g.key}">fold back</button></h3><div class="picture">{svg}</div></section>'
        for g, svg in zip(views, svgs[len(levels) :])
    )
    template = page_template("explorer.html")
    values = {"TITLE": html.escape(title), "MAIN": mains, "VIEWS": views_html, "DATA": script_json(payload)}
    page_text = encodable(fill(template, {"CSP": content_security_policy(template), **values}))
    _check_size(page_text, max_mb, level)
    return Explorer(page_text, len(steps), encodable(title), payload)


def _dot_names(nodes: list[Any], hidden: set[int]) -> dict[int, str]:
    """DOT names of the drawn nodes: n<k>, k the place in the whole graph (as the page's data)."""
    return {id(node): f"n{i}" for i, node in enumerate(nodes) if id(node) not in hidden}


def _name_of(names: dict[Any, Any]) -> Any:
    def name_of(node: Any) -> str:
        return str(names[id(node)])

    return name_of


def _check_size(page: str, max_mb: float, level: str | None) -> None:
    """Warn over ``WARN_MB``; refuse over ``max_mb``, saying what would fit."""
    size = len(page.encode("utf-8")) / 1e6
    smaller = "a smaller sample or network" if level == "layer" else "group='layer'"
    if size > max_mb:
        raise ValueError(
            f"the explorer page would be {size:.1f} MB, over max_mb={max_mb:g}: draw it with {smaller}, or pass "
            f"max_mb={int(size) + 1} to write it anyway (a browser takes seconds to open a page that big)"
        )
    if size > WARN_MB:
        warnings.warn(f"the explorer page is {size:.1f} MB: it opens slowly; {smaller} makes it smaller", stacklevel=3)


def _code(root: Any) -> dict[str, Any]:
    """The code pane's statements, each as [text, node place or -1, "f"/"b"/""], or why there is no code."""
    try:
        lines = graph_source_lines(root)
    except TraceError as error:  # an op trace cannot write (a custom_op): the page still works, its pane says why
        return {"error": " ".join(str(error).split())}
    return {"lines": [[text, i, phase[:1]] for text, i, phase in lines]}


def _about(group: Group, names: dict[Any, Any]) -> str:
    """What a group's box holds, for the details panel."""
    if isinstance(group.output.data, np.ndarray):
        return f"{len(group.members)} Tensor nodes: " + ", ".join(names[id(m)] for m in group.members)
    outputs = span([names[id(o)] for o in group.outputs])
    return f"{len(group.members)} scalar nodes, its output{'s' if len(group.outputs) > 1 else ''} {outputs}"
