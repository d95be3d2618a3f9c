"""Writing a recorded graph as one straight-line Python function: the forward pass, then the backward pass.

The forward pass is one statement per node in topological order (leaves first); the backward pass is each
node's closure written out, in the order the walker runs them, under a comment naming the node. The writer is
also what a code rule (``engine/rules.py``) talks to: ``c[i]`` is parent i's name, ``c.g`` the gradient's.

Gradients are added exactly as the engine adds them: the first contribution to a node's gradient starts it,
the next ones are added in the closure's order (``d += ...``); a Tensor contribution of a broadcast shape goes
through ``unbroadcast`` as ``accumulate`` does; a parameter gets the pass's sum added to what it held.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import Any

import numpy as np

from ..engine import Value, ieee
from ..engine.rules import rule_of
from ..tensor import fast
from ..tensor.node import unbroadcast
from .record import Leaves, Node, Recording, TraceError

#: what the program's code may call, besides its own arguments
NAMESPACE: dict[str, Any] = {
    "np": np,
    "fast": fast,
    "unbroadcast": unbroadcast,
    "ieee_div": ieee.ieee_div,
    "ieee_pow": ieee.ieee_pow,
    "ieee_exp": ieee.ieee_exp,
    "ieee_log": ieee.ieee_log,
    "ieee_sigmoid": ieee.ieee_sigmoid,
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "log1p": math.log1p,
    "inf": math.inf,
    "nan": math.nan,
}
RESERVED = set(NAMESPACE) | {"P", "C", "LOCK", "ONE", "step"}

# the first letters of an op's output, as a hand-written backprop names them (z = x @ W.T + b, h = act(z))
_PREFIX = {
    "linear": "z",
    "wsum": "z",
    "relu": "h",
    "prelu": "h",
    "tanh": "h",
    "sigmoid": "s",
    "@": "mm",
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
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
    """``text`` as a Python name: other characters become ``_``; a leading digit gets ``fallback`` before it."""
    name = re.sub(r"\W", "_", text) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name + "_" if keyword.iskeyword(name) or name in RESERVED else name


def number(x: float) -> str:
    """A float as code that gives exactly it back (``repr`` round-trips; inf and nan are names here)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def closure_value(fn: Any, name: str) -> Any:
    """The variable ``name`` that the closure ``fn`` (or a function it holds, for a custom op) closes over."""
    for f in (fn, *(c.cell_contents for c in fn.__closure__ or () if callable(c.cell_contents))):
        code = getattr(f, "__code__", None)
        if code is not None and name in code.co_freevars:
            return f.__closure__[code.co_freevars.index(name)].cell_contents
    raise TraceError(f"a code rule reads {name!r}, which the closure {getattr(fn, '__qualname__', fn)} does not hold")


