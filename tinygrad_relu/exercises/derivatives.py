"""Self-checks for the notebooks about one op's derivative: 01 (Value, leaky ReLU), 02 (XOR by hand) and
05 (the gradient at exactly 0)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from ..engine import Value
from ..gradcheck import check_derivative
from ..tensor import Tensor
from .check import CheckResult, _built_by_custom_op, _call, _fail, _gradcheck_hint, _name, _run, _todo, upstream

# --- notebook 01: Value and the leaky ReLU -------------------------------------------------------------------


def check_softplus_op(softplus: Callable[[Value], Value] | None) -> CheckResult:
    """Exercise 01.2: ``softplus(v)`` = log(1 + e^v) as one ``Value.custom_op`` node with a hand-written backward."""

    def body() -> CheckResult:
        for x in (-3.0, -0.5, 0.0, 0.7, 2.5):
            v = Value(x)
            out = _call(softplus, v)
            wrong = _built_by_custom_op(out, (v,), name)
            if wrong is not None:
                return wrong
            want = math.log1p(math.exp(x))
            if not math.isclose(out.data, want, rel_tol=1e-9, abs_tol=1e-12):
                return _fail(
                    f"the forward value at x = {x:g} is {out.data:.6g}, log(1 + e^x) is {want:.6g}: "
                    "look at the first argument of custom_op"
                )
            look = (
                "look at the closure you pass to custom_op (it receives g, the gradient of the output, and "
                "returns g times the local derivative)"
            )
            hint = _gradcheck_hint(softplus, [x], ["x"], f"x = {x:g}", look)
            if hint:
                return _fail(hint)
        return CheckResult("pass")

    name = _name(softplus, "softplus")
    return _run(
        f"fill in {name}(v): compute log(1 + e^v.data) and return Value.custom_op(that, (v,), "
        "backward) with your own backward(g)",
        body,
    )


ZERO_GRADIENT_KEYS = ("relu", "leaky_relu(0.2)", "prelu d/dx (a=0.25)", "prelu d/da (a=0.25)")


def check_gradients_at_zero(predictions: Mapping[str, float | None] | None) -> CheckResult:
    """Exercise 01.1: predict the engine's gradients at exactly x = 0 (keys: ``ZERO_GRADIENT_KEYS``)."""
    x0, a = Value(0.0), Value(0.25)
    x0.prelu(a).backward()
    engine = {
        "relu": _grad_of(lambda v: v.relu()),
        "leaky_relu(0.2)": _grad_of(lambda v: v.leaky_relu(0.2)),
        "prelu d/dx (a=0.25)": x0.grad,
        "prelu d/da (a=0.25)": a.grad,
    }
    if predictions is None:
        return _todo(f"make predictions a dict with one number for each of {list(engine)}")
    if not isinstance(predictions, Mapping):
        return _fail(
            f"predictions must be a dict from each of {list(engine)} to a number, got {type(predictions).__name__}"
        )
    unknown = [key for key in predictions if key not in engine]
    if unknown:
        guesses = [difflib.get_close_matches(str(key), list(engine), n=1, cutoff=0.5) for key in unknown]
        named = "; ".join(
            f"{key!r}" + (f" (did you mean {guess[0]!r}?)" if guess else "") for key, guess in zip(unknown, guesses)
        )
        return _fail(f"unknown key {named}: the keys are exactly {list(engine)}")
    missing = [key for key in ZERO_GRADIENT_KEYS if predictions.get(key) is None]
    if len(missing) == len(ZERO_GRADIENT_KEYS):
        return _todo(f"replace each None in the dict with the gradient you expect at x = 0 for {list(engine)}")
    odd = [key for key in ZERO_GRADIENT_KEYS if key not in missing and not _is_number(predictions[key])]
    if odd:
        return _fail(
            "; ".join(f"{key!r}: {predictions[key]!r} is not a number" for key in odd)
            + ": write each prediction as a plain number (int or float)"
        )
    if missing:
        return _todo(f"still to predict: {missing}")
    wrong = [
        key
        for key in ZERO_GRADIENT_KEYS
        if not math.isclose(float(predictions[key]), engine[key], abs_tol=1e-12)  # type: ignore[arg-type]
    ]
    if wrong:
        return _fail(
            f"{', '.join(wrong)}: not what backward() gives at 0. At exactly 0, which branch of "
            "`x if x > 0 else ...` runs? The rest of 'The gradient at exactly 0' explains the convention"
        )
    return CheckResult("pass")


