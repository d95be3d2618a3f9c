"""Why a local derivative has the value it has, in words and numbers: the explorer's details panel shows these.

``reason(out, parent)`` reads the op name and the forward numbers only (never runs a closure), e.g.
``leaky_relu: input -5 <= 0, slope alpha = 0.1``; for a Tensor it writes the vector-Jacobian product the
closure computes, with the shapes (``linear: grad_x = g @ W: (1, 16) @ (16, 2) -> (1, 2)``), and says
when a gradient is summed back over broadcast axes. ``name_of`` names the other nodes it mentions as the
screen does. An op it does not know gets a sentence starting with ``GENERIC``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .names import span
from .trace import number, op_title, param

#: how the fallback sentence starts: a test walks the op table and fails on it
GENERIC = "the local derivative its backward closure hands out"


def _scalar(x: Any) -> float:
    return float(np.reshape(x, -1)[0])


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x))


def _rectifier(op: str, x: float, slope: str) -> str:
    if x > 0:
        return f"{op}: input {number(x)} > 0, slope 1"
    return f"{op}: input {number(x)} <= 0, slope {slope}"


def _weighted_sum(out: Any, parent: Any, name_of: Callable[[Any], str]) -> str:
    prev = out._prev
    n = len(prev) // 2
    i = next(k for k, p in enumerate(prev) if p is parent)
    if i >= 2 * n:
        return f"weighted sum: d({name_of(out)})/d({name_of(parent)}) = 1 (the bias is added as it is)"
    if i < n:
        x = prev[n + i]
        return f"weighted sum: d/d({name_of(parent)}) = the input it multiplies, {name_of(x)} = {number(x.data)}"
    w = prev[i - n]
    return f"weighted sum: d/d({name_of(parent)}) = the weight that multiplies it, {name_of(w)} = {number(w.data)}"


def _broadcast(out: Any, parent: Any) -> str:
    """Why a parent's gradient is summed back: it was broadcast to the output's shape."""
    pshape, oshape = _shape(parent.data), _shape(out.data)
    if pshape == oshape:
        return ""
    return (
        f"; the input {pshape} was broadcast to {oshape}, so each of its entries was used several times and "
        f"its gradient is the upstream gradient summed over the broadcast axes back to {pshape}"
    )


def _slope(out: Any, prelu_slope: str) -> str:
    """A rectifier's slope on the input <= 0 side: '0', 'alpha = 0.01', or 'a = ' ``prelu_slope``."""
    op = str(out._op)
    if op == "relu":
        return "0"
    if op == "prelu":
        return f"a = {prelu_slope}"
    return f"alpha = {param(out, 'alpha'):g}"


def _rectifier_op(op: str) -> bool:
    return op in ("relu", "leaky_relu", "prelu")


