"""Which nodes belong together in a drawing: a neuron, a layer, read from the tags modules put on their outputs.

A module's call is noted for the nodes it returns, with the modules being called and the inputs it got
(``nn.module_call``). A group is then the tagged output and everything behind it up to those inputs:
for a scalar neuron its activation, its weighted sum and its weight and bias leaves. A graph built
without modules has no tags and no groups. Also here: the one stable name of every node, used by every
drawing and frame, and which units are dead on every sample of a data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn import Layer, Neuron, RectifierWatch, module_call, note_module_calls
from ..tensor import Tensor

note_module_calls()  # the drawings read which module call returned each node: noted from when they load

LEVELS = ("neuron", "layer")


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


def stable_names(nodes: list[Any]) -> dict[Any, Any]:
    """id(node) -> the one name a node has in every drawing and frame.

    Its label if it has one; x1, x2, ... for the inputs a module was called on (leaves no module made);
    a neuron's unlabelled weights and bias by their place (w1, w2, b; w1.3.2 and b1.3 for neuron 1.3 of
    a network, as an MLP labels them); the value of any other unnamed leaf (a constant); v<k> for an
    unnamed inner node, k its place in the forward order. The order numbers #k are kept for when a
    closure ran.
    """
    groups = find_groups(nodes, "neuron")
    members = representative(groups)
    inputs: dict[int, None] = {}
    for group in groups:  # the leaves a module read without owning them: the network's inputs
        for node in group.members:
            for parent in node._prev:
                if not parent._prev and id(parent) not in members and not parent.label:
                    if not _is_parameter_like(parent):
                        inputs[id(parent)] = None
    numbering = {node_id: f"x{k}" for k, node_id in enumerate(inputs, 1)}
    placed = {}
    for group in groups:
        number = group.title.split(" ", 1)[1] if group.title.startswith("neuron ") else ""
        for node_id, role in roles(group).items():
            if role == "b":
                placed[node_id] = f"b{number}"
            elif role[0] == "w" and role[1:].isdigit():
                placed[node_id] = f"w{number}.{role[1:]}" if number else role
    names = {}
    for k, node in enumerate(nodes):
        if node.label:
            names[id(node)] = node.label
        elif id(node) in numbering:
            names[id(node)] = numbering[id(node)]
        elif id(node) in placed:
            names[id(node)] = placed[id(node)]
        elif not node._prev:
            names[id(node)] = _constant(node)
        else:
            names[id(node)] = f"v{k}"
    return names


def _op_word(node: Any) -> str:
    """A node by what made it: 'leaky_relu', 'weighted sum', 'linear', '@'."""
    return "weighted sum" if node._op == "wsum" else str(node._op)


def roles(group: Group) -> dict[int, str]:
    """id(node) -> what a member is inside its group's box: 'leaky_relu', 'weighted sum', 'w3', 'b' for a
    scalar neuron (a layer's members carry their neuron's number: '1.3 w2'); a Tensor layer's parameters
    by their label, else their name in the model ('layers.0.weight'), and its ops by op."""
    inside = {id(node) for node in group.members}
    found: dict[int, str] = {}
    for node in group.members:
        if not node._prev:
            continue
        found.setdefault(id(node), _op_word(node))
        if node._op == "wsum":  # prev is w1..wn, x1..xn, b
            n = len(node._prev) // 2
            for i, parent in enumerate(node._prev[:n]):
                if id(parent) in inside and not parent._prev:
                    found[id(parent)] = f"w{i + 1}"
            if len(node._prev) > 2 * n and id(node._prev[2 * n]) in inside:
                found[id(node._prev[2 * n])] = "b"
    params = {}
    if group.model is not None and isinstance(group.output, Tensor):
        params = {id(p): name for name, p in group.model.named_parameters()}
    for node in group.members:
        if id(node) not in found:
            found[id(node)] = node.label or params.get(id(node), _constant(node) if not node._prev else _op_word(node))
    if len(group.outputs) > 1:  # a layer of neurons: say whose
        for unit, out in zip(group.units, group.outputs):
            number = _numbered(_module_names(group.model).get(id(unit), ""))
            stack = [out]
            while stack:
                node = stack.pop()
                if id(node) in inside and not found[id(node)].startswith(number + " "):
                    found[id(node)] = f"{number} {found[id(node)]}"
                    stack.extend(node._prev)
    return found


def _is_parameter_like(node: Any) -> bool:
    return isinstance(node, Tensor) and node.requires_grad


def _constant(node: Any) -> str:
    data = node.data
    if isinstance(data, np.ndarray) and data.size != 1:
        return f"const {data.shape}"
    value = float(np.reshape(data, -1)[0])
    return "0" if value == 0 else f"{value:.4g}"


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