def same_value(a: Any, b: Any) -> bool:
    """Whether two op parameters are the same (arrays element by element, nan equal to nan)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return number(a) == number(b) and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and bool(a == b)


def _written(op: str, parents: list[str]) -> str:
    """How a node was computed, for the comment above its backward block: ``a + b``, ``a ** 2``, ``exp(a)``."""
    if op in ("+", "-", "*", "/", "@", "**") and len(parents) == 2:
        return f"{parents[0]} {op} {parents[1]}"
    if op.startswith("**"):
        return f"{parents[0]} ** {op[2:]}"
    if op == "neg":
        return f"-{parents[0]}"
    shown = ", ".join(parents[:4]) + (f", ... ({len(parents)} inputs)" if len(parents) > 4 else "")
    return f"{op}({shown})"


class Writer:
    """Writes a recording as code; the rules call its methods while it writes their node."""

    def __init__(
        self, rec: Recording, leaves: Leaves, names: dict[int, str], arg_names: list[str], shapes: dict[int, Any]
    ) -> None:
        """``names``: the parameters' names by place; ``arg_names``: the traced function's argument names;
        ``shapes``: the data arguments' shapes by argument number."""
        self.rec, self.leaves, self.arg_names = rec, leaves, arg_names
        self.tensor = not isinstance(rec.root, Value)
        #: (statement, place of its node in the topological order or -1, "forward" / "backward" / "")
        self.lines: list[tuple[str, int, str]] = []
        self.captured: dict[str, Any] = {}  # globals of the program: constants and index arrays
        self.params_read: dict[int, dict[str, Any]] = {}  # node place -> the closure variables its rule read
        self.used: set[str] = set(RESERVED) | {arg_names[k] for k in shapes}
        self.names: list[str] = []
        self.temps: dict[int, dict[str, str]] = {}
        self.env: dict[str, Any] | None = dict(NAMESPACE) if self.tensor else None  # Tensors: run as written
        self._i, self._phase = -1, ""
        self._parents: list[str] = []
        counters: dict[str, int] = {}
        for i, node in enumerate(rec.order):
            label = getattr(node, "label", "")
            if i in names:
                base = names[i]
            elif i in leaves.data:
                k, e = leaves.data[i]
                where = "_".join(map(str, np.unravel_index(e, shapes[k]))) if e >= 0 else ""
                base = arg_names[k].lower() + (f"_{where}" if where else "")
            elif node is rec.root and not label:
                base = "loss"
            elif label:
                base = identifier(label)
            else:
                prefix = "h" if node._op.startswith("leaky") else "pow" if node._op.startswith("**") else None
                prefix = prefix or _PREFIX.get(node._op, "c" if not node._prev else "v")
                counters[prefix] = counters.get(prefix, 0) + 1
                base = f"{prefix}{counters[prefix]}"
            self.names.append(self._fresh(base))

    def _fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    # --- what a rule sees ---------------------------------------------------------------------------------
    @property
    def _node(self) -> Node:
        return self.rec.order[self._i]

    def __getitem__(self, i: int) -> str:
        """The name of the current node's parent ``i``."""
        return self._parents[i]

    @property
    def op(self) -> str:
        """The current node's op name."""
        return str(self._node._op)

    @property
    def n(self) -> int:
        """How many parents the current node has."""
        return len(self._node._prev)

    @property
    def out(self) -> str:
        """The name of the current node's output."""
        return self.names[self._i]

    @property
    def g(self) -> str:
        """The name of the current node's gradient."""
        return "d_" + self.names[self._i]

    @property
    def out_shape(self) -> tuple[int, ...]:
        """The shape of the current node's output."""
        return tuple(np.shape(self._node.data))

    def shape(self, i: int) -> tuple[int, ...]:
        """The shape of parent ``i``."""
        return tuple(np.shape(self._node._prev[i].data))

    def same(self, i: int, j: int) -> bool:
        """Whether parents ``i`` and ``j`` are one node."""
        return self._node._prev[i] is self._node._prev[j]

    def value(self, name: str) -> Any:
        """The closure variable ``name`` itself (for decisions made while writing, such as ``k == 0``)."""
        v = closure_value(self._node._backward, name)
        self.params_read.setdefault(self._i, {})[name] = v
        return v

    def param(self, name: str) -> str:
        """The closure variable ``name`` as code: a literal for numbers and tuples, a captured global for arrays."""
        return self.literal(self.value(name))

    def num(self, x: float) -> str:
        """A number computed while writing (such as ``k - 1.0``) as exact code."""
        return number(x)

    def literal(self, v: Any) -> str:
        """``v`` as code that gives it back exactly."""
        if v is None or isinstance(v, (bool, np.bool_)):
            return repr(None if v is None else bool(v))
        if isinstance(v, (int, np.integer)):
            return repr(int(v))
        if isinstance(v, (float, np.floating)):
            return number(float(v))
        if v is Ellipsis:
            return "..."
        if isinstance(v, slice):
            return f"slice({self.literal(v.start)}, {self.literal(v.stop)}, {self.literal(v.step)})"
        if isinstance(v, tuple):
            items = [self.literal(x) for x in v]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(v, list):
            return f"[{', '.join(self.literal(x) for x in v)}]"
        if isinstance(v, np.ndarray):
            return self.capture(v.copy(), "index" if v.dtype.kind in "biu" else "const")
        raise TraceError(f"op {self._node._op!r}: trace cannot write its parameter {v!r} as code")

    def capture(self, obj: Any, hint: str) -> str:
        """A global of the program holding ``obj`` (an array written once, at trace time)."""
        name = self._fresh(hint)
        self.captured[name] = obj
        if self.env is not None:
            self.env[name] = obj
        return name

    def let(self, expr: str, hint: str) -> str:
        """Write ``name = expr`` for a temporary of the current node; returns its name (also ``temp(hint)``)."""
        name = self._fresh(f"{hint}_{self.out}")
        self.temps.setdefault(self._i, {})[hint] = name
        self.emit(f"{name} = {expr}")
        return name

    def temp(self, hint: str) -> str:
        """The name of the temporary the current node's forward rule wrote as ``hint``."""
        return self.temps[self._i][hint]

    def stmt(self, code: str) -> None:
        """Write one statement for the current node."""
        self.emit(code)

    # --- writing -----------------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        """Append a statement of the current node (and run it, on Tensors, to know its shapes)."""
        self.lines.append((text, self._i, self._phase))
        if self.env is not None and not text.startswith("#"):
            with np.errstate(all="ignore"):  # run to learn shapes: a warning here would only repeat the engine's
                exec(text, self.env)  # noqa: S102  (our own code, written from the rules)

    def _at(self, i: int, phase: str) -> None:
        """Make node ``i`` the one the rules write, in ``phase``."""
        self._i, self._phase = i, phase
        index, names = self.rec.index, self.names
        self._parents = [names[index[id(p)]] for p in self.rec.order[i]._prev]

    def _eval(self, expr: str) -> Any:
        assert self.env is not None
        with np.errstate(all="ignore"):
            return eval(expr, self.env)  # noqa: S307

    def write(self, data_args: list[int]) -> None:
        """Write the whole program: leaves, the forward pass, the backward pass, the parameters' update."""
        rec, leaves = self.rec, self.leaves
        params = {i: j for j, i in enumerate(leaves.params)}
        captured = {i: j for j, i in enumerate(leaves.captured)}
        constants = set(leaves.constants)
        for i, node in enumerate(rec.order):
            self._at(i, "forward")
            name = self.names[i]
            if node._prev:
                rule = rule_of(node._backward)
                assert rule is not None  # missing_rule() ran first
                self.emit(f"{name} = {rule.forward(self)}")
                if self.env is not None:
                    got = np.asarray(self.env[name], dtype=np.float64)
                    if got.shape != node.data.shape or got.tobytes() != node.data.tobytes():
                        raise TraceError(f"the code rule of op {node._op!r} does not give the numbers its closure gave")
            elif i in params:
                self.emit(f"{name} = P[{params[i]}].data")
            elif i in captured:
                self.emit(f"{name} = C[{captured[i]}].data")
            elif i in constants:
                if isinstance(node, Value):
                    self.emit(f"{name} = {number(node.data)}")
                else:
                    self.captured[name] = node.data.copy()
                    if self.env is not None:
                        self.env[name] = self.captured[name]
            else:
                k, e = leaves.data[i]
                arg = self.arg_names[k]
                if isinstance(node, Value):
                    self.emit(f"{name} = {arg}[{e}]")
                elif self.env is not None and node.data.shape == self.env[arg].shape:
                    self.emit(f"{name} = {arg}")
                else:
                    self.emit(f"{name} = {arg}.reshape({tuple(node.data.shape)})")
        self._backward()

    def _backward(self) -> None:
        rec, order = self.rec, self.rec.order
        params = set(self.leaves.params)
        needed = [False] * len(order)
        for i, node in enumerate(order):
            needed[i] = i in params or any(needed[rec.index[id(p)]] for p in node._prev)
        started: set[int] = set()
        root = len(order) - 1
        self._i, self._phase = root, "backward"
        if self.tensor:
            self.captured["ONE"] = np.ones(rec.root.data.shape)
            assert self.env is not None
            self.env["ONE"] = self.captured["ONE"]
        self.emit(f"d_{self.names[root]} = {'ONE' if self.tensor else '1.0'}  # d loss / d loss")
        started.add(root)
        for i in range(root, -1, -1):
            node = order[i]
            if not node._prev or not needed[i]:
                continue
            self._at(i, "backward")
            self.lines.append((f"# {self.names[i]} = {_written(node._op, self._parents)}", i, "backward"))
            if i not in started:  # nothing reached it: its gradient is the engine's zero
                self.emit(f"{self.g} = 0.0")
                started.add(i)
            rule = rule_of(node._backward)
            assert rule is not None
            for item in rule.backward(self):
                p, expr = item[0], item[1]
                cond = item[2] if len(item) > 2 else None
                j = rec.index[id(node._prev[p])]
                if needed[j]:
                    self._add(j, expr, cond, j in started)
                    started.add(j)
        self._i, self._phase = -1, ""
        self.lines.append(("# each parameter gets this pass's gradient added to what it held", -1, ""))
        self.lines.append(("with LOCK:", -1, ""))
        for k, i in enumerate(self.leaves.params):
            if i not in started:
                continue
            d = "d_" + self.names[i]
            if not self.tensor:
                self.lines.append((f"    P[{k}].grad += {d}", i, "backward"))
                continue
            assert self.env is not None
            v = self.env[d]
            owned = isinstance(v, np.ndarray) and v.base is None
            owned = owned and not any(v is w for key, w in self.env.items() if key != d and isinstance(w, np.ndarray))
            mine = d if owned else f"np.array({d})"  # a leaf's gradient is its own array, as accumulate makes it
            self.lines.append(
                (f"    P[{k}].grad = {mine} if P[{k}].grad is None else {d} + P[{k}].grad", i, "backward")
            )

    def _add(self, j: int, expr: str, cond: str | None, started: bool) -> None:
        """Add contribution ``expr`` (if ``cond``) into the gradient of node ``j``, as the engine adds it."""
        d = "d_" + self.names[j]
        if self.tensor:
            shape = tuple(self.rec.order[j].data.shape)
            if np.shape(self._eval(expr)) != shape:
                expr = f"unbroadcast({expr}, {shape})"
            self.emit(f"{d} = {d} + {expr}" if started else f"{d} = {expr}")
            return
        if not started:
            self.emit(f"{d} = {expr}" if cond is None else f"{d} = {expr} if {cond} else 0.0")
            return
        negated = expr.startswith("-") and expr[1:].isidentifier()
        update = f"{d} -= {expr[1:]}" if negated else f"{d} += {expr}"
        self.emit(update if cond is None else f"if {cond}: {update}")
