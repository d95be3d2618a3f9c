"""The rectifiers' rows: relu, leaky_relu and prelu, whose slope where the input is <= 0 is what a learner
gets wrong (0, alpha, or the learned a)."""

from __future__ import annotations

import numpy as np

from ..words import number
from .reading import Caption, Local, Text, scalar


def slope_below(x: Local | Caption, learned: str) -> str:
    """A rectifier's slope where its input is <= 0, from its row: '0', 'alpha = 0.01', 'a = ' ``learned``."""
    slope = x.row.slope
    return slope(x.out, learned) if slope is not None else "0"


def entrywise_rectifier(d: Local) -> str:
    """A Tensor rectifier's reason: the slopes and the share of entries <= 0."""
    op = d.out._op
    if op == "prelu" and not d.first:
        shared = "summed over the entries a was shared by"
        return f"prelu: d/da = the input where it is <= 0, else 0, {shared}{d.broadcast()}"
    share = float(np.mean(np.asarray(d.prev[0].data) <= 0))
    slope = slope_below(d, d.name_of(d.prev[1]) if op == "prelu" else "")
    return (
        f"{op}: slope 1 where the input > 0, {slope} where it is <= 0, entry by entry; "
        f"{share:.0%} of the input entries are <= 0"
    )


def scalar_rectifier(slope: str) -> Text:
    """A scalar rectifier's reason, ``slope`` where its input is <= 0 (else its row's slope)."""

    def reason(d: Local) -> str:
        op, x = d.out._op, d.x
        if x > 0:
            return f"{op}: input {number(x)} > 0, slope 1"
        return f"{op}: input {number(x)} <= 0, slope {slope or slope_below(d, '')}"

    return reason


def prelu_scalar(d: Local) -> str:
    """A scalar prelu's reason, for its input or its learned slope a."""
    x = d.x
    if not d.first:
        return f"prelu: d/da = input {number(x)}" + (" (input <= 0)" if x <= 0 else " > 0, so 0")
    if x > 0:
        return f"prelu: input {number(x)} > 0, slope 1"
    return f"prelu: input {number(x)} <= 0, slope a = {number(d.prev[1].data)} (the learned slope)"


def rectifier_caption(c: Caption) -> str:
    """A rectifier's caption: which side of 0 its input was, and what it passed back."""
    op, prev = c.out._op, c.prev
    if isinstance(c.out.data, np.ndarray):
        share = float(np.mean(np.asarray(prev[0].data) <= 0))
        return (
            f"= {op}({c.name(prev[0])}) passed its gradient back: unchanged where the input > 0, times "
            f"the slope where it is <= 0 ({share:.0%} of the entries)"
        )
    x = scalar(prev[0].data)
    if x > 0:
        return f"= {op}({c.name(prev[0])}): input {number(x)} > 0, so it passed its gradient unchanged back"
    slope = slope_below(c, number(prev[1].data) if op == "prelu" else "").split(" = ")[-1]
    text = f"= {op}({c.name(prev[0])}): input {number(x)} <= 0, so it passed {slope} x its gradient back"
    learned = op == "prelu" and len(prev) > 1
    return text + (f", and input x its gradient to the slope {c.name(prev[1])}" if learned else "")