def _is_number(value: Any) -> bool:
    """A real number a learner could mean as a gradient (not a bool, a string or a list)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _grad_of(f: Callable[[Value], Value], x: float = 0.0) -> float:
    v = Value(x)
    f(v).backward()
    return v.grad


# --- notebook 02: XOR and hand-written derivatives ------------------------------------------------------------


# a threshold a little off 0 (x > 0.005, x >= 1e-9) is wrong only on points this close to 0: a grid of 0.01
# alone misses it, so the check adds points down to 1e-12 on both sides, and 0 itself
_NEAR_ZERO = np.array(
    [s * 10.0**e for e in range(-12, -1) for s in (1, -1)] + [s * m for m in (0.002, 0.005, 0.007) for s in (1, -1)]
)
LEAKY_PRIME_POINTS = np.unique(np.r_[np.arange(-100, 101) / 100, _NEAR_ZERO])


def check_leaky_relu_prime(f_prime: Callable[[np.ndarray], Any] | None, alpha: float = 0.1) -> CheckResult:
    """Exercise 02.1: a numpy ``f_prime(x)`` for leaky_relu(x, alpha), checked by ``check_derivative`` on [-1, 1]
    in steps of 0.01 and on points close to 0 on both sides (down to +-1e-12), and 0 itself."""

    def body() -> CheckResult:
        _call(f_prime, np.array([0.5, -0.5]))
        report = check_derivative(lambda v: v.leaky_relu(alpha), f_prime, LEAKY_PRIME_POINTS)  # type: ignore[arg-type]
        if report.ok:
            return CheckResult("pass")
        at_zero = [(e, g) for x, e, g in report.mismatches if x == 0.0]
        only_zero = (
            f"\nonly x = 0 itself is wrong: yours gives {at_zero[0][1]:g} there; which branch does x = 0 take?"
            if at_zero and len(report.mismatches) == 1
            else ""
        )
        return _fail(
            f"check_derivative says\n  {str(report).replace(chr(10), chr(10) + '  ')}{only_zero}\n"
            "look at the comparison that picks the branch, and at what your function returns for an array"
        )

    return _run(
        f"fill in the derivative of leaky_relu(x, {alpha}) in {_name(f_prime, 'f_prime')}(x) for a numpy array x",
        body,
    )


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
_GRAD_NAMES = ("dW1", "db1", "dW2", "db2")


def _xor_params(bias: float | None, seed: int = 3) -> list[np.ndarray]:
    """2-4-1 weights; ``bias`` pushes every hidden pre-activation to one side (None: random, mixed signs)."""
    rng = np.random.default_rng(seed)
    W1, W2 = rng.standard_normal((2, 4)), rng.standard_normal((4, 1))
    b1 = rng.uniform(-0.5, 0.5, 4) if bias is None else np.full(4, bias)
    return [W1, b1, W2, np.array([0.1])]


def _xor_autograd(params: Sequence[np.ndarray], alpha: float) -> list[np.ndarray]:
    W1, b1, W2, b2 = (Tensor(p, requires_grad=True) for p in params)
    out = (Tensor(_XOR_X) @ W1 + b1).leaky_relu(alpha) @ W2 + b2
    ((out - Tensor(_XOR_Y)) ** 2).mean().backward()
    return [np.asarray(t.grad) for t in (W1, b1, W2, b2)]


_XOR_CASES = (
    ("all hidden pre-activations > 0", 5.0),
    ("all hidden pre-activations < 0", -5.0),
    ("hidden pre-activations of both signs", None),
    # zero biases are where training starts, and XOR's input (0, 0) then puts every hidden unit exactly on the kink
    ("zero biases (every hidden pre-activation exactly 0 at the input (0, 0))", 0.0),
)
_AT_ZERO = _XOR_CASES[-1][0]


def _xor_mistakes(params: Sequence[np.ndarray], got: Sequence[np.ndarray], alpha: float) -> dict[str, str]:
    """The gradients of ``got`` that fit a classic mistake, each with the hint that names it (the hint of a
    mistake two gradients share starts with "{names}")."""
    W1, b1, W2, b2 = params
    z = _XOR_X @ W1 + b1
    h = np.where(z > 0, z, alpha * z)
    d_out = 2 * (h @ W2 + b2 - _XOR_Y) / len(_XOR_X)
    want = _xor_autograd(params, alpha)
    d_z = (d_out @ W2.T) * np.where(z >= 0, 1.0, alpha)  # slope 1 at exactly 0: the mistake the zero case is for
    at_least_zero = {"dW1": _XOR_X.T @ d_z, "db1": d_z.sum(0)}
    found = {}
    for name, g, w in zip(_GRAD_NAMES, got, want):
        ge = at_least_zero.get(name)
        if ge is not None and not np.allclose(ge, w, atol=1e-9) and np.allclose(g, ge, atol=1e-9):
            found[name] = (
                f"{name} is what a slope of 1 at exactly 0 gives (a mask like z >= 0): with zero biases XOR's input "
                "(0, 0) puts every hidden pre-activation exactly at 0, and there the engine, as PyTorch, takes the "
                "other branch, slope alpha"
            )
        elif name.startswith("db") and np.allclose(g * len(_XOR_X), w, atol=1e-9):
            found[name] = (
                f"{{names}} autograd's divided by {len(_XOR_X)}: every sample adds its own share into a bias, so "
                "a bias's gradient is a sum over the samples, not a mean (the mean is already inside d loss / d output)"
            )
        elif name == "dW2" and np.allclose(g, z.T @ d_out, atol=1e-9):
            found[name] = (
                "dW2 is what the pre-activations z give: the output layer multiplies W2 by the hidden layer's "
                "output h = leaky_relu(z), so dW2 is built from h, the input W2 actually saw"
            )
        elif np.allclose(g, -w, atol=1e-9):
            found[name] = f"{name} has the wrong sign"
    return found


def _join_mistakes(mistakes: Mapping[str, str]) -> str:
    """One hint per mistake: a hint that two gradients share is said once, naming both."""
    by_hint: dict[str, list[str]] = {}
    for name, hint in mistakes.items():
        by_hint.setdefault(hint, []).append(name)
    return "; ".join(
        hint.replace("{names}", f"{' and '.join(names)} {'are' if len(names) > 1 else 'is'}")
        for hint, names in by_hint.items()
    )


def check_xor_backward(backward: Callable[..., Sequence[np.ndarray]] | None, alpha: float = 0.1) -> CheckResult:
    """Exercise 02.2: ``backward(X, Y, W1, b1, W2, b2)`` returns (dW1, db1, dW2, db2) of the mean squared error
    of ``leaky_relu(X @ W1 + b1, alpha) @ W2 + b2``; compared with autograd on four weight settings, one of them
    with zero biases, where XOR's input (0, 0) puts every hidden pre-activation at exactly 0."""

    def body() -> CheckResult:
        verdicts = {}
        mistakes: dict[str, str] = {}
        for case, bias in _XOR_CASES:
            params = _xor_params(bias)
            grads = _call(backward, _XOR_X.copy(), _XOR_Y.copy(), *(p.copy() for p in params))
            expected = _xor_autograd(params, alpha)
            if len(grads) != 4:
                return _fail(f"backward must return 4 arrays (dW1, db1, dW2, db2), it returned {len(grads)}")
            arrays = [np.asarray(g, dtype=np.float64) for g in grads]
            for name, got, want in zip(_GRAD_NAMES, arrays, expected):
                if got.shape != want.shape:
                    return _fail(
                        f"{name} has shape {got.shape}, its parameter has shape {want.shape}: "
                        "a gradient has exactly its parameter's shape (sum over the samples)"
                    )
            verdicts[case] = [n for n, g, w in zip(_GRAD_NAMES, arrays, expected) if not np.allclose(g, w, atol=1e-9)]
            for name, hint in _xor_mistakes(params, arrays, alpha).items():
                mistakes.setdefault(name, hint)
        if not any(verdicts.values()):
            return CheckResult("pass")
        all_wrong = sorted({name for names in verdicts.values() for name in names})
        if any(name in mistakes for name in all_wrong):
            return _fail(_join_mistakes({name: mistakes[name] for name in all_wrong if name in mistakes}))
        if "db2" in all_wrong:
            return _fail(
                f"{', '.join(all_wrong)} differ from autograd, db2 among them, so the error is already in "
                "d loss / d output (the mean over 4 samples, and the square's factor): check it first"
            )
        if "dW2" in all_wrong:
            return _fail(
                "dW2 differs from autograd while db2 agrees, so d loss / d output is right: look at what W2 "
                "multiplies in the forward pass (the hidden layer's output) and at the order of the product"
            )
        bad = [case for case, names in verdicts.items() if names]
        if bad == [_AT_ZERO]:
            return _fail(
                f"{', '.join(all_wrong)} differ from autograd only with {_AT_ZERO}: look at the slope your mask "
                "gives at exactly 0 (the engine, as PyTorch, takes alpha there)"
            )
        good = [case for case, names in verdicts.items() if not names]
        return _fail(
            f"{', '.join(all_wrong)} differ from autograd with {' and with '.join(bad)}"
            + (f" (right with {' and with '.join(good)})" if good else "")
            + ": look at the slope you multiply by on that side, and whether it is one per entry"
        )

    return _run("fill in backward(X, Y, W1, b1, W2, b2): return the four gradients as numpy arrays", body)


