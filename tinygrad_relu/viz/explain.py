"""Why each op's local derivative has the value it has, in one table keyed by op: the explorer's details pane
and captions, and every drawing's op label, read it.

A row says an op three ways, each a function of its node (the op's parameters come from ``node._arg``: a Value
op holds its one parameter as it is, a Tensor op a dict): ``scalar(d)`` and ``tensor(d)`` give the reason for
d(out)/d(parent) (``leaky_relu: input -5 <= 0, slope alpha = 0.1``; for a Tensor the vector-Jacobian product
its closure computes, with the shapes), ``caption(c)`` what the closure did, in the names on the screen. An
op without a row, or a row without the way asked for, gets a sentence starting with ``GENERIC``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .names import number, span

#: how the fallback sentence starts: a test walks the op table and fails on it
GENERIC = "the local derivative its backward closure hands out"


def param(out: Any, name: str) -> Any:
    """The op's parameter ``name`` as its node holds it (a Value op holds its one parameter as it is)."""
    arg = out._arg
    return arg[name] if isinstance(arg, dict) else arg


def _scalar(x: Any) -> float:
    return float(np.reshape(x, -1)[0])


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x))


@dataclass
class Local:
    """What a reason reads: the op's node, the input asked about and how the screen names a node."""

    out: Any
    parent: Any
    name_of: Callable[[Any], str]

    @property
    def prev(self) -> Any:
        """The op's inputs."""
        return self.out._prev

    @property
    def first(self) -> bool:
        """Whether the input asked about is the op's first."""
        return bool(self.prev[0] is self.parent)

    @property
    def other(self) -> Any:
        """The op's second input, if it has one."""
        return self.prev[1] if len(self.prev) > 1 else None

    @property
    def x(self) -> float:
        """The first input's number."""
        return _scalar(self.prev[0].data)

    @property
    def shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The output's shape and the input's."""
        return _shape(self.out.data), _shape(self.parent.data)

    def broadcast(self) -> str:
        """Why the input's gradient is summed back: it was broadcast to the output's shape."""
        o, p = self.shapes
        if p == o:
            return ""
        return (
            f"; the input {p} was broadcast to {o}, so each of its entries was used several times and "
            f"its gradient is the upstream gradient summed over the broadcast axes back to {p}"
        )


@dataclass
class Caption:
    """What a caption reads: the op's node and the names on the screen; it records every node it names."""

    out: Any
    names: dict[int, str]
    said: list[Any] = field(default_factory=list)

    @property
    def prev(self) -> Any:
        """The op's inputs."""
        return self.out._prev

    @property
    def subject(self) -> str:
        """The name of the node whose closure ran."""
        return self.names[id(self.out)]

    def name(self, node: Any) -> str:
        """A node by its name, said (and, if it asks for no gradient, that its closure skips it)."""
        self.said.append(node)
        if getattr(node, "requires_grad", True):
            return self.names[id(node)]
        return f"{self.names[id(node)]} (which asks for no gradient, so its closure skips it)"

    def bare(self, node: Any) -> str:
        """A node by its name alone, once it has been said."""
        return self.names[id(node)]

    def some(self, nodes: Any, most: int = 4) -> str:
        """Several nodes: listed, or past ``most`` as a span ('h1_1..h1_16')."""
        nodes = list({id(p): p for p in nodes}.values())
        if len(nodes) > most:
            self.said.extend(nodes)
            return span([self.names[id(p)] for p in nodes])
        return _listed([self.name(p) for p in nodes])


def _listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not names:
        return "nothing"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


Text = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Op:
    """One row of the table: how a drawing titles the op, and its reasons and caption (None: the generic one)."""

    scalar: Text | None = None
    tensor: Text | None = None
    caption: Text | None = None  # a clause after the node's name: "passed its gradient unchanged to x1 and x2"
    title: Callable[[Any], str] | None = None
    slope: Callable[[Any, str], str] | None = None  # a rectifier's slope where the input is <= 0


# ---------------------------------------------------------------- the rectifiers


def _slope(out: Any, learned: str) -> str:
    """A rectifier's slope where its input is <= 0, from its row: '0', 'alpha = 0.01', 'a = ' ``learned``."""
    slope = TABLE[out._op].slope
    return slope(out, learned) if slope is not None else "0"


def _entrywise_rectifier(d: Local) -> str:
    op = d.out._op
    if op == "prelu" and not d.first:
        shared = "summed over the entries a was shared by"
        return f"prelu: d/da = the input where it is <= 0, else 0, {shared}{d.broadcast()}"
    share = float(np.mean(np.asarray(d.prev[0].data) <= 0))
    slope = _slope(d.out, d.name_of(d.prev[1]) if op == "prelu" else "")
    return (
        f"{op}: slope 1 where the input > 0, {slope} where it is <= 0, entry by entry; "
        f"{share:.0%} of the input entries are <= 0"
    )


