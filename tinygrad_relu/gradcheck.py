"""Checking gradients: autograd against central differences, and a learner's derivative against autograd."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autodiff import grad
from .engine import Value, no_grad
from .engine.graph import topological_order


class GradcheckError(AssertionError):
    """Autograd and central differences disagree; ``.mismatches`` lists (input, index, autograd, numeric), both
    the vector-Jacobian product with ``.upstream``, the random gradient seeded at f's output."""

    def __init__(self, message: str, mismatches: list[tuple[int, Any, float, float]], upstream: Any = 1.0) -> None:
        super().__init__(message)
        self.mismatches = mismatches
        self.upstream = upstream


class KinkWarning(UserWarning):
    """A gradcheck point lies within eps of a kink, where a derivative is a convention, not a limit."""


def _output(out: Any) -> np.ndarray:
    """The numbers of f's output (a Value or a Tensor of any shape) as a float64 array."""
    if not hasattr(out, "_prev") or not hasattr(out, "data"):
        raise TypeError(f"gradcheck needs f to return a Value or Tensor, got {type(out).__name__}")
    return np.asarray(out.data, dtype=np.float64)


def upstream_gradient(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A seeded random gradient of ``shape``: each entry +-(0.5 to 0.8 or 1.25 to 2), never near +-1.

    Seeding a backward pass with it instead of 1 makes a closure that ignores its incoming gradient ``g``
    (``lambda g: local`` for ``lambda g: g * local``) give a visibly wrong result: off by 20 % at least.
    """
    rng = np.random.default_rng(seed)
    low = rng.uniform(0.5, 0.8, shape)
    high = rng.uniform(1.25, 2.0, shape)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    upstream: np.ndarray = sign * np.where(rng.random(shape) < 0.5, low, high)
    return upstream


def _elements(node: Any) -> Iterator[Any]:
    """The positions of a node's numbers: None for a Value, each index for a Tensor."""
    if isinstance(node.data, float):
        yield None
    else:
        yield from np.ndindex(node.data.shape)


def _get(node: Any, index: Any) -> float:
    return node.data if index is None else float(node.data[index])


def _set(node: Any, index: Any, x: float) -> None:
    if index is None:
        node.data = x
    else:
        node.data[index] = x


def _grad_at(node: Any, index: Any) -> float:
    if index is None:
        return float(node.grad)
    return 0.0 if node.grad is None else float(node.grad[index])


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def _held(value: Any) -> tuple[Any, Any]:
    """A value and, for an array, a copy of its numbers: an array changed in place can be put back too."""
    return value, value.copy() if isinstance(value, np.ndarray) else None


def _put_back(held: tuple[Any, Any]) -> Any:
    value, numbers = held
    if numbers is not None and value.flags.writeable:
        value[...] = numbers
    return value


def _autograd(f: Callable[..., Any], inputs: Sequence[Any], seed: int) -> tuple[list[dict[Any, Any]], Any]:
    """The vector-Jacobian product of f at inputs with a random upstream gradient, and that gradient.

    Every ``.grad`` in f's graph (the inputs', and those of the nodes behind them or closed over by f) and a
    Tensor input's ``requires_grad`` are left exactly as they were.
    """
    saved = [(_held(node.grad), getattr(node, "requires_grad", None)) for node in inputs]
    try:
        for node in inputs:
            node.grad = 0.0 if isinstance(node.data, float) else None
            if hasattr(node, "requires_grad"):
                node.requires_grad = True  # a Tensor input is what gradcheck differentiates by
        out = f(*inputs)
        numbers = _output(out)
        upstream = upstream_gradient(numbers.shape, seed)
        mine = {id(node) for node in inputs}
        # backward also writes into nodes behind the inputs (h = w * 3; gradcheck(f, h) reaches w): keep them all
        others = [(node, _held(node.grad)) for node in topological_order(out) if id(node) not in mine]
        try:
            if isinstance(out.data, float):
                seed_value: Any = float(upstream)
                (out * seed_value).backward()  # out's closure receives exactly the upstream gradient
            else:
                seed_value = upstream
                out.backward(upstream)
            return [{i: _grad_at(node, i) for i in _elements(node)} for node in inputs], seed_value
        finally:
            for node, held in others:
                node.grad = _put_back(held)
    finally:
        for node, (held, wanted) in zip(inputs, saved):
            node.grad = _put_back(held)
            if wanted is not None:
                node.requires_grad = wanted


def _describe_upstream(upstream: Any) -> str:
    if isinstance(upstream, float):
        return f"{upstream:.6g}"
    if upstream.size == 1:
        return f"{float(upstream.reshape(())):.6g}"
    return f"a random array of shape {upstream.shape}"


def gradcheck(
    f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0
) -> bool:
    """Compare autograd gradients of ``f(*inputs)`` with central differences in float64.

    The backward pass is seeded with a random upstream gradient ``u`` (``upstream_gradient``, from ``seed``),
    not 1, and compared with the numeric derivative of ``sum(u * f(*inputs))``: a backward closure that
    ignores its incoming gradient fails. ``f`` may return a Value or a Tensor of any shape. Returns True when
    the two agree; raises ``GradcheckError`` listing every input element whose two values differ. A point
    within ``eps`` of a kink (the two one-sided differences disagree) is not a failure: it is reported with
    a ``KinkWarning``. Every input's data and every ``.grad`` are left as they were, even if ``f`` raises.
    """
    _check_inputs(inputs, "gradcheck")
    originals = [_held(node.data) for node in inputs]
    try:
        analytic, upstream = _autograd(f, inputs, seed)
        weights = np.asarray(upstream, dtype=np.float64)
        per_unit = float(weights.reshape(())) if weights.size == 1 else 1.0  # a kink's slopes read as f's own

        def weighted() -> float:
            return float(np.sum(weights * _output(f(*inputs))))

        with no_grad():
            mismatches, kinks = _differences(inputs, analytic, weighted, eps, atol, rtol, per_unit)
    finally:
        for node, held in zip(inputs, originals):  # f raised or was interrupted mid-shift: unshift
            node.data = _put_back(held)
    _report(
        mismatches, kinks, f"with the upstream gradient {_describe_upstream(upstream)} seeded at f's output", upstream
    )
    return True


def _check_inputs(inputs: Sequence[Any], what: str) -> None:
    for i, node in enumerate(inputs):
        if not hasattr(node, "_prev"):
            raise TypeError(f"{what} input {i} must be a Value or Tensor, got {type(node).__name__}")


def _differences(
    inputs: Sequence[Any],
    analytic: list[dict[Any, float]],
    weighted: Callable[[], float],
    eps: float,
    atol: float,
    rtol: float,
    per_unit: float,
) -> tuple[list[tuple[int, Any, float, float]], list[tuple[int, Any, float, float, float]]]:
    """Central differences of ``weighted()`` by each element of each input, against ``analytic``: the elements
    where they differ (input, index, analytic, numeric) and those that sit on a kink (input, index, x, left and
    right slopes, each divided by ``per_unit``)."""
    mismatches, kinks = [], []
    for k, node in enumerate(inputs):
        for index in _elements(node):
            x = _get(node, index)
            values = []
            for shifted in (x + eps, x - eps):
                _set(node, index, shifted)
                values.append(weighted())
            _set(node, index, x)
            numeric = (values[0] - values[1]) / (2 * eps)
            auto = analytic[k][index]
            if _close(auto, numeric, atol, rtol):
                continue
            centre = weighted()
            right, left = (values[0] - centre) / eps, (centre - values[1]) / eps
            if not _close(right, left, atol, rtol * 10):
                kinks.append((k, index, x, left / per_unit, right / per_unit))
            else:
                mismatches.append((k, index, auto, numeric))
    return mismatches, kinks


def _report(mismatches: list[Any], kinks: list[Any], seeded: str, upstream: Any) -> None:
    """Warn of the kinks; raise ``GradcheckError`` naming every mismatch."""
    if kinks:
        where = "; ".join(
            f"input {k}{'' if i is None else list(i)} = {x:g} (slope {left:g} left, {right:g} right)"
            for k, i, x, left, right in kinks
        )
        warnings.warn(f"gradcheck skipped points within eps of a kink: {where}", KinkWarning, stacklevel=3)
    if mismatches:
        lines = [
            f"  input {k}{'' if i is None else list(i)}: autograd {a!r}, numeric {n!r}" for k, i, a, n in mismatches
        ]
        raise GradcheckError(
            f"gradcheck failed: {seeded}, autograd and central differences disagree at\n" + "\n".join(lines),
            mismatches,
            upstream,
        )


def gradgradcheck(
    f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0
) -> bool:
    """Compare second derivatives of ``f(*inputs)`` with central differences of its first derivatives, as
    ``torch.autograd.gradgradcheck`` does: ``gradcheck`` one order up.

    The first derivatives are ``grad(f(*inputs), inputs, seed=u, create_graph=True)`` with the random upstream
    gradient ``u`` at f's output; each input's gradient is weighted by a random array ``w_k`` of its shape, and
    the gradient of ``s = sum_k sum(w_k * gradient_k)``, got by differentiating that graph, is compared with the
    central differences of ``s``. A second derivative a closure gets wrong, or a closure that ``create_graph``
    cannot run on nodes, fails. Returns True, or raises ``GradcheckError``; kinks warn (``KinkWarning``); every
    input's data, ``.grad`` and ``requires_grad`` are left as they were.
    """
    _check_inputs(inputs, "gradgradcheck")
    nodes = list(inputs)
    originals = [(_held(node.data), getattr(node, "requires_grad", None)) for node in nodes]
    try:
        for node in nodes:
            if hasattr(node, "requires_grad"):
                node.requires_grad = True  # a Tensor input is what gradgradcheck differentiates by
        out = f(*nodes)
        upstream: Any = upstream_gradient(np.shape(out.data), seed)
        if isinstance(out.data, float):
            upstream = float(upstream)
        weights = [upstream_gradient(np.shape(node.data), seed + 1 + k) for k, node in enumerate(nodes)]
        first = grad(out, nodes, seed=upstream, create_graph=True)
        terms = [g * float(w) if isinstance(g, Value) else (g * w).sum() for g, w in zip(first, weights)]
        second = grad(sum(terms[1:], terms[0]), nodes)
        analytic = [
            {i: float(np.asarray(g)[() if i is None else i]) for i in _elements(node)} for g, node in zip(second, nodes)
        ]

        def weighted() -> float:
            firsts = grad(f(*nodes), nodes, seed=upstream)
            return float(sum(np.sum(w * np.asarray(g)) for g, w in zip(firsts, weights)))

        mismatches, kinks = _differences(nodes, analytic, weighted, eps, atol, rtol, 1.0)
    finally:
        for node, (held, wanted) in zip(nodes, originals):
            node.data = _put_back(held)
            if wanted is not None:
                node.requires_grad = wanted
    _report(mismatches, kinks, "for the second derivatives (the gradient of a random sum of the gradients)", upstream)
    return True


@dataclass
class DerivativeReport:
    """What ``check_derivative`` found: prints readably, and ``.mismatches`` lists (x, autograd, yours)."""

    xs: np.ndarray
    expected: np.ndarray
    got: np.ndarray
    mismatches: list[tuple[float, float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the derivative agrees with autograd everywhere and no note was raised."""
        return not self.mismatches and not self.notes

    def __bool__(self) -> bool:
        return self.ok

    def intervals(self) -> list[tuple[float, float, int]]:
        """Runs of consecutive disagreeing sample points as (lower bound, upper bound, count).

        The lower bound is the nearest agreeing sample below the run, excluded (so an epsilon threshold
        shows up as ``(0, epsilon]``), or the run's own first point when the run starts the grid.
        """
        order = np.argsort(self.xs, kind="stable")
        xs, bad = self.xs[order], ~_agree(self.expected[order], self.got[order])
        runs, start = [], None
        for j, flag in enumerate(bad):
            if flag and start is None:
                start = j
            if start is not None and (not flag or j == len(bad) - 1):
                end = j if flag else j - 1
                low = xs[start - 1] if start > 0 else xs[start]
                runs.append((float(low), float(xs[end]), end - start + 1))
                start = None
        return runs

    def __str__(self) -> str:
        if self.ok:
            return f"derivative agrees with autograd at all {len(self.xs)} points"
        lines = list(self.notes)
        bad = ~_agree(self.expected, self.got)
        for low, high, count in self.intervals():
            closed = bool(bad[self.xs == low].any())  # a run that starts the grid includes its first point
            inside = (self.xs >= low if closed else self.xs > low) & (self.xs <= high) & bad
            exp_vals = _summary(self.expected[inside])
            got_vals = _summary(self.got[inside])
            lines.append(
                f"wrong on x in {'[' if closed else '('}{low:g}, {high:g}] ({count} points): "
                f"autograd gives {exp_vals}, yours gives {got_vals}"
            )
        return "\n".join(lines)

    __repr__ = __str__


def _agree(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    close: np.ndarray = np.isclose(got, expected, rtol=1e-6, atol=1e-9, equal_nan=True)
    return close


def _summary(values: np.ndarray) -> str:
    distinct = np.unique(values)
    if len(distinct) <= 3:
        return " or ".join(f"{v:g}" for v in distinct)
    return f"values from {distinct.min():g} to {distinct.max():g}"


def check_derivative(
    f: Callable[[Value], Value], f_prime: Callable[[Any], Any], xs: Sequence[float]
) -> DerivativeReport:
    """Check a hand-written derivative ``f_prime`` against autograd's derivative of ``f`` at ``xs``.

    ``f`` takes and returns a Value (e.g. ``lambda v: v.leaky_relu(0.1)``). ``f_prime`` is written
    the way a learner writes it, in plain Python or numpy: it is first called on the whole array of
    ``xs`` (as a training loop would), then point by point if that fails or returns the wrong shape.
    The report names the intervals where the two disagree and the values on each side.
    """
    points = np.asarray(xs, dtype=np.float64).ravel()
    if points.size == 0:
        raise ValueError("check_derivative needs at least one point in points")
    expected = np.empty_like(points)
    for j, x in enumerate(points):
        v = Value(float(x))
        f(v).backward()
        expected[j] = v.grad
    notes = []
    try:
        whole = np.asarray(f_prime(points.copy()), dtype=np.float64)
    except Exception as error:  # a scalar-only derivative fails on arrays: say so, then go point by point
        notes.append(
            f"f_prime fails on an array of {points.size} points ({type(error).__name__}: {error}); "
            "checked point by point"
        )
        whole = None
    if whole is not None and whole.shape != points.shape:
        notes.append(
            f"f_prime returned {'one number' if whole.size == 1 else f'shape {whole.shape}'} "
            f"({whole.ravel()[0]:g}{'' if whole.size == 1 else ', ...'}) for an array of {points.size} "
            "points: an element-wise derivative must return one value per input, an array of "
            "the same shape; checked point by point"
        )
        whole = None
    if whole is None:
        whole = np.array([float(np.asarray(f_prime(float(x)), dtype=np.float64).reshape(-1)[0]) for x in points])
    bad = ~_agree(expected, whole)
    mismatches = [(float(x), float(e), float(g)) for x, e, g in zip(points[bad], expected[bad], whole[bad])]
    return DerivativeReport(points, expected, whole, mismatches, notes)
