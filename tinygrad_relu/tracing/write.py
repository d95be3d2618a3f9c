"""Writing a recorded graph as one Python function: the forward pass, then the backward pass.

The forward pass is one statement per node in topological order (leaves first); the backward pass is each
node's closure written out, in the order the walker runs them, under a comment naming the node. A scalar
graph's run of alike blocks (one per sample, or one per parameter: ``loops.py``) is written once, as a loop
forward and a loop back, last block first. A Value op is
written by running its own functions on names (``symbolic.py``): its forward from ``forward.py``'s table (or the
one ``Value.op`` was given), its backward closure as it is. A Tensor op is written by its rule in
``tensor_forward.py`` (the writer is what it talks to: ``c[i]`` is parent i's name), its backward closure as it is.

Gradients are added exactly as the engine adds them: the first contribution to a node's gradient starts it,
the next ones are added in the closure's order (``d += ...``); a Tensor contribution of a broadcast shape goes
through ``unbroadcast`` as ``accumulate`` does; a parameter gets the pass's sum added to what it held.
"""

from __future__ import annotations

import builtins
from functools import partial
from typing import Any

import numpy as np

from ..engine import Value
from ..tensor.node import Saved
from .forward import VALUE_FORWARD
from .leaves import TraceError
from .loops import Loop, find_loop, find_parameter_loop
from .names import NAMESPACE, RESERVED, fresh, identifier, node_names
from .record import Leaves, Node, Recording
from .symbolic import ADDEND, Branches, Sym, Tape, number, run_on_names
from .tensor_forward import FORWARD as TENSOR_FORWARD

FINDERS = (find_loop, find_parameter_loop)  # the loops a scalar program may hold: over the samples, the parameters


def _written(op: str, arg: Any, parents: list[str]) -> str:
    """How a node was computed, for the comment above its backward block: ``a + b``, ``a ** 2``, ``exp(a)``."""
    if op in ("+", "-", "*", "/", "@", "**") and len(parents) == 2:
        return f"{parents[0]} {op} {parents[1]}"
    if op == "**":
        k = arg["k"] if isinstance(arg, dict) else arg
        return f"{parents[0]} ** {number(k)}"
    if op == "neg":
        return f"-{parents[0]}"
    shown = ", ".join(parents[:4]) + (f", ... ({len(parents)} inputs)" if len(parents) > 4 else "")
    if op == "leaky_relu":
        alpha = arg["alpha"] if isinstance(arg, dict) else arg
        shown += f", alpha={number(alpha)}"
    return f"{op!r}({shown})" if not op.isidentifier() else f"{op}({shown})"


def _a_view(expr: str) -> bool:
    """Whether the array ``expr`` gives may be another's: a name, a transpose, or a reshape or transpose last."""
    if expr.isidentifier() or expr.endswith(".T"):
        return True
    if not expr.endswith(")"):
        return False
    depth = 0
    for k in range(len(expr) - 1, -1, -1):  # back to the parenthesis that opens the last call
        depth += {")": 1, "(": -1}.get(expr[k], 0)
        if depth == 0:
            return expr[:k].endswith((".reshape", ".transpose"))
    return False


class _Accum:
    """``parent.grad + x`` (or ``- x``) as a closure run on names computes it, before it is stored back."""

    __slots__ = ("target", "sign", "value")

    def __init__(self, target: _StandIn, sign: str, value: Any) -> None:
        self.target, self.sign, self.value = target, sign, value


class _GradRef:
    """``parent.grad`` read by a closure run on names: what it adds to it becomes a statement."""

    __slots__ = ("owner",)

    def __init__(self, owner: _StandIn) -> None:
        self.owner = owner

    def __add__(self, x: Any) -> _Accum:
        return _Accum(self.owner, "+", x)

    def __sub__(self, x: Any) -> _Accum:
        return _Accum(self.owner, "-", x)


class _Started:
    """The gradients started so far, as one run of a closure sees them: the writer's, and those the run started."""

    __slots__ = ("base", "new")

    def __init__(self, base: set[int]) -> None:
        self.base, self.new = base, set[int]()

    def __contains__(self, i: int) -> bool:
        return i in self.new or i in self.base

    def add(self, i: int) -> None:
        """Start gradient ``i`` on this run."""
        self.new.add(i)