def _scalar_rectifier(slope: str) -> Text:
    def reason(d: Local) -> str:
        op, x = d.out._op, d.x
        if x > 0:
            return f"{op}: input {number(x)} > 0, slope 1"
        return f"{op}: input {number(x)} <= 0, slope {slope or _slope(d.out, '')}"

    return reason


def _prelu_scalar(d: Local) -> str:
    x = d.x
    if not d.first:
        return f"prelu: d/da = input {number(x)}" + (" (input <= 0)" if x <= 0 else " > 0, so 0")
    if x > 0:
        return f"prelu: input {number(x)} > 0, slope 1"
    return f"prelu: input {number(x)} <= 0, slope a = {number(d.prev[1].data)} (the learned slope)"


def _rectifier_caption(c: Caption) -> str:
    op, prev = c.out._op, c.prev
    if isinstance(c.out.data, np.ndarray):
        share = float(np.mean(np.asarray(prev[0].data) <= 0))
        return (
            f"= {op}({c.name(prev[0])}) passed its gradient back: unchanged where the input > 0, times "
            f"the slope where it is <= 0 ({share:.0%} of the entries)"
        )
    x = _scalar(prev[0].data)
    if x > 0:
        return f"= {op}({c.name(prev[0])}): input {number(x)} > 0, so it passed its gradient unchanged back"
    slope = _slope(c.out, number(prev[1].data) if op == "prelu" else "").split(" = ")[-1]
    text = f"= {op}({c.name(prev[0])}): input {number(x)} <= 0, so it passed {slope} x its gradient back"
    learned = op == "prelu" and len(prev) > 1
    return text + (f", and input x its gradient to the slope {c.name(prev[1])}" if learned else "")


# ---------------------------------------------------------------- arithmetic


def _mul_scalar(d: Local) -> str | None:
    if d.other is None:
        return None
    partner = d.other if d.first else d.prev[0]
    both = f" (a square: 2 x {d.name_of(partner)})" if d.other is d.prev[0] else ""
    return f"*: d/d(one factor) = the other factor, {d.name_of(partner)} = {number(partner.data)}{both}"


def _mul_tensor(d: Local) -> str | None:
    if d.other is None:
        return None
    other = d.other if d.first else d.prev[0]
    return f"*: d(a*b)/da = b and d/db = a, entry by entry: the other factor, {d.name_of(other)}" + d.broadcast()


def _div_scalar(d: Local) -> str | None:
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
        return _scalar(prev[1].data)
    return None


def _div_caption(c: Caption) -> str:
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


def _pow_title(node: Any) -> str:
    return f"**{param(node, 'k'):g}" if len(node._prev) < 2 and node._arg is not None else "**"


def _pow_scalar(d: Local) -> str:
    if d.other is None:
        return f"{_pow_title(d.out)}: d/dx x^k = k x^(k-1) with k = {param(d.out, 'k'):g} at x = {number(d.x)}"
    if d.first:
        return f"**: d(x^k)/dx = k x^(k-1) with x = {number(d.x)}, k = {number(d.other.data)}"
    return f"**: d(x^k)/dk = x^k log x with x = {number(d.x)}"


def _pow_tensor(d: Local) -> str:
    if d.other is None:
        k = param(d.out, "k")
        return f"{_pow_title(d.out)}: d/dx x^k = k x^(k-1) with k = {k:g}, entry by entry" + d.broadcast()
    text = "**: d(a^b)/da = b a^(b-1)" if d.first else "**: d(a^b)/db = a^b log a"
    return text + ", entry by entry" + d.broadcast()


def _weighted_sum(d: Local) -> str:
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


def _weighted_sum_caption(c: Caption) -> str:
    prev = c.prev
    n = len(prev) // 2
    weights, inputs = c.some(prev[:n], most=3), c.some(prev[n : 2 * n], most=3)
    bias = f", and unchanged to the bias {c.name(prev[2 * n])}" if len(prev) > 2 * n else ""
    return (
        f"(a weighted sum) passed its gradient times each input to the weights {weights}, "
        f"times each weight to the inputs {inputs}{bias}"
    )


def _neg_caption(c: Caption) -> str:
    inner = c.prev[0]
    picked = inner._op == "mean" and inner._prev and inner._prev[0]._op == "index"
    what = " (the cross-entropy: minus the mean log-probability of each sample's label)" if picked else ""
    return f"is minus {c.some(c.prev)}{what}: it passed minus its gradient back"


