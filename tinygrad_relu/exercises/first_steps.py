"""Self-checks for the first and the last step of notebook 00: backprop by hand on ``L = (a*b + c) * f``, and
the training loop the learner writes around their engine.

The by-hand checks compare the learner's numbers with what ``Value.backward()`` gives on the same expression
and name the first wrong one, from the top of the graph down (a wrong gradient spoils everything below it).
The loop check runs the learner's loop on a small XOR network and says what the loss did, measured.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine import Value
from .check import CheckResult, _fail, _run, _Said, _Unanswered

# The drawn expression: e = a * b, d = e + c, L = d * f (numbers chosen so that no answer equals an input).
INPUTS = {"a": 2.0, "b": -4.0, "c": 3.0, "f": -1.5}
LOCAL_KEYS = ("dL/dd", "dL/df", "dd/de", "dd/dc", "de/da", "de/db")
CHAIN_KEYS = ("dL/dd", "dL/df", "dL/de", "dL/dc", "dL/da", "dL/db")
# each node's parent on the way up to L: a gradient is the parent's gradient times this node's local derivative
_UP = {"d": "L", "f": "L", "e": "d", "c": "d", "a": "e", "b": "e"}


def _graph() -> dict[str, Value]:
    """The expression built on the engine, backward run: every node's .grad is dL/d(node)."""
    nodes = {name: Value(x, name) for name, x in INPUTS.items()}
    nodes["e"] = nodes["a"] * nodes["b"]
    nodes["d"] = nodes["e"] + nodes["c"]
    nodes["L"] = nodes["d"] * nodes["f"]
    nodes["L"].backward()
    return nodes


def _local(key: str) -> float:
    """d out / d x for one op of the expression, by the engine: the op alone on fresh leaves, seeded with 1."""
    out, x = key[1], key[-1]
    parents = {"L": "df", "d": "ec", "e": "ab"}[out]
    values = {name: node.data for name, node in _graph().items()}
    leaves = {p: Value(values[p]) for p in parents}
    first, second = (leaves[p] for p in parents)
    (first * second if out in "Le" else first + second).backward()
    return leaves[x].grad


def _numbers(answers: Mapping[str, Any] | None, keys: Sequence[str]) -> dict[str, float]:
    """The learner's dict as numbers; a dict still all None is "to do", anything else odd a fail."""
    if answers is None:
        raise _Unanswered
    if not isinstance(answers, Mapping):
        raise _Said(f"the answer is a dict from each of {list(keys)} to a number, got {type(answers).__name__}")
    unknown = [k for k in answers if k not in keys]
    if unknown:
        raise _Said(f"unknown key {unknown[0]!r}: the keys are exactly {list(keys)}")
    if all(answers.get(k) is None for k in keys):
        raise _Unanswered
    missing = [k for k in keys if answers.get(k) is None]
    if missing:
        raise _Said(f"still to fill in: {missing}")
    odd = [k for k in keys if isinstance(answers[k], bool) or not isinstance(answers[k], (int, float))]
    if odd:
        raise _Said(f"{odd[0]!r}: {answers[odd[0]]!r} is not a number")
    return {k: float(answers[k]) for k in keys}


def check_local_derivatives(local: Mapping[str, Any] | None) -> CheckResult:
    """Exercise 00.2: the local derivative of each op of ``L = (a*b + c) * f`` (keys ``LOCAL_KEYS``), each
    compared with the engine's on that op alone."""

    def body() -> CheckResult:
        got = _numbers(local, LOCAL_KEYS)
        values = {name: node.data for name, node in _graph().items()}
        for key in LOCAL_KEYS:
            want = _local(key)
            if math.isclose(got[key], want, abs_tol=1e-9):
                continue
            out, x = key[1], key[-1]
            where = f"{key} is not {got[key]:g}"
            if out == "d":
                return _fail(
                    f"{where}: d = e + c, so when {x} moves by a small step h, d moves by exactly h -- whatever "
                    "the other term is"
                )
            if math.isclose(got[key], values[x], abs_tol=1e-9):
                return _fail(
                    f"{where}: that is {x}'s own value. In a product, moving one factor by h moves the product by "
                    "h times the factor that stayed put"
                )
            if math.isclose(got[key], -want, abs_tol=1e-9):
                return _fail(f"{where}: the sign is flipped -- look at the sign of the factor that stayed put")
            return _fail(
                f"{where}: nudge {x} by 1e-6 in the expression for {out} alone and see how far {out} moves, "
                "divided by the nudge"
            )
        return CheckResult("pass")

    return _run("replace each None with the local derivative of that op at the drawn numbers", body)


