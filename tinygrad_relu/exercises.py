"""Self-checks for the notebooks' exercises: each ``check_*`` runs a learner's answer through the engine's own
tools (``gradcheck``, ``check_derivative``, ``dead_units``, a training run) and returns a ``CheckResult``.

Printing the result shows ``pass``, or what is wrong and where to look -- never the answer. An answer left as
the notebook's stub (``None``, a function that returns ``None`` or raises ``NotImplementedError``) is not a
failure: the result says what to do, so a notebook with untouched exercises still runs top to bottom.

Nothing in the engines imports this module; it imports them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from .gradcheck import GradcheckError, KinkWarning, check_derivative, gradcheck
from .losses import binary_cross_entropy_with_logits
from .nn import LeakyReLU, Linear, Module, PReLU, ReLU, Sequential, Sigmoid, Tanh, dead_units
from .optim import Adam
from .tensor import Tensor
from .value import Value

__all__ = [
    "CheckResult", "check_bce_with_logits", "check_classifier", "check_gradients_at_zero", "check_leaky_relu_any_alpha",
    "check_leaky_relu_prime", "check_prelu_op", "check_relu_at_zero", "check_revive_dead_units", "check_softplus_op",
    "check_xor_backward",
]

_RECTIFIERS = (ReLU, LeakyReLU, PReLU)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise: ``status`` is "pass", "fail" or "todo"; ``message`` is the hint."""

    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        """True only when the answer passed (a stub left as is is not ok, but not a failure either)."""
        return self.status == "pass"

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.status == "pass":
            return "pass"
        return f"{'not yet' if self.status == 'fail' else 'to do'}: {self.message}"

    __repr__ = __str__


def _fail(message: str) -> CheckResult:
    return CheckResult("fail", message)


def _todo(message: str) -> CheckResult:
    return CheckResult("todo", message)


class _Unanswered(Exception):
    """Raised inside a checker when the learner's answer is still the stub."""


def _call(answer: Optional[Callable[..., Any]], *args: Any) -> Any:
    """Call the learner's function; a stub (None, returns None, NotImplementedError) raises _Unanswered."""
    if answer is None:
        raise _Unanswered
    try:
        result = answer(*args)
    except NotImplementedError:
        raise _Unanswered from None
    if result is None:
        raise _Unanswered
    return result


def _run(todo: str, body: Callable[[], CheckResult]) -> CheckResult:
    """Run a checker's body: a stub gives "todo" with ``todo``, an error in the answer a "fail" naming it."""
    try:
        return body()
    except _Unanswered:
        return _todo(todo)
    except Exception as error:  # the learner's code raised: say what, so they can find the line
        return _fail(f"your code raised {type(error).__name__}: {error}")


def _built_by_custom_op(out: Any, parents: Sequence[Any], name: str) -> Optional[CheckResult]:
    """A fail if ``out`` is not one node whose parents are exactly ``parents`` (what custom_op makes)."""
    if not isinstance(out, (Value, Tensor)):
        return _fail(f"{name} must return a Value, got {type(out).__name__}")
    if len(out._prev) != len(parents) or any(p is not q for p, q in zip(out._prev, parents)):
        return _fail(f"{name}'s output is not one node on its inputs: it was composed from built-in ops, so the "
                     "engine wrote the derivative for you. Make the output with Value.custom_op(data, parents, "
                     "backward) and write backward yourself")
    return None


def _gradcheck_hint(f: Optional[Callable[..., Any]], inputs: Sequence[Value], names: Sequence[str], where: str) -> Optional[str]:
    """None when ``gradcheck`` passes; else which input's gradient is wrong, autograd's and the numeric value."""
    if f is None:
        raise _Unanswered
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KinkWarning)
            gradcheck(f, *inputs)
    except GradcheckError as error:
        k, _, auto, numeric = error.mismatches[0]
        return (f"at {where} the gradient your closure returns for {names[k]} is {auto:.6g}, but the slope "
                f"of your forward value (central differences) is {numeric:.6g}")
    return None


