"""The self-check for notebook 07 (the backward pass, closure by closure), read from an explorer's step data."""

from __future__ import annotations

from typing import Any

from .check import CheckResult, _fail, _todo


def check_first_zero_step(explorer: Any, answer: int | None) -> CheckResult:
    """Exercise 07.1: ``answer`` is the first step (closure number k, counted from 1) of ``explorer``'s backward
    pass at which a closure sends a gradient of exactly zero to one of its inputs. Hints never give the step."""
    steps, nodes = explorer.data["steps"], explorer.data["nodes"]
    zero = [k for k, step in enumerate(steps, 1) if any(inp["kind"] == "zero" for inp in nodes[step["node"]]["inputs"])]
    if answer is None:
        return _todo(
            f"open the page, step with the arrow keys through its {len(steps)} closures, and set the answer "
            "to the step number k shown as 'step k of N' where an edge first turns grey-dashed (zero)"
        )
    if not zero:
        return _fail("this pass sends no zero gradient at all: build the explorer from the network the exercise names")
    if answer == zero[0]:
        return CheckResult("pass")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(steps):
        return _fail(f"the answer is a step number between 1 and {len(steps)}, as the page shows it ('step k of N')")
    if answer > zero[0]:
        return _fail(
            "a zero gradient already flowed at an earlier step: step back with the left arrow and watch "
            "each closure's edges; a grey dashed one carries 0"
        )
    return _fail(
        "at that step every edge the closure filled carries a nonzero gradient: step on until one turns "
        "grey-dashed (click the node to read 'carries 0')"
    )
