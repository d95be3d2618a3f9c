"""The rows of arithmetic: a product, a quotient (and the mean's division by a count), a power, a weighted sum,
a negation; each names the other input whose number makes the derivative."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..words import number
from .reading import Caption, Local, param, scalar


def mul_scalar(d: Local) -> str | None:
    """A product's reason: the other factor, by name and number (a square: twice it)."""
    if d.other is None:
        return None
    partner = d.other if d.first else d.prev[0]
    both = f" (a square: 2 x {d.name_of(partner)})" if d.other is d.prev[0] else ""
    return f"*: d/d(one factor) = the other factor, {d.name_of(partner)} = {number(partner.data)}{both}"


def mul_tensor(d: Local) -> str | None:
    """A Tensor product's reason: the other factor, entry by entry."""
    if d.other is None:
        return None
    other = d.other if d.first else d.prev[0]
    return f"*: d(a*b)/da = b and d/db = a, entry by entry: the other factor, {d.name_of(other)}" + d.broadcast()


def div_scalar(d: Local) -> str | None:
    """A quotient's reason, by the names of top and bottom and their numbers."""
    if d.other is None:
        return None
    top, bottom = d.name_of(d.prev[0]), d.name_of(d.other)
    if d.first:
        return f"/: d({top} / {bottom})/d({top}) = 1 / {bottom} = 1/{number(d.other.data)}"
    numbers = f"-{number(d.prev[0].data)}/{number(d.other.data)}^2"
    return f"/: d({top} / {bottom})/d({bottom}) = -{top} / {bottom}^2 = {numbers}"


def mean_count(out: Any) -> float | None:
    """The count a mean divides by, when ``out`` divides by a constant (an unlabelled leaf holding one number)."""
    prev = out._prev
    if out._op == "/" and len(prev) == 2 and not prev[1]._prev and not prev[1].label and np.size(prev[1].data) == 1:
        return scalar(prev[1].data)
    return None


def div_caption(c: Caption) -> str:
    """A division's caption: a mean's division by its count in words, else what each input got."""
    count = mean_count(c.out)
    if count is not None:
        each = f"1/{count:g} = {number(1 / count)}" if count else "1/0"
        return (
            f"is the mean of {count:g} per-sample loss{'es' if count != 1 else ''}: it divides "
            f"{c.name(c.prev[0])} by the number of samples, {count:g}, so the sum gets gradient {each} times "
            f"{c.subject}'s own (n = {count:g} is a constant, so no gradient is sent to it)"
        )
    top, bottom = c.prev[0], c.prev[-1]
    return (
        f"= {c.name(top)} / {c.name(bottom)}: it passed its gradient / {c.bare(bottom)} to {c.bare(top)} and "
        f"-{c.bare(top)} / {c.bare(bottom)}^2 x its gradient to {c.bare(bottom)}"
    )


def pow_title(node: Any) -> str:
    """A power as a drawing labels it: ``**2`` for a constant exponent."""
    return f"**{param(node, 'k'):g}" if len(node._prev) < 2 and node._arg is not None else "**"


def pow_scalar(d: Local) -> str:
    """A power's reason: k x^(k-1) with the numbers, or x^k log x for the exponent."""
    if d.other is None:
        return f"{pow_title(d.out)}: d/dx x^k = k x^(k-1) with k = {param(d.out, 'k'):g} at x = {number(d.x)}"
    if d.first:
        return f"**: d(x^k)/dx = k x^(k-1) with x = {number(d.x)}, k = {number(d.other.data)}"
    return f"**: d(x^k)/dk = x^k log x with x = {number(d.x)}"


def pow_tensor(d: Local) -> str:
    """A Tensor power's reason, entry by entry."""
    if d.other is None:
        k = param(d.out, "k")
        return f"{pow_title(d.out)}: d/dx x^k = k x^(k-1) with k = {k:g}, entry by entry" + d.broadcast()
    text = "**: d(a^b)/da = b a^(b-1)" if d.first else "**: d(a^b)/db = a^b log a"
    return text + ", entry by entry" + d.broadcast()


def weighted_sum(d: Local) -> str:
    """A weighted sum's reason: a weight gets its input, an input its weight, the bias 1."""
    prev, name_of = d.prev, d.name_of
    n = len(prev) // 2
    i = next(k for k, p in enumerate(prev) if p is d.parent)
    if i >= 2 * n:
        return f"weighted sum: d({name_of(d.out)})/d({name_of(d.parent)}) = 1 (the bias is added as it is)"
    if i < n:
        x = prev[n + i]
        return f"weighted sum: d/d({name_of(d.parent)}) = the input it multiplies, {name_of(x)} = {number(x.data)}"
    w = prev[i - n]
    return f"weighted sum: d/d({name_of(d.parent)}) = the weight that multiplies it, {name_of(w)} = {number(w.data)}"


def weighted_sum_caption(c: Caption) -> str:
    """A weighted sum's caption: what its weights, inputs and bias each got."""
    prev = c.prev
    n = len(prev) // 2
    weights, inputs = c.some(prev[:n], most=3), c.some(prev[n : 2 * n], most=3)
    bias = f", and unchanged to the bias {c.name(prev[2 * n])}" if len(prev) > 2 * n else ""
    return (
        f"(a weighted sum) passed its gradient times each input to the weights {weights}, "
        f"times each weight to the inputs {inputs}{bias}"
    )


def neg_caption(c: Caption) -> str:
    """A negation's caption (the cross-entropy, where it negates a mean of picked log-probabilities)."""
    inner = c.prev[0]
    picked = inner._op == "mean" and inner._prev and inner._prev[0]._op == "index"
    what = " (the cross-entropy: minus the mean log-probability of each sample's label)" if picked else ""
    return f"is minus {c.some(c.prev)}{what}: it passed minus its gradient back"
