"""The rows of a Tensor's ops and losses: a matrix product, a mean, the binary cross-entropy, and the reasons that
hold entry by entry (summed back over the axes an input was broadcast along)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..words import number
from .reading import Caption, Local, Text, param, scalar, shape


def linear(d: Local) -> str:
    """A linear layer's reason: the product each of x, W and b gets, with the shapes."""
    x, w = d.prev[0], d.prev[1]
    (o, p), xs, ws = d.shapes, shape(x.data), shape(w.data)
    if d.first:
        return f"linear y = x @ W.T + b: grad_x = g @ W: {o} @ {ws} -> {xs}"
    if d.parent is w:
        return f"linear: grad_W = g.T @ x: {o[::-1]} @ {xs} -> {ws} (summed over the samples, one row each)"
    return f"linear: grad_b = g summed over the rows (one per sample): {o} -> {p}"


def linear_caption(c: Caption) -> str:
    """A linear layer's caption: what x, W and b each got, by name."""
    prev = c.prev
    x, w = prev[0], prev[1]
    bias = len(prev) > 2
    text = f"= {c.name(x)} @ {c.name(w)}.T" + (f" + {c.name(prev[2])}" if bias else "")
    text += f": it passed g @ {c.bare(w)} to {c.bare(x)}, g.T @ {c.bare(x)} to {c.bare(w)}"
    return text + (f" and g summed over the rows to {c.bare(prev[2])}" if bias else "")


def matmul(d: Local) -> str | None:
    """A matrix product's reason, with the shapes (and the batch axes summed back)."""
    if d.other is None:
        return None
    a, b = d.prev[0], d.prev[1]
    o, p = d.shapes
    spread = ""
    if len(o) > 2 and tuple(p[:-2]) != tuple(o[:-2]):  # only the batch axes broadcast in a matmul
        spread = f"; the input's batch axes {p[:-2]} were broadcast to {o[:-2]}, so its gradient is summed over them"
    if d.first:
        return f"matmul A @ B: grad_A = g @ B.T: {o} @ {shape(b.data)[::-1]} -> {p}{spread}"
    return f"matmul A @ B: grad_B = A.T @ g: {shape(a.data)[::-1]} @ {o} -> {p}{spread}"


def mean(d: Local) -> str:
    """A mean's reason: each entry gets the upstream gradient / n."""
    o, p = d.shapes
    n = max(int(np.prod(p)) // max(int(np.prod(o)), 1), 1)
    return f"mean: d(mean)/d(each entry) = 1/n with n = {n}: every entry of {p} gets the upstream gradient / {n}"


def mean_caption(c: Caption) -> str:
    """A mean's caption: each entry gets 1/n of its gradient, with the number."""
    n = np.size(c.prev[0].data)
    return (
        f"is the mean of the {n} entries of {c.some(c.prev)}: it divides their sum by {n}, so each entry gets "
        f"gradient 1/{n} = {number(1 / max(n, 1))} times {c.subject}'s own"
    )


def bce_scalar(d: Local) -> str:
    """One sample's binary cross-entropy reason: sigmoid(z) - y with the numbers."""
    x = d.x
    if not d.first:
        return f"bce_logits: d/dy = -z = {number(-x)}"
    y = d.other.data if d.other is not None else param(d.out, "y")  # a target that is no node is the op's parameter
    sent = f" = {number(1 / (1 + np.exp(-x)) - y)}" if y is not None else ""
    return f"bce_logits: d/dz = sigmoid(z) - y = sigmoid({number(x)}) - {'y' if y is None else number(y)}{sent}"


def bce_tensor(d: Local) -> str:
    """The batched binary cross-entropy's reason, entry by entry."""
    if d.first:
        return "bce_logits: d/dz = (sigmoid(z) - y) / N, entry by entry, N the number of entries"
    return "bce_logits: d/dy = -z / N, entry by entry"


def bce_caption(c: Caption) -> str | None:
    """One sample's binary cross-entropy caption, with its logit, label and the gradient sent."""
    if isinstance(c.out.data, np.ndarray):
        return None
    z = scalar(c.prev[0].data)
    y = scalar(c.prev[1].data) if len(c.prev) > 1 else float(c.out._arg)
    p = 1 / (1 + np.exp(-z))
    return (
        f"is one sample's binary cross-entropy of the logit {c.name(c.prev[0])} = {number(z)} against the label "
        f"{number(y)}: it passed sigmoid({number(z)}) - {number(y)} = {number(p - y)} times its gradient back to "
        f"{c.bare(c.prev[0])}"
    )


def entrywise(text: str) -> Text:
    """A Tensor reason that holds entry by entry: ``text``, and the sum over broadcast axes if there was one."""
    return lambda d: text + d.broadcast()


def sided(first: str, second: str, entrywise: bool = False) -> Text:
    """A reason that differs between the first input and the second."""
    if entrywise:
        return lambda d: (first if d.first else second) + d.broadcast()
    return lambda d: first if d.first else second


def alpha_title(node: Any) -> str:
    """A leaky_relu as a drawing labels it: with its slope."""
    return f"leaky_relu({param(node, 'alpha'):g})"
