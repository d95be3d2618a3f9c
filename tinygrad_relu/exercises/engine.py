"""Self-checks for notebook 00, where the learner builds a scalar engine of their own (micrograd's shape).

Each check runs the learner's class and the project's ``Value`` on the same seeded expressions -- a node used
twice, a parent whose gradient is already nonzero, an upstream gradient that is not 1, a deep chain -- and names
the first node where the two disagree, with a hint about the kind of mistake (never the code that fixes it).

The learner's class follows micrograd: ``cls(data)`` makes a leaf with ``.data`` and ``.grad``; an op returns a
node whose ``_prev`` holds its parents and whose ``_backward()`` (no arguments) adds ``out.grad`` times the local
derivative into each parent's ``.grad``; ``backward()`` runs the closures of a topological order in reverse.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import Value
from .check import CheckResult, _fail, _run, _Said, _todo, _Unanswered

# Every closure is tried with upstream gradients like these: never 1, so `* out.grad` cannot be left out unseen.
_UPSTREAM = (-1.75, 2.5, 0.625)
# The learner's topological sort is most likely recursive: a chain this deep stays well under Python's limit.
TOPO_DEPTH = 300


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _number(x: Any, what: str) -> float:
    """``x`` as a float, or a fail naming ``what`` (a learner may store a node or None where a number belongs)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _NotANumber(f"{what} is {x!r} ({type(x).__name__}), not a number")
    return float(x)


class _NotANumber(_Said):
    """A grad or data that is not a number: said as a fail, not as "your code raised"."""


def _checked(todo: str, body: Callable[[], CheckResult]) -> CheckResult:
    """``_run`` (a stub is "to do", an exception a fail naming it), with a runaway recursion said plainly."""

    def guarded() -> CheckResult:
        try:
            return body()
        except RecursionError:  # caught here, not where it was raised: the handler itself needs stack to run
            return _fail(
                f"your code hit Python's recursion limit on a chain of {TOPO_DEPTH} nodes: does your sort stop at "
                "nodes it has visited?"
            )

    return _run(todo, guarded)


# --- step 1: the derivative as a limit ------------------------------------------------------------------------

_SLOPE_CASES: tuple[tuple[str, Callable[[float], float], float, float], ...] = (
    ("f(x) = x**3 - 2*x", lambda x: x**3 - 2 * x, 1.5, 3 * 1.5**2 - 2),
    ("f(x) = 1 / x", lambda x: 1 / x, -2.0, -1 / 4),
    ("f(x) = tanh(x)", math.tanh, 0.3, 1 - math.tanh(0.3) ** 2),
)


def check_numerical_derivative(slope: Callable[..., Any] | None) -> CheckResult:
    """Exercise 00.1: ``slope(f, x)`` estimates f'(x) as (f(x + h) - f(x)) / h (or a central difference)."""

    def body() -> CheckResult:
        if slope is None:
            raise _Unanswered
        for name, f, x, exact in _SLOPE_CASES:
            try:
                got = slope(f, x)
            except NotImplementedError:
                raise _Unanswered from None
            if got is None:
                raise _Unanswered
            got = _number(got, f"slope(f, {x:g})")
            if abs(got - exact) <= 1e-4 * max(1.0, abs(exact)):
                continue
            where = f"for {name} at x = {x:g} your slope is {got:.6g}, but the derivative is {exact:.6g}"
            if abs(got + exact) <= 1e-4 * max(1.0, abs(exact)):
                return _fail(f"{where}: the sign is flipped -- which value is subtracted from which?")
            if abs(got) < 1e-3 * abs(exact):
                return _fail(f"{where}: a rise (f(x + h) - f(x)) is not yet a slope; what is it divided by?")
            return _fail(f"{where}: is h small (about 1e-6), and is the rise over the same h you stepped?")
        return CheckResult("pass")

    return _checked("fill in slope(f, x, h): the rise of f over a small step h, divided by the step", body)


# --- steps 2-4: one op and its closure -----------------------------------------------------------------------


@dataclass(frozen=True)
class _OpCase:
    """One op on fresh leaves: ``build(nodes)`` applies it; ``text`` names it for the learner."""

    text: str
    inputs: tuple[float, ...]
    build: Callable[[Sequence[Any]], Any]
    twice: bool = False  # the op uses one node twice: its parent must get both contributions
    alpha: float = 0.0  # leaky_relu's slope


