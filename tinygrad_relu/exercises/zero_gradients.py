"""The self-check for notebook 08 (digits, dying ReLUs): which weights of a dead unit get exactly zero gradient.

The learner predicts, from a hidden layer's pre-activations alone, which rows of the layer's weight (a unit's
incoming weights) and which columns of the next layer's weight (its outgoing weights) receive a gradient of
exactly 0; the check runs a backward pass on the engine and compares entry by entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..nn import LeakyReLU, Linear, ReLU, Sequential
from ..tensor import Tensor
from .check import CheckResult, _call, _fail, _run

_N, _IN, _HIDDEN, _OUT = 6, 3, 5, 2


def _net(alpha: float, seed: int) -> tuple[Sequential, Linear, Linear, np.ndarray]:
    """A 3-5-2 net whose hidden units are: alive, dead (< 0 on every sample), exactly 0 on every sample (zero
    weights and bias), dead again, alive -- shuffled by ``seed`` so that no position gives the answer away."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, (_N, _IN))  # positive inputs: a negative row and bias keep a unit below 0
    act = ReLU() if alpha == 0 else LeakyReLU(alpha)
    first, second = Linear(_IN, _HIDDEN, seed=seed), Linear(_HIDDEN, _OUT, seed=seed + 1)
    kinds = rng.permutation(["alive", "dead", "zero", "dead", "alive"])
    for j, kind in enumerate(kinds):
        row = rng.uniform(0.2, 1.0, _IN)
        first.weight.data[j] = {"alive": row, "dead": -row, "zero": 0.0 * row}[kind]
        first.bias.data[j] = {"alive": 0.1, "dead": -0.5, "zero": 0.0}[kind]  # type: ignore[union-attr]
    second.weight.data[:] = rng.uniform(0.5, 1.0, (_OUT, _HIDDEN)) * rng.choice([-1, 1], (_OUT, _HIDDEN))
    return Sequential(first, act, second), first, second, x


def _engine(model: Sequential, first: Linear, second: Linear, x: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """(rows of first.weight, columns of second.weight) whose gradient is exactly 0, by a backward pass."""
    out = model(Tensor(x))
    upstream = np.random.default_rng(seed + 7).normal(size=out.data.shape)
    model.zero_grad()
    out.backward(upstream)
    rows = np.all(first.weight.grad == 0.0, axis=1) & (first.bias.grad == 0.0)  # type: ignore[union-attr]
    return rows, np.all(second.weight.grad == 0.0, axis=0)


def _mask(x: Any, what: str) -> np.ndarray | str:
    got = np.asarray(x)
    if got.shape != (_HIDDEN,):
        return f"{what} has shape {got.shape}: one True/False per hidden unit, shape ({_HIDDEN},)"
    if got.dtype != bool:
        return f"{what} holds {got.dtype} values: one True/False per hidden unit (a boolean array)"
    return got


def check_zero_gradients(predict: Callable[[np.ndarray, float], Any] | None) -> CheckResult:
    """Exercise 08.1: ``predict(z, alpha)`` takes a hidden layer's pre-activations ``z`` (samples x units) and the
    rectifier's slope (0 for ReLU) and returns ``(rows, columns)``: for each unit, whether its incoming weights
    and bias, and whether its outgoing weights (its column of the next layer's weight), get exactly zero
    gradient. Checked against ``backward()`` for ReLU and leaky ReLU, with a unit exactly at 0 on every sample."""

    def body() -> CheckResult:
        for alpha, seed in ((0.0, 1), (0.01, 2), (0.0, 3), (0.2, 4)):
            model, first, second, x = _net(alpha, seed)
            z = x @ first.weight.data.T + first.bias.data  # type: ignore[union-attr]
            result = _call(predict, z.copy(), alpha)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                return _fail("return two boolean arrays, (rows, columns), one True/False per hidden unit each")
            got = [_mask(m, name) for m, name in zip(result, ("rows", "columns"))]
            for m in got:
                if isinstance(m, str):
                    return _fail(m)
            rows, cols = (m for m in got if not isinstance(m, str))
            want_rows, want_cols = _engine(model, first, second, x, seed)
            name = "ReLU" if alpha == 0 else f"leaky ReLU (alpha {alpha:g})"
            for kind, mine, want in (("row", rows, want_rows), ("column", cols, want_cols)):
                bad = np.nonzero(mine != want)[0]
                if len(bad):
                    return _fail(_hint(kind, int(bad[0]), bool(want[bad[0]]), z[:, bad[0]], alpha, name))
        return CheckResult("pass")

    return _run(
        "fill in predict(z, alpha): from the pre-activations z alone, which units' incoming weights (rows) and "
        "outgoing weights (columns) get a gradient of exactly 0",
        body,
    )


def _hint(kind: str, unit: int, zero: bool, z: np.ndarray, alpha: float, name: str) -> str:
    """Why unit ``unit``'s row (incoming weights) or column (outgoing weights) does or does not get exactly 0."""
    said = "exactly 0" if zero else "a nonzero gradient"
    where = f"with {name}, unit {unit} ({_describe(z)}): its {kind} gets {said}, your prediction says otherwise"
    exact = bool(np.all(z == 0.0))
    if kind == "row":
        if zero and exact:
            return (
                f"{where}. At exactly 0 the engine, as PyTorch, takes the slope of the x <= 0 branch, 0 for ReLU: "
                "a test like z < 0 leaves this unit out"
            )
        if zero:
            return f"{where}. Which slope does the rectifier pass back on the side where this unit is on every sample?"
        if alpha != 0 and np.all(z <= 0):
            return (
                f"{where}. On the negative side a leaky ReLU still has slope alpha, so the gradient that arrives "
                "is scaled down, not cut: small, not zero"
            )
        return f"{where}. A unit that is > 0 on some sample passes that sample's gradient back to its weights"
    if zero and exact and alpha != 0:
        return (
            f"{where}. The gradient of an outgoing weight is the gradient that arrives times the unit's output, and "
            "alpha times exactly 0 is 0 -- whatever the slope"
        )
    if zero:
        return (
            f"{where}. An outgoing weight's gradient is the gradient arriving at the next layer times this unit's "
            "output: what does this unit output on every sample?"
        )
    return (
        f"{where}. An outgoing weight's gradient is the gradient arriving at the next layer times this unit's "
        "output, and this unit's output is not 0 on every sample"
    )


def _describe(z: np.ndarray) -> str:
    if np.all(z == 0.0):
        return "pre-activation exactly 0 on every sample"
    if np.all(z < 0):
        return "pre-activation < 0 on every sample"
    return "pre-activation > 0 on some samples"
