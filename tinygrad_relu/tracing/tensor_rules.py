"""How each Tensor op is written as numpy statements, for ``trace``: one table, off the learner's path.

The scalar engine's ops are written by running their own closures on names (``symbolic.py``). A Tensor op's
closure calls ``accumulate``, which sums a broadcast gradient back by the shapes it meets, so the names would
need shapes of their own; until they have them, each Tensor op's forward expression and backward contributions
are written here, reading the op's parameters from its node (``node._arg``). A rule is two functions of a
writer ``c``: ``forward(c)`` returns the output's expression from the parents' names ``c[0], c[1], ...`` (it may
write temporaries with ``c.let``); ``backward(c)`` returns the contributions ``(i, expr)`` to parent i's gradient,
in the order the closure adds them, written with the output's gradient ``c.g``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Contribution = tuple[Any, ...]  # (parent index, expression) or (parent index, expression, condition)


@dataclass(frozen=True)
class Rule:
    """How one op is written as code: its forward expression and its backward contributions."""

    forward: Callable[[Any], str]
    backward: Callable[[Any], list[Contribution]]


def product_code(a: str, b: str, matrices: bool) -> str:
    """``fast.matmul(a, b)`` as code: ``np.dot`` for two matrices (as it calls it), else ``@``."""
    return f"np.dot({a}, {b})" if matrices else f"{a} @ {b}"


def _matmul_grads(c: Any) -> list[tuple[int, str]]:
    """``matmul``'s backward as code, for the operands' dimensions at hand (``_matmul_backward``'s steps)."""
    a, b, g = c[0], c[1], c.g
    if len(c.shape(0)) == 2 and len(c.shape(1)) == 2:
        return [(0, product_code(g, f"{b}.T", True)), (1, product_code(f"{a}.T", g, True))]
    left = a if len(c.shape(0)) > 1 else c.let(f"{a}[None, :]", "left")
    right = b if len(c.shape(1)) > 1 else c.let(f"{b}[:, None]", "right")
    if len(c.shape(1)) == 1:
        g = c.let(f"{g}[..., None]", "g")
    if len(c.shape(0)) == 1:
        g = c.let(f"{g}[..., None, :]", "g")
    return [
        (0, f"unbroadcast({g} @ np.swapaxes({right}, -1, -2), {left}.shape).reshape({c.shape(0)})"),
        (1, f"unbroadcast(np.swapaxes({left}, -1, -2) @ {g}, {right}.shape).reshape({c.shape(1)})"),
    ]


def _linear_code(c: Any) -> str:
    """``linear``'s forward as code: the product with the weight's transpose, plus the bias."""
    product = product_code(c[0], f"{c[1]}.T", len(c.shape(0)) == 2)
    return product + (f" + {c[2]}" if c.n == 3 else "")


def _linear_grads(c: Any) -> list[tuple[int, str]]:
    """``linear``'s backward as code; a 2-D input needs none of the closure's reshapes (they are views)."""
    x, w, g = c[0], c[1], c.g
    out_features, in_features = c.shape(1)
    flat = len(c.shape(0)) == 2
    rows = g if flat else c.let(f"{g}.reshape(-1, {out_features})", "rows")
    xs = x if flat else f"{x}.reshape(-1, {in_features})"
    grads = [(0, product_code(g, w, len(c.out_shape) == 2)), (1, product_code(f"{rows}.T", xs, True))]
    return grads + [(2, f"{rows}.sum(axis=0)")] if c.n == 3 else grads


def _sigmoid_code(c: Any) -> str:
    """``sigmoid``'s forward as code: e^-|x| first, then one of its two stable forms per element."""
    e = c.let(f"np.exp(-np.abs({c[0]}))", "e")
    return f"np.where({c[0]} >= 0.0, 1.0, {e}) / (1.0 + {e})"


def _slope_code(c: Any, x: str, alpha: str) -> str:
    """``fast.slope(x > 0.0, alpha)`` as code: the plain ``np.where`` where the fast path takes it (small arrays),
    else the fast path itself, so that the slope is the closure's to the bit."""
    if math.prod(c.out_shape) <= 4096:
        return f"np.where({x} > 0.0, 1.0, {alpha})"
    return f"fast.slope({x} > 0.0, {alpha})"


def _leaky_code(c: Any) -> str:
    """``leaky_relu``'s forward as code: the slope array (1 where x > 0, alpha elsewhere) times x."""
    c.let(_slope_code(c, c[0], c.param("alpha")), "slope")
    return f"{c[0]} * {c.temp('slope')}"


def _per_channel_shape(c: Any) -> tuple[int, ...]:
    """The shape ``prelu`` gives its slope to broadcast over the input: one per channel (dim 1), or ()."""
    ws = c.value("ws")
    return (ws[0],) + (1,) * (len(c.shape(0)) - 2) if ws and ws[0] != 1 else ()


def _prelu_code(c: Any) -> str:
    """``prelu``'s forward as code: the slope of each position (its channel's), then as leaky_relu."""
    per_channel = c.let(f"{c[1]}.reshape({_per_channel_shape(c)})", "per_channel")
    c.let(_slope_code(c, c[0], per_channel), "slope")
    return f"{c[0]} * {c.temp('slope')}"


def _prelu_grads(c: Any) -> list[tuple[int, str]]:
    """``prelu``'s backward as code: slope times g for x; x where x <= 0 times g, summed per channel, for the slope."""
    dw = f"unbroadcast({c.g} * np.minimum({c[0]}, 0.0), {_per_channel_shape(c)}).reshape({c.value('ws')})"
    return [(0, f"{c.g} * {c.temp('slope')}"), (1, dw)]


def _reduce_code(c: Any) -> str:
    """A sum's forward as code for the shapes at hand: over the axes the closure kept as 1 (a size-1 axis changes
    nothing), with ``keepdims`` as the output's shape says. ``a.sum(...)`` is ``np.add.reduce``, as the op calls it."""
    shape, kept, out = c.shape(0), c.value("kept"), c.out_shape
    if kept is None:  # every axis, as the closure's axis=None reduces them
        return f"{c[0]}.sum()" if out == () else f"{c[0]}.sum(keepdims=True)"
    axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)
    if out == kept:
        return f"{c[0]}.sum(axis={axes}, keepdims=True)"
    dropped = tuple(n for i, n in enumerate(shape) if i not in axes)
    if out == dropped:
        return f"{c[0]}.sum(axis={axes})"
    return f"{c[0]}.sum(axis={axes}, keepdims=True).reshape({out})"


