"""The one table of why each op's local derivative has the value it has, keyed by op, and the three ways the
screen reads it: ``op_title``, ``reason`` and ``caption``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..words import number
from .arithmetic import (
    div_caption,
    div_scalar,
    mul_scalar,
    mul_tensor,
    neg_caption,
    pow_scalar,
    pow_tensor,
    pow_title,
    weighted_sum,
    weighted_sum_caption,
)
from .arrays import (
    alpha_title,
    bce_caption,
    bce_scalar,
    bce_tensor,
    entrywise,
    linear,
    linear_caption,
    matmul,
    mean,
    mean_caption,
    sided,
)
from .reading import Caption, Local, Op, param
from .rectifiers import entrywise_rectifier, prelu_scalar, rectifier_caption, scalar_rectifier

#: how the fallback sentence starts: a test walks the op table and fails on it
GENERIC = "the local derivative its backward closure hands out"

TABLE: dict[str, Op] = {
    "+": Op(
        scalar=lambda d: "+: a sum's derivative by each of its terms is 1",
        tensor=entrywise("+: d(a + b)/d(either) = 1, entry by entry"),
        caption=lambda c: f"passed its gradient unchanged to {c.some(c.prev)}",
    ),
    "-": Op(
        scalar=sided("-: d(first - second)/d(first) = 1", "-: d(first - second)/d(second) = -1"),
        tensor=entrywise("-: d(a - b)/da = 1, d/db = -1, entry by entry"),
        caption=lambda c: f"passed its gradient to {c.name(c.prev[0])} and minus it to {c.name(c.prev[-1])}",
    ),
    "neg": Op(
        scalar=lambda d: "neg: d(-x)/dx = -1",
        tensor=entrywise("neg: d(-a)/da = -1, entry by entry"),
        caption=neg_caption,
    ),
    "*": Op(
        scalar=mul_scalar,
        tensor=mul_tensor,
        caption=lambda c: f"passed its gradient times the other factor to {c.some(c.prev)}",
    ),
    "/": Op(
        scalar=div_scalar,
        tensor=sided("/: d(a/b)/da = 1/b, entry by entry", "/: d(a/b)/db = -a/b^2, entry by entry", True),
        caption=div_caption,
    ),
    "**": Op(scalar=pow_scalar, tensor=pow_tensor, title=pow_title),
    # an entrywise function of one input: (the scalar reason, with its numbers; the Tensor one)
    "exp": Op(
        lambda d: f"exp: d/dx e^x = e^x = {number(d.out.data)}",
        entrywise("exp: d/dx e^x = e^x, entry by entry (the output itself)"),
    ),
    "log": Op(lambda d: f"log: d/dx log x = 1/x = 1/{number(d.x)}", entrywise("log: d/dx log x = 1/x, entry by entry")),
    "tanh": Op(
        lambda d: f"tanh: 1 - tanh(x)^2 with tanh(x) = {number(d.out.data)}",
        entrywise("tanh: 1 - tanh(x)^2, entry by entry (from the output)"),
    ),
    "sigmoid": Op(
        lambda d: f"sigmoid: s(1 - s) with s = {number(d.out.data)}",
        entrywise("sigmoid: s(1 - s) with s the output, entry by entry"),
    ),
    "relu": Op(
        scalar=scalar_rectifier("0: nothing flows back"),
        tensor=entrywise_rectifier,
        caption=rectifier_caption,
        slope=lambda out, learned: "0",
    ),
    "leaky_relu": Op(
        scalar=scalar_rectifier(""),
        tensor=entrywise_rectifier,
        caption=rectifier_caption,
        title=alpha_title,
        slope=lambda out, learned: f"alpha = {param(out, 'alpha'):g}",
    ),
    "prelu": Op(
        scalar=prelu_scalar,
        tensor=entrywise_rectifier,
        caption=rectifier_caption,
        slope=lambda out, learned: f"a = {learned}",
    ),
    "wsum": Op(scalar=weighted_sum, caption=weighted_sum_caption),
    "linear": Op(tensor=linear, caption=linear_caption),
    "@": Op(
        tensor=matmul,
        caption=lambda c: f"passed g @ B.T to {c.name(c.prev[0])} and A.T @ g to {c.name(c.prev[-1])}",
    ),
    "sum": Op(
        tensor=lambda d: (
            f"sum: d(sum)/d(each entry) = 1, so every entry of the input {d.shapes[1]} gets the upstream gradient "
            f"{d.shapes[0]}"
        ),
        caption=lambda c: f"passed its gradient to every entry of {c.some(c.prev)}",
    ),
    "mean": Op(tensor=mean, caption=mean_caption),
    "max": Op(
        tensor=lambda d: (
            "max: d/d(entry) = 1 at the maximum (shared among ties), 0 elsewhere: only it gets the gradient "
            f"{d.shapes[0]}"
        )
    ),
    "logsumexp": Op(
        tensor=lambda d: "logsumexp: d/dx_i = softmax(x)_i = e^x_i / sum e^x: each entry gets g x its softmax share"
    ),
    "log_softmax": Op(
        tensor=lambda d: (
            "log_softmax: grad_x = g - softmax(x) * (g summed over the axis): every output of a row depends on "
            f"every input of it; {d.shapes[0]} -> {d.shapes[1]}"
        ),
        caption=lambda c: (
            f"is the log of the softmax of {c.some(c.prev)} (log-probabilities): it passed g - softmax x (g summed "
            "over the row) back"
        ),
    ),
    "index": Op(
        tensor=lambda d: (
            f"index: 1 at the entries it picked (added up where picked twice), 0 elsewhere: {d.shapes[0]} -> "
            f"{d.shapes[1]}"
        ),
        caption=lambda c: (
            f"picks from {c.some(c.prev)} the entries it reads (each sample's label column): it passed its gradient "
            "to those entries and 0 to the others"
        ),
    ),
    "reshape": Op(
        tensor=lambda d: (
            f"reshape: the same numbers in another shape: the gradient {d.shapes[0]} is reshaped back to {d.shapes[1]}"
        )
    ),
    "transpose": Op(tensor=lambda d: f"transpose: the gradient {d.shapes[0]} is transposed back to {d.shapes[1]}"),
    "bce_logits": Op(scalar=bce_scalar, tensor=bce_tensor, caption=bce_caption),
    "mse_loss": Op(
        tensor=lambda d: (
            f"mse_loss: d/d(pred) = 2 (pred - target) / n, n = {int(np.prod(d.shapes[1]))}"
            + ("" if d.first else " (negated)")
        )
    ),
    "cross_entropy": Op(
        scalar=lambda d: "cross_entropy: d/d(logit) = softmax(logits) - onehot(label), for this logit",
        tensor=lambda d: "cross_entropy: d/d(logits) = (softmax(logits) - onehot(label)) / N",
        caption=lambda c: f"passed (softmax - onehot) x its gradient back to {c.some(c.prev)}",
    ),
}
_NO_ROW = Op()


def op_title(node: Any) -> str:
    """An op as a drawing labels it: its name, with its parameter where it has one (``leaky_relu(0.1)``, ``**2``)."""
    row = TABLE.get(node._op, _NO_ROW)
    return row.title(node) if row.title is not None else str(node._op)


def reason(out: Any, parent: Any, name_of: Callable[[Any], str] | None = None) -> str:
    """One line saying why d(out)/d(parent) is what it is, from the op's row and the forward values."""
    name_of = name_of or (lambda node: str(node.label or "the other input"))
    row = TABLE.get(out._op, _NO_ROW)
    tensor = isinstance(out.data, np.ndarray) or isinstance(parent.data, np.ndarray)
    says = row.tensor if tensor else row.scalar
    text = says(Local(out, parent, name_of, row)) if says is not None else None
    return text or f"{out._op}: {GENERIC}"


def caption(out: Any, names: dict[int, str]) -> tuple[str, list[Any]]:
    """What ``out``'s closure did, in one sentence that calls every node by its one name (``names``) and says a
    loss, a mean and a division in words and numbers; and the nodes the sentence names, ``out`` first."""
    row = TABLE.get(out._op, _NO_ROW)
    c = Caption(out, names, row, [out])
    text = row.caption(c) if row.caption is not None else None
    if text is None:
        default = "multiplied its gradient by its local derivative and passed it back to"
        text = f"({op_title(out)}) {default} {c.some(out._prev)}"
    return f"{c.subject} {text}.", c.said