# ---------------------------------------------------------------- Tensor ops


def _linear(d: Local) -> str:
    x, w = d.prev[0], d.prev[1]
    (o, p), xs, ws = d.shapes, _shape(x.data), _shape(w.data)
    if d.first:
        return f"linear y = x @ W.T + b: grad_x = g @ W: {o} @ {ws} -> {xs}"
    if d.parent is w:
        return f"linear: grad_W = g.T @ x: {o[::-1]} @ {xs} -> {ws} (summed over the samples, one row each)"
    return f"linear: grad_b = g summed over the rows (one per sample): {o} -> {p}"


def _linear_caption(c: Caption) -> str:
    prev = c.prev
    x, w = prev[0], prev[1]
    bias = len(prev) > 2
    text = f"= {c.name(x)} @ {c.name(w)}.T" + (f" + {c.name(prev[2])}" if bias else "")
    text += f": it passed g @ {c.bare(w)} to {c.bare(x)}, g.T @ {c.bare(x)} to {c.bare(w)}"
    return text + (f" and g summed over the rows to {c.bare(prev[2])}" if bias else "")


def _matmul(d: Local) -> str | None:
    if d.other is None:
        return None
    a, b = d.prev[0], d.prev[1]
    o, p = d.shapes
    spread = ""
    if len(o) > 2 and tuple(p[:-2]) != tuple(o[:-2]):  # only the batch axes broadcast in a matmul
        spread = f"; the input's batch axes {p[:-2]} were broadcast to {o[:-2]}, so its gradient is summed over them"
    if d.first:
        return f"matmul A @ B: grad_A = g @ B.T: {o} @ {_shape(b.data)[::-1]} -> {p}{spread}"
    return f"matmul A @ B: grad_B = A.T @ g: {_shape(a.data)[::-1]} @ {o} -> {p}{spread}"