# --- notebook 01: Value and the leaky ReLU -------------------------------------------------------------------

def check_softplus_op(softplus: Optional[Callable[[Value], Value]]) -> CheckResult:
    """Exercise 01.1: ``softplus(v)`` = log(1 + e^v) as one ``Value.custom_op`` node with a hand-written backward."""
    def body() -> CheckResult:
        for x in (-3.0, -0.5, 0.0, 0.7, 2.5):
            v = Value(x)
            out = _call(softplus, v)
            wrong = _built_by_custom_op(out, (v,), "softplus")
            if wrong is not None:
                return wrong
            want = math.log1p(math.exp(x))
            if not math.isclose(out.data, want, rel_tol=1e-9, abs_tol=1e-12):
                return _fail(f"the forward value at x = {x:g} is {out.data:.6g}, log(1 + e^x) is {want:.6g}: "
                             "look at the first argument of custom_op")
            hint = _gradcheck_hint(softplus, [Value(x)], ["x"], f"x = {x:g}")
            if hint:
                return _fail(hint + ": look at the closure you pass to custom_op (it receives g, the gradient of "
                             "the output, and returns g times the local derivative)")
        return CheckResult("pass")
    return _run("fill in softplus(v): compute log(1 + e^v.data) and return Value.custom_op(that, (v,), "
                "backward) with your own backward(g)", body)


ZERO_GRADIENT_KEYS = ("relu", "leaky_relu(0.2)", "prelu d/dx (a=0.25)", "prelu d/da (a=0.25)")


def check_gradients_at_zero(predictions: Mapping[str, Optional[float]]) -> CheckResult:
    """Exercise 01.2: predict the engine's gradients at exactly x = 0 (keys: ``ZERO_GRADIENT_KEYS``)."""
    x0, a = Value(0.0), Value(0.25)
    x0.prelu(a).backward()
    engine = {"relu": _grad_of(lambda v: v.relu()), "leaky_relu(0.2)": _grad_of(lambda v: v.leaky_relu(0.2)),
              "prelu d/dx (a=0.25)": x0.grad, "prelu d/da (a=0.25)": a.grad}
    missing = [key for key in ZERO_GRADIENT_KEYS if predictions.get(key) is None]
    if len(missing) == len(ZERO_GRADIENT_KEYS):
        return _todo(f"replace each None in the dict with the gradient you expect at x = 0 for {list(engine)}")
    if missing:
        return _todo(f"still to predict: {missing}")
    wrong = [key for key in ZERO_GRADIENT_KEYS if not math.isclose(float(predictions[key]), engine[key],  # type: ignore[arg-type]
                                                                   abs_tol=1e-12)]
    if wrong:
        return _fail(f"{', '.join(wrong)}: not what backward() gives at 0. At exactly 0, which branch of "
                     "`x if x > 0 else ...` runs? Re-read 'The gradient at exactly 0'")
    return CheckResult("pass")


def _grad_of(f: Callable[[Value], Value], x: float = 0.0) -> float:
    v = Value(x)
    f(v).backward()
    return v.grad


# --- notebook 02: XOR and hand-written derivatives ------------------------------------------------------------

def check_leaky_relu_prime(f_prime: Optional[Callable[[np.ndarray], Any]], alpha: float = 0.1) -> CheckResult:
    """Exercise 02.1: a numpy ``f_prime(x)`` for leaky_relu(x, alpha), checked by ``check_derivative`` on [-1, 1]."""
    def body() -> CheckResult:
        _call(f_prime, np.array([0.5, -0.5]))
        report = check_derivative(lambda v: v.leaky_relu(alpha), f_prime, np.arange(-100, 101) / 100)  # type: ignore[arg-type]
        if report.ok:
            return CheckResult("pass")
        return _fail(f"check_derivative says\n  {str(report).replace(chr(10), chr(10) + '  ')}\n"
                     "look at the comparison that picks the branch, and at what your function returns for an array")
    return _run(f"fill in the derivative of leaky_relu(x, {alpha}) for a numpy array x", body)


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])
_GRAD_NAMES = ("dW1", "db1", "dW2", "db2")


