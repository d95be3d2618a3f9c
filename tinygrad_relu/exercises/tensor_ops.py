"""Self-checks for notebook 09 (a Tensor op's backward): the learner's backward functions, given RANDOM upstream
gradients, against the gradients the engine's ``Tensor`` computes for the same op and the same upstream gradient.

A gradient must have its parent's shape; the hints name what went wrong -- the shape, a broadcast axis not summed
back, a transposed matrix, a mean where a sum belongs (or the reverse), an upstream gradient ignored -- never
the formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .. import Tensor
from ..losses import cross_entropy
from .check import CheckResult, _call, _fail, _run


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))  # one fixed stream per checker


def _array(x: Any, what: str) -> np.ndarray | str:
    """``x`` as a float array, or what is wrong with it."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return f"{what} is a {type(x).__name__}, not an array of numbers"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _shape_hint(what: str, got: np.ndarray, want: tuple[int, ...], parent: str) -> str | None:
    if got.shape == want:
        return None
    hint = f"{what} has shape {got.shape}, but {parent} has shape {want}: a gradient always has its parent's shape"
    if got.shape == want[::-1] and len(want) == 2:
        hint += " -- yours is transposed"
    return hint


# --- unbroadcast ---------------------------------------------------------------------------------------------

_BROADCASTS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((4, 3), (3,)),  # a bias added to every row
    ((4, 3), (4, 3)),  # nothing broadcast
    ((4, 3), (1, 3)),
    ((4, 3), (4, 1)),  # one number per row, stretched along the columns
    ((2, 4, 3), (4, 1)),  # a leading axis and a stretched one
    ((2, 4, 3), ()),  # a scalar added to everything
)


def _broadcast_axes(g_shape: tuple[int, ...], shape: tuple[int, ...]) -> list[int]:
    lead = len(g_shape) - len(shape)
    return list(range(lead)) + [lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1]


def check_unbroadcast(unbroadcast: Callable[[np.ndarray, tuple[int, ...]], Any] | None) -> CheckResult:
    """Exercise 09.1: ``unbroadcast(g, shape)`` turns the gradient ``g`` of a broadcast result into the gradient of
    the parent of shape ``shape`` that was broadcast, as the engine does for ``parent + other``."""

    def body() -> CheckResult:
        rng = _rng("unbroadcast")
        for g_shape, shape in _BROADCASTS:
            g = rng.normal(size=g_shape)
            parent = Tensor(rng.normal(size=shape), requires_grad=True)
            (parent + Tensor(np.zeros(g_shape))).backward(gradient=g)
            want = parent.grad
            got = _array(_call(unbroadcast, g.copy(), shape), "unbroadcast's result")
            if isinstance(got, str):
                return _fail(got)
            where = f"for g of shape {g_shape} and a parent of shape {shape}"
            hint = _shape_hint("your result", got, shape, "the parent")
            if hint:
                return _fail(f"{where}, {hint}")
            if _same(got, want):
                continue
            axes = _broadcast_axes(g_shape, shape)
            if axes and _same(got * np.prod([g_shape[a] for a in axes]), want):
                return _fail(
                    f"{where}, yours is the engine's divided by the number of copies: each copy of a parent's "
                    "element passed its own gradient on, and those add up -- a sum, not a mean"
                )
            if _same(got, _unbroadcast_of(np.ones(g_shape), shape)):
                return _fail(f"{where}, your result does not depend on g: it is the gradient's values that add up")
            return _fail(
                f"{where}, the values differ from the engine's (largest gap {np.max(np.abs(got - want)):.3g}): "
                f"the parent was copied along axes {axes} of g -- every copy's gradient belongs to it"
            )
        return CheckResult("pass")

    return _run("fill in unbroadcast(g, shape): add g up over the axes along which the parent was copied", body)