def _mean(d: Local) -> str:
    o, p = d.shapes
    n = max(int(np.prod(p)) // max(int(np.prod(o)), 1), 1)
    return f"mean: d(mean)/d(each entry) = 1/n with n = {n}: every entry of {p} gets the upstream gradient / {n}"


def _mean_caption(c: Caption) -> str:
    n = np.size(c.prev[0].data)
    return (
        f"is the mean of the {n} entries of {c.some(c.prev)}: it divides their sum by {n}, so each entry gets "
        f"gradient 1/{n} = {number(1 / max(n, 1))} times {c.subject}'s own"
    )


def _bce_scalar(d: Local) -> str:
    x = d.x
    if not d.first:
        return f"bce_logits: d/dy = -z = {number(-x)}"
    y = d.other.data if d.other is not None else param(d.out, "y")  # a target that is no node is the op's parameter
    sent = f" = {number(1 / (1 + np.exp(-x)) - y)}" if y is not None else ""
    return f"bce_logits: d/dz = sigmoid(z) - y = sigmoid({number(x)}) - {'y' if y is None else number(y)}{sent}"


def _bce_tensor(d: Local) -> str:
    if d.first:
        return "bce_logits: d/dz = (sigmoid(z) - y) / N, entry by entry, N the number of entries"
    return "bce_logits: d/dy = -z / N, entry by entry"


def _bce_caption(c: Caption) -> str | None:
    if isinstance(c.out.data, np.ndarray):
        return None
    z = _scalar(c.prev[0].data)
    y = _scalar(c.prev[1].data) if len(c.prev) > 1 else float(c.out._arg)
    p = 1 / (1 + np.exp(-z))
    return (
        f"is one sample's binary cross-entropy of the logit {c.name(c.prev[0])} = {number(z)} against the label "
        f"{number(y)}: it passed sigmoid({number(z)}) - {number(y)} = {number(p - y)} times its gradient back to "
        f"{c.bare(c.prev[0])}"
    )


def _entrywise(text: str) -> Text:
    """A Tensor reason that holds entry by entry: ``text``, and the sum over broadcast axes if there was one."""
    return lambda d: text + d.broadcast()


def _sided(first: str, second: str, entrywise: bool = False) -> Text:
    """A reason that differs between the first input and the second."""
    if entrywise:
        return lambda d: (first if d.first else second) + d.broadcast()
    return lambda d: first if d.first else second


def _alpha_title(node: Any) -> str:
    return f"leaky_relu({param(node, 'alpha'):g})"


TABLE: dict[str, Op] = {
    "+": Op(
        scalar=lambda d: "+: a sum's derivative by each of its terms is 1",
        tensor=_entrywise("+: d(a + b)/d(either) = 1, entry by entry"),
        caption=lambda c: f"passed its gradient unchanged to {c.some(c.prev)}",
    ),
    "-": Op(
        scalar=_sided("-: d(first - second)/d(first) = 1", "-: d(first - second)/d(second) = -1"),
        tensor=_entrywise("-: d(a - b)/da = 1, d/db = -1, entry by entry"),
        caption=lambda c: f"passed its gradient to {c.name(c.prev[0])} and minus it to {c.name(c.prev[-1])}",
    ),
    "neg": Op(
        scalar=lambda d: "neg: d(-x)/dx = -1",
        tensor=_entrywise("neg: d(-a)/da = -1, entry by entry"),
        caption=_neg_caption,
    ),
    "*": Op(
        scalar=_mul_scalar,
        tensor=_mul_tensor,
        caption=lambda c: f"passed its gradient times the other factor to {c.some(c.prev)}",
    ),
    "/": Op(
        scalar=_div_scalar,
        tensor=_sided("/: d(a/b)/da = 1/b, entry by entry", "/: d(a/b)/db = -a/b^2, entry by entry", True),
        caption=_div_caption,
    ),
    "**": Op(scalar=_pow_scalar, tensor=_pow_tensor, title=_pow_title),
    # an entrywise function of one input: (the scalar reason, with its numbers; the Tensor one)
    "exp": Op(
        lambda d: f"exp: d/dx e^x = e^x = {number(d.out.data)}",
        _entrywise("exp: d/dx e^x = e^x, entry by entry (the output itself)"),
    ),
    "log": Op(
        lambda d: f"log: d/dx log x = 1/x = 1/{number(d.x)}", _entrywise("log: d/dx log x = 1/x, entry by entry")
    ),
    "tanh": Op(
        lambda d: f"tanh: 1 - tanh(x)^2 with tanh(x) = {number(d.out.data)}",
        _entrywise("tanh: 1 - tanh(x)^2, entry by entry (from the output)"),
    ),
    "sigmoid": Op(
        lambda d: f"sigmoid: s(1 - s) with s = {number(d.out.data)}",
        _entrywise("sigmoid: s(1 - s) with s the output, entry by entry"),
    ),
    "relu": Op(
        scalar=_scalar_rectifier("0: nothing flows back"),
        tensor=_entrywise_rectifier,
        caption=_rectifier_caption,
        slope=lambda out, learned: "0",
    ),
    "leaky_relu": Op(
        scalar=_scalar_rectifier(""),
        tensor=_entrywise_rectifier,
        caption=_rectifier_caption,
        title=_alpha_title,
        slope=lambda out, learned: f"alpha = {param(out, 'alpha'):g}",
    ),
    "prelu": Op(
        scalar=_prelu_scalar,
        tensor=_entrywise_rectifier,
        caption=_rectifier_caption,
        slope=lambda out, learned: f"a = {learned}",
    ),
    "wsum": Op(scalar=_weighted_sum, caption=_weighted_sum_caption),
    "linear": Op(tensor=_linear, caption=_linear_caption),
    "@": Op(
        tensor=_matmul,
        caption=lambda c: f"passed g @ B.T to {c.name(c.prev[0])} and A.T @ g to {c.name(c.prev[-1])}",
    ),
    "sum": Op(
        tensor=lambda d: (
            f"sum: d(sum)/d(each entry) = 1, so every entry of the input {d.shapes[1]} gets the upstream gradient "
            f"{d.shapes[0]}"
        ),
        caption=lambda c: f"passed its gradient to every entry of {c.some(c.prev)}",
    ),
    "mean": Op(tensor=_mean, caption=_mean_caption),
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
    "bce_logits": Op(scalar=_bce_scalar, tensor=_bce_tensor, caption=_bce_caption),
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
    text = says(Local(out, parent, name_of)) if says is not None else None
    return text or f"{out._op}: {GENERIC}"


def caption(out: Any, names: dict[int, str]) -> tuple[str, list[Any]]:
    """What ``out``'s closure did, in one sentence that calls every node by its one name (``names``) and says a
    loss, a mean and a division in words and numbers; and the nodes the sentence names, ``out`` first."""
    c = Caption(out, names, [out])
    row = TABLE.get(out._op, _NO_ROW)
    text = row.caption(c) if row.caption is not None else None
    if text is None:
        default = "multiplied its gradient by its local derivative and passed it back to"
        text = f"({op_title(out)}) {default} {c.some(out._prev)}"
    return f"{c.subject} {text}.", c.said