def _xor_params(bias: Optional[float], seed: int = 3) -> list[np.ndarray]:
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


def check_xor_backward(backward: Optional[Callable[..., Sequence[np.ndarray]]], alpha: float = 0.1) -> CheckResult:
    """Exercise 02.2: ``backward(X, Y, W1, b1, W2, b2)`` returns (dW1, db1, dW2, db2) of the mean squared error
    of ``leaky_relu(X @ W1 + b1, alpha) @ W2 + b2``; compared with autograd on three weight settings."""
    def body() -> CheckResult:
        verdicts = {}
        for case, bias in (("all hidden pre-activations > 0", 5.0), ("all hidden pre-activations < 0", -5.0),
                           ("hidden pre-activations of both signs", None)):
            params = _xor_params(bias)
            grads = _call(backward, _XOR_X.copy(), _XOR_Y.copy(), *(p.copy() for p in params))
            expected = _xor_autograd(params, alpha)
            if len(grads) != 4:
                return _fail(f"backward must return 4 arrays (dW1, db1, dW2, db2), it returned {len(grads)}")
            for name, got, want in zip(_GRAD_NAMES, grads, expected):
                got = np.asarray(got, dtype=np.float64)
                if got.shape != want.shape:
                    return _fail(f"{name} has shape {got.shape}, its parameter has shape {want.shape}: "
                                 "a gradient has exactly its parameter's shape (sum over the samples)")
            verdicts[case] = [n for n, g, w in zip(_GRAD_NAMES, grads, expected) if not np.allclose(g, w, atol=1e-9)]
        if not any(verdicts.values()):
            return CheckResult("pass")
        all_wrong = sorted({name for names in verdicts.values() for name in names})
        if {"dW2", "db2"} & set(all_wrong):
            return _fail(f"{', '.join(all_wrong)} differ from autograd even for the output layer: start from "
                         "d loss / d output (the mean over 4 samples, and the square's factor) and check it first")
        good = [case for case, names in verdicts.items() if not names]
        bad = [case for case, names in verdicts.items() if names]
        return _fail(f"{', '.join(all_wrong)} differ from autograd with {' and with '.join(bad)}"
                     + (f" (right with {' and with '.join(good)})" if good else "")
                     + ": look at the slope you multiply by on that side, and whether it is one per entry")
    return _run("fill in backward(X, Y, W1, b1, W2, b2): return the four gradients as numpy arrays", body)


# --- notebook 03: the output layer of a binary classifier -----------------------------------------------------