def _unbroadcast_of(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    parent = Tensor(np.zeros(shape), requires_grad=True)
    (parent + Tensor(np.zeros(g.shape))).backward(gradient=g)
    grad: np.ndarray = parent.grad
    return grad


# --- linear: y = x @ W.T + b -----------------------------------------------------------------------------------


def _engine_linear(g: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
    (tx @ tw.T + tb).backward(gradient=g)
    return tx.grad, tw.grad, tb.grad


def check_linear_backward(linear_backward: Callable[..., Any] | None) -> CheckResult:
    """Exercise 09.2: ``linear_backward(g, x, W)`` returns ``(grad_x, grad_W, grad_b)`` for ``y = x @ W.T + b``
    (PyTorch's layout: x is (N, in), W is (out, in), b is (out,)), given the upstream gradient ``g`` (N, out)."""

    def body() -> CheckResult:
        rng = _rng("linear")
        for n, n_in, n_out in ((5, 3, 4), (4, 4, 4), (1, 2, 3)):  # the square case tells a transposed W apart
            x, w, b = rng.normal(size=(n, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
            g = rng.normal(size=(n, n_out))
            wants = _engine_linear(g, x, w, b)
            ones = _engine_linear(np.ones_like(g), x, w, b)
            result = _call(linear_backward, g.copy(), x.copy(), w.copy())
            if not isinstance(result, (tuple, list)) or len(result) != 3:
                return _fail("return three gradients, (grad_x, grad_W, grad_b), in that order")
            where = f"with x of shape {x.shape}, W {w.shape} and g {g.shape}"
            named = zip(("grad_x", "grad_W", "grad_b"), ("x", "W", "b"), result, wants, ones)
            for name, parent, got_raw, want, one in named:
                got = _array(got_raw, name)
                if isinstance(got, str):
                    return _fail(got)
                hint = _shape_hint(name, got, want.shape, parent)
                if hint:
                    return _fail(f"{where}, {hint}")
                if _same(got, want):
                    continue
                if got.ndim == 2 and got.shape[0] == got.shape[1] and _same(got.T, want):
                    return _fail(f"{where}, {name} is the engine's transposed: check the order of the product")
                if _same(got, one):
                    return _fail(
                        f"{where}, {name} is what an upstream gradient of all ones would give: it ignores g, "
                        "the gradient of the loss with respect to y"
                    )
                if name == "grad_b" and _same(got * n, want):
                    return _fail(
                        f"{where}, grad_b is the engine's divided by N = {n}: b was added to every row, so it "
                        "collects every row's gradient (a sum, not a mean)"
                    )
                if _same(-got, want):
                    return _fail(f"{where}, {name} has the wrong sign")
                return _fail(
                    f"{where}, {name} differs from the engine's (largest gap {np.max(np.abs(got - want)):.3g}): "
                    f"which of g, x and W does y depend on through {parent}, and how do the shapes line up?"
                )
        return CheckResult("pass")

    return _run(
        "fill in linear_backward(g, x, W): three products or sums of g, x and W whose shapes are those of x, W and b",
        body,
    )


# --- cross-entropy --------------------------------------------------------------------------------------------


def check_cross_entropy_backward(cross_entropy_backward: Callable[..., Any] | None) -> CheckResult:
    """Exercise 09.3: ``cross_entropy_backward(g, logits, labels)`` is the gradient with respect to ``logits``
    (N, C) of ``g`` times the mean over rows of -log_softmax(row)[label]; ``g`` is a random number, not 1."""

    def body() -> CheckResult:
        rng = _rng("cross_entropy")
        for n, c in ((6, 3), (4, 5), (1, 2)):
            logits = rng.normal(size=(n, c)) * 2
            labels = rng.integers(0, c, size=n)
            g = float(rng.choice([-1.5, 0.5, 2.5]))
            t = Tensor(logits, requires_grad=True)
            cast(Tensor, cross_entropy(t, labels)).backward(gradient=np.array(g))  # a Tensor in, a Tensor out
            want = t.grad
            got = _array(_call(cross_entropy_backward, g, logits.copy(), labels.copy()), "your result")
            if isinstance(got, str):
                return _fail(got)
            where = f"for {n} rows of {c} logits and g = {g:g}"
            hint = _shape_hint("your gradient", got, want.shape, "the logits")
            if hint:
                return _fail(f"{where}, {hint}")
            if _same(got, want):
                continue
            for wrong, why in _ce_mistakes(got, want, g, n, logits, labels):
                if wrong:
                    return _fail(f"{where}, {why}")
            return _fail(
                f"{where}, yours differs from the engine's (largest gap {np.max(np.abs(got - want)):.3g}): each row "
                "gets softmax minus the one-hot label, scaled by the mean and by g"
            )
        return CheckResult("pass")

    return _run(
        "fill in cross_entropy_backward(g, logits, labels): the softmax of each row, minus 1 at the label, scaled",
        body,
    )


def _ce_mistakes(
    got: np.ndarray, want: np.ndarray, g: float, n: int, logits: np.ndarray, labels: np.ndarray
) -> Sequence[tuple[bool, str]]:
    """(does it fit?, hint) for each classic mistake, in the order they are tried."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)
    return [
        (_same(got, want * n), f"yours is the engine's times N = {n}: the loss is a mean over the rows"),
        (_same(got, want / g), "yours does not scale with g: by the chain rule, multiply by the upstream gradient"),
        (_same(got * g, want * n), f"yours misses both the mean over N = {n} rows and the factor g"),
        (_same(got, -want), "yours has the wrong sign"),
        (_same(got, g * softmax / n), "the label's entry is missing its -1 (the one-hot part)"),
    ]