def _tensor_reason(out: Any, parent: Any, name_of: Callable[[Any], str]) -> str:
    """The vector-Jacobian product a Tensor op's closure computes for ``parent``, in words, with shapes."""
    op, prev = out._op, out._prev
    first = prev[0] is parent
    other = prev[1] if len(prev) > 1 else None
    o, p = _shape(out.data), _shape(parent.data)
    spread = _broadcast(out, parent)
    if op == "linear":
        x, w = prev[0], prev[1]
        xs, ws = _shape(x.data), _shape(w.data)
        if first:
            return f"linear y = x @ W.T + b: grad_x = g @ W: {o} @ {ws} -> {xs}"
        if parent is w:
            return f"linear: grad_W = g.T @ x: {o[::-1]} @ {xs} -> {ws} (summed over the samples, one row each)"
        return f"linear: grad_b = g summed over the rows (one per sample): {o} -> {p}"
    if op == "@" and other is not None:
        a, b = prev[0], prev[1]
        spread = ""
        if len(o) > 2 and tuple(p[:-2]) != tuple(o[:-2]):  # only the batch axes broadcast in a matmul
            spread = (
                f"; the input's batch axes {p[:-2]} were broadcast to {o[:-2]}, so its gradient is summed over them"
            )
        if first:
            return f"matmul A @ B: grad_A = g @ B.T: {o} @ {_shape(b.data)[::-1]} -> {p}{spread}"
        return f"matmul A @ B: grad_B = A.T @ g: {_shape(a.data)[::-1]} @ {o} -> {p}{spread}"
    if op == "sum":
        return f"sum: d(sum)/d(each entry) = 1, so every entry of the input {p} gets the upstream gradient {o}"
    if op == "mean":
        n = max(int(np.prod(p)) // max(int(np.prod(o)), 1), 1)
        return f"mean: d(mean)/d(each entry) = 1/n with n = {n}: every entry of {p} gets the upstream gradient / {n}"
    if op == "max":
        return f"max: d/d(entry) = 1 at the maximum (shared among ties), 0 elsewhere: only it gets the gradient {o}"
    if op == "logsumexp":
        return "logsumexp: d/dx_i = softmax(x)_i = e^x_i / sum e^x: each entry gets g x its softmax share"
    if op == "log_softmax":
        return (
            "log_softmax: grad_x = g - softmax(x) * (g summed over the axis): every output of a row depends on "
            f"every input of it; {o} -> {p}"
        )
    if op == "index":
        return f"index: 1 at the entries it picked (added up where picked twice), 0 elsewhere: {o} -> {p}"
    if op == "reshape":
        return f"reshape: the same numbers in another shape: the gradient {o} is reshaped back to {p}"
    if op == "transpose":
        return f"transpose: the gradient {o} is transposed back to {p}"
    if op == "bce_logits":
        if first:
            return "bce_logits: d/dz = (sigmoid(z) - y) / N, entry by entry, N the number of entries"
        return "bce_logits: d/dy = -z / N, entry by entry"
    if op == "mse_loss":
        return f"mse_loss: d/d(pred) = 2 (pred - target) / n, n = {int(np.prod(p))}" + ("" if first else " (negated)")
    if op == "cross_entropy":
        return "cross_entropy: d/d(logits) = (softmax(logits) - onehot(label)) / N"
    if _rectifier_op(op):
        share = float(np.mean(np.asarray(prev[0].data) <= 0))
        if op == "prelu" and not first:
            return f"prelu: d/da = the input where it is <= 0, else 0, summed over the entries a was shared by{spread}"
        slope = _slope(out, name_of(prev[1]) if op == "prelu" else "")
        return (
            f"{op}: slope 1 where the input > 0, {slope} where it is <= 0, entry by entry; "
            f"{share:.0%} of the input entries are <= 0"
        )
    entrywise = {
        "+": "+: d(a + b)/d(either) = 1, entry by entry",
        "-": "-: d(a - b)/da = 1, d/db = -1, entry by entry",
        "neg": "neg: d(-a)/da = -1, entry by entry",
        "exp": "exp: d/dx e^x = e^x, entry by entry (the output itself)",
        "log": "log: d/dx log x = 1/x, entry by entry",
        "tanh": "tanh: 1 - tanh(x)^2, entry by entry (from the output)",
        "sigmoid": "sigmoid: s(1 - s) with s the output, entry by entry",
        "*": f"*: d(a*b)/da = b and d/db = a, entry by entry: the other factor, {name_of(other if first else prev[0])}"
        if other is not None
        else "",
        "/": "/: d(a/b)/da = 1/b, entry by entry" if first else "/: d(a/b)/db = -a/b^2, entry by entry",
    }
    if entrywise.get(op):
        return entrywise[op] + spread
    if op == "**" and other is not None:
        text = "**: d(a^b)/da = b a^(b-1)" if first else "**: d(a^b)/db = a^b log a"
        return text + ", entry by entry" + spread
    if op == "**":
        return f"{op_title(out)}: d/dx x^k = k x^(k-1) with k = {param(out, 'k'):g}, entry by entry" + spread
    return f"{op}: {GENERIC}"


def reason(out: Any, parent: Any, name_of: Callable[[Any], str] | None = None) -> str:
    """One line saying why d(out)/d(parent) is what it is, from the op and the forward values."""
    name_of = name_of or (lambda node: str(node.label or "the other input"))
    op, prev = out._op, out._prev
    first = prev[0] is parent
    if isinstance(out.data, np.ndarray) or isinstance(parent.data, np.ndarray):
        return _tensor_reason(out, parent, name_of)
    x = _scalar(prev[0].data)
    if op == "leaky_relu":
        return _rectifier("leaky_relu", x, _slope(out, ""))
    if op == "relu":
        return _rectifier("relu", x, "0: nothing flows back")
    if op == "prelu":
        if first:
            return _rectifier("prelu", x, f"a = {number(prev[1].data)} (the learned slope)")
        return f"prelu: d/da = input {number(x)}" + (" (input <= 0)" if x <= 0 else " > 0, so 0")
    if op == "wsum":
        return _weighted_sum(out, parent, name_of)
    other = prev[1] if len(prev) > 1 else None
    simple = {
        "+": "+: a sum's derivative by each of its terms is 1",
        "-": "-: d(first - second)/d(first) = 1" if first else "-: d(first - second)/d(second) = -1",
        "neg": "neg: d(-x)/dx = -1",
        "exp": f"exp: d/dx e^x = e^x = {number(out.data)}",
        "log": f"log: d/dx log x = 1/x = 1/{number(x)}",
        "tanh": f"tanh: 1 - tanh(x)^2 with tanh(x) = {number(out.data)}",
        "sigmoid": f"sigmoid: s(1 - s) with s = {number(out.data)}",
    }
    if op in simple:
        return simple[op]
    if op == "*" and other is not None:
        partner = other if first else prev[0]
        both = f" (a square: 2 x {name_of(partner)})" if other is prev[0] else ""
        return f"*: d/d(one factor) = the other factor, {name_of(partner)} = {number(partner.data)}{both}"
    if op == "/" and other is not None:
        top, bottom = name_of(prev[0]), name_of(other)
        if first:
            return f"/: d({top} / {bottom})/d({top}) = 1 / {bottom} = 1/{number(other.data)}"
        return (
            f"/: d({top} / {bottom})/d({bottom}) = -{top} / {bottom}^2 = -{number(prev[0].data)}/{number(other.data)}^2"
        )
    if op == "**" and other is not None:
        if first:
            return f"**: d(x^k)/dx = k x^(k-1) with x = {number(x)}, k = {number(other.data)}"
        return f"**: d(x^k)/dk = x^k log x with x = {number(x)}"
    if op == "**":
        return f"{op_title(out)}: d/dx x^k = k x^(k-1) with k = {param(out, 'k'):g} at x = {number(x)}"
    if op == "bce_logits":
        if first:
            # a target that is not a node is read back from the forward value: loss = softplus(z) - z y
            y = other.data if other is not None else (np.logaddexp(0.0, x) - _scalar(out.data)) / x if x else None
            sent = f" = {number(1 / (1 + np.exp(-x)) - y)}" if y is not None else ""
            return f"bce_logits: d/dz = sigmoid(z) - y = sigmoid({number(x)}) - {'y' if y is None else number(y)}{sent}"
        return f"bce_logits: d/dy = -z = {number(-x)}"
    if op == "cross_entropy":
        return "cross_entropy: d/d(logit) = softmax(logits) - onehot(label), for this logit"
    return f"{op}: {GENERIC}"


def _listed(names: list[str], more: int = 0) -> str:
    """'a', 'a and b', 'a, b and c', 'a, b, c, d and 12 more'."""
    if not names:
        return "nothing"
    if more:
        return ", ".join(names) + f" and {more} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mean_count(out: Any) -> float | None:
    """The count a mean divides by, when ``out`` divides by a constant (an unlabelled leaf holding one number)."""
    prev = out._prev
    if out._op == "/" and len(prev) == 2 and not prev[1]._prev and not prev[1].label and np.size(prev[1].data) == 1:
        return _scalar(prev[1].data)
    return None


def caption(out: Any, names: dict[int, str]) -> tuple[str, list[Any]]:
    """What ``out``'s closure did, in one sentence that calls every node by its one name (``names``) and says a
    loss, a mean and a division in words and numbers; and the nodes the sentence names, ``out`` first."""
    op, prev = str(out._op), out._prev
    said: list[Any] = [out]
    subject = names[id(out)]

    def name(node: Any) -> str:
        said.append(node)
        if getattr(node, "requires_grad", True):
            return names[id(node)]
        return f"{names[id(node)]} (which asks for no gradient, so its closure skips it)"

    def some(nodes: Any, most: int = 4) -> str:
        nodes = list({id(p): p for p in nodes}.values())
        if len(nodes) > most:
            said.extend(nodes)
            return span([names[id(p)] for p in nodes])
        return _listed([name(p) for p in nodes])

    if _rectifier_op(op) and not isinstance(out.data, np.ndarray):
        x = _scalar(prev[0].data)
        if x > 0:
            return (
                f"{subject} = {op}({name(prev[0])}): input {number(x)} > 0, so it passed its gradient unchanged back.",
                said,
            )
        slope = _slope(out, number(prev[1].data) if op == "prelu" else "").split(" = ")[-1]
        text = f"{subject} = {op}({name(prev[0])}): input {number(x)} <= 0, so it passed {slope} x its gradient back"
        extra = f", and input x its gradient to the slope {name(prev[1])}" if op == "prelu" and len(prev) > 1 else ""
        return text + extra + ".", said
    if _rectifier_op(op):
        share = float(np.mean(np.asarray(prev[0].data) <= 0))
        text = (
            f"{subject} = {op}({name(prev[0])}) passed its gradient back: unchanged where the input > 0, times "
            f"the slope where it is <= 0 ({share:.0%} of the entries)."
        )
        return text, said
    count = _mean_count(out)
    if count is not None:
        each = f"1/{count:g} = {number(1 / count)}" if count else "1/0"
        return (
            f"{subject} is the mean of {count:g} per-sample loss{'es' if count != 1 else ''}: it divides "
            f"{name(prev[0])} by the number of samples, {count:g}, so the sum gets gradient {each} times "
            f"{subject}'s own (n = {count:g} is a constant, so no gradient is sent to it).",
            said,
        )
    if op == "wsum":
        n = len(prev) // 2
        weights, inputs = some(prev[:n], most=3), some(prev[n : 2 * n], most=3)
        bias = f", and unchanged to the bias {name(prev[2 * n])}" if len(prev) > 2 * n else ""
        return (
            f"{subject} (a weighted sum) passed its gradient times each input to the weights {weights}, "
            f"times each weight to the inputs {inputs}{bias}.",
            said,
        )
    if op == "bce_logits" and not isinstance(out.data, np.ndarray):
        z = _scalar(prev[0].data)
        y = _scalar(prev[1].data) if len(prev) > 1 else float(out._arg)
        p = 1 / (1 + np.exp(-z))
        return (
            f"{subject} is one sample's binary cross-entropy of the logit {name(prev[0])} = {number(z)} against the "
            f"label {number(y)}: it passed sigmoid({number(z)}) - {number(y)} = {number(p - y)} times its gradient "
            f"back to {names[id(prev[0])]}.",
            said,
        )
    how: dict[str, Callable[[], str]] = {
        "+": lambda: f"passed its gradient unchanged to {some(prev)}",
        "-": lambda: f"passed its gradient to {name(prev[0])} and minus it to {name(prev[-1])}",
        "neg": lambda: (
            f"is minus {some(prev)}"
            + (
                " (the cross-entropy: minus the mean log-probability of each sample's label)"
                if prev[0]._op == "mean" and prev[0]._prev and prev[0]._prev[0]._op == "index"
                else ""
            )
            + ": it passed minus its gradient back"
        ),
        "*": lambda: f"passed its gradient times the other factor to {some(prev)}",
        "/": lambda: (
            f"= {name(prev[0])} / {name(prev[-1])}: it passed its gradient / {names[id(prev[-1])]} to "
            f"{names[id(prev[0])]} and -{names[id(prev[0])]} / {names[id(prev[-1])]}^2 x its gradient to "
            f"{names[id(prev[-1])]}"
        ),
        "linear": lambda: (
            f"= {name(prev[0])} @ {name(prev[1])}.T"
            + (f" + {name(prev[2])}" if len(prev) > 2 else "")
            + f": it passed g @ {names[id(prev[1])]} to {names[id(prev[0])]}, g.T @ {names[id(prev[0])]} to "
            f"{names[id(prev[1])]}" + (f" and g summed over the rows to {names[id(prev[2])]}" if len(prev) > 2 else "")
        ),
        "index": lambda: (
            f"picks from {some(prev)} the entries it reads (each sample's label column): it passed its gradient to "
            "those entries and 0 to the others"
        ),
        "@": lambda: f"passed g @ B.T to {name(prev[0])} and A.T @ g to {name(prev[-1])}",
        "sum": lambda: f"passed its gradient to every entry of {some(prev)}",
        "mean": lambda: (
            f"is the mean of the {np.size(prev[0].data)} entries of {some(prev)}: it divides their sum by "
            f"{np.size(prev[0].data)}, so each entry gets gradient 1/{np.size(prev[0].data)} = "
            f"{number(1 / max(np.size(prev[0].data), 1))} times {subject}'s own"
        ),
        "log_softmax": lambda: (
            f"is the log of the softmax of {some(prev)} (log-probabilities): it passed g - softmax x (g summed "
            "over the row) back"
        ),
        "cross_entropy": lambda: f"passed (softmax - onehot) x its gradient back to {some(prev)}",
    }
    default = "multiplied its gradient by its local derivative and passed it back to"
    text = how[op]() if op in how else f"({op_title(out)}) {default} {some(prev)}"
    return f"{subject} {text}.", said