def _separable_data() -> tuple[np.ndarray, np.ndarray]:
    """Notebook 03's task: two clouds and a far-away group of class 1 (the seed and layout match the notebook)."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal([-1, 0], 0.4, (30, 2)), rng.normal([1, 0], 0.4, (30, 2)), rng.normal([7, 1], 0.5, (10, 2))]
    return X, np.r_[np.zeros(30), np.ones(40)]


def check_classifier(model: Optional[Module], steps: int = 300) -> CheckResult:
    """Exercise 03.1: a Tensor ``model`` from 2 features to one logit with a rectifier inside; trained here with
    ``binary_cross_entropy_with_logits`` and Adam, it must classify notebook 03's data without an error."""
    if model is None:
        return _todo("build model = Sequential(...): 2 inputs, a hidden layer with a ReLU-family activation, "
                     "and whatever last layer you think a 0/1 classifier trained on logits needs")

    def body() -> CheckResult:
        layers = list(model.modules())
        last = layers[-1]
        if isinstance(last, _RECTIFIERS):
            return _fail(f"the last layer is {last!r}: its output is unbounded and one-sided, no logit a sigmoid can "
                         "read well; see section 1 of notebook 03")
        if isinstance(last, (Sigmoid, Tanh)):
            return _fail(f"the last layer is {last!r}, but binary_cross_entropy_with_logits applies the sigmoid "
                         "itself: the model should output the logit; see section 3")
        if not any(isinstance(m, _RECTIFIERS) for m in layers):
            return _fail("there is no ReLU, LeakyReLU or PReLU inside: the exercise is about where they belong")
        X, y = _separable_data()
        x_t, y_t = Tensor(X), Tensor(y.reshape(-1, 1))
        opt = Adam(model.parameters(), lr=0.05)
        for _ in range(steps):
            out = model(x_t)
            if out.data.shape != (len(X), 1):
                return _fail(f"the model maps a batch of {len(X)} points to shape {out.data.shape}, not "
                             f"({len(X)}, 1): one logit per point")
            loss = binary_cross_entropy_with_logits(out, y_t)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accuracy = float(np.mean((model(x_t).data.ravel() > 0) == y))
        if accuracy < 1.0:
            return _fail(f"after {steps} Adam steps the model classifies {accuracy:.1%} of the points: too few "
                         "hidden units, or a layer that cuts the gradient? Print dead_units(model, x_t)")
        return CheckResult("pass")
    return _run("", body)


