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
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..tracing import TraceError, graph_source_lines
from .draw_groups import box_word, draw_grouped, group_grad
from .explain import caption, reason
from .groups import Group, dead_on_every_sample, find_groups, representative, stable_names
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
from .names import namer, screen_names, short_title
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
    """How an expanded view names a node from outside the group: 'x1', or 'from neuron 1.3'."""
    group = owner.get(id(node))
    return names[id(node)] if group is None else f"from {short_title(group)}"


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
    by_member = representative(groups)
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
        for group in {id(g): g for p in touched.values() if (g := by_member.get(id(p))) is not None}.values():
            done = all(complete_at[id(o)] <= k for o in group.outputs)
            texts[group.key].append([k, _grad_text(group_grad(group, step.grads), done)])
    return texts, hists


def explore(
    root: Any,
    group: str | None = None,
    seed: Any = None,
    dataset: Any = None,
    max_nodes: int = 500,
    title: str | None = None,
) -> Explorer:
    """An interactive page that steps through the backward pass from ``root``, closure by closure.

    ``group="neuron"`` or ``"layer"`` draws a network one box per neuron or layer (click one to see
    its scalar nodes), as ``draw_graph`` does; ``dataset`` marks units dead on every sample. The pass
    runs on the side: every ``.grad`` is left as it was. Needs the graphviz program ``dot``.
    """
    checks.count(max_nodes, "max_nodes")
    if group is None:
        nodes = nodes_within(root, max_nodes, hint=True)
    else:
        nodes = nodes_within(root, 10**9)
    groups = find_groups(nodes, group)
    seed = default_seed(root) if seed is None else seed
    steps = trace_backward(root, nodes, seed, every_step=True)
    if steps[0].current is None:
        raise ValueError("the root is a leaf: its backward pass runs no closure, so there is nothing to explore")
    final = replace(steps[-1], current=None)  # the whole pass, drawn with no closure standing out
    names, owner = stable_names(nodes), representative(groups)
    index = {id(node): i for i, node in enumerate(nodes)}
    title = title or f"backward pass from {names[id(root)]}" + (
        f", one box per {box_word(groups, group)}" if groups else ""
    )
    dead = dead_on_every_sample(groups, dataset)
    screen, inner, full = screen_names(nodes, groups, names)
    texts, hists = _changes(nodes, groups, steps, seed, index)
    # each box drawn wide enough for the longest gradient text a step will write into it
    widest = {key: "grad " + max((t for _, t in changes), key=len) for key, changes in texts.items()}
    if groups:
        main_dot = draw_grouped(nodes, groups, names, final, seed, title, dead, grad_texts=widest).source
        views = [
            _node_view(g.title, g.members, _outside_inputs(g.members), inner, index, final, owner, widest)
            for g in groups
        ]
    else:
        main_dot = _node_view(title, nodes, {}, names, index, final, owner, widest)
        views = []
    svgs = _svgs([main_dot, *views])
    final_grad = {id(n): final.grads.get(id(n)) for n in nodes}
    namers = {id(n): namer(n, screen, inner, owner, "") for n in nodes}
    data_nodes = [
        _node_data(n, i, full, index, owner, final.numbers, final.flows, final_grad[id(n)], namers[id(n)])
        for i, n in enumerate(nodes)
    ]
    members_of = {g.key: [f"n{index[id(m)]}" for m in g.members] for g in groups}
    captions = [caption(s.current, full[id(s.current)], namer(s.current, screen, inner, owner, "its ")) for s in steps]
    payload = {
        "title": title,
        "steps": [
            {
                "node": index[id(s.current)],
                "op": op_title(s.current),
                "filled": [index[id(p)] for p in dict.fromkeys(s.current._prev)],
                "caption": text,
                "mentions": _mentions(s.current, said, owner, names, inner),
            }
            for s, (text, said) in zip(steps, captions)
        ],
        "nodes": data_nodes,
        "groups": {
            g.key: {
                "title": g.title,
                "members": members_of[g.key],
                "output": index[id(g.output)],
                "about": _about(g, inner),
            }
            for g in groups
        },
        "texts": texts,
        "hists": hists,
        "seed": describe(seed, is_grad=True),
        "across": "TB" if "rankdir=TB" in main_dot else "LR",  # which way the main picture runs to its root
        "zero_root": bool(is_zero(seed)),
        "code": _code(root),
    }
    views_html = "".join(
        f'<section class="view" id="view-{g.key}" hidden><h3>{html.escape(g.title)} '
        f'<button class="fold" data-group="{g.key}">fold back</button></h3><div class="picture">{svg}</div></section>'
        for g, svg in zip(groups, svgs[1:])
    )
    template = page_template("explorer.html")
    values = {"TITLE": html.escape(title), "MAIN": svgs[0], "VIEWS": views_html, "DATA": script_json(payload)}
    page = encodable(fill(template, {"CSP": content_security_policy(template), **values}))
    return Explorer(page, len(steps), encodable(title), payload)


def _code(root: Any) -> dict[str, Any]:
    """The code pane's statements, each as [text, node place or -1, "f"/"b"/""], or why there is no code."""
    try:
        lines = graph_source_lines(root)
    except TraceError as error:  # an op trace cannot write (a custom_op): the page still works, its pane says why
        return {"error": " ".join(str(error).split())}
    return {"lines": [[text, i, phase[:1]] for text, i, phase in lines]}


def _mentions(
    node: Any, said: list[Any], owner: dict[Any, Any], names: dict[Any, Any], inner: dict[Any, Any]
) -> list[Any]:
    """The nodes a step's caption names (``said``), each as [the group box it is drawn in or None, its name there]."""
    found = []
    for other in said:
        group = owner.get(id(other))
        if group is None:
            found.append([None, names[id(other)]])
        elif len(group.outputs) == 1 and other is group.output and owner.get(id(node)) is not group:
            found.append([group.key, None])  # named by its box's title alone
        else:
            found.append([group.key, inner[id(other)]])
    return found


def _about(group: Group, inner: dict[Any, Any]) -> str:
    """What a group's box holds, for the details panel."""
    if isinstance(group.output.data, np.ndarray):
        return f"{len(group.members)} Tensor nodes: " + ", ".join(inner[id(m)] for m in group.members)
    return f"{len(group.members)} scalar nodes"