def _add_cases() -> list[_OpCase]:
    return [
        _OpCase("a + b", (1.5, -0.75), lambda n: n[0] + n[1]),
        _OpCase("a + a", (0.5,), lambda n: n[0] + n[0], twice=True),
        _OpCase("a + 3.0 (a plain number)", (-2.0,), lambda n: n[0] + 3.0),
    ]


def _mul_cases() -> list[_OpCase]:
    return [
        _OpCase("a * b", (1.5, -0.75), lambda n: n[0] * n[1]),
        _OpCase("a * a", (-1.25,), lambda n: n[0] * n[0], twice=True),
        _OpCase("a * 2.5 (a plain number)", (0.8,), lambda n: n[0] * 2.5),
    ]


def _leaky_cases() -> list[_OpCase]:
    cases = []
    for alpha in (0.1, 0.01, 1.5, -0.5):
        for x in (1.25, -2.0, 0.0):
            cases.append(_OpCase(f"a.leaky_relu({alpha:g}) at a = {x:g}", (x,), _leaky(alpha), alpha=alpha))
    return cases


def _leaky(alpha: float) -> Callable[[Sequence[Any]], Any]:
    return lambda n: n[0].leaky_relu(alpha)


def _apply(case: _OpCase, nodes: Sequence[Any]) -> Any:
    """The learner's op on their nodes; a stub (raises NotImplementedError or returns None) is "to do"."""
    try:
        out = case.build(nodes)
    except NotImplementedError:
        raise _Unanswered from None
    if out is None:
        raise _Unanswered
    return out


def _check_op(cls: Any, cases: list[_OpCase], op: str) -> CheckResult:
    """Run each case on the learner's class and on Value; fail at the first forward or gradient that differs."""
    rng = random.Random(f"engine-{op}")
    for case in cases:
        mine = [cls(x) for x in case.inputs]
        ref = [Value(x) for x in case.inputs]
        out = _apply(case, mine)
        want = case.build(ref)
        if not isinstance(out, cls):
            return _fail(f"{case.text} returned a {type(out).__name__}, not a {cls.__name__} node: return out")
        data = _number(out.data, f"({case.text}).data")
        if not _close(data, want.data):
            hint = f"the forward value of {case.text} is {data:.6g}, but it should be {want.data:.6g}"
            if op == "leaky_relu" and case.inputs[0] > 0:
                hint += ": for x > 0 the output is x itself, whatever alpha is (a piecewise function, not a max)"
            return _fail(hint)
        want.backward()  # seeds 1: each reference leaf's grad is now the local derivative
        local = [v.grad for v in ref]
        for g in _UPSTREAM:
            # A nonzero starting grad shows `=` where `+=` belongs; a node used twice must start at 0 to say so.
            before = [0.0 if case.twice else rng.choice((0.5, -1.5, 2.25)) for _ in mine]
            for v, b in zip(mine, before):
                v.grad = b
            out.grad = g
            closure = getattr(out, "_backward", None)
            if not callable(closure):
                return _fail(f"the node {case.text} has no _backward to call: set out._backward = _backward")
            data_before = [v.data for v in mine]
            closure()
            for name, v, d0 in zip("ab", mine, data_before):
                if _number(v.data, f"{name}.data") != d0:
                    return _fail(
                        f"in {case.text} your closure changed {name}.data from {d0:g} to {v.data:.6g}: a closure "
                        "only adds into the parents' .grad; .data changes only in the update step of training"
                    )
            grads = [_number(v.grad, f"{name}.grad") for name, v in zip("ab", mine)]
            changed = [name for name, got, b in zip("ab", grads, before) if not _close(got, b)]
            for k, (name, got, b, d) in enumerate(zip("ab", grads, before, local)):
                if not _close(got, b + g * d):
                    seen = _Seen(g, data, before[1 - k] if len(mine) == 2 else None, changed)
                    return _fail(_op_hint(op, case, name, got, b, d, seen))
    return CheckResult("pass")


@dataclass(frozen=True)
class _Seen:
    """What the closure could read when it ran: out.grad, out.data, the other parent's grad before the call, and
    which parents' grads it changed (a wrong gradient is named by the number it was made from)."""

    out_grad: float
    out_data: float
    other_grad: float | None
    changed: list[str]


