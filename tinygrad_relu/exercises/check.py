"""What every self-check shares: the result it prints, and running a learner's answer safely (a stub is
"to do", an exception is a hint, never a crash of the notebook)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Value
from ..gradcheck import GradcheckError, KinkWarning, gradcheck
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


def _gradcheck_hint(
    f: Callable[..., Any] | None, inputs: Sequence[Value], names: Sequence[str], where: str
) -> str | None:
    """None when ``gradcheck`` passes; else which input's gradient is wrong, autograd's and the numeric value."""
    if f is None:
        raise _Unanswered
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KinkWarning)
            gradcheck(f, *inputs)
    except GradcheckError as error:
        k, _, auto, numeric = error.mismatches[0]
        return (
            f"at {where} the gradient your closure returns for {names[k]} is {auto:.6g}, but the slope "
            f"of your forward value (central differences) is {numeric:.6g}"
        )
    return None