def _spread_code(c: Any, g: str) -> str:
    """``_spread(g, kept, shape)`` as code: ``g`` repeated along the reduced axes, in a new array."""
    kept, shape = c.value("kept"), c.shape(0)
    if kept is None:
        return f"np.full({shape}, {g})"
    return f"np.broadcast_to({g}.reshape({kept}), {shape}).copy()"


def _count(c: Any) -> int:
    """How many elements ``mean`` averaged (0 for an empty reduction, as its forward divides by)."""
    kept, shape = c.value("kept"), c.shape(0)  # an axis kept as 1 was reduced, or had length 1 anyway
    return math.prod(shape) if kept is None else math.prod(n for n, k in zip(shape, kept) if k == 1)


def _mean_grads(c: Any) -> list[tuple[int, str]]:
    """``mean``'s backward as code: g over the count, spread along the reduced axes."""
    return [(0, _spread_code(c, c.let(f"{c.g} / {c.param('divisor')}", "g")))]


def _max_code(c: Any) -> str:
    """``max``'s forward as code: the kept-dims maximum, reshaped unless ``keepdims``."""
    axis, kept = c.value("axis"), c.value("kept")
    top = c.let(f"np.max({c[0]}, axis={axis}, keepdims=True)", "top")
    return top if c.out_shape == kept else f"{top}.reshape({c.out_shape})"


def _max_grads(c: Any) -> list[tuple[int, str]]:
    """``max``'s backward as code: the share of each element (ties split evenly, or the first arg-max per row)."""
    a, top, axis = c[0], c.temp("top"), c.param("axis")
    if c.value("axis") is None:
        hits = c.let(f"np.isnan({a}) if np.isnan({top}).all() else {a} == {top}", "hits")
        share = c.let(f"{hits} / np.count_nonzero({hits})", "share")
    else:
        share = c.let(f"np.zeros({c.shape(0)})", "share")
        first = c.let(f"np.expand_dims(np.argmax({a}, axis={axis}), {axis})", "first")
        c.stmt(f"np.put_along_axis({share}, {first}, 1.0, axis={axis})")
    return [(0, f"{share} * {c.g}.reshape({c.value('kept')})")]