def _op_hint(op: str, case: _OpCase, name: str, got: float, before: float, local: float, seen: _Seen) -> str:
    """Which mistake turns the right ``before + g * local`` into ``got``: named by the first formula that fits."""
    g = seen.out_grad
    where = (
        f"in {case.text}, with {name}.grad = {before:g} before and out.grad = {g:g}, your closure left "
        f"{name}.grad = {got:.6g}; Value's leaves {before + g * local:.6g}"
    )
    if local != 0.0 and _close(got, before + seen.out_data * local):
        return (
            f"{where}: that is out.data ({seen.out_data:g}, the op's forward value) times the local derivative -- "
            "the chain rule multiplies by out.grad, the gradient that arrived at out"
        )
    if _close(got, before) and seen.changed:
        return (
            f"{where}: your closure added into {' and '.join(seen.changed)}.grad but left {name}.grad as it was -- "
            f"{name} is a parent of this node too, and gets out.grad times its own local derivative"
        )
    if op == "leaky_relu" and case.inputs[0] <= 0 and case.alpha != 0 and _close(got, before):
        return (
            f"{where}: on the x <= 0 side your closure sends nothing, as a plain relu's would -- the slope there is "
            "alpha, the argument of leaky_relu, not 0"
        )
    if _close(got, before):
        return f"{where}: your closure added nothing -- is it attached to out (out._backward = _backward)?"
    if (
        op == "*"
        and seen.other_grad is not None
        and not _close(seen.other_grad, local)
        and _close(got, before + g * seen.other_grad)
    ):
        other = "b" if name == "a" else "a"
        return (
            f"{where}: that is out.grad times {other}.grad ({seen.other_grad:g}) -- the local derivative of * is "
            f"a value of the forward pass, {other}.data; .grad holds gradients, .data the numbers"
        )
    if case.twice and _close(got, g * local / 2):
        return (
            f"{where}: {name} is both parents of this node, and only one of its two contributions survived -- "
            "does the closure add into the parent's grad, or replace it?"
        )
    if _close(got, g * local):
        return f"{where}: the gradient it had before is gone -- add into a parent's grad, never assign it"
    if _close(got, before + local):
        return (
            f"{where}: the closure ignores out.grad -- by the chain rule each parent gets out.grad times the "
            "local derivative"
        )
    if _close(got, before - g * local):
        return f"{where}: the sign is flipped"
    if op == "leaky_relu":
        (x,) = case.inputs
        if x == 0.0 and _close(got, before + g):
            return (
                f"{where}: at exactly x = 0 the contract is the else branch (slope alpha, as in PyTorch) -- "
                "look at the comparison that picks the slope"
            )
        if x < 0 and case.alpha < 0 and _close(got, before + g):
            return (
                f"{where}: with a negative alpha the output is positive where x is negative, so a mask "
                "taken from the output picks the wrong side -- take it from the input"
            )
        return f"{where}: the slope is 1 where the input is > 0 and alpha (the argument) elsewhere"
    return f"{where}: what is the derivative of {op} with respect to {name}?"


def check_add(cls: Any) -> CheckResult:
    """Exercise 00.4: the learner's ``__add__`` and its closure, against Value on a + b, a + a, and a + number."""
    return _checked(
        "write __add__: build out from self.data + other.data, define _backward that adds into both parents' "
        "grads, attach it to out, return out",
        lambda: _check_op(cls, _add_cases(), "+"),
    )


def check_mul(cls: Any) -> CheckResult:
    """Exercise 00.5: the learner's ``__mul__`` and its closure, against Value on a * b, a * a, and a * number."""
    return _checked(
        "write __mul__ in the shape of __add__; each parent's local derivative is the other parent's data",
        lambda: _check_op(cls, _mul_cases(), "*"),
    )


def check_leaky_relu(cls: Any) -> CheckResult:
    """Exercise 00.6: the learner's ``leaky_relu(alpha)``, at x > 0, x < 0 and x = 0, for alpha 0.1 to -0.5."""
    return _checked(
        "write leaky_relu(alpha): x if x > 0 else alpha * x, and a closure whose slope is 1 or alpha",
        lambda: _check_op(cls, _leaky_cases(), "leaky_relu"),
    )


# --- step 5: the topological order ---------------------------------------------------------------------------


class _Node:
    """A bare node for the order check: only parents and a name, so the learner's ops play no part."""

    def __init__(self, name: str, prev: tuple[_Node, ...] = ()) -> None:
        self.name, self._prev = name, prev
        self.data, self.grad = 0.0, 0.0

    def __repr__(self) -> str:
        return self.name