def check_chain_rule(grads: Mapping[str, Any] | None) -> CheckResult:
    """Exercise 00.3: dL/d(node) for every node of ``L = (a*b + c) * f`` below L (keys ``CHAIN_KEYS``), compared
    with ``Value.backward()``; the first wrong one from the top is named."""

    def body() -> CheckResult:
        got = _numbers(grads, CHAIN_KEYS)
        nodes = _graph()
        for key in CHAIN_KEYS:
            x = key[-1]
            want = nodes[x].grad
            if math.isclose(got[key], want, abs_tol=1e-9):
                continue
            up = _UP[x]
            local = _local(f"d{up}/d{x}")
            where = f"{key} is not {got[key]:g}"
            if up == "L":
                return _fail(f"{where}: L = d * f is one op, so dL/d{x} is its local derivative -- see exercise 1")
            if math.isclose(got[key], local, abs_tol=1e-9):
                return _fail(
                    f"{where}: that is d{up}/d{x}, the local derivative alone. {x} reaches L only through {up}, so "
                    f"the chain rule multiplies it by dL/d{up}, the gradient that arrived at {up}"
                )
            return _fail(
                f"{where}: {x} feeds {up}, so dL/d{x} is dL/d{up} (the gradient that arrived at {up}) times "
                f"d{up}/d{x} (the local derivative from exercise 1)"
            )
        return CheckResult("pass")

    return _run("replace each None with dL/d(that node): start at the top, next to L, and work down", body)


# --- the training loop -------------------------------------------------------------------------------------------

LOOP_STEPS, LOOP_LR = 120, 0.05
_XOR = (((0.0, 0.0), 0.0), ((0.0, 1.0), 1.0), ((1.0, 0.0), 1.0), ((1.0, 1.0), 0.0))


def _xor_problem(seed: int = 0) -> tuple[list[Value], Callable[[], Value]]:
    """A 2-8-1 leaky-ReLU net on XOR: its parameters, and a function that builds the loss from their current data."""
    rng = random.Random(seed)
    hidden = [([Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))], Value(0.0)) for _ in range(8)]
    out_w = [Value(rng.uniform(-1, 1)) for _ in hidden]
    out_b = Value(0.0)

    def loss_fn() -> Value:
        total = Value(0.0)
        for x, target in _XOR:
            h = [(w[0] * x[0] + w[1] * x[1] + b).leaky_relu(0.1) for w, b in hidden]
            y = sum((w * hi for w, hi in zip(out_w, h)), out_b)
            total = total + (y - target) ** 2
        return total

    return [p for w, b in hidden for p in (*w, b)] + out_w + [out_b], loss_fn


def _reference(zero: bool = True, sign: float = 1.0) -> list[float]:
    """The loop as it should be (and with one thing changed), on a fresh net: the loss before each update."""
    params, loss_fn = _xor_problem()
    losses = []
    for _ in range(LOOP_STEPS):
        loss = loss_fn()
        if zero:
            for p in params:
                p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= sign * LOOP_LR * p.grad
        losses.append(loss.data)
    return losses


def _same(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x == y or math.isclose(x, y, rel_tol=1e-9) or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


def _course(losses: Sequence[float]) -> str:
    """What a loss did, in three numbers: where it started, where it was at step 100, and when it became nan."""
    parts = [f"{losses[0]:.3g} at step 1"]
    if len(losses) >= 100 and not math.isnan(losses[99]):
        parts.append(f"{losses[99]:.3g} at step 100")
    first_nan = next((k for k, x in enumerate(losses, 1) if math.isnan(x)), None)
    if first_nan is not None:
        parts.append(f"nan from step {first_nan}")
    return " -> ".join(parts)


def check_training_loop(train: Callable[..., Any] | None) -> CheckResult:
    """Exercise 00.9: ``train(params, loss_fn, steps, lr)`` runs gradient descent and returns the loss (a float)
    of each step, taken before that step's update; run on a 2-8-1 XOR net for 120 steps at lr 0.05."""

    def body() -> CheckResult:
        if train is None:
            raise _Unanswered
        params, loss_fn = _xor_problem()
        try:
            result = train(params, loss_fn, LOOP_STEPS, LOOP_LR)
        except NotImplementedError:
            raise _Unanswered from None
        if result is None:
            raise _Unanswered
        try:
            losses = [float(x.data if isinstance(x, Value) else x) for x in result]
        except (TypeError, ValueError):
            return _fail("train must return a list of numbers: each step's loss.data")
        if len(losses) != LOOP_STEPS:
            return _fail(f"asked for {LOOP_STEPS} steps, train returned {len(losses)} losses: one per step")
        right = _reference()
        if _same(losses, right):
            return CheckResult("pass")
        if _same(losses, _reference(zero=False)):
            return _fail(
                f"your loss goes {_course(losses)} (with the gradients zeroed it goes {_course(right)}): a leaf's "
                ".grad adds up across backward() calls, so each of your steps moves by the sum of every gradient "
                "so far. Set every parameter's grad to 0 before each backward() (PyTorch's zero_grad)"
            )
        if _same(losses, _reference(sign=-1.0)):
            return _fail(
                f"your loss goes {_course(losses)}: it grows, because each step moves the parameters along the "
                "gradient, uphill. Gradient descent steps the other way"
            )
        if len(set(losses)) == 1:
            return _fail(
                f"the loss is {losses[0]:.6g} at every step: the parameters never moved. Does the update read the "
                "gradients after backward() has filled them (and before anything zeroes them)?"
            )
        k = next(i for i, (x, y) in enumerate(zip(losses, right)) if not _same([x], [y]))
        return _fail(
            f"your loss at step {k + 1} is {losses[k]:.6g}, the loop's is {right[k]:.6g}: each step builds the loss "
            "with loss_fn(), zeroes the gradients, runs backward(), then moves each parameter by lr times its grad"
        )

    return _run(
        "write train(params, loss_fn, steps, lr): each step, build the loss, zero the grads, backward(), update "
        "the parameters; return the list of losses",
        body,
    )