def _logsumexp_code(c: Any) -> str:
    """``logsumexp``'s forward as code: shift by the finite max, sum the exps, log, shift back."""
    a, kept, shape = c[0], c.value("kept"), c.shape(0)
    axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)  # size-1 axes change nothing
    top = c.let(f"np.max({a}, axis={axes}, keepdims=True, initial=-np.inf)", "top")
    m = c.let(f"np.where(np.isfinite({top}), {top}, 0.0)", "shift")
    lse = c.let(f"np.log(np.add.reduce(np.exp({a} - {m}), axis={axes}, keepdims=True)) + {m}", "lse")
    return lse if c.out_shape == kept else f"{lse}.reshape({c.out_shape})"


def _log_softmax_code(c: Any) -> str:
    """``log_softmax``'s forward as code: x minus its max, minus the log of the shifted exps' sum."""
    axes = c.param("axes")
    shifted = c.let(f"{c[0]} - np.max({c[0]}, axis={axes}, keepdims=True, initial=-np.inf)", "shifted")
    return f"{shifted} - np.log(np.add.reduce(np.exp({shifted}), axis={axes}, keepdims=True))"


def _getitem_grads(c: Any) -> list[tuple[int, str]]:
    """``getitem``'s backward as code: zeros of the input's shape, the gradient added (or written) at the index."""
    g = c.let(f"np.zeros({c.shape(0)})", "scatter")
    index, shape = c.param("index"), c.shape(0)
    if not c.value("fancy"):
        c.stmt(f"{g}[{index}] = {c.g}")
    elif _repeats(shape, c.value("index")):
        c.stmt(f"np.add.at({g}, {index}, {c.g})")
    else:  # no position twice: add.at into zeros gives 0.0 + g, which is g + 0.0, bit for bit (-0.0 becomes 0.0)
        c.stmt(f"{g}[{index}] = {c.g} + 0.0")
    return [(0, g)]


def _repeats(shape: tuple[int, ...], index: Any) -> bool:
    """Whether ``index`` selects some position of an array of ``shape`` more than once."""
    picked = np.arange(math.prod(shape)).reshape(shape)[index]
    return bool(np.unique(picked).size != np.size(picked))


def _mse_code(c: Any) -> str:
    """``mse_loss``'s forward as code: the difference, then its dot with itself over the count."""
    diff = c.let(f"{c[0]} - {c[1]}", "diff")
    return f"np.vdot({diff}, {diff}) / {math.prod(c.shape(0))}"


def _mse_grads(c: Any) -> list[tuple[int, str]]:
    """``mse_loss``'s backward as code: 2 (pred - target) / N times g, and its negative for the target."""
    g, diff = c.let(f"{c.g} * {c.param('scale')}", "g"), c.temp("diff")
    return [(0, f"{diff} * {g}"), (1, f"{diff} * -{g}")]


def _bce_code(c: Any) -> str:
    """``binary_cross_entropy_with_logits``'s forward as code: softplus and sigmoid without overflow, then the mean."""
    z, y = c[0], c[1] if c.n == 2 else c.param("y")
    softplus = c.let(f"np.maximum({z}, 0.0) + np.log1p(np.exp(-np.abs({z})))", "softplus")
    c.let(f"np.where({z} == np.inf, 1.0, np.exp({z} - {softplus}))", "sig")
    return f"np.mean({softplus} - {z} * {y})"


def _bce_grads(c: Any) -> list[tuple[int, str]]:
    """``binary_cross_entropy_with_logits``'s backward as code: (sigmoid(z) - y) g / N, and -z g / N for a target."""
    z, y, size = c[0], c[1] if c.n == 2 else c.param("y"), math.prod(c.shape(0))
    g = c.let(f"{c.g}.item()", "g")
    return [(0, f"({c.temp('sig')} - {y}) * {g} / {size}"), (1, f"-{z} * {g} / {size}")][: c.n]


