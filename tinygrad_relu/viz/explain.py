"""Why a local derivative has the value it has, in words: the explorer's details panel shows these.

``reason(out, parent)`` reads the op name and the forward numbers only (never runs a closure), e.g.
``leaky_relu: input -5 <= 0, slope alpha = 0.1``. An op it does not know gets a plain sentence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .trace import number


def _scalar(x: Any) -> float:
    return float(np.reshape(x, -1)[0])


def _rectifier(op: str, x: float, slope: str) -> str:
    if x > 0:
        return f"{op}: input {number(x)} > 0, slope 1"
    return f"{op}: input {number(x)} <= 0, slope {slope}"


def _weighted_sum(out: Any, parent: Any) -> str:
    prev = out._prev
    n = len(prev) // 2
    i = next(k for k, p in enumerate(prev) if p is parent)
    if i >= 2 * n:
        return "wsum: d/d(bias) = 1"
    if i < n:
        return f"wsum: d/dw{i + 1} = its input x{i + 1} = {number(prev[n + i].data)}"
    return f"wsum: d/dx{i - n + 1} = its weight w{i - n + 1} = {number(prev[i - n].data)}"


def reason(out: Any, parent: Any) -> str:
    """One line saying why d(out)/d(parent) is what it is, from the op and the forward values."""
    op, prev = out._op, out._prev
    first = prev[0] is parent
    if np.size(out.data) != 1 or np.size(parent.data) != 1:
        share = (
            float(np.mean(np.asarray(prev[0].data) <= 0)) if op.startswith(("relu", "leaky_relu", "prelu")) else None
        )
        extra = f"; {share:.0%} of its inputs are <= 0" if share is not None and first else ""
        return f"{op}: a Jacobian, applied by the closure without being built{extra}"
    x = _scalar(prev[0].data)
    if op.startswith("leaky_relu"):
        return _rectifier("leaky_relu", x, f"alpha = {op[len('leaky_relu(') : -1]}")
    if op == "relu":
        return _rectifier("relu", x, "0: nothing flows back")
    if op == "prelu":
        if first:
            return _rectifier("prelu", x, f"a = {number(prev[1].data)} (the learned slope)")
        return f"prelu: d/da = input {number(x)}" + (" (input <= 0)" if x <= 0 else " > 0, so 0")
    if op == "wsum":
        return _weighted_sum(out, parent)
    other = prev[1] if len(prev) > 1 else None
    simple = {
        "+": "+: d(a + b)/d(either) = 1",
        "-": "-: d(a - b)/da = 1, d/db = -1",
        "neg": "neg: d(-a)/da = -1",
        "exp": f"exp: d/dx e^x = e^x = {number(out.data)}",
        "log": f"log: d/dx log x = 1/x = 1/{number(x)}",
        "tanh": f"tanh: 1 - tanh(x)^2 with tanh(x) = {number(out.data)}",
        "sigmoid": f"sigmoid: s(1 - s) with s = {number(out.data)}",
    }
    if op in simple:
        return simple[op]
    if op == "*" and other is not None:
        partner = other if first else prev[0]
        both = " (a * a: 2a)" if other is prev[0] else ""
        return f"*: d(a·b)/d(one) = the other = {number(partner.data)}{both}"
    if op == "/" and other is not None:
        return f"/: d(a/b)/da = 1/b = 1/{number(other.data)}" if first else "/: d(a/b)/db = -a/b^2"
    if op.startswith("**"):
        return f"{op}: d/dx x^k = k x^(k-1) at x = {number(x)}"
    return f"{op}: the local derivative its backward closure hands out"
