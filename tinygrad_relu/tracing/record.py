"""Recording a function's graph, and telling its leaves apart: parameters, data, constants.

``trace`` calls the function once with the real arguments, then again with each data argument's elements
shuffled (a permutation keeps every value the function may check, such as labels in {-1, +1}). Comparing the
recordings classifies each leaf:

- the same object in every recording: a parameter (a Value, or a Tensor that requires grad), read from its
  node at every call; a Tensor that needs no gradient is read the same way, without a gradient;
- a new object each time whose number follows one element of a data argument through the shuffles: that
  element (a Tensor: the whole argument), read from the new data at every call;
- a new object with the same number every time: a constant, written into the program.

Anything else (a leaf computed from the data outside the graph, such as ``-y``) is refused with an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Value, is_grad_enabled
from ..engine.graph import topological_order
from ..engine.rules import RULES, rule_of
from ..nn import Module
from ..tensor import Tensor

Node = Any  # a Value or a Tensor
MAX_PROBES = 48  # shuffles before trace gives up telling data from constants


class TraceError(RuntimeError):
    """What ``trace`` and a traced program raise when they cannot replay the eager engine exactly."""


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


def _shuffled(x: Any, order: np.ndarray) -> Any:
    """``x`` with its elements in ``order`` (flat), of the same type, shape and element type."""
    if isinstance(x, Tensor):
        return Tensor(x.data.ravel()[order].reshape(x.data.shape))
    array = np.asarray(x)
    shuffled = array.ravel()[order].reshape(array.shape)
    return shuffled if isinstance(x, np.ndarray) else shuffled.tolist()


@dataclass
class Recording:
    """One call of the function: its root, the other nodes it returned, and the graph in topological order."""

    root: Node
    extras: Any
    order: list[Node]
    index: dict[int, int] = field(default_factory=dict)  # id(node) -> its place in order

    def signature(self) -> list[tuple[Any, ...]]:
        """Per node what must not change from call to call: its closure, op, parents and shape."""
        index = self.index
        if isinstance(self.root, Value):  # every Value holds one number: no shapes to compare
            return [
                (getattr(n._backward, "__code__", None), n._op, tuple([index[id(p)] for p in n._prev]), not n._prev)
                for n in self.order
            ]
        return [
            (
                getattr(n._backward, "__code__", None),
                n._op,
                tuple([index[id(p)] for p in n._prev]),
                n.data.shape,
                _is_param_node(n),
            )
            for n in self.order
        ]


def _nodes_in(out: Any) -> list[Node]:
    if isinstance(out, (Value, Tensor)):
        return [out]
    if isinstance(out, (list, tuple)):
        return [n for item in out for n in _nodes_in(item)]
    return []


def record(f: Callable[..., Any], args: Sequence[Any]) -> Recording:
    """Call ``f(*args)`` and record the graph behind the loss it returns (alone, or first of a tuple)."""
    if not is_grad_enabled():
        raise TraceError("trace needs grad mode: it was called inside no_grad(), where ops record no graph")
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
    rec = Recording(root, extras, order, {id(n): i for i, n in enumerate(order)})
    for n in _nodes_in(extras):
        if id(n) not in rec.index:
            raise TraceError("a node the traced function returns beside the loss is not part of the loss's graph")
    return rec


def missing_rule(rec: Recording) -> None:
    """Raise naming the first op of the recording that has no code rule."""
    for n in rec.order:
        if n._prev and rule_of(n._backward) is None:
            where = getattr(n._backward, "__qualname__", repr(n._backward))
            raise TraceError(
                f"op {n._op!r} (closure {where}) has no code rule, so trace cannot write it as code; register one "
                f"beside its closure with tinygrad_relu.engine.rules.code_rule ({len(RULES)} ops have one)"
            )


def changed(expected: list[tuple[Any, ...]], got: Recording, why: str) -> None:
    """Raise if ``got``'s graph differs from the ``expected`` signature, naming the first node that differs."""
    sig = got.signature()
    if sig == expected:
        return
    if len(sig) != len(expected):
        detail = f"it has {len(sig)} nodes instead of {len(expected)}"
    else:
        i = next(i for i, (a, b) in enumerate(zip(sig, expected)) if a != b)
        detail = f"node {i} is op {sig[i][1]!r} instead of {expected[i][1]!r}, or its parents or shape differ"
    raise TraceError(
        f"the graph changed {why}: {detail}. A traced program replays one graph: Python ifs on values and "
        "data-dependent shapes are fixed when it is traced"
    )


@dataclass
class Leaves:
    """The classification of each leaf of a recording, by its place in the topological order."""

    params: list[int] = field(default_factory=list)  # persistent leaves that get a gradient
    captured: list[int] = field(default_factory=list)  # persistent Tensors without gradient: read at each call
    constants: list[int] = field(default_factory=list)
    data: dict[int, tuple[int, int]] = field(default_factory=dict)  # place -> (data argument, flat index or -1)
    probes: list[Recording] = field(default_factory=list)  # the calls on shuffled data, to check op parameters


