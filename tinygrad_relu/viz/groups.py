"""The second stage: which nodes belong together in a drawing (a neuron, a layer), read from the tags modules
put on their outputs, and the level a page opens on (``levels``).

A module's call is noted for the nodes it returns, with the modules being called and the inputs it got
(``nn.module_call``). A group is then the tagged output and everything behind it up to those inputs:
for a scalar neuron its activation, its weighted sum and its weight and bias leaves. A graph built
without modules has no tags and no groups. Also here: which units are dead on every sample of a data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn import Layer, Neuron, RectifierWatch, module_call, note_module_calls
from ..tensor import Tensor
from .record import Recording

note_module_calls()  # the drawings read which module call returned each node: noted from when they load

LEVELS = ("neuron", "layer")
FIT_NODES = 40  # a scalar graph this small reads best node by node, whatever made it
FIT_BOXES = 12  # past this many neuron boxes the first view would need text under 11 px: open on layers
FIT_INPUTS = 8  # past this many inputs a layer level draws them as one box


@dataclass
class Group:
    """Nodes drawn as one box: what one module call (a neuron, or a layer) computed."""

    key: str  # "g0", "g1", ... in the order the forward pass made them
    title: str  # "neuron 1.4", "layer 2", "layer 1: Linear(2, 16) + LeakyReLU(alpha=0.01)"
    modules: tuple[Any, ...]  # the module(s) whose calls made it (a Linear and its activation: two)
    output: Any  # the node the rest of the graph reads (the last one made)
    members: list[Any] = field(default_factory=list)  # its nodes, leaves first
    column: int = 0  # which column of the picture it goes in: 1 for the first layer, 2 for the next, ...
    outputs: list[Any] = field(default_factory=list)  # a layer group of a scalar network: one per neuron
    units: list[Any] = field(default_factory=list)  # the innermost module that made each output
    model: Any = None  # the outermost module being called: the whole network


def _flat_nodes(inputs: Any) -> list[Any]:
    """The nodes among a module call's arguments (lists and tuples looked into, one level)."""
    found = []
    for arg in inputs:
        for item in arg if isinstance(arg, (list, tuple)) else (arg,):
            if isinstance(item, Tensor) or hasattr(item, "_prev"):
                found.append(item)
    return found


def module_calls(nodes: list[Any]) -> dict[int, tuple[Any, ...]]:
    """id(node) -> (the modules being called, outermost first, and the call's arguments) for each node of
    ``nodes`` (a topological order) that a module call returned, as ``nn.module_call`` noted it.

    The outermost module is the model whose call returned the last tagged node, nearest the root. A scalar
    ``Layer`` computes its neurons inside one call; each of its outputs is matched to its neuron here, through
    the first weight its weighted sum reads (the output is the neuron's activation of that sum, or the sum)."""
    noted = {id(node): call for node in nodes if (call := module_call(node)) is not None}
    tagged = [node for node in nodes if id(node) in noted]
    if not tagged:
        return {}
    model = noted[id(tagged[-1])].outermost
    paths = _paths_below(model)
    neurons = [n for m in model.modules() if isinstance(m, Layer) for n in m.neurons]
    by_first_weight = {id(n.w[0] if n.w else n.b): n for n in neurons}
    calls = {}
    for node in tagged:
        call = noted[id(node)]
        module = call.module
        total = node if node._op == "wsum" else node._prev[0] if node._prev else None
        if total is not None and total._op == "wsum" and total._prev and id(total._prev[0]) in by_first_weight:
            module = by_first_weight[id(total._prev[0])]
        path = paths.get(id(module), (call.outermost, module) if call.outermost is not module else (module,))
        calls[id(node)] = (path, call.inputs)
    return calls


def _paths_below(model: Any) -> dict[int, tuple[Any, ...]]:
    """id(module) -> the modules from ``model`` down to it, for every module below ``model`` (a module reached
    twice keeps its first path)."""
    paths: dict[int, tuple[Any, ...]] = {id(model): (model,)}
    for parent in model.modules():  # parents come before their children
        for _, child in parent.named_children():
            paths.setdefault(id(child), paths[id(parent)] + (child,))
    return paths


