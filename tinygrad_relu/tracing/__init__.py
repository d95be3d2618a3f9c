"""``trace``: the forward and backward pass of a loss, written out as Python, and replayed.

``step = trace(loss_of, model, X, y)`` calls ``loss_of(model, X, y)`` once, records the graph behind the loss
it returns, and writes it as one function (``step.source``): Value graphs become float statements, Tensor
graphs numpy statements, one per node, each op's backward by running its own closure on names (a batch's
alike blocks as a loop).
``step(X2, y2)`` runs it on new data: it returns the loss and adds into each parameter's ``.grad`` exactly what
``loss.backward()`` would, bit for bit. What is fixed at trace time: the graph's shape (a Python decision on the
data is refused, naming its line), every op's parameters, and the numbers of the Values that are neither data
nor parameters (constants).
"""

from __future__ import annotations

import inspect
import zlib
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import Value, graph
from ..engine.graph import topological_order
from ..tensor import Tensor
from .leaves import TraceError, data_leaves
from .names import NAMESPACE, graph_leaves, identifier, parameter_names
from .record import Leaves, Recording, argument_kind, as_floats, changed, classify, record
from .write import Writer

__all__ = ["Program", "TraceError", "graph_source_lines", "trace"]

_PHASES = ("", "forward", "backward")
QUIET_OPS = frozenset(("/", "**", "exp", "log", "logsumexp", "log_softmax", "prelu", "bce_logits"))


class Written:
    """What a Program keeps of the recording and the writer: its source, each statement's node and phase, the
    program's globals, and what a call checks. Made before compiling, so that the graph and the writer's lines
    can be let go of first: compiling a big graph's source takes more memory than the graph."""

    def __init__(self, f: Callable[..., Any], rec: Recording, writer: Writer, data: list[int], check: bool) -> None:
        self.value = isinstance(rec.root, Value)
        self.signature = rec.signature() if check else []
        # the engine runs these ops under np.errstate so that IEEE's inf and nan come without warnings
        self.quiet = not self.value and any(n._op in QUIET_OPS for n in rec.order)
        # per statement of the body: its node's place and its phase, compactly (a big graph has 10^5 statements)
        self.nodes = array("i", [i for _, i, _ in writer.lines])
        self.phases = bytes(_PHASES.index(phase) for _, _, phase in writer.lines)
        names = ", ".join(["P", "C", *(writer.arg_names[k] for k in data)])
        extras = _extras_code(rec.extras, rec, writer)
        result = writer.result + (f", {extras}" if extras else "")
        body = ("    " + text for text, _, _ in writer.lines)
        self.source = "\n".join([f"def step({names}):", *body, f"    return {result}", ""])
        self.namespace: dict[str, Any] = dict(NAMESPACE, **writer.captured)
        self.title = "".join(c if c.isalnum() or c == "_" else "_" for c in getattr(f, "__name__", "function"))


class Program:
    """A traced loss: ``program(*data)`` runs its forward and backward pass on new data (see ``trace``)."""

    def __init__(
        self,
        f: Callable[..., Any],
        args: tuple[Any, ...],
        written: Written,
        params: list[Any],
        captured: list[Any],
        data: list[int],
        check: bool,
    ) -> None:
        self._f, self._args, self._data, self._check = f, args, data, check
        self._value, self._quiet, self._signature = written.value, written.quiet, written.signature
        self._shapes = [as_floats(args[k]).shape for k in data]
        #: the parameters the program reads and adds gradients into, in the order the source numbers them (P[k])
        self.parameters = params
        self._captured = captured
        self._nodes, self._phases = written.nodes, written.phases
        namespace, source = written.namespace, written.source
        exec(compile(source, f"<traced {written.title}>", "exec"), namespace)  # noqa: S102
        self._step: Callable[..., Any] = namespace["step"]
        self._source = zlib.compress(source.encode(), 1)  # a big graph's source is megabytes; it is read rarely

    @property
    def source(self) -> str:
        """The program as Python: ``def step(P, C, <data>)``, the forward pass, then the backward pass."""
        return zlib.decompress(self._source).decode()

    def source_lines(self) -> list[tuple[str, int, str]]:
        """Each statement of ``source``'s body: (text, the place of its node in ``topological_order(loss)`` or -1,
        "forward", "backward" or "" for the parameters' update), so that a picture can select a node's code."""
        body = self.source.splitlines()[1 : 1 + len(self._nodes)]
        return [(text[4:], i, _PHASES[p]) for text, i, p in zip(body, self._nodes, self._phases)]

    def __call__(self, *data: Any) -> Any:
        """Run the program on new data arguments (the same shapes as at trace time): return the loss (and the
        other nodes' numbers, if the traced function returned more) and add into each parameter's ``.grad``."""
        if len(data) != len(self._data):
            raise TypeError(
                f"this traced program takes {len(self._data)} data argument(s) (arguments {self._data} of the traced "
                f"function: arrays, lists of numbers or Tensors without grad), got {len(data)}"
            )
        arrays = []
        for k, x, shape in zip(self._data, data, self._shapes):
            a = x.data if type(x) is Tensor else x if type(x) is np.ndarray and x.dtype == np.float64 else as_floats(x)
            if a.shape != shape:
                raise ValueError(
                    f"data argument {k} has shape {a.shape}, but the program was traced with shape {shape}: a traced "
                    "program replays one graph; trace again for other shapes"
                )
            arrays.append(a.tolist() if self._value else a)
        if self._check:
            self._recheck(data)
        # passes from several threads into shared leaves take turns, as backward() does
        with graph._one_pass_at_a_time:
            if self._quiet:
                with np.errstate(all="ignore"):
                    return self._step(self.parameters, self._captured, *arrays)
            return self._step(self.parameters, self._captured, *arrays)

    def _recheck(self, data: tuple[Any, ...]) -> None:
        """Record the eager graph of this call and refuse if it is not the traced one (``check=True``)."""
        args = list(self._args)
        for k, x in zip(self._data, data):
            args[k] = data_leaves(x, k, not self._value)[0]  # the data as the traced call had them: as leaves
        changed(self._signature, record(self._f, args), "from the traced one on this call")