def _bits(x: Any) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


def classify(f: Callable[..., Any], args: Sequence[Any], rec: Recording, seed: int = 0) -> Leaves:
    """Tell the recording's leaves apart by calling ``f`` again on shuffled data (see the module's docstring)."""
    kinds = [argument_kind(a) for a in args]
    data_args = [i for i, k in enumerate(kinds) if k == "data"]
    base = {i: as_floats(args[i]).ravel() for i in data_args}
    for i in data_args:
        if len(np.unique(base[i])) < 2:
            raise TraceError(
                f"data argument {i} holds a single value, so trace cannot tell where it is used from a constant: "
                "close over it in the traced function (a constant) or trace with varied data"
            )
    leaves = [i for i, n in enumerate(rec.order) if not n._prev]
    rng = np.random.default_rng(seed)
    expected = rec.signature()
    probes: list[Recording] = []
    shuffles: list[dict[int, np.ndarray]] = []
    while True:
        fresh = [i for i in leaves if not probes or any(p.order[i] is not rec.order[i] for p in probes)]
        if probes:
            found = _match(rec, probes, shuffles, base, leaves, fresh)
            if found is not None:
                found.probes = probes
                return found
        if len(probes) == MAX_PROBES or (not data_args and probes):
            raise TraceError(
                f"after {len(probes)} shuffles of the data arguments some leaves still match several data elements, or "
                "a constant as well as an element: give the data more distinct values, or close over it (a constant)"
            )
        orders = {i: rng.permutation(len(base[i])) for i in data_args}
        probe_args = [_shuffled(a, orders[i]) if i in orders else a for i, a in enumerate(args)]
        try:
            probe = record(f, probe_args)
        except TraceError:
            raise
        except Exception as error:
            raise TraceError(
                f"trace calls the function again with each data argument's elements shuffled, to find which leaves "
                f"come from the data, and that call failed: {type(error).__name__}: {error}. Close over arguments "
                "the function cannot take shuffled (they become constants)"
            ) from error
        changed(expected, probe, "when the data arguments were shuffled")
        probes.append(probe)
        shuffles.append(orders)


def _match(
    rec: Recording,
    probes: list[Recording],
    shuffles: list[dict[int, np.ndarray]],
    base: dict[int, np.ndarray],
    leaves: list[int],
    fresh: list[int],
) -> Leaves | None:
    """The leaves' classification from the recordings so far, or None while a data leaf is still ambiguous."""
    out = Leaves()
    fresh_set = set(fresh)
    for i in leaves:
        if i not in fresh_set:
            node = rec.order[i]
            (out.params if _is_param_node(node) else out.captured).append(i)
    # each data element's numbers through the recordings, as bytes: a leaf's numbers must equal exactly one
    columns = {k: np.stack([b] + [b[s[k]] for s in shuffles], axis=1) for k, b in base.items()}
    elements: dict[bytes, list[tuple[int, int]]] = {}
    whole: dict[bytes, list[int]] = {}
    for k, col in columns.items():
        for e, row in enumerate(col):
            elements.setdefault(row.tobytes(), []).append((k, e))
        whole.setdefault(b"".join(col[:, j].tobytes() for j in range(col.shape[1])), []).append(k)
    unvaried = {row[0].tobytes() for col in columns.values() for row in col if (row == row[0]).all()}
    still = [col[:, 0].tobytes() for col in columns.values() if (col == col[:, :1]).all()]  # no shuffle moved it
    for i in fresh:
        nodes = [rec.order[i]] + [p.order[i] for p in probes]
        values = [np.asarray(n.data, dtype=np.float64).ravel().tobytes() for n in nodes]
        if all(v == values[0] for v in values):  # a constant, unless a data element that never moved equals it
            ambiguous = values[0] in unvaried if isinstance(nodes[0], Value) else values[0] in still
            if ambiguous:
                return None
            out.constants.append(i)
            continue
        if isinstance(nodes[0], Value):
            found: list[Any] = elements.get(b"".join(values), [])
        else:
            found = [(k, -1) for k in whole.get(b"".join(values), [])]
        if not found and nodes[0]._op:
            raise TraceError(
                f"leaf {i} of the graph was made by op {nodes[0]._op!r} from Tensors that need no gradient, so it "
                "records no graph and changes with the data arguments: trace cannot replay it on new data. Apply the "
                "op after a parameter takes part, or close over that data (a constant)"
            )
        if not found:
            raise TraceError(
                f"leaf {i} of the graph (a {type(nodes[0]).__name__} of value {_show(nodes[0])}) changes with the data "
                "arguments but is none of their elements (a Tensor: none of them whole): it was computed from the data "
                "outside the graph (like -y or 2 * y - 1). Compute it with ops inside the traced function, or close "
                "over it as a constant"
            )
        if len(found) > 1:
            return None
        out.data[i] = found[0]
    return out


def _show(node: Node) -> str:
    return repr(node.data) if isinstance(node, Value) else f"shape {node.data.shape}"
