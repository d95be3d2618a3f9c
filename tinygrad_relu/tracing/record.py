"""Recording the traced function's graph, and telling its leaves apart: parameters, data, constants.

``trace`` calls the function once, with its data arguments replaced by leaves it made (``leaves.py``), so the
kind of each leaf of the recorded graph is known by construction: a data leaf is read from the new data at every
call; a parameter (a Module's, or a node given as an argument) from its node; a Tensor that needs no gradient
from its node too, without a gradient; any other Value is a constant, written into the program.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autodiff import refusing_grad
from ..engine import Value, is_grad_enabled
from ..engine.graph import topological_order
from ..engine.value import made_by_ops as value_nodes
from ..nn import Module
from ..tensor import Tensor
from ..tensor.node import made_by_ops as tensor_nodes
from .leaves import DataTensor, DataValue, TracedTensor, TracedValue, TraceError

Node = Any  # a Value or a Tensor


def _is_param_node(x: object) -> bool:
    return (isinstance(x, Value) and not x._prev) or (isinstance(x, Tensor) and x.requires_grad and not x._prev)


def argument_kind(x: object) -> str:
    """How ``trace`` takes an argument: "module", "node" (a parameter given directly), "data" (numbers that a call
    may replace) or "static" (anything else: fixed at trace time, not passed to the program)."""
    if isinstance(x, Module):
        return "module"
    if _is_param_node(x) or (isinstance(x, (list, tuple)) and x and all(_is_param_node(v) for v in x)):
        return "node"
    if isinstance(x, Tensor):
        return "data"
    if isinstance(x, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(x)
        except ValueError:
            return "static"
        return "data" if array.dtype.kind in "biuf" and array.size > 0 else "static"
    return "static"


def as_floats(x: Any) -> np.ndarray:
    """A data argument's numbers as a float64 array (a Tensor's data, or the array-like itself)."""
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)


@dataclass
class Recording:
    """One call of the function: its root, the other nodes it returned, and the graph in topological order."""

    root: Node
    extras: Any
    order: list[Node]
    index: dict[int, int] = field(default_factory=dict)  # id(node) -> its place in order

    def signature(self) -> list[tuple[Any, ...]]:
        """Per node what must not change from call to call: its closure, op, parameters, parents and shape."""
        index = self.index
        return [
            (
                getattr(n._backward, "__code__", None),
                n._op,
                repr(n._arg),
                tuple([index[id(p)] for p in n._prev]),
                np.shape(n.data),
                not n._prev,
            )
            for n in self.order
        ]


def _nodes_in(out: Any) -> list[Node]:
    if isinstance(out, (Value, Tensor)):
        return [out]
    if isinstance(out, (list, tuple)):
        return [n for item in out for n in _nodes_in(item)]
    return []


_PLAIN: dict[type, type] = {TracedValue: Value, TracedTensor: Tensor}


@contextmanager
def _stand_ins() -> Iterator[None]:
    """A context in which the ops of both engines make trace's stand-ins (``leaves.py``), in this thread."""
    value_token, tensor_token = value_nodes.set(TracedValue), tensor_nodes.set(TracedTensor)
    try:
        yield
    finally:
        value_nodes.reset(value_token)
        tensor_nodes.reset(tensor_token)


def record(f: Callable[..., Any], args: Sequence[Any]) -> Recording:
    """Call ``f(*args)`` and record the graph behind the loss it returns (alone, or first of a tuple)."""
    if not is_grad_enabled():
        raise TraceError("trace needs grad mode: it was called inside no_grad(), where ops record no graph")
    with refusing_grad(TraceError, "inside a function that trace records"), _stand_ins():
        out = f(*args)
    root, extras = (out[0], out[1:]) if isinstance(out, tuple) else (out, ())
    if not isinstance(root, (Value, Tensor)):
        raise TraceError(
            f"the traced function must return a loss node (a Value or a Tensor), or a tuple starting with one; "
            f"it returned {type(root).__name__}"
        )
    if isinstance(root, Tensor) and root.data.size != 1:
        raise TraceError(
            f"the traced loss must hold one number, as backward() without a gradient needs; got {root.shape}"
        )
    if not root._prev:
        raise TraceError(
            "the traced loss has no graph: no parameter (a Value, or a Tensor with requires_grad) reaches it"
        )
    order = topological_order(root)
    for n in order:  # the recording is over: the nodes the ops made are plain nodes again
        if type(n) in _PLAIN:
            n.__class__ = _PLAIN[type(n)]
    rec = Recording(root, extras, order, {id(n): i for i, n in enumerate(order)})
    for n in _nodes_in(extras):
        if id(n) not in rec.index:
            raise TraceError("a node the traced function returns beside the loss is not part of the loss's graph")
    return rec


def changed(expected: list[tuple[Any, ...]], got: Recording, why: str) -> None:
    """Raise if ``got``'s graph differs from the ``expected`` signature, naming the first node that differs."""
    sig = got.signature()
    if sig == expected:
        return
    if len(sig) != len(expected):
        detail = f"it has {len(sig)} nodes instead of {len(expected)}"
    else:
        i = next(i for i, (a, b) in enumerate(zip(sig, expected)) if a != b)
        detail = (
            f"node {i} is op {sig[i][1]!r} instead of {expected[i][1]!r}, or its parameters, parents or shape differ"
        )
    raise TraceError(
        f"the graph changed {why}: {detail}. A traced program replays one graph: Python ifs on values and "
        "data-dependent shapes are fixed when it is traced"
    )


@dataclass
class Leaves:
    """The kind of each leaf of a recording, by its place in the topological order."""

    params: list[int] = field(default_factory=list)  # leaves that get a gradient, in the order of P
    captured: list[int] = field(default_factory=list)  # Tensors without gradient: read from their node at each call
    constants: list[int] = field(default_factory=list)  # Values that are neither: written as numbers
    data: dict[int, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # place -> (argument, its index)


def classify(rec: Recording, params: list[Node]) -> Leaves:
    """Each leaf's kind, known by construction: the data leaves ``trace`` made, the parameters it was given."""
    out = Leaves()
    place = {id(p): k for k, p in enumerate(params)}
    found: list[tuple[int, int]] = []
    for i, node in enumerate(rec.order):
        if node._prev:
            continue
        if isinstance(node, (DataValue, DataTensor)):
            out.data[i] = node.where
        elif id(node) in place:
            found.append((place[id(node)], i))
        elif (isinstance(node, Tensor) and node.requires_grad) or (isinstance(node, Value) and node.label):
            what = f"a Tensor that requires grad (shape {node.data.shape})" if isinstance(node, Tensor) else "a Value"
            raise TraceError(
                f"{what} labelled {node.label!r} reaches the loss but is none of trace's arguments, so the program "
                "would not give it a gradient: pass it, or the Module that holds it, to trace"
            )
        elif isinstance(node, Tensor):
            out.captured.append(i)
        else:
            out.constants.append(i)
    out.params = [i for _, i in sorted(found)]
    return out