def _is_tensor_graph(nodes: list[Any]) -> bool:
    return bool(nodes) and isinstance(nodes[-1], Tensor)


def _module_names(root_module: Any) -> dict[Any, Any]:
    """id(module) -> its qualified name below the outermost module ("layers.0.neurons.3")."""
    return {id(m): name for name, m in root_module.named_modules()}


def _numbered(name: str) -> str:
    """'layers.0.neurons.3' -> '1.4': the list positions in a module's name, counted from 1."""
    return ".".join(str(int(part) + 1) for part in name.split(".") if part.isdigit())


def _title(module: Any, names: dict[Any, Any], level: str) -> str:
    name = names.get(id(module), "")
    kind = "neuron" if level == "neuron" else "layer"
    numbers = _numbered(name)
    if type(module).__name__ in ("Neuron", "Layer"):
        return f"{kind} {numbers}" if numbers else kind
    return f"{type(module).__name__} {numbers or name}".strip()


def find_groups(nodes: list[Any], level: str | None) -> list[Group]:
    """The groups of ``nodes`` (a topological order, leaves first) at ``level``: "neuron", "layer" or None.

    "neuron": what each innermost module call made (a scalar Neuron; for a Tensor network a Linear
    with the activation layer after it). "layer": for a scalar network every neuron of a Layer
    together; a Tensor network's layers are its neurons already. A node no module made stays alone.
    """
    if level is None:
        return []
    if level not in LEVELS:
        raise ValueError(f"group must be 'neuron', 'layer' or None, got {level!r}")
    tensor = _is_tensor_graph(nodes)
    position = {id(node): i for i, node in enumerate(nodes)}
    calls = module_calls(nodes)
    tagged = [node for node in nodes if id(node) in calls]
    if not tagged:
        return []
    names = _module_names(calls[id(tagged[-1])][0][0])
    owner: dict[int, Group] = {}
    groups: dict[tuple[Any, ...], Group] = {}
    parameters: dict[int, set[int]] = {}  # id(module) -> the ids of its parameters
    claimed_leaf: dict[int, Group | None] = {}
    for out in tagged:  # in forward order: a layer's inputs are grouped before the layer
        if id(out) in owner:
            continue
        path, inputs = calls[id(out)]
        unit = path[-1]
        boundary = {id(node) for node in _flat_nodes(inputs)}
        if isinstance(unit, Neuron):  # its layer made leaves of float inputs itself: a leaf not its own is an input
            if id(unit) not in parameters:
                parameters[id(unit)] = {id(p) for p in unit.parameters()}
            boundary |= {id(p) for p in _leaves_behind(out, calls) if id(p) not in parameters[id(unit)]}
        if not tensor and level == "layer" and len(path) >= 2:
            path = path[:-1]
        key = tuple(id(m) for m in path)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(f"g{len(groups)}", _title(path[-1], names, level), (path[-1],), out)
            group.model = path[0]
        group.output = out
        group.outputs.append(out)
        group.units.append(unit)
        owner[id(out)] = group
        stack = [out]
        while stack:  # everything behind the output, up to the call's inputs and other modules' outputs
            node = stack.pop()
            for parent in node._prev:
                if id(parent) in boundary or id(parent) not in position:
                    continue
                if not parent._prev:  # a leaf: a weight, a bias, a constant; shared by two groups: alone
                    if id(parent) in claimed_leaf and claimed_leaf[id(parent)] is not group:
                        claimed_leaf[id(parent)] = None
                    else:
                        claimed_leaf[id(parent)] = group
                    continue
                if id(parent) in owner or id(parent) in calls:
                    continue
                owner[id(parent)] = group
                stack.append(parent)
    for leaf_id, group in claimed_leaf.items():
        if group is not None:
            owner.setdefault(leaf_id, group)
    if tensor:
        _join_activations(groups, owner)
    order = {key: i for i, key in enumerate(names)}  # the model's own order of its modules
    result = sorted(
        {id(g): g for g in owner.values()}.values(),
        key=lambda g: (order.get(id(g.modules[0]), len(order)), position[id(g.output)]),
    )
    for i, group in enumerate(result):
        group.key = f"g{i}"
        group.members = []
    for node in nodes:
        group = owner.get(id(node))
        if group is not None:
            group.members.append(node)
    _columns(nodes, result, owner)
    result.sort(key=lambda g: g.column)  # stable: the model's order within a column
    for i, group in enumerate(result):
        group.key = f"g{i}"
    if tensor:
        for k, group in enumerate(result, 1):
            group.title = f"layer {k}: " + " + ".join(map(repr, group.modules))
    return result


