"""Code rules: how an op's forward and backward are written as Python statements, for ``tinygrad_relu.trace``.

Each op registers its rule where it is defined, with the decorator ``code_rule`` right above the op, so the rule
sits beside the closure it transcribes. A rule is two functions of a writer ``c`` (see ``trace.Writer``):

- ``forward(c)`` returns the expression of the op's output from its parents' names ``c[0], c[1], ...``
  (it may first write temporaries with ``c.let``);
- ``backward(c)`` returns, in the order the closure adds them, the contributions ``(i, expr)`` or
  ``(i, expr, condition)`` to parent ``i``'s gradient, written with the output's gradient ``c.g``.

A rule reads the op's parameters (a slope, an exponent, an axis) from the closure's own variables through
``c.param(name)``, so it sees exactly the numbers the closure uses. The rules live here, in the scalar engine,
because ``Value``'s ops register theirs; the Tensor ops and the losses register theirs the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Contribution = tuple[Any, ...]  # (parent index, expression) or (parent index, expression, condition)


@dataclass(frozen=True)
class Rule:
    """How one op is written as code: its forward expression and its backward contributions."""

    forward: Callable[[Any], str]
    backward: Callable[[Any], list[Contribution]]


#: code object of an op's backward closure -> its rule
RULES: dict[CodeType, Rule] = {}


def closure_code(fn: Callable[..., Any], name: str = "_backward") -> CodeType:
    """The code of the closure named ``name`` that ``fn`` defines, or ``fn``'s own code when it defines none
    (``fn`` is then the backward function itself)."""
    code = fn.__code__
    nested = [c for c in code.co_consts if isinstance(c, CodeType) and c.co_name == name]
    if len(nested) > 1:
        raise ValueError(f"{fn.__qualname__} defines {len(nested)} closures named {name}; a rule needs one")
    return nested[0] if nested else code


def code_rule(
    forward: Callable[[Any], str], backward: Callable[[Any], list[Contribution]], closure: str = "_backward"
) -> Callable[[F], F]:
    """Register the rule of the op defined by the decorated function, which is returned unchanged. ``closure`` names
    the backward function inside it (a custom op's, handed to ``custom_op``, may be a ``<lambda>``)."""

    def register(fn: F) -> F:
        RULES[closure_code(fn, closure)] = Rule(forward, backward)
        return fn

    return register


def rule_of(backward: Callable[..., Any]) -> Rule | None:
    """The rule for a node whose closure is ``backward``: its own, or, for a custom op's generic closure, the rule of
    the backward function it calls; None if there is none."""
    rule = RULES.get(getattr(backward, "__code__", None))  # type: ignore[arg-type]
    if rule is None:
        for cell in getattr(backward, "__closure__", None) or ():
            inner = getattr(cell.cell_contents, "__code__", None)
            if inner is not None and inner in RULES:
                return RULES[inner]
    return rule
