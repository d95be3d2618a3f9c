"""The self-check for notebook 07 (the backward pass, closure by closure), read from an explorer's step data."""

from __future__ import annotations

import re
from numbers import Integral
from typing import Any

from .check import CheckResult, _fail, _todo


def _box_members(data: dict[Any, Any], key: str) -> list[int]:
    """The node indices a box of the main picture stands for, by its DOT name (as the page's script reads it)."""
    group = data["groups"].get(key)
    if group is not None:
        return [int(member[1:]) for member in group["members"]]
    return [int(key[1:])] if re.fullmatch(r"[ns]\d+", key) else []


def _box_of(data: dict[Any, Any], i: int) -> str:
    group = data["nodes"][i]["group"]
    return str(group) if group is not None else f"n{i}"


def first_zero_edges(data: dict[Any, Any]) -> tuple[int, list[tuple[str, str]]] | None:
    """The first step at which an edge between two boxes of the main picture turns grey-dashed, and those edges
    (as (tail, head) box titles); None when no edge of the picture carries a zero.

    An edge between two boxes sums the scalar edges between their members: it is grey-dashed when every one
    of them carried exactly zero, and the page shows it from the step at which the first of them is filled.
    """
    nodes = data["nodes"]
    flows: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for i, node in enumerate(nodes):
        head = _box_of(data, i)
        for inp in node["inputs"]:
            tail = _box_of(data, inp["p"])
            if tail != head:
                flows.setdefault((tail, head), []).append((node["ran"], inp["kind"]))
    zero_at: dict[tuple[str, str], int] = {}
    for edge, carried in flows.items():
        kinds = {kind for _, kind in carried if kind != "off"}
        ran = [step for step, _ in carried if step > 0]
        if kinds == {"zero"} and ran:
            zero_at[edge] = min(ran)
    if not zero_at:
        return None
    first = min(zero_at.values())

    def title(key: str) -> str:
        group = data["groups"].get(key)
        return str(group["title"]) if group is not None else str(nodes[int(key[1:])]["name"])

    def order(key: str) -> tuple[str, int]:
        return key[0], int(key[1:])

    edges = sorted((edge for edge, step in zero_at.items() if step == first), key=lambda e: (order(e[0]), order(e[1])))
    return first, [(title(tail), title(head)) for tail, head in edges]


def check_first_zero_step(explorer: Any, answer: int | None) -> CheckResult:
    """Exercise 07.1: ``answer`` is the first step (closure number k, counted from 1) of ``explorer``'s backward
    pass at which an edge between two boxes of the page's main picture turns grey-dashed (it carried exactly
    zero). Hints never give the step."""
    data = getattr(explorer, "data", None)
    if not isinstance(data, dict) or not {"steps", "nodes", "groups"} <= set(data):
        return _fail(
            f"the first argument must be the explorer page built above (page = explore(...)), got "
            f"{type(explorer).__name__}: run the cells above this one first"
        )
    steps, nodes = data["steps"], data["nodes"]
    if answer is None:
        return _todo(
            f"open the page, step with the arrow keys through its {len(steps)} closures, and set the answer "
            "to the step number k shown as 'step k of N' at which an edge between two boxes of the main "
            "picture first turns grey-dashed (zero)"
        )
    if isinstance(answer, bool) or not isinstance(answer, Integral):
        return _fail(
            f"the answer is a whole number, the k of 'step k of N' on the page, not {type(answer).__name__} {answer!r}"
        )
    answer = int(answer)
    if not 1 <= answer <= len(steps):
        return _fail(f"the answer is a step number between 1 and {len(steps)}, as the page shows it ('step k of N')")
    found = first_zero_edges(data)
    if found is None:
        return _fail(
            "this pass sends no zero gradient between boxes: build the explorer from the network the exercise names"
        )
    first, _ = found
    if answer == first:
        return CheckResult("pass")
    if answer > first:
        return _fail(
            "an edge between two boxes was already grey-dashed at an earlier step: step back with the left arrow "
            "and watch the edges that each step fills (the thick ones)"
        )
    sent_zero = any(inp["kind"] == "zero" for inp in nodes[steps[answer - 1]["node"]]["inputs"])
    if sent_zero:
        return _fail(
            "at that step a closure does send a zero, but inside one box (you would see it only by clicking the "
            "box open): the exercise asks for an edge between two boxes of the main picture; step on"
        )
    return _fail(
        "at that step every edge the closure filled carries a nonzero gradient: step on until an edge between "
        "two boxes turns grey-dashed (hover over it: 'gradient carried: 0')"
    )
