"""How the traced program names things: one name per node, chosen once, ASCII, unique in one namespace.

Every builtin, every helper the program calls and the program's own names (``P``, ``C``, ``ONE``, ``step``) are
reserved; a node's name and its gradient's (``d_<name>``) are taken together, so no label can land on another
node's gradient. A parameter is called by its label, or by its path in the model when labels repeat; a data
element by its argument and index (``x_2_0`` is ``X[2][0]``); the loss ``loss``; an op's output by the letters a
hand-written backprop uses (``z`` for a weighted sum, ``h`` for an activation) and a count.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections import Counter
from typing import Any

import numpy as np

from ..engine import Value, ieee
from ..nn import Module
from ..tensor import Tensor, fast
from ..tensor.node import unbroadcast

#: what the program's code may call, besides its own arguments
NAMESPACE: dict[str, Any] = {
    "np": np,
    "math": math,
    "fast": fast,
    "unbroadcast": unbroadcast,
    "ieee_div": ieee.ieee_div,
    "ieee_pow": ieee.ieee_pow,
    "ieee_exp": ieee.ieee_exp,
    "ieee_log": ieee.ieee_log,
    "ieee_sigmoid": ieee.ieee_sigmoid,
    "inf": math.inf,
    "nan": math.nan,
}
#: names no node may take: the program's own, its helpers', every builtin's
RESERVED = set(NAMESPACE) | {"P", "C", "ONE", "step"} | set(dir(builtins))

# the first letters of an op's output, as a hand-written backprop names them (z = x @ W.T + b, h = act(z))
_PREFIX = {
    "linear": "z",
    "wsum": "z",
    "relu": "h",
    "leaky_relu": "h",
    "prelu": "h",
    "tanh": "h",
    "sigmoid": "s",
    "@": "mm",
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "**": "pow",
    "neg": "neg",
    "exp": "exp",
    "log": "log",
    "sum": "sum",
    "mean": "mean",
    "max": "max",
    "logsumexp": "lse",
    "log_softmax": "logp",
    "index": "sel",
    "reshape": "r",
    "transpose": "tr",
    "mse_loss": "mse",
    "bce_logits": "bce",
    "cross_entropy": "ce",
}


def identifier(text: str, fallback: str = "v") -> str:
    """``text`` as an ASCII Python name: any other character becomes ``_``; a name that would start with a digit
    or ``_`` (the helpers' names start so) gets ``fallback`` before it; a keyword or a reserved name gets ``_``."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", text) or fallback
    if name[0].isdigit() or name[0] == "_":
        name = f"{fallback}{'' if name[0] == '_' else '_'}{name}"
    return name + "_" if keyword.iskeyword(name) or name in RESERVED else name


def fresh(base: str, used: set[str], tried: dict[str, int] | None = None) -> str:
    """A new name from ``base`` (``base_2``, ``base_3``, ... if taken), with ``d_<name>`` free too; both are taken.
    ``tried`` (base -> the last suffix given) starts a base asked for again where it stopped, not at ``base``."""
    k = 1 if tried is None else tried.get(base, 1)
    name = base if k == 1 else f"{base}_{k}"
    while name in used or "d_" + name in used:
        k += 1
        name = f"{base}_{k}"
    used.update((name, "d_" + name))
    if tried is not None:
        tried[base] = k
    return name


# a neuron's weight as an MLP labels it: w<layer>.<neuron>.<input>; the neuron's place names its z and h
_WEIGHT_LABEL = re.compile(r"w(\d+(?:\.\d+)*)\.\d+")
_ACTIVATIONS = ("relu", "leaky_relu", "prelu", "tanh", "sigmoid")


def _by_role(order: list[Any], named: set[int]) -> dict[int, str]:
    """Names from where a node stands in a network, as a hand-written backprop writes them: ``x3`` for the
    third input a weighted sum reads (an unnamed leaf; ``w3`` and ``b`` for its unlabelled weight and bias),
    ``z2_16`` / ``h2_16`` for neuron 2.16's weighted sum
    and activation (the neuron's place read from its first weight's label), ``n`` for a number a sum is
    divided by (a mean's count), ``x`` for the batch a Tensor network's first layer reads."""
    found: dict[int, str] = {}
    leaf = {id(node): not node._prev and i not in named for i, node in enumerate(order)}
    for node in order:
        op, prev = node._op, node._prev
        if op == "wsum" and prev:
            n = len(prev) // 2
            for k, parent in enumerate(prev[n : 2 * n], 1):
                if leaf.get(id(parent)):
                    found.setdefault(id(parent), f"x{k}")
            for k, parent in enumerate(prev[:n], 1):  # a neuron made without labels: its weights and bias
                if leaf.get(id(parent)):
                    found.setdefault(id(parent), f"w{k}")
            if len(prev) > 2 * n and leaf.get(id(prev[2 * n])):
                found.setdefault(id(prev[2 * n]), "b")
            place = _WEIGHT_LABEL.fullmatch(getattr(prev[0], "label", "") or "")
            if place and not getattr(node, "label", ""):
                found[id(node)] = "z" + place.group(1).replace(".", "_")
        elif op in ("linear", "@") and prev and leaf.get(id(prev[0])):  # a Tensor network's input batch
            found.setdefault(id(prev[0]), "x")
        elif op in _ACTIVATIONS and prev and id(prev[0]) in found and found[id(prev[0])].startswith("z"):
            found.setdefault(id(node), "h" + found[id(prev[0])][1:])
        elif op == "/" and len(prev) == 2 and leaf.get(id(prev[1])) and np.size(prev[1].data) == 1:
            found.setdefault(id(prev[1]), "n")
    return found


def node_names(
    order: list[Any], params: dict[int, str], data: dict[int, tuple[str, tuple[int, ...]]], used: set[str]
) -> list[str]:
    """One name per node of ``order`` (a topological order, the loss last): ``params`` and ``data`` name the
    parameters and data leaves by place (a data leaf by its argument's name and its index). Takes them in ``used``.

    The code ``trace`` writes and every drawing of the graph (``graph_names``) call nodes by these names."""
    names: list[str] = []
    counters: dict[str, int] = {}
    tried: dict[str, int] = {}  # each sample's z1_1 is named after the last one, not after trying them all again
    root = order[-1] if order else None
    roles = _by_role(order, set(params) | set(data))
    for i, node in enumerate(order):
        label = getattr(node, "label", "")
        if i in params:
            base = params[i]
        elif i in data:
            arg, where = data[i]
            base = identifier(arg.lower() + "".join(f"_{j}" for j in where))
        elif node is root and not label:
            base = "loss"
        elif label:
            base = identifier(label)
        elif id(node) in roles:
            base = roles[id(node)]
        else:
            prefix = _PREFIX.get(node._op, "c" if not node._prev else "v")
            counters[prefix] = counters.get(prefix, 0) + 1
            base = f"{prefix}{counters[prefix]}"
        names.append(fresh(base, used, tried))
    return names


def graph_leaves(order: list[Any]) -> tuple[list[int], list[int], list[int]]:
    """The leaves of a graph built without ``trace`` (there is no data argument), by place in ``order``: the
    parameters (a labelled Value, a Tensor that requires grad), the constants (an unlabelled Value) and the
    captured arrays (a Tensor without grad)."""
    params: list[int] = []
    constants: list[int] = []
    captured: list[int] = []
    for i, node in enumerate(order):
        if node._prev:
            continue
        if isinstance(node, Value):
            (params if node.label else constants).append(i)
        else:
            (params if getattr(node, "requires_grad", False) else captured).append(i)
    return params, constants, captured


def graph_names(order: list[Any]) -> list[str]:
    """The one name of every node of a graph already built (``order``: its topological order, the root last),
    exactly as the code pane's program (``graph_source_lines``) writes it: the picture, its captions and
    its details pane call each node by this name."""
    params = graph_leaves(order)[0]
    param_names = parameter_names((), [], [order[i] for i in params])
    return node_names(order, dict(zip(params, param_names)), {}, set(RESERVED))


def parameter_names(args: tuple[Any, ...], arg_names: list[str], params: list[Any]) -> list[str]:
    """A readable, unique name per parameter: its label if no other has it, else its path in a module argument."""
    paths: dict[int, str] = {}
    for k, a in enumerate(args):
        if isinstance(a, Module):
            for path, p in a.named_parameters():
                paths.setdefault(id(p), path)
        elif isinstance(a, (Value, Tensor)):
            paths.setdefault(id(a), arg_names[k])
        elif isinstance(a, (list, tuple)):
            for j, p in enumerate(a):
                paths.setdefault(id(p), f"{arg_names[k]}_{j}")
    labels = [getattr(p, "label", "") for p in params]
    counts = Counter(labels)
    names = []
    for j, p in enumerate(params):
        label = labels[j]
        unique = label and counts[label] == 1
        names.append(identifier(label if unique else paths.get(id(p), f"p{j}"), "p"))
    return names