class _ArrayStandIn:
    """A Tensor node as its closure run on names sees it: ``.data`` its name with its shape, ``.grad`` (the output's)
    its gradient's name, ``requires_grad`` whether a parameter's gradient passes through it."""

    def __init__(self, writer: Writer, i: int, tape: Tape, started: _Started, out: bool) -> None:
        node = writer.rec.order[i]
        self._i, self._started = i, started
        self.data = Sym(writer.names[i], tape, shape=tuple(node.data.shape))
        self.grad = Sym(writer.gname(i), tape, shape=tuple(node.data.shape)) if out else None
        self.requires_grad = out or writer.needed[i]
        self._op, self._arg, self.label = node._op, node._arg, node.label
        self._prev: tuple[_ArrayStandIn, ...] = ()


def _accumulate(
    writer: Writer, tape: Tape, started: _Started, parent: _ArrayStandIn, g: Any, may_alias: bool = False
) -> None:
    """``accumulate(parent, g)`` run on names: ``d_parent = g`` (or ``+ g``), summed back where ``g`` was broadcast."""
    j = parent._i
    if not writer.needed[j]:
        return
    shape = tuple(writer.rec.order[j].data.shape)
    expr, term = tape.operand(g, 0), tape.operand(g, ADDEND)  # added as one term: d + (a - b), not (d + a) - b
    if isinstance(g, Sym) and g.shape != shape:
        expr = term = f"unbroadcast({expr}, {shape})"
        may_alias = False  # unbroadcast makes a new array, as accumulate says
    d = writer.gname(j)
    if j in started:
        tape.emit(f"{d} = {d} + {term}")
    else:
        tape.emit(f"{d} = {expr}")
        if may_alias or _a_view(expr):  # a parameter's gradient must be its own array, as accumulate makes it
            writer.aliased.add(j)
        started.add(j)


class _StandIn:
    """A node as a closure run on names sees it: ``.data`` is its name, ``.grad`` its gradient's."""

    def __init__(self, writer: Writer, i: int, tape: Tape, started: _Started) -> None:
        node = writer.rec.order[i]
        self._i, self._tape, self._started, self._writer = i, tape, started, writer
        self.data = Sym(writer.names[i], tape)
        self._op, self._arg, self.label = node._op, node._arg, node.label
        self._prev: tuple[_StandIn, ...] = ()

    @property
    def grad(self) -> Any:
        """This node's gradient: the output's name, or a reference that a ``+=`` turns into a statement."""
        return Sym(self._writer.gname(self._i), self._tape) if self._prev else _GradRef(self)

    @grad.setter
    def grad(self, value: Any) -> None:
        if not isinstance(value, _Accum) or value.target is not self:
            raise TraceError(
                f"op {self._writer.rec.order[self._i]._op!r}: its closure sets a gradient other than by +="
            )
        if not self._writer.needed[self._i]:
            return
        d, tape = self._writer.gname(self._i), self._tape
        if self._i in self._started:
            tape.emit(f"{d} {value.sign}= {tape.operand(value.value, 0)}")
        else:
            prefix = "-" if value.sign == "-" else ""
            tape.emit(f"{d} = {prefix}{tape.operand(value.value, 7 if prefix else 0)}")
            self._started.add(self._i)


