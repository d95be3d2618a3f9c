"""How each Tensor op's forward pass is written as numpy, for ``trace``: one line (or a few) per op, reading the
op's parameters from its node. The backward pass is the op's own closure, run on names (``symbolic.py``); an array
the closure reads from what the forward pass kept (``Saved``) is the temporary its rule writes under that key."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def product_code(a: str, b: str, matrices: bool) -> str:
    """``fast.matmul(a, b)`` as code: ``np.dot`` for two matrices (as it calls it), else ``@``."""
    return f"np.dot({a}, {b})" if matrices else f"{a} @ {b}"


def _linear_code(c: Any) -> str:
    """``linear``'s forward as code: the product with the weight's transpose, plus the bias."""
    product = product_code(c[0], f"{c[1]}.T", len(c.shape(0)) == 2)
    return product + (f" + {c[2]}" if c.n == 3 else "")


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


def _count(c: Any) -> int:
    """How many elements ``mean`` averaged (0 for an empty reduction, as its forward divides by)."""
    kept, shape = c.value("kept"), c.shape(0)  # an axis kept as 1 was reduced, or had length 1 anyway
    return math.prod(shape) if kept is None else math.prod(n for n, k in zip(shape, kept) if k == 1)


def _max_code(c: Any) -> str:
    """``max``'s forward as code: the kept-dims maximum, reshaped unless ``keepdims``."""
    axis, kept = c.value("axis"), c.value("kept")
    top = c.let(f"np.max({c[0]}, axis={axis}, keepdims=True)", "top")
    return top if c.out_shape == kept else f"{top}.reshape({c.out_shape})"


def _top_code(c: Any, a: str, axes: tuple[int, ...]) -> str:
    """The kept-dims max of ``a`` over ``axes``: ``-inf`` over an empty axis, as the engine's ``initial=-np.inf``
    gives (the shape is known, so a program with no empty axis does without it: 0.6 us of a 40 us step)."""
    empty = any(c.shape(0)[i] == 0 for i in axes)
    return f"{a}.max(axis={axes}, keepdims=True{', initial=-np.inf' if empty else ''})"


def _logsumexp_code(c: Any) -> str:
    """``logsumexp``'s forward as code: shift by the finite max, sum the exps, log, shift back."""
    a, kept, shape = c[0], c.value("kept"), c.shape(0)
    axes = tuple(i for i, (k, n) in enumerate(zip(kept, shape)) if k == 1 and n != 1)  # size-1 axes change nothing
    top = c.let(_top_code(c, a, axes), "top")
    m = c.let(f"np.where(np.isfinite({top}), {top}, 0.0)", "shift")
    lse = c.let(f"np.log(np.add.reduce(np.exp({a} - {m}), axis={axes}, keepdims=True)) + {m}", "lse")
    return lse if c.out_shape == kept else f"{lse}.reshape({c.out_shape})"


def _log_softmax_code(c: Any) -> str:
    """``log_softmax``'s forward as code: x minus its max, minus the log of the shifted exps' sum."""
    axes = c.param("axes")
    shifted = c.let(f"{c[0]} - {_top_code(c, c[0], c.value('axes'))}", "shifted")
    return f"{shifted} - np.log(np.add.reduce(np.exp({shifted}), axis={axes}, keepdims=True))"


def _scatter_code(c: Any) -> str:
    """``scatter``'s forward as code: zeros, the gradient put (or, where an index may repeat, added) at the index."""
    full = c.let(f"np.zeros({c.param('shape')})", "full")
    index = c.param("index")
    c.stmt(f"np.add.at({full}, {index}, {c[0]})" if c.value("fancy") else f"{full}[{index}] = {c[0]}")
    return str(full)


def _mse_code(c: Any) -> str:
    """``mse_loss``'s forward as code: the difference, then its dot with itself over the count."""
    diff = c.let(f"{c[0]} - {c[1]}", "diff")
    return f"np.vdot({diff}, {diff}) / {math.prod(c.shape(0))}"


def _bce_code(c: Any) -> str:
    """``binary_cross_entropy_with_logits``'s forward as code: softplus and sigmoid without overflow, then the mean."""
    z, y = c[0], c[1] if c.n == 2 else c.param("y")
    softplus = c.let(f"np.maximum({z}, 0.0) + np.log1p(np.exp(-np.abs({z})))", "softplus")
    c.let(f"np.where({z} == np.inf, 1.0, np.exp({z} - {softplus}))", "sig")
    return f"np.mean({softplus} - {z} * {y})"


#: op name -> the code of its forward pass ("**k" is ``x ** k`` for a number k)
FORWARD: dict[str, Callable[[Any], str]] = {
    "+": lambda c: f"{c[0]} + {c[1]}",
    "-": lambda c: f"{c[0]} - {c[1]}",
    "*": lambda c: f"{c[0]} * {c[1]}",
    "/": lambda c: f"{c[0]} / {c[1]}",
    "**": lambda c: f"np.power({c[0]}, {c[1]})",
    "**k": lambda c: f"np.power({c[0]}, {c.param('k')})",
    "neg": lambda c: f"-{c[0]}",
    "@": lambda c: product_code(c[0], c[1], len(c.shape(0)) == 2 and len(c.shape(1)) == 2),
    "linear": _linear_code,
    "exp": lambda c: f"np.exp({c[0]})",
    "log": lambda c: f"np.log({c[0]})",
    "tanh": lambda c: f"np.tanh({c[0]})",
    "sigmoid": _sigmoid_code,
    "relu": lambda c: f"np.maximum({c[0]}, 0.0)",
    "leaky_relu": _leaky_code,
    "prelu": _prelu_code,
    "where": lambda c: f"np.where({c.param('condition')}, {c[0]}, {c[1]})",
    "sum": _reduce_code,
    "mean": lambda c: f"{_reduce_code(c)} / {_count(c)}",
    "max": _max_code,
    "logsumexp": _logsumexp_code,
    "log_softmax": _log_softmax_code,
    "reshape": lambda c: f"{c[0]}.reshape({c.out_shape})",
    "transpose": lambda c: f"{c[0]}.transpose({tuple(int(i) for i in np.argsort(c.value('inverse')))})",
    "index": lambda c: f"{c[0]}[{c.param('index')}]",
    "expand": lambda c: f"np.broadcast_to({c[0]}, {c.param('shape')}).copy()",
    "scatter": _scatter_code,
    "mse_loss": _mse_code,
    "bce_logits": _bce_code,
}