def _graphs() -> list[tuple[str, list[_Node]]]:
    """Graphs to sort, smallest first (so a sort that visits nodes twice is caught before the long chain)."""
    a, b = _Node("a"), _Node("b")
    c = _Node("c = a * b", (a, b))
    d = _Node("d = a + c", (a, c))
    e = _Node("e = d * c", (d, c))
    graphs = [("a diamond, e = (a + a*b) * (a*b)", [a, b, c, d, e])]
    rng = random.Random("engine-topo")
    nodes = [_Node(f"n{i}") for i in range(3)]
    for i in range(3, 16):
        i_, j_ = rng.randrange(i), rng.randrange(i)
        nodes.append(_Node(f"n{i} = n{i_} {rng.choice('+*')} n{j_}", (nodes[i_], nodes[j_])))
    nodes.append(_Node("n16 = n15 + n14", (nodes[15], nodes[14])))
    graphs.append(("a random graph of 17 nodes", nodes))
    one, x = _Node("one"), _Node("x0")
    chain = [one, x]
    for k in range(1, TOPO_DEPTH + 1):
        chain.append(_Node(f"x{k} = x{k - 1} + one", (chain[-1], one)))
    graphs.append((f"a chain of {TOPO_DEPTH} additions", chain))
    return graphs


def _reachable(root: _Node) -> set[_Node]:
    seen, stack = {root}, [root]
    while stack:
        for p in stack.pop()._prev:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _order_problem(order: list[Any], root: _Node, try_reversed: bool = True) -> str | None:
    """What is wrong with ``order`` as micrograd's list (every node after its parents, the root last), or None."""
    nodes = _reachable(root)
    seen: dict[_Node, int] = {}
    for k, node in enumerate(order):
        if node not in nodes:
            return f"item {k} of your list, {node!r}, is not a node of this graph"
        if node in seen:
            return f"{node!r} is in your list twice (items {seen[node]} and {k}): remember which nodes you visited"
        seen[node] = k
    missing = [n for n in nodes if n not in seen]
    if missing:
        return f"{len(missing)} nodes are missing, for example {missing[0]!r}: visit every parent, recursively"
    for node in order:
        late = [p for p in node._prev if seen[p] > seen[node]]
        if late:
            if try_reversed and _order_problem(order[::-1], root, try_reversed=False) is None:
                return (
                    "the list is a valid order read backwards (the root first): return it with the root last, "
                    "and let backward() reverse it"
                )
            return (
                f"{node!r} comes before its parent {late[0]!r}, so backward() would run {late[0]!r}'s closure "
                f"before {node!r} has added into its grad: add a node only after all of its parents"
            )
    return None


def check_topological_order(topo: Callable[[Any], Any] | None) -> CheckResult:
    """Exercise 00.7: ``topo(root)`` lists every node below ``root`` once, each after its parents, the root last."""

    def body() -> CheckResult:
        if topo is None:
            raise _Unanswered
        for what, nodes in _graphs():
            try:
                order = topo(nodes[-1])
            except NotImplementedError:
                raise _Unanswered from None
            if order is None:
                raise _Unanswered
            problem = _order_problem(list(order), nodes[-1])
            if problem:
                return _fail(f"on {what}: {problem}")
        return CheckResult("pass")

    return _checked("write topo(root): a depth-first search that adds a node to the list after its parents", body)


# --- step 6: backward() ---------------------------------------------------------------------------------------

# A program is a list of steps on node numbers: leaves first, then ("+", i, j), ("*", i, j), ("leaky", i, alpha).
Step = tuple[str, int, Any]