class Writer:
    """Writes a recording as code; the Tensor rules call its methods while it writes their node."""

    def __init__(
        self, rec: Recording, leaves: Leaves, names: dict[int, str], arg_names: list[str], loops: bool = True
    ) -> None:
        """``names``: the parameters' names by place; ``arg_names``: the traced function's argument names; ``loops``:
        whether alike blocks are written once, as a loop (not for a picture's code pane: one block per node)."""
        self.rec, self.leaves, self.arg_names, self._loops = rec, leaves, arg_names, loops
        self.tensor = not isinstance(rec.root, Value)
        #: (statement, place of its node in the topological order or -1, "forward" / "backward" / "")
        self.lines: list[tuple[str, int, str]] = []
        self.captured: dict[str, Any] = {}  # globals of the program: constants, index arrays, helpers
        self.used: set[str] = set(RESERVED) | {arg_names[k] for k, _ in leaves.data.values()}
        self.temps: dict[int, dict[str, str]] = {}
        self.aliased: set[int] = set()  # Tensor gradients that may be a view of, or the same array as, another
        self._i, self._phase = -1, ""
        self._parents: list[str] = []
        self.indent = ""  # inside a loop (over the samples or the parameters): its statements' indentation
        self.result = ""  # the name the program returns the loss by
        self._saved_at: dict[int, str] | None = None  # where a loop saved each node of its blocks (number_of)
        self.grad_names: dict[int, str] = {}  # a node whose gradient goes by another name than d_<name>
        self._names_outside: dict[int, str] = {}  # the own names of the parameters a loop's block calls p
        params = set(leaves.params)
        self.needed = [False] * len(rec.order)
        for i, node in enumerate(rec.order):
            self.needed[i] = i in params or any(self.needed[rec.index[id(p)]] for p in node._prev)
        self.started: set[int] = set()
        data = {i: (arg_names[k], where) for i, (k, where) in leaves.data.items()}
        self.names = node_names(rec.order, names, data, self.used)

    def _fresh(self, base: str) -> str:
        """A new name from ``base``, with its gradient's name ``d_<name>`` free too."""
        return fresh(base, self.used)

    def gname(self, i: int) -> str:
        """The name of node ``i``'s gradient: ``d_<name>``, or the loop's carry for a block before this one."""
        return self.grad_names.get(i) or "d_" + self.names[i]

    # --- what a Tensor rule sees --------------------------------------------------------------------------
    @property
    def _node(self) -> Node:
        return self.rec.order[self._i]

    def __getitem__(self, i: int) -> str:
        """The name of the current node's parent ``i``."""
        return self._parents[i]

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

    def value(self, name: str) -> Any:
        """The op's parameter ``name``, as the op stored it on its node."""
        return self._node._arg[name]

    def param(self, name: str) -> str:
        """The op's parameter ``name`` as code: a literal for numbers and tuples, a captured global for arrays."""
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
        """Append a statement of the current node (nothing runs while the program is written)."""
        self.lines.append((self.indent + text, self._i, self._phase))

    def _at(self, i: int, phase: str) -> None:
        """Make node ``i`` the one being written, in ``phase``."""
        self._i, self._phase = i, phase
        index, names = self.rec.index, self.names
        self._parents = [names[index[id(p)]] for p in self.rec.order[i]._prev]

    def _namer(self, i: int) -> Any:
        """The names of node ``i``'s temporaries: the same for the same place on every run of its code."""
        known: dict[tuple[int, str], str] = {}

        def name(k: int, hint: str) -> str:
            if (k, hint) not in known:
                base = identifier(f"{hint}{k}_{self.names[i]}")
                known[(k, hint)] = base if base not in self.used else self._fresh(base)
            return known[(k, hint)]

        return name

    def _branches(self, i: int) -> Branches:
        branches = Branches(self._namer(i))
        return branches

    def _helpers(self, branches: Branches) -> None:
        """Make the helpers a closure called part of the program's namespace, refusing a clash of names."""
        for name, obj in branches.helpers.items():
            if NAMESPACE.get(name, obj) is not obj or self.captured.get(name, obj) is not obj:
                raise TraceError(f"two different helpers are called {name!r}: give one another name")
            if name not in NAMESPACE and not hasattr(builtins, name):
                if name in self.used and name not in self.captured:
                    raise TraceError(f"a helper called {name!r} has the name of a node of the graph: rename it")
                self.captured[name] = obj
                self.used.add(name)

    def write(self) -> None:
        """Write the whole program: leaves, the forward pass, the backward pass, the parameters' update."""
        leaves = self.leaves
        self._param_place = {i: j for j, i in enumerate(leaves.params)}
        self._captured_place = {i: j for j, i in enumerate(leaves.captured)}
        self._constants = set(leaves.constants)
        finders = FINDERS if self._loops and not self.tensor else ()
        loops = [find(self.rec.order, self.rec.index, leaves, self.needed) for find in finders]
        self.loops: dict[int, Loop] = {}  # by the first place of the region each covers
        for loop in loops:
            if loop is not None and all(loop.end < o.start or o.end < loop.start for o in self.loops.values()):
                self.loops[loop.start] = loop
        if self.loops:
            self.sample = fresh("k", self.used)
        for loop in self.loops.values():
            self._name_loop(loop)
        i = 0
        while i < len(self.rec.order):
            loop = self.loops.get(i)
            if loop is None:
                self._forward(i)
                i += 1
            else:
                self._loop_forward(loop)
                i = loop.end + 1
        root = len(self.rec.order) - 1
        self.result = self.names[root]
        if any(root in loop.units[-1] for loop in self.loops.values()):
            self._at(root, "forward")
            self.result = fresh("loss", self.used)
            self.emit(f"{self.result} = {self.names[root]}  # the loss (the backward loop takes its name over)")
        self._backward()

    def number_of(self, i: int) -> str:
        """The code that gives node ``i``'s number at the end of the program: its name, or, for a node of a loop's
        block, where the forward loop saved it (the loops take the block's names over, the backward one last)."""
        if i == len(self.rec.order) - 1:
            return self.result
        if self._saved_at is None:
            self._saved_at = {
                pos: f"{loop.saved}[{u}][{len(loop.slots) + t}]"
                for loop in self.loops.values()
                for u, unit in enumerate(loop.units)
                for t, pos in enumerate(unit)
            }
        return self._saved_at.get(i, self.names[i])

    def _forward(self, i: int) -> None:
        """The statement(s) that compute node ``i``."""
        node, leaves, name = self.rec.order[i], self.leaves, self.names[i]
        self._at(i, "forward")
        if node._prev:
            if self.tensor:
                self._tensor_forward(i, node)
            else:
                self._value_forward(i, node)
        elif i in self._param_place:
            self.emit(f"{name} = P[{self._param_place[i]}].data")
        elif i in self._captured_place:
            self.emit(f"{name} = C[{self._captured_place[i]}].data")
        elif i in self._constants:
            self.emit(f"{name} = {number(node.data)}")
        else:
            k, where = leaves.data[i]
            index = [self.sample if self.indent and j == 0 else str(w) for j, w in enumerate(where)]
            self.emit(f"{name} = {self.arg_names[k]}" + "".join(f"[{w}]" for w in index))

    # --- a loop over the samples ------------------------------------------------------------------------------
    def _name_loop(self, loop: Loop) -> None:
        """Every block of the loop calls its nodes by the first block's names (a data leaf without its sample)."""
        first = loop.units[0]
        for pos in first:
            if pos in self.leaves.data:
                k, where = self.leaves.data[pos]
                rest = "".join(f"_{j}" for j in where[1:]) or "_k"  # X[k][0] is x_0; y[k] is y_k
                self.names[pos] = fresh(identifier(self.arg_names[k].lower() + rest), self.used)
        for unit in loop.units[1:]:
            for t, pos in enumerate(unit):
                self.names[pos] = self.names[first[t]]
        loop.saved = fresh("saved_params" if loop.parameters else "saved", self.used)
        loop.carry = [fresh(f"c_{self.names[first[t]]}", self.used) for t in loop.carried]
        loop.slots = [fresh("p", self.used) for _ in loop.parameters]
        for t, name in zip(loop.carried, loop.carry):  # the tail adds into the last block's total through its carry
            self.grad_names[loop.units[-1][t]] = name

    def _parameter(self, loop: Loop, offset: int) -> str:
        """The place in P of the parameter a loop's block k reads: ``k``, ``k + 1``."""
        return self.sample + (f" + {offset}" if offset > 0 else f" - {-offset}" if offset else "")

    def _range(self, loop: Loop) -> str:
        """The numbers a loop's counter takes: ``range(100)``, ``range(12, 32)``."""
        first, stop = loop.first, loop.first + len(loop.units)
        return f"range({f'{first}, ' if first else ''}{stop})"

    def _comment(self, loop: Loop, backwards: bool) -> str:
        """The comment above a loop: which blocks it runs, in which order."""
        offset = loop.parameters[0][1] if loop.parameters else 0
        low, high = loop.first + offset, loop.first + len(loop.units) - 1 + offset
        one = "P[{}]" if loop.parameters else "sample {}"
        a, b = (high, low) if backwards else (low, high)
        shown = f"{one.format(a)} {'down to' if backwards else 'to'} {one.format(b)}"
        if backwards:
            return f"# the same block backwards, as the walker visits them: {shown}"
        return f"# the same block for each {'parameter' if loop.parameters else 'sample'} in turn: {shown}"

    def _slots(self, loop: Loop, inside: bool) -> None:
        """Inside a loop over the parameters, the parameters a block reads go by its own names, ``p`` and ``d_P[k]``
        (``inside``); outside, by theirs."""
        for (j, offset), name in zip(loop.parameters, loop.slots):
            if inside:
                self._names_outside[j], self.names[j] = self.names[j], name
                self.grad_names[j] = f"d_P[{self._parameter(loop, offset)}]"
            else:
                self.names[j] = self._names_outside.pop(j)
                self.grad_names.pop(j)

    def _loop_forward(self, loop: Loop) -> None:
        """Before the loop, the parameters first read inside it and the totals it carries in; then the loop."""
        inside = {pos for unit in loop.units for pos in unit}
        starts = {pos for pos in loop.before if pos in self._constants}  # a sum's 0.0, when its block is in the loop
        for i in range(loop.start, loop.end + 1):
            if i not in inside and i not in starts:
                self._forward(i)
        block = loop.units[1]
        self._at(-1, "forward")
        self.emit(self._comment(loop, backwards=False))
        for t, pos in zip(loop.carried, loop.before):
            value = number(self.rec.order[pos].data) if pos in starts else self.names[pos]
            self.emit(f"{self.names[block[t]]} = {value}  # the running value the loop carries in")
        self._at(-1, "forward")
        self.emit(f"{loop.saved} = []  # each block's numbers, for the backward pass")
        self.emit(f"for {self.sample} in {self._range(loop)}:")
        self.indent = "    "
        self._slots(loop, True)
        for (j, offset), name in zip(loop.parameters, loop.slots):
            self._at(j, "forward")
            self.emit(f"{name} = P[{self._parameter(loop, offset)}].data")
        for pos in block:
            self._forward(pos)
        self._at(-1, "forward")
        self.emit(f"{loop.saved}.append(({', '.join([*loop.slots, *(self.names[pos] for pos in block)])},))")
        self._slots(loop, False)
        self.indent = ""

    def _loop_backward(self, loop: Loop) -> None:
        """The loop's blocks backwards, last first, as the walker visits them: one block, written once."""
        block, before = loop.units[1], loop.units[0]
        inside = {pos for unit in loop.units for pos in unit}
        slots = {j for j, _ in loop.parameters}
        outside = set()
        for pos in block:
            for parent in self.rec.order[pos]._prev:
                j = self.rec.index[id(parent)]
                if j not in inside and j not in slots and self.needed[j]:
                    outside.add(j)
        self._at(-1, "backward")
        for j in sorted(outside):  # what every block adds into: the engine starts it at 0.0
            if j not in self.started:
                self.emit(f"{self.gname(j)} = 0.0")
                self.started.add(j)
        params = self.leaves.params
        if loop.parameters:  # the gradients as P lists them, started at the engine's 0.0 if nothing reached them
            grads = [self.gname(i) if i in self.started else "0.0" for i in params]
            listed = f"[0.0] * {len(params)}" if all(g == "0.0" for g in grads) else f"[{', '.join(grads)}]"
            self.emit(f"d_P = {listed}  # each parameter's gradient so far: the loop adds into d_P[k]")
        carried = {block[t]: name for t, name in zip(loop.carried, loop.carry)}
        for t, name in zip(loop.carried, loop.carry):
            if loop.units[-1][t] not in self.started:
                self.emit(f"{name} = 0.0")
        for t in loop.carried:
            self.grad_names.pop(loop.units[-1][t])
        names = ", ".join([*loop.slots, *(self.names[pos] for pos in block)])
        self.emit(self._comment(loop, backwards=True))
        if loop.parameters:  # the counter reads P[k] and adds into d_P[k]
            self.emit(f"for {self.sample} in reversed({self._range(loop)}):")
            at = f"{self.sample} - {loop.first}" if loop.first else self.sample
            self.emit(f"    {names} = {loop.saved}[{at}]")
        else:
            self.emit(f"for {names} in reversed({loop.saved}):")
        self.indent = "    "
        self._slots(loop, True)
        self.started |= slots
        for pos, name in carried.items():
            self.emit(f"{self.gname(pos)} = {name}")
        self.started -= set(block)
        self.started |= set(carried)
        for t, name in zip(loop.carried, loop.carry):
            self.grad_names[before[t]] = name
        for pos in reversed(block):
            self._block(pos)
        self._slots(loop, False)
        self.indent = ""
        for t in loop.carried:
            self.grad_names.pop(before[t])
        self._at(-1, "backward")
        if loop.parameters:
            self.emit(f"{', '.join(self.gname(i) for i in params)} = d_P  # the gradients by their names again")
            self.started |= set(params)
        for pos, name in zip(loop.before, loop.carry):
            if self.needed[pos]:
                self.emit(f"{self.gname(pos)} = {name}")
                self.started.add(pos)

    def _value_forward(self, i: int, node: Value) -> None:
        fn = VALUE_FORWARD.get(node._op) or getattr(node._backward, "forward", None)
        if fn is None:
            raise TraceError(
                f"op {node._op!r} was made by custom_op, whose free-form backward(g) may keep numbers of the forward "
                "pass, so trace cannot write it as code: make the op with Value.op (a forward function of the "
                "parents' numbers and a backward closure that reads its node), and it traces as it is"
            )
        arg, table = node._arg, node._op in VALUE_FORWARD
        parents = [self.names[self.rec.index[id(p)]] for p in node._prev]
        name = self.names[i]

        def run(tape: Tape) -> Any:
            syms = [Sym(p, tape) for p in parents]
            return run_on_names(fn, tape, *([arg] if table or arg is not None else []), *syms)

        def finish(tape: Tape, result: Any) -> None:
            tape.emit(f"{name} = {tape.operand(result, 0)}")

        branches = self._branches(i)
        for text in branches.write(run, finish):
            self.emit(text)
        self._helpers(branches)

    def _value_backward(self, i: int, node: Value) -> None:
        """Node ``i``'s closure run on names: the statements it adds into its parents' gradients."""
        endings: list[set[int]] = []

        def run(tape: Tape) -> Any:
            started = _Started(self.started)
            tape.started = started.new  # type: ignore[attr-defined]
            out = _StandIn(self, i, tape, started)
            seen: dict[int, _StandIn] = {}
            prev = []
            for p in node._prev:
                j = self.rec.index[id(p)]
                if j not in seen:
                    seen[j] = _StandIn(self, j, tape, started)
                prev.append(seen[j])
            out._prev = tuple(prev)
            return run_on_names(node._backward, tape, out)  # type: ignore[arg-type]

        def finish(tape: Tape, result: Any) -> None:
            endings.append(tape.started)  # type: ignore[attr-defined]

        branches = self._branches(i)
        lines = branches.write(run, finish)
        unsure = set[int]().union(*endings) - endings[0].intersection(*endings[1:])
        if unsure:  # a gradient only some paths start: start it at the engine's 0.0 before them
            for j in sorted(unsure):
                self.emit(f"{self.gname(j)} = 0.0")
            self.started |= unsure
            endings.clear()
            lines = branches.write(run, finish)
        for text in lines:
            self.emit(text)
        self.started |= set[int]().union(*endings)
        self._helpers(branches)

    def _tensor_forward(self, i: int, node: Node) -> None:
        forward = TENSOR_FORWARD.get("**k" if node._op == "**" and len(node._prev) == 1 else node._op)
        if forward is None:
            raise TraceError(
                f"op {node._op!r} was made by Tensor.custom_op, whose free-form backward(g) may keep numbers of the "
                "forward pass, so trace cannot write it as code"
            )
        self.emit(f"{self.names[i]} = {forward(self)}")

    def _backward(self) -> None:
        rec, order = self.rec, self.rec.order
        root = len(order) - 1
        self._i, self._phase = root, "backward"
        if self.tensor:
            self.captured["ONE"] = np.ones(rec.root.data.shape)
        self.emit(f"{self.gname(root)} = {'ONE' if self.tensor else '1.0'}  # d loss / d loss")
        self.started.add(root)
        ends = {loop.end: loop for loop in self.loops.values()}
        i = root
        while i >= 0:
            loop = ends.get(i)
            if loop is None:
                self._block(i)
                i -= 1
            else:
                self._loop_backward(loop)
                i = loop.start - 1
        self._i, self._phase = -1, ""
        self.lines.append(("# each parameter gets this pass's gradient added to what it held", -1, ""))
        for k, i in enumerate(self.leaves.params):
            if i not in self.started:
                continue
            d = "d_" + self.names[i]
            if not self.tensor:
                self.lines.append((f"P[{k}].grad += {d}", i, "backward"))
                continue
            mine = f"np.array({d})" if i in self.aliased else d  # a leaf's gradient is its own array, as accumulate
            self.lines.append((f"P[{k}].grad = {mine} if P[{k}].grad is None else {d} + P[{k}].grad", i, "backward"))

    def _block(self, i: int) -> None:
        """Node ``i``'s closure written out under a comment naming the node (nothing for a leaf or a node that no
        parameter's gradient passes through)."""
        node = self.rec.order[i]
        if not node._prev or not self.needed[i]:
            return
        self._at(i, "backward")
        self.lines.append(
            (f"{self.indent}# {self.names[i]} = {_written(node._op, node._arg, self._parents)}", i, "backward")
        )
        if i not in self.started:  # nothing reached it: its gradient is the engine's zero
            self.emit(f"{self.gname(i)} = 0.0")
            self.started.add(i)
        if self.tensor:
            self._tensor_backward(i, node)
        else:
            self._value_backward(i, node)

    def _tensor_backward(self, i: int, node: Node) -> None:
        """Node ``i``'s closure run on names, as a Value's is; its ``accumulate`` writes the contributions."""
        temps = self.temps.get(i, {})

        def saved(arg: Any) -> Any:  # an array the forward pass kept: the temporary its rule wrote under that key
            if not isinstance(arg, dict):
                return arg
            kept = {k: v for k, v in arg.items() if not isinstance(v, Saved)}
            for k, v in arg.items():
                if isinstance(v, Saved):
                    kept[k] = Saved(Sym(temps[k], tape_of[0], shape=v.array.shape))  # type: ignore[arg-type]
            return kept

        tape_of: list[Tape] = []

        def run(tape: Tape) -> Any:
            tape_of[:] = [tape]
            started = _Started(self.started)
            tape.started = started.new  # type: ignore[attr-defined]
            out = _ArrayStandIn(self, i, tape, started, out=True)
            out._arg = saved(node._arg)
            seen: dict[int, _ArrayStandIn] = {}
            for p in node._prev:
                j = self.rec.index[id(p)]
                seen.setdefault(j, _ArrayStandIn(self, j, tape, started, out=False))
            out._prev = tuple(seen[self.rec.index[id(p)]] for p in node._prev)
            add = partial(_accumulate, self, tape, started)
            return run_on_names(node._backward, tape, out, overrides={"accumulate": add})

        endings: list[set[int]] = []
        branches = Branches(self._namer(i), self.literal)
        for text in branches.write(run, lambda tape, _: endings.append(tape.started)):  # type: ignore[attr-defined]
            self.emit(text)
        self.started |= set[int]().union(*endings)
        self._helpers(branches)
