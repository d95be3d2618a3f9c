"""What every self-check shares: the result it prints, and running a learner's answer safely (a stub is
"to do", an exception is a hint, never a crash of the notebook)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Value
from ..gradcheck import GradcheckError, KinkWarning, gradcheck, upstream_gradient
from ..nn import LeakyReLU, PReLU, ReLU
from ..tensor import Tensor

_RECTIFIERS = (ReLU, LeakyReLU, PReLU)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise: ``status`` is "pass", "fail" or "todo"; ``message`` is the hint."""

    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        """True only when the answer passed (a stub left as is is not ok, but not a failure either)."""
        return self.status == "pass"

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.status == "pass":
            return "pass"
        return f"{'not yet' if self.status == 'fail' else 'to do'}: {self.message}"

    __repr__ = __str__


def _fail(message: str) -> CheckResult:
    return CheckResult("fail", message)


def _todo(message: str) -> CheckResult:
    return CheckResult("todo", message)


class _Unanswered(Exception):
    """Raised inside a checker when the learner's answer is still the stub."""


class _Said(Exception):
    """An answer of the wrong form (a string for a number, a key misspelled): a fail whose hint is the message."""


def _call(answer: Callable[..., Any] | None, *args: Any) -> Any:
    """Call the learner's function; a stub (None, returns None, NotImplementedError) raises _Unanswered."""
    if answer is None:
        raise _Unanswered
    try:
        result = answer(*args)
    except NotImplementedError:
        raise _Unanswered from None
    if result is None:
        raise _Unanswered
    return result


def _run(todo: str, body: Callable[[], CheckResult]) -> CheckResult:
    """Run a checker's body: a stub gives "todo" with ``todo``, an error in the answer a "fail" naming it."""
    try:
        return body()
    except _Unanswered:
        return _todo(todo)
    except _Said as said:
        return _fail(str(said))
    except Exception as error:  # the learner's code raised: say what, so they can find the line
        return _fail(f"your code raised {type(error).__name__}: {error}")


def _built_by_custom_op(out: Any, parents: Sequence[Any], name: str) -> CheckResult | None:
    """A fail if ``out`` is not one node whose parents are exactly ``parents`` (what custom_op makes)."""
    if not isinstance(out, (Value, Tensor)):
        return _fail(f"{name} must return a Value, got {type(out).__name__}")
    if len(out._prev) != len(parents) or any(p is not q for p, q in zip(out._prev, parents)):
        return _fail(
            f"{name}'s output is not one node on its inputs: it was composed from built-in ops, so the "
            "engine wrote the derivative for you. Make the output with Value.custom_op(data, parents, "
            "backward) and write backward yourself"
        )
    return None


def _name(answer: Any, default: str) -> str:
    """The name the learner gave their function (what a "to do" should call it), else ``default``."""
    name = getattr(answer, "__name__", "")
    return name if name.isidentifier() else default


def upstream(seed: int = 0) -> float:
    """The random gradient a checker seeds at an op's output instead of 1 (as ``gradcheck`` does)."""
    return float(upstream_gradient((), seed))


def _first_mismatch(f: Callable[..., Any], inputs: Sequence[Any]) -> tuple[int, float, float, float] | None:
    """None when ``gradcheck`` passes on f; else (input, autograd, numeric, upstream) of its first mismatch."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KinkWarning)
            gradcheck(f, *inputs)
    except GradcheckError as error:
        k, _, auto, numeric = error.mismatches[0]
        return k, auto, numeric, float(np.asarray(error.upstream).reshape(-1)[0])
    return None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)


def _gradcheck_hint(
    op: Callable[..., Any] | None, point: Sequence[float], names: Sequence[str], where: str, look: str
) -> str | None:
    """None when the learner's ``op`` is right at ``point``; else what is wrong, for which input, and where
    (``look``, where to look, ends the hint when the mistake is none of the named classic ones).

    The op is checked alone and with its first input used twice (``op(x) + x``, ``op(x) * op(x)``), each by
    ``gradcheck`` with a random upstream gradient, so a closure that ignores g, flips the sign or sets
    ``x.grad`` itself instead of returning the gradient (``=`` where the engine does ``+=``) is caught.
    """
    if op is None:
        raise _Unanswered

    def fresh() -> list[Value]:
        return [Value(x) for x in point]

    alone = _first_mismatch(op, fresh())
    if alone is not None:
        k, auto, numeric, g = alone
        name = names[k]
        if not _close(numeric, 0.0) and _close(auto * g, numeric):
            return (
                f"at {where} the output's gradient g was {g:.6g}, and your closure sent {auto:.6g} to {name}, the "
                f"same as it would for g = 1: it ignores g. It must send g times the local derivative"
            )
        if not _close(numeric, 0.0) and _close(auto, -numeric):
            return (
                f"at {where} your closure sends {auto:.6g} to {name}, but the slope of your forward value times "
                f"g = {g:.6g} is {numeric:.6g}: it has the opposite sign; {look}"
            )
        return (
            f"at {where}, with the output's gradient g = {g:.6g}, your closure sends {auto:.6g} to {name}, but g "
            f"times the slope of your forward value (central differences) is {numeric:.6g}; {look}"
        )
    called = f"{_name(op, 'op')}({', '.join(names)})"
    for used_twice, text in (
        (lambda *xs: op(*xs) + sum(xs), " + ".join([called, *names])),
        (lambda *xs: op(*xs) * op(*xs), f"{called} * {called}"),
    ):
        twice = _first_mismatch(used_twice, fresh())
        if twice is not None:
            k, auto, numeric, _ = twice
            return (
                f"at {where} your op is right on its own, but in {text}, where each input is used twice, the "
                f"gradient of {names[k]} is {auto:.6g} instead of {numeric:.6g}: return the gradient from the "
                f"closure and let the engine add it (+=) to what {names[k]} already got; never set .grad yourself"
            )
    return None
