"""Each scalar op's forward pass as a function of its parameter and its parents' numbers: the op's definition,
one line each, as ``Value``'s methods compute it. ``trace`` runs these on names to write the forward pass (their
backward comes from the op's own closure); run on numbers they give the engine's numbers, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..engine.ieee import ieee_div, ieee_exp, ieee_log, ieee_pow, ieee_sigmoid


def _weighted_sum(_: Any, *parents: Any) -> Any:
    """``Value.weighted_sum``: the products added from 0.0 in order, then the bias if there is one."""
    n = len(parents) // 2
    total = 0.0
    for w, x in zip(parents[:n], parents[n : 2 * n]):
        total = total + w * x
    return total + parents[2 * n] if len(parents) % 2 else total


#: op name -> forward(arg, *parents); ``arg`` is the op's parameter (None for most)
VALUE_FORWARD: dict[str, Callable[..., Any]] = {
    "+": lambda _, a, b: a + b,
    "-": lambda _, a, b: a - b,
    "*": lambda _, a, b: a * b,
    "/": lambda _, a, b: ieee_div(a, b),
    "**": lambda k, a, b=None: ieee_pow(a, k if b is None else b),
    "neg": lambda _, a: -a,
    "exp": lambda _, a: ieee_exp(a),
    "log": lambda _, a: ieee_log(a),
    "tanh": lambda _, a: math.tanh(a),
    "sigmoid": lambda _, a: ieee_sigmoid(a),
    "relu": lambda _, x: x if not x <= 0 else 0.0,  # written so that a nan stays nan
    "leaky_relu": lambda alpha, x: x if x > 0 else alpha * x,
    "prelu": lambda _, x, a: x if x > 0 else a * x,
    "wsum": _weighted_sum,
}