def _leaves_behind(out: Any, calls: dict[int, tuple[Any, ...]]) -> list[Any]:
    """The leaves read by ``out`` and the inner nodes behind it that no other module call returned."""
    leaves, stack = [], [out]
    while stack:
        for parent in stack.pop()._prev:
            if not parent._prev:
                leaves.append(parent)
            elif id(parent) not in calls:
                stack.append(parent)
    return leaves


def _join_activations(groups: dict[Any, Any], owner: dict[Any, Any]) -> None:
    """Put an activation layer's node in the box of the layer whose output it reads."""
    for group in list(groups.values()):
        module = group.modules[-1]
        if not getattr(module, "joins_previous", False):
            continue
        sources = {id(owner[id(p)]): owner[id(p)] for p in group.output._prev if id(p) in owner}
        if len(sources) != 1:
            continue
        (target,) = sources.values()
        if target is group:
            continue
        for node_id, g in list(owner.items()):
            if g is group:
                owner[node_id] = target
        target.modules = target.modules + (module,)
        target.output = group.output
        target.outputs = [group.output]


def _columns(nodes: list[Any], groups: list[Group], owner: dict[Any, Any]) -> None:
    """Number each group's column: one more than the furthest group it reads from."""
    column: dict[int, int] = {}
    for node in nodes:  # leaves first: a node's parents have their column already
        here = owner.get(id(node))
        best = 0
        for parent in node._prev:
            source = owner.get(id(parent))
            if source is not None and source is not here:
                best = max(best, column.get(id(source), 1))
        if here is not None:
            column[id(here)] = max(column.get(id(here), 1), best + 1)
    for group in groups:
        group.column = column.get(id(group), 1)


def representative(groups: list[Group]) -> dict[Any, Any]:
    """id(node) -> the group it is drawn in, for every grouped node."""
    return {id(node): group for group in groups for node in group.members}


def dead_on_every_sample(groups: list[Group], dataset: Any) -> dict[Any, Any]:
    """id(group) -> one bool per unit of the group: True if that unit's activation input is <= 0 on every
    row of ``dataset`` (dead for relu, only ever on the alpha side for leaky_relu), as ``RectifierWatch`` sees
    the model (the outermost module of the groups' tags) run on every row (one batch for a Tensor network)."""
    if dataset is None or not groups:
        return {}
    rows = np.asarray(dataset, dtype=np.float64)
    model = groups[-1].model
    with RectifierWatch(model) as watch:
        if isinstance(groups[-1].output, Tensor):
            model(Tensor(rows))
        else:
            for row in rows.tolist():
                model(row)
    dead = {}
    for group in groups:
        for call in watch.calls:
            if isinstance(call.module, Layer):  # a scalar layer: its neurons' share, in the group's order
                where = [call.module.neurons.index(u) for u in group.units if u in call.module.neurons]
                if where:
                    dead[id(group)] = ~call.alive[where]
            elif call.module in group.modules and (call.source is None or call.source in group.modules):
                dead[id(group)] = ~call.alive
    return dead


OPEN_BOXES = 1200  # past this many boxes in the pictures of the boxes opened in place, the page leaves them out


@dataclass
class View:
    """One picture of a page: its boxes, id(node) -> the box it is drawn in, the column whose heading folds an
    expanded layer back, and for a box opened in place the picture it opens from and the box."""

    groups: list[Group]
    owner: dict[int, Group]
    fold: int | None = None
    parent: str = ""
    opened: Group | None = None