def _extras_code(extras: Any, rec: Recording, writer: Writer) -> str:
    """The code of the other things the traced function returned, nodes replaced by the code of their numbers."""
    if not extras:
        return ""

    def code(x: Any) -> str:
        if isinstance(x, (Value, Tensor)):
            return writer.number_of(rec.index[id(x)])
        if isinstance(x, (list, tuple)):
            inner = ", ".join(code(v) for v in x)
            return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
        raise TraceError(f"trace can return nodes (or lists of them) beside the loss, not {type(x).__name__}")

    return ", ".join(code(x) for x in extras)


def _parameters(args: tuple[Any, ...]) -> list[Any]:
    """The parameters among the arguments, in order: a Module's as ``parameters()`` lists them, nodes as given."""
    found: dict[int, Any] = {}
    for a in args:
        kind = argument_kind(a)
        items = (
            a.parameters()
            if kind == "module"
            else (a if isinstance(a, (list, tuple)) else [a])
            if kind == "node"
            else []
        )
        for p in items:
            found.setdefault(id(p), p)
    return list(found.values())


def trace(f: Callable[..., Any], *args: Any, check: bool = False) -> Program:
    """Call ``f(*args)`` once, record the graph of the loss it returns, and return it as a ``Program``.

    ``f`` returns a loss node (a Value, or a one-number Tensor), or a tuple of the loss and other nodes of its
    graph (returned by the program as numbers). Its arguments are taken by kind: a ``Module`` (its parameters are
    read at every call and get gradients), a parameter node (the same), data (arrays, lists of numbers, Tensors
    without grad: the program's arguments, in order) and anything else, fixed at trace time. The data enter ``f``
    as leaves that trace made (Values in the argument's shape, or one Tensor), so whatever ``f`` computes from
    them is in the graph; code that takes a number out of them (``float(x)``, ``if x > 0``, ``x.data``) is refused
    with a ``TraceError`` naming its line. ``check=True`` records the eager graph again at every call and raises
    ``TraceError`` if it changed (slow; for debugging).
    """
    try:
        names = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        names = []
    arg_names: list[str] = []
    for k in range(len(args)):
        name = identifier(names[k] if k < len(names) and names[k].isidentifier() else f"arg{k}")
        while name in arg_names or name in ("P", "C"):
            name += "_"
        arg_names.append(name)
    params = _parameters(args)
    tensor = any(isinstance(p, Tensor) for p in params)
    if not params:
        raise TraceError("trace needs a parameter among the arguments (a Module, a Value, or a Tensor with grad)")
    data = [k for k, a in enumerate(args) if argument_kind(a) == "data"]
    traced_args = list(args)
    for k in data:
        traced_args[k], _ = data_leaves(args[k], k, tensor)
    rec = record(f, traced_args)
    leaves = classify(rec, params)
    used = [rec.order[i] for i in leaves.params]
    names_of = dict(zip(leaves.params, parameter_names(args, arg_names, used)))
    writer = Writer(rec, leaves, names_of, arg_names)
    captured = [rec.order[i] for i in leaves.captured]
    writer.write()
    written = Written(f, rec, writer, data, check)
    del rec, writer, leaves, traced_args  # the graph and the lines are let go of before compiling (nothing else
    # holds them: the graph has no reference cycle, and neither has the writing, so reference counting frees them)
    return Program(f, args, written, used, captured, data, check)


def graph_source_lines(root: Any) -> list[tuple[str, int, str]]:
    """The statements ``trace`` would write for the graph already built behind ``root``, as ``source_lines``.

    There is no function to call again, so no leaf is data: a labelled Value, or a Tensor that requires grad, is a
    parameter (named by its label); an unlabelled Value is a constant; a Tensor without grad is read as ``C[k]``.
    Every node's closure is written as its own block, with no loop, so that a picture can select any node's code.
    Raises ``TraceError`` for an op trace cannot write.
    """
    order = topological_order(root)
    if not root._prev:
        raise TraceError("the root is a leaf: it has no graph to write as code")
    rec = Recording(root, (), order, {id(n): i for i, n in enumerate(order)})
    params_at, constants, captured = graph_leaves(order)  # the same leaves, and so the same names, as the picture's
    leaves = Leaves(params=params_at, captured=captured, constants=constants)
    params = [order[i] for i in leaves.params]
    writer = Writer(rec, leaves, dict(zip(leaves.params, parameter_names((), [], params))), [], loops=False)
    writer.write()
    return writer.lines