#: op name -> its rule ("**k" is ``x ** k`` for a number k)
RULES: dict[str, Rule] = {
    "+": Rule(lambda c: f"{c[0]} + {c[1]}", lambda c: [(0, c.g), (1, c.g)]),
    "-": Rule(lambda c: f"{c[0]} - {c[1]}", lambda c: [(0, c.g), (1, f"-{c.g}")]),
    "*": Rule(lambda c: f"{c[0]} * {c[1]}", lambda c: [(0, f"{c.g} * {c[1]}"), (1, f"{c.g} * {c[0]}")]),
    "/": Rule(lambda c: f"{c[0]} / {c[1]}", lambda c: [(0, f"{c.g} / {c[1]}"), (1, f"-{c.g} * {c.out} / {c[1]}")]),
    "**": Rule(
        lambda c: f"np.power({c[0]}, {c[1]})",
        lambda c: [
            (0, f"np.where({c[1]} == 0, 0.0, {c.g} * {c[1]} * np.power({c[0]}, {c[1]} - 1.0))"),
            (1, f"np.where(({c[0]} == 0) & ({c[1]} >= 0), 0.0, {c.g} * {c.out} * np.log({c[0]}))"),
        ],
    ),
    "**k": Rule(
        lambda c: f"np.power({c[0]}, {c.param('k')})",
        lambda c: (
            [(0, f"np.zeros_like({c[0]})")]
            if c.value("k") == 0.0
            else [(0, f"{c.g} * ({c.param('k')} * np.power({c[0]}, {c.num(c.value('k') - 1.0)}))")]
        ),
    ),
    "neg": Rule(lambda c: f"-{c[0]}", lambda c: [(0, f"-{c.g}")]),
    "@": Rule(lambda c: product_code(c[0], c[1], len(c.shape(0)) == 2 and len(c.shape(1)) == 2), _matmul_grads),
    "linear": Rule(_linear_code, _linear_grads),
    "exp": Rule(lambda c: f"np.exp({c[0]})", lambda c: [(0, f"{c.g} * {c.out}")]),
    "log": Rule(lambda c: f"np.log({c[0]})", lambda c: [(0, f"{c.g} / {c[0]}")]),
    "tanh": Rule(lambda c: f"np.tanh({c[0]})", lambda c: [(0, f"{c.g} * (1.0 - {c.out} * {c.out})")]),
    "sigmoid": Rule(_sigmoid_code, lambda c: [(0, f"{c.g} * {c.out} * (1.0 - {c.out})")]),
    "relu": Rule(lambda c: f"np.maximum({c[0]}, 0.0)", lambda c: [(0, f"np.where({c[0]} > 0.0, {c.g}, 0.0)")]),
    "leaky_relu": Rule(_leaky_code, lambda c: [(0, f"{c.g} * {c.temp('slope')}")]),
    "prelu": Rule(_prelu_code, _prelu_grads),
    "sum": Rule(
        lambda c: _reduce_code(c),
        lambda c: [(0, _spread_code(c, c.g))],
    ),
    "mean": Rule(
        lambda c: f"{_reduce_code(c)} / {_count(c)}",
        _mean_grads,
    ),
    "max": Rule(_max_code, _max_grads),
    "logsumexp": Rule(
        _logsumexp_code,
        lambda c: [(0, f"np.exp({c[0]} - {c.temp('lse')}) * {c.g}.reshape({c.value('kept')})")],
    ),
    "log_softmax": Rule(
        _log_softmax_code,
        lambda c: [(0, f"{c.g} - np.exp({c.out}) * np.add.reduce({c.g}, axis={c.param('axes')}, keepdims=True)")],
    ),
    "reshape": Rule(
        lambda c: f"{c[0]}.reshape({c.out_shape})",
        lambda c: [(0, f"{c.g}.reshape({c.shape(0)})")],
    ),
    "transpose": Rule(
        lambda c: f"{c[0]}.transpose({tuple(int(i) for i in np.argsort(c.value('inverse')))})",
        lambda c: [(0, f"{c.g}.transpose({c.param('inverse')})")],
    ),
    "index": Rule(lambda c: f"{c[0]}[{c.param('index')}]", _getitem_grads),
    "mse_loss": Rule(_mse_code, _mse_grads),
    "bce_logits": Rule(_bce_code, _bce_grads),
}