@dataclass
class Boxes:
    """The boxes of a page: ``top`` the ones it opens on, ``inner`` each layer box's neuron boxes (it expands into
    them in place), the ``level`` opened on, the counts a mean divides by (``hidden``: said, not drawn) and the
    units dead on every sample (``dead``). The rest is worked out from them once, for the stages after this one:
    ``every`` box drawn at some level, the ``fine`` ones that open onto their scalar nodes, ``owner`` (id(node) ->
    the fine box it opens from), ``within`` (id(node) -> every box it is drawn in) and ``views``: every picture of
    the page ("" as opened, a layer's key that layer expanded, a fine box's key that box opened in place, unless
    that would draw over OPEN_BOXES boxes in all, which ``left_out`` then says)."""

    top: list[Group] = field(default_factory=list)
    inner: dict[str, list[Group]] = field(default_factory=dict)
    level: str | None = None
    hidden: set[int] = field(default_factory=set)
    dead: dict[Any, Any] = field(default_factory=dict)
    count: int = 0  # the nodes of the graph
    every: list[Group] = field(init=False)
    fine: list[Group] = field(init=False)
    owner: dict[int, Group] = field(init=False)
    within: dict[int, list[Group]] = field(init=False)
    views: dict[str, View] = field(init=False)
    left_out: str = field(init=False)

    def __post_init__(self) -> None:
        neurons = [g for units in self.inner.values() for g in units]
        self.every = self.top + neurons
        self.fine = neurons + [g for g in self.top if g.key not in self.inner and g.modules]
        self.owner = representative(self.fine)
        self.within = {}
        for group in self.every:
            for node in group.members:
                self.within.setdefault(id(node), []).append(group)
        shown = {"": self.top} if self.top else {}
        shown.update((key, [g for g in self.top if g.key != key] + units) for key, units in self.inner.items())
        # each box that opens onto its nodes opened in place in the picture it is drawn in: a picture per box,
        # so a page leaves them out when they would draw more than OPEN_BOXES boxes in all
        layer_of = {id(u): key for key, units in self.inner.items() for u in units}
        parents = {g.key: layer_of.get(id(g), "") for g in self.fine}
        alone = self.count - len(self.hidden) - len(representative(self.top))
        drawn = sum(len(shown[parents[g.key]]) + alone + len(g.members) for g in self.fine)
        opens = self.fine if drawn <= OPEN_BOXES else []
        self.left_out = "" if opens or not self.fine else f"{len(self.fine)} more pictures of {drawn} boxes in all"
        columns = {g.key: g.column for g in self.top}
        self.views = {key: View(groups, representative(groups), columns.get(key)) for key, groups in shown.items()}
        for g in opens:
            groups = [b for b in shown[parents[g.key]] if b is not g]
            self.views[g.key] = View(groups, representative(groups), columns.get(parents[g.key]), parents[g.key], g)


def levels(recording: Recording, group: str | None, dataset: Any = None) -> Boxes:
    """The boxes a page opens on. ``group="auto"``: a small scalar graph node by node, a network one box per neuron
    when they fit the view with readable text, else per layer; ``"neuron"``, ``"layer"`` or None as asked."""
    if group not in ("auto", None, *LEVELS):
        raise ValueError(f"group must be 'auto', 'neuron', 'layer' or None, got {group!r}")
    nodes, root = recording.nodes, recording.root
    small = len(nodes) <= FIT_NODES and np.size(root.data) == 1 and not isinstance(root.data, np.ndarray)
    if group is None or (group == "auto" and small):
        return Boxes()
    neurons = find_groups(nodes, "neuron")
    tensor = bool(neurons) and isinstance(neurons[0].output.data, np.ndarray)
    if group == "neuron" or tensor or (group == "auto" and len(neurons) <= FIT_BOXES):
        level = ("layer" if tensor else "neuron") if neurons else None
        hidden = _mean_counts(nodes) if neurons else set()
        return Boxes(neurons, {}, level, hidden, dead_on_every_sample(neurons, dataset), len(nodes))
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
    every = layers + [g for units in inner.values() for g in units]
    hidden = _mean_counts(nodes) if layers else set()
    return Boxes(layers, inner, "layer", hidden, dead_on_every_sample(every, dataset), len(nodes))


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