# --- notebook 05: the gradient at exactly 0 -------------------------------------------------------------------


def check_relu_at_zero(relu: Callable[[Value], Value] | None, slope_at_zero: float = 0.5) -> CheckResult:
    """Exercise 05.1: ``relu(v)`` as one custom op, right away from 0 (``gradcheck``) and with the derivative
    ``slope_at_zero`` at exactly 0."""

    def body() -> CheckResult:
        for x in (-2.0, -0.3, 0.3, 2.0):
            v = Value(x)
            out = _call(relu, v)
            wrong = _built_by_custom_op(out, (v,), name)
            if wrong is not None:
                return wrong
            if out.data != max(x, 0.0):
                return _fail(f"{name}({x:g}) is {out.data:g}: look at the forward value")
            hint = _gradcheck_hint(relu, [x], ["x"], f"x = {x:g}", "look at the slope your closure uses on that side")
            if hint:
                return _fail(hint)
        v = Value(0.0)
        out = _call(relu, v)
        if out.data != 0.0:
            return _fail(f"{name}(0) is {out.data:g}, it should be 0")
        g = upstream()
        (out * g).backward()  # out's closure receives g, not 1: a closure that ignores g shows here too
        if not math.isclose(v.grad, g * slope_at_zero, rel_tol=1e-12, abs_tol=1e-15):
            if math.isclose(v.grad, slope_at_zero, rel_tol=1e-12):
                return _fail(
                    f"at exactly x = 0 the output's gradient g was {g:.6g}, and your closure sent {v.grad:g}, "
                    "the same as for g = 1: it ignores g. It must send g times the local derivative"
                )
            return _fail(
                f"at exactly x = 0 your closure gives {v.grad / g + 0.0:g} times g, the exercise asks for "
                f"{slope_at_zero:g} times g: x == 0 needs its own case, or it falls into one of the two sides"
            )
        return CheckResult("pass")

    name = _name(relu, "relu")
    return _run(f"fill in {name}(v) as a Value.custom_op whose derivative at exactly 0 is {slope_at_zero:g}", body)