def check_bce_with_logits(bce: Optional[Callable[[Tensor, Tensor], Tensor]]) -> CheckResult:
    """Exercise 03.2: ``bce(logits, targets)`` written with Tensor ops: the mean binary cross-entropy of
    sigmoid(logits), equal to the library's, finite at logits of +-1000, and with a gradcheck-clean gradient."""
    def body() -> CheckResult:
        targets = Tensor(np.array([0.0, 1.0, 1.0, 0.0, 1.0]))
        for name, logits in (("moderate logits", np.array([-2.0, -0.3, 0.0, 0.8, 3.0])),
                             ("logits of +-1000", np.array([1000.0, -1000.0, 1000.0, -1000.0, 1000.0])),
                             ("logits of +-50", np.array([-50.0, 50.0, -50.0, 50.0, 50.0]))):
            with np.errstate(all="ignore"):
                got = _call(bce, Tensor(logits), targets)
            want = float(binary_cross_entropy_with_logits(Tensor(logits), targets).data)
            value = float(np.asarray(got.data).reshape(-1)[0]) if np.size(got.data) == 1 else None
            if value is None:
                return _fail(f"bce returned shape {np.shape(got.data)}: it should be the mean over the samples, "
                             "one number")
            if not math.isclose(value, want, rel_tol=1e-7, abs_tol=1e-9):
                where = ("large logits overflow or lose everything to rounding: exp of a big positive number "
                         "is inf, and log of a probability rounded to 0 is -inf. Rewrite the loss so that "
                         "nothing large is ever exponentiated" if "moderate" not in name else
                         "check the formula: -[t log p + (1 - t) log(1 - p)], averaged over the samples")
                return _fail(f"with {name} your loss is {value:.6g}, the library's {want:.6g}: {where}")
        x = Tensor(np.array([-1.3, 0.4, 2.2]), requires_grad=True)
        t = Tensor(np.array([1.0, 0.0, 1.0]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", KinkWarning)
                gradcheck(lambda z: bce(z, t), x)  # type: ignore[misc]
        except GradcheckError as error:
            return _fail(f"the gradient of your loss disagrees with central differences:\n{error}\n"
                         "a custom op's backward closure is the first place to look")
        return CheckResult("pass")
    return _run("fill in bce(logits, targets) with Tensor ops (exp, log, relu, ...) and return the mean", body)


# --- notebook 04: which leaky ReLU ----------------------------------------------------------------------------

def check_leaky_relu_any_alpha(leaky: Optional[Callable[[np.ndarray, float], Any]]) -> CheckResult:
    """Exercise 04.1: a numpy ``leaky(x, alpha)`` equal to the engine's leaky_relu for every alpha (2 and -0.5 too)."""
    def body() -> CheckResult:
        xs = np.linspace(-3, 3, 61)
        for alpha in (0.01, 0.2, 1.0, 2.0, -0.5):
            got = np.asarray(_call(leaky, xs.copy(), alpha), dtype=np.float64)
            if got.shape != xs.shape:
                return _fail(f"for an array of shape {xs.shape} your function returns shape {got.shape}")
            want = Tensor(xs).leaky_relu(alpha).data
            bad = ~np.isclose(got, want, rtol=1e-12, atol=1e-12)
            if bad.any():
                j = int(np.argmax(bad))
                return _fail(f"with alpha = {alpha:g} it is wrong at {int(bad.sum())} of {len(xs)} points, e.g. "
                             f"x = {xs[j]:g}: yours {got[j]:g}, leaky_relu {want[j]:g}. For which alphas does your "
                             "formula pick the right branch? See '`max(x, alpha * x)` is a leaky ReLU only for "
                             "alpha <= 1'")
        return CheckResult("pass")
    return _run("fill in leaky(x, alpha) for a numpy array x, correct for any alpha", body)


def check_prelu_op(prelu: Optional[Callable[[Value, Value], Value]]) -> CheckResult:
    """Exercise 04.2: ``prelu(x, a)`` as one ``Value.custom_op`` node with gradients for both x and the slope a,
    checked by ``gradcheck`` on both sides of 0 and against the engine's convention at exactly 0."""
    def body() -> CheckResult:
        for x in (-1.5, -0.3, 0.0, 0.4, 2.0):
            for a in (0.25, -1.0, 1.5):
                xv, av = Value(x), Value(a)
                out = _call(prelu, xv, av)
                wrong = _built_by_custom_op(out, (xv, av), "prelu")
                if wrong is not None:
                    return wrong
                want = Value(x).prelu(a).data
                if not math.isclose(out.data, want, abs_tol=1e-12):
                    return _fail(f"prelu({x:g}, a={a:g}) is {out.data:g}, should be {want:g}: look at the forward value")
                if x == 0.0:  # a kink: compare with the engine's convention, not with finite differences
                    out.backward()
                    xe, ae = Value(x), Value(a)
                    xe.prelu(ae).backward()
                    if (xv.grad, av.grad) != (xe.grad, ae.grad):
                        return _fail(f"at exactly x = 0 (a = {a:g}) your closure gives d/dx = {xv.grad:g}, "
                                     f"d/da = {av.grad:g}; the engine (and PyTorch) take the x <= 0 branch there")
                    continue
                hint = _gradcheck_hint(prelu, [Value(x), Value(a)], ["x", "a"], f"x = {x:g}, a = {a:g}")
                if hint:
                    return _fail(hint + ": on this side of 0, what does the output depend on?")
        return CheckResult("pass")
    return _run("fill in prelu(x, a): one Value.custom_op(data, (x, a), backward) whose backward(g) returns "
                "(gradient for x, gradient for a)", body)


# --- notebook 05: the gradient at exactly 0 -------------------------------------------------------------------

def check_relu_at_zero(relu: Optional[Callable[[Value], Value]], slope_at_zero: float = 0.5) -> CheckResult:
    """Exercise 05.1: ``relu(v)`` as one custom op, right away from 0 (``gradcheck``) and with the derivative
    ``slope_at_zero`` at exactly 0."""
    def body() -> CheckResult:
        for x in (-2.0, -0.3, 0.3, 2.0):
            v = Value(x)
            out = _call(relu, v)
            wrong = _built_by_custom_op(out, (v,), "relu")
            if wrong is not None:
                return wrong
            if out.data != max(x, 0.0):
                return _fail(f"relu({x:g}) is {out.data:g}: look at the forward value")
            hint = _gradcheck_hint(relu, [Value(x)], ["x"], f"x = {x:g}")
            if hint:
                return _fail(hint + ": look at the slope your closure uses on that side")
        v = Value(0.0)
        out = _call(relu, v)
        if out.data != 0.0:
            return _fail(f"relu(0) is {out.data:g}, it should be 0")
        out.backward()
        if v.grad != slope_at_zero:
            return _fail(f"at exactly x = 0 your closure gives {v.grad:g}, the exercise asks for {slope_at_zero:g}: "
                         "x == 0 needs its own case, or it falls into one of the two sides")
        return CheckResult("pass")
    return _run(f"fill in relu(v) as a Value.custom_op whose derivative at exactly 0 is {slope_at_zero:g}", body)


# --- notebook 06: dying ReLUs ---------------------------------------------------------------------------------

def _wounded_net() -> tuple[Sequential, np.ndarray]:
    """A 2-16-16-1 ReLU net on 200 points with five units killed by a large negative bias."""
    from .data import make_moons  # only this checker needs the data sets

    X, _ = make_moons(200, noise=0.1, seed=0)
    model = Sequential(Linear(2, 16, seed=0), ReLU(), Linear(16, 16, seed=1), ReLU(), Linear(16, 1, seed=2))
    for lin, killed in zip(_linears(model), ([1, 5, 9], [0, 3])):
        lin.bias.data[killed] = -50.0  # type: ignore[union-attr]
    return model, X


def _linears(model: Sequential) -> list[Linear]:
    return [m for m in model if isinstance(m, Linear)]


def check_revive_dead_units(revive: Optional[Callable[[Sequential, np.ndarray], Any]]) -> CheckResult:
    """Exercise 06.1: ``revive(model, x)`` changes, in place, only the weights and bias of each ReLU layer's dead
    units so that ``dead_units(model, x)`` reports none; alive units must be left exactly as they were."""
    def body() -> CheckResult:
        model, X = _wounded_net()
        before = dead_units(model, Tensor(X))
        linears = _linears(model)[:2]
        saved = [(lin.weight.data.copy(), lin.bias.data.copy()) for lin in linears]  # type: ignore[union-attr]
        alive = []
        h = X
        for lin in linears:
            pre = h @ lin.weight.data + lin.bias.data  # type: ignore[union-attr]
            alive.append(~np.all(pre <= 0, axis=0))
            h = np.maximum(pre, 0)
        if revive is None:
            raise _Unanswered
        try:
            done = revive(model, X.copy())
        except NotImplementedError:
            raise _Unanswered from None
        unchanged = all(np.array_equal(lin.weight.data, w) and np.array_equal(lin.bias.data, b)  # type: ignore[union-attr]
                        for lin, (w, b) in zip(linears, saved))
        if done is None and unchanged:
            raise _Unanswered
        for k, (lin, (w, b), keep) in enumerate(zip(linears, saved, alive), start=1):
            moved = ~(np.all(lin.weight.data == w, axis=0) & (lin.bias.data == b))  # type: ignore[union-attr]
            if (moved & keep).any():
                return _fail(f"you changed unit {int(np.argmax(moved & keep))} of ReLU layer {k}, which was alive: "
                             "only touch the units whose pre-activation is <= 0 on every sample")
        after = dead_units(model, Tensor(X))
        still = [str(r) for r in after if r.dead]
        if still:
            return _fail("dead_units still reports " + "; ".join(still) + " (before: "
                         + "; ".join(str(r) for r in before) + "). A unit is revived when its pre-activation is "
                         "> 0 on at least one sample; fix the layers in order, the first one changes the second's input")
        return CheckResult("pass")
    return _run("fill in revive(model, x): find each ReLU layer's dead units on x and change only their "
                "weights/bias (model[0] and model[2] are the Linear layers)", body)
