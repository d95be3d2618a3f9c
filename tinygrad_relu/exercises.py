"""Self-checks for the notebooks' exercises: each prints "pass" or a hint, never the answer.

An exercise cell leaves its answer as ``None`` until the reader fills it in; a check given ``None``
says what to do instead of failing, so a notebook with untouched exercises still runs top to bottom.
"""

from __future__ import annotations

from typing import Any, Optional


def check_first_zero_step(explorer: Any, answer: Optional[int]) -> bool:
    """Notebook 07: ``answer`` should be the first step (closure number k, counted from 1) of ``explorer``'s
    backward pass at which a closure sends a gradient of exactly zero to one of its inputs.

    Prints "pass", or a hint that points the way without giving the step away; returns whether it passed.
    """
    steps, nodes = explorer.data["steps"], explorer.data["nodes"]
    zero = [k for k, step in enumerate(steps, 1) if any(inp["kind"] == "zero" for inp in nodes[step["node"]]["inputs"])]
    if answer is None:
        print(f"Not answered yet: open the page, step with the arrow keys through its {len(steps)} closures, and set "
              "the answer to the step number k shown as 'step k of N' where an edge first turns grey-dashed (zero).")
        return False
    if not zero:
        print("This pass sends no zero gradient at all: build the explorer from the network the exercise names.")
        return False
    if answer == zero[0]:
        print("pass")
        return True
    if not isinstance(answer, int) or not 1 <= answer <= len(steps):
        print(f"The answer is a step number between 1 and {len(steps)}, as the page shows it ('step k of N').")
    elif answer > zero[0]:
        print("A zero gradient already flowed at an earlier step: step back with the left arrow and watch each "
              "closure's edges; a grey dashed one carries 0.")
    else:
        print("At that step every edge the closure filled carries a nonzero gradient: step on until one "
              "turns grey-dashed (click the node to read 'carries 0').")
    return False