def _programs() -> list[tuple[list[float], list[Step]]]:
    """Seeded expressions: nodes used twice, all three ops, a final * 1.5 so the expression's gradient is not 1,
    and a chain as deep as the order check's."""
    rng = random.Random("engine-backward")
    programs = []
    for _ in range(6):
        leaves = [rng.choice((-1.5, -0.5, 0.25, 0.75, 2.0)) for _ in range(4)]
        steps: list[Step] = []
        n = len(leaves)
        for _ in range(12):
            kind = rng.choice(("+", "*", "leaky"))
            i = rng.randrange(max(0, n - 4), n)  # mostly recent nodes: a deep graph, not a wide one
            if kind == "leaky":
                steps.append(("leaky", i, rng.choice((0.1, 0.01, 0.2))))
            else:
                steps.append((kind, i, i if rng.random() < 0.2 else rng.randrange(n)))
            n += 1
        steps.append(("*", n - 1, 0))  # upstream gradient != 1 for everything below: times a leaf
        programs.append((leaves, steps))
    chain: list[Step] = [("*" if k % 3 == 0 else "+", k, 0) for k in range(1, TOPO_DEPTH // 3)]
    programs.append(([1.5, 0.75], chain + [("leaky", TOPO_DEPTH // 3, 0.1)]))
    return programs


def _build(make: Callable[[float], Any], leaves: list[float], steps: list[Step]) -> list[Any]:
    nodes = [make(x) for x in leaves]
    for kind, i, j in steps:
        if kind == "+":
            nodes.append(nodes[i] + nodes[j])
        elif kind == "*":
            nodes.append(nodes[i] * nodes[j])
        else:
            nodes.append(nodes[i].leaky_relu(j))
    return nodes


def _name(k: int, leaves: list[float], steps: list[Step]) -> str:
    if k < len(leaves):
        return f"leaf n{k} (data {leaves[k]:g})"
    kind, i, j = steps[k - len(leaves)]
    return f"n{k} = n{i}.leaky_relu({j:g})" if kind == "leaky" else f"n{k} = n{i} {kind} n{j}"


def _first_difference(mine: list[Any], ref: list[Value], factor: float = 1.0) -> int | None:
    """The first node, from the root down, whose grad differs from ``factor`` times the reference's."""
    for k in range(len(mine) - 1, -1, -1):
        if not _close(_number(mine[k].grad, f"n{k}.grad"), factor * ref[k].grad):
            return k
    return None


def check_backward(cls: Any) -> CheckResult:
    """Exercise 00.8: ``cls.backward()`` seeds 1, runs every closure once in reverse topological order, and resets
    the inner nodes first, so that calling it twice gives twice the leaves' gradients (as Value does)."""

    def body() -> CheckResult:
        for check in (check_add, check_mul, check_leaky_relu):
            result = check(cls)
            if not result.ok:
                return _todo(f"{check.__name__} must pass first ({result})")
        for leaves, steps in _programs():
            mine = _build(cls, leaves, steps)
            try:
                mine[-1].backward()
            except NotImplementedError:
                raise _Unanswered from None
            ref = _build(Value, leaves, steps)
            ref[-1].backward()
            root = _number(mine[-1].grad, "root.grad")
            if root != 1.0:
                return _fail(
                    f"after backward() the root's grad is {root:g}: d(root)/d(root) is 1, and backward() must "
                    "set it (seed it) before running any closure"
                )
            k = _first_difference(mine, ref)
            if k is not None:
                return _fail(
                    f"on the expression ending in {_name(len(mine) - 1, leaves, steps)}, the first node (from the "
                    f"root down) whose grad differs from Value's is {_name(k, leaves, steps)}: yours "
                    f"{mine[k].grad:.6g}, Value's {ref[k].grad:.6g}. Every node above it agrees, so its users' "
                    "closures ran -- but not all of them before it passed its grad on: run the closures in the "
                    "reverse of topo's order, once each"
                )
            mine[-1].backward()
            ref[-1].backward()
            k = _first_difference(mine, ref)
            if k is not None:
                got, want = mine[k].grad, ref[k].grad
                if k < len(leaves) and _close(got, want / 2):
                    return _fail(
                        f"after a second backward() {_name(k, leaves, steps)} has grad {got:.6g}, as after "
                        "one: leaves keep adding up across calls (until you zero them, as PyTorch's zero_grad); "
                        "reset only the nodes that have parents"
                    )
                return _fail(
                    f"after a second backward() {_name(k, leaves, steps)} has grad {got:.6g}, but Value's has "
                    f"{want:.6g} (exactly twice its first): the inner nodes still held the first call's "
                    "gradients -- reset the grad of every node that has parents before seeding the root"
                )
        return CheckResult("pass")

    return _checked(
        "write backward() (it calls your topo, so check_topological_order first): order the nodes with topo, "
        "reset the inner nodes' grads, seed the root with 1, then run each node's _backward in reverse order",
        body,
    )


def check_engine(cls: Any, topo: Callable[[Any], Any] | None) -> dict[str, CheckResult]:
    """Every check of notebook 00 at once, by exercise name: the XOR cell trains only when all of them pass."""
    return {
        "__add__": check_add(cls),
        "__mul__": check_mul(cls),
        "leaky_relu": check_leaky_relu(cls),
        "topo": check_topological_order(topo),
        "backward": check_backward(cls),
    }
