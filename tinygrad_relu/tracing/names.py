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


def fresh(base: str, used: set[str]) -> str:
    """A new name from ``base`` (``base_2``, ``base_3``, ... if taken), with ``d_<name>`` free too; both are taken."""
    name, k = base, 1
    while name in used or "d_" + name in used:
        k += 1
        name = f"{base}_{k}"
    used.update((name, "d_" + name))
    return name


def node_names(
    order: list[Any], params: dict[int, str], data: dict[int, tuple[str, tuple[int, ...]]], used: set[str]
) -> list[str]:
    """One name per node of ``order`` (a topological order, the loss last): ``params`` and ``data`` name the
    parameters and data leaves by place (a data leaf by its argument's name and its index). Takes them in ``used``."""
    names: list[str] = []
    counters: dict[str, int] = {}
    root = order[-1] if order else None
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
        else:
            prefix = _PREFIX.get(node._op, "c" if not node._prev else "v")
            counters[prefix] = counters.get(prefix, 0) + 1
            base = f"{prefix}{counters[prefix]}"
        names.append(fresh(base, used))
    return names


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
