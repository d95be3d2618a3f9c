"""Self-checks for the notebooks about networks: 03 (a classifier's output layer), 04 (which leaky ReLU)
and 06 (dying ReLUs)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..data import make_moons
from ..engine import Value
from ..gradcheck import GradcheckError, KinkWarning, gradcheck
from ..losses import binary_cross_entropy_with_logits
from ..nn import Linear, Module, ReLU, Sequential, dead_units
from ..optim import Adam
from ..tensor import Tensor
from .check import (
    _RECTIFIERS,
    CheckResult,
    _built_by_custom_op,
    _call,
    _fail,
    _gradcheck_hint,
    _name,
    _run,
    _todo,
    _Unanswered,
    upstream,
)

# --- notebook 03: the output layer of a binary classifier -----------------------------------------------------


def _separable_data() -> tuple[np.ndarray, np.ndarray]:
    """Notebook 03's task: two clouds and a far-away group of class 1 (the seed and layout match the notebook)."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal([-1, 0], 0.4, (30, 2)), rng.normal([1, 0], 0.4, (30, 2)), rng.normal([7, 1], 0.5, (10, 2))]
    return X, np.r_[np.zeros(30), np.ones(40)]


def check_classifier(model: Module | None, steps: int = 300) -> CheckResult:
    """Exercise 03.1: a Tensor ``model`` from 2 features to one logit with a rectifier inside; trained here with
    ``binary_cross_entropy_with_logits`` and Adam, it must classify notebook 03's data without an error."""
    if model is None:
        return _todo(
            "build model = Sequential(...): 2 inputs, a hidden layer with a ReLU-family activation, "
            "and whatever last layer you think a 0/1 classifier trained on logits needs"
        )

    def body() -> CheckResult:
        layers = list(model.modules())
        if not any(isinstance(m, _RECTIFIERS) for m in layers):
            return _fail("there is no ReLU, LeakyReLU or PReLU inside: the exercise is about where they belong")
        # what made the output, read from the output itself: a module reused as the last layer counts too
        last_op = model(Tensor(_separable_data()[0][:4]))._op
        last = _last_layer(model)
        maker = repr(last) if type(last).__name__.lower() == last_op.replace("_", "") else f"a {last_op}"
        if last_op in ("relu", "leaky_relu", "prelu"):
            return _fail(
                f"the model's output comes out of {maker}: "
                "its output is unbounded and one-sided, no logit a sigmoid can read well; see section 1 of notebook 03"
            )
        if last_op in ("sigmoid", "tanh"):
            return _fail(
                f"the model's output comes out of {maker}, "
                "but binary_cross_entropy_with_logits applies the sigmoid itself: the model should output the "
                "logit; see section 3"
            )
        X, y = _separable_data()
        x_t, y_t = Tensor(X), Tensor(y.reshape(-1, 1))
        opt = Adam(model.parameters(), lr=0.05)
        for _ in range(steps):
            out = model(x_t)
            if out.data.shape != (len(X), 1):
                return _fail(
                    f"the model maps a batch of {len(X)} points to shape {out.data.shape}, not "
                    f"({len(X)}, 1): one logit per point"
                )
            loss = binary_cross_entropy_with_logits(out, y_t)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accuracy = float(np.mean((model(x_t).data.ravel() > 0) == y))
        if accuracy < 1.0:
            return _fail(
                f"after {steps} Adam steps the model classifies {accuracy:.1%} of the points: too few "
                "hidden units, or a layer that cuts the gradient? Print dead_units(model, x_t)"
            )
        return CheckResult("pass")

    return _run("", body)


def _last_layer(model: Module) -> Module:
    """The module a Sequential (nested or not) runs last; any other model is its own last layer."""
    while isinstance(model, Sequential) and len(model):
        model = model[-1]
    return model


def check_bce_with_logits(bce: Callable[[Tensor, Tensor], Tensor] | None) -> CheckResult:
    """Exercise 03.2: ``bce(logits, targets)`` written with Tensor ops: the mean binary cross-entropy of
    sigmoid(logits), equal to the library's, finite at logits of +-1000, and with a gradcheck-clean gradient."""

    def body() -> CheckResult:
        targets = Tensor(np.array([0.0, 1.0, 1.0, 0.0, 1.0]))
        for name, logits in (
            ("moderate logits", np.array([-2.0, -0.3, 0.0, 0.8, 3.0])),
            ("logits of +-1000", np.array([1000.0, -1000.0, 1000.0, -1000.0, 1000.0])),
            ("logits of +-50", np.array([-50.0, 50.0, -50.0, 50.0, 50.0])),
        ):
            with np.errstate(all="ignore"):
                got = _call(bce, Tensor(logits), targets)
            want = float(binary_cross_entropy_with_logits(Tensor(logits), targets).data)
            value = float(np.asarray(got.data).reshape(-1)[0]) if np.size(got.data) == 1 else None
            if value is None:
                return _fail(
                    f"bce returned shape {np.shape(got.data)}: it should be the mean over the samples, one number"
                )
            if not math.isclose(value, want, rel_tol=1e-7, abs_tol=1e-9):
                where = (
                    "large logits overflow or lose everything to rounding: exp of a big positive number "
                    "is inf, and log of a probability rounded to 0 is -inf. Rewrite the loss so that "
                    "nothing large is ever exponentiated"
                    if "moderate" not in name
                    else "check the formula: -[t log p + (1 - t) log(1 - p)], averaged over the samples"
                )
                return _fail(f"with {name} your loss is {value:.6g}, the library's {want:.6g}: {where}")
        at_zero = Tensor(np.zeros(2), requires_grad=True)
        with np.errstate(all="ignore"):
            bce(at_zero, Tensor(np.array([1.0, 0.0]))).backward()  # type: ignore[misc]
        if at_zero.grad is None or not np.all(np.isfinite(at_zero.grad)):
            return _fail(
                f"at a logit of exactly 0 the gradient of your loss is {at_zero.grad}, though the loss is smooth "
                "there: some op in your formula has no derivative at 0 (the slope of sqrt at 0 is 1/0, x / |x| "
                "is 0/0). Write it with ops whose gradient at 0 is a number"
            )
        x = Tensor(np.array([-1.3, 0.4, 2.2]), requires_grad=True)
        t = Tensor(np.array([1.0, 0.0, 1.0]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", KinkWarning)
                gradcheck(lambda z: bce(z, t), x)  # type: ignore[misc]
        except GradcheckError as error:
            k, index, auto, numeric = error.mismatches[0]
            return _fail(
                f"the gradient of your loss disagrees with central differences: for logit {x.data[index]:g} "
                f"(entry {index[0]}), with the loss seeded with g = {float(error.upstream):.6g}, autograd gives "
                f"{auto:.6g} and g times the slope of your loss is {numeric:.6g}. A custom op's backward closure "
                "is the first place to look: it must multiply by the g it receives"
            )
        return CheckResult("pass")

    return _run(
        f"fill in {_name(bce, 'bce')}(logits, targets) with Tensor ops (exp, log, relu, ...) and return the mean", body
    )


# --- notebook 04: which leaky ReLU ----------------------------------------------------------------------------


def check_leaky_relu_any_alpha(leaky: Callable[[np.ndarray, float], Any] | None) -> CheckResult:
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
                return _fail(
                    f"with alpha = {alpha:g} it is wrong at {int(bad.sum())} of {len(xs)} points, e.g. "
                    f"x = {xs[j]:g}: yours {got[j]:g}, leaky_relu {want[j]:g}. For which alphas does your "
                    "formula pick the right branch? See '`max(x, alpha * x)` is a leaky ReLU only for "
                    "alpha <= 1'"
                )
        return CheckResult("pass")

    return _run("fill in leaky(x, alpha) for a numpy array x, correct for any alpha", body)


def check_prelu_op(prelu: Callable[[Value, Value], Value] | None) -> CheckResult:
    """Exercise 04.2: ``prelu(x, a)`` as one ``Value.custom_op`` node with gradients for both x and the slope a,
    checked by ``gradcheck`` on both sides of 0 and against the engine's convention at exactly 0."""

    def body() -> CheckResult:
        for x in (-1.5, -0.3, 0.0, 0.4, 2.0):
            for a in (0.25, -1.0, 1.5):
                xv, av = Value(x), Value(a)
                out = _call(prelu, xv, av)
                wrong = _built_by_custom_op(out, (xv, av), _name(prelu, "prelu"))
                if wrong is not None:
                    return wrong
                want = Value(x).prelu(a).data
                if not math.isclose(out.data, want, abs_tol=1e-12):
                    return _fail(
                        f"prelu({x:g}, a={a:g}) is {out.data:g}, should be {want:g}: look at the forward value"
                    )
                if x == 0.0:  # a kink: compare with the engine's convention, not with finite differences
                    g = upstream()
                    (out * g).backward()  # seeded with g, not 1: a closure that ignores g shows here too
                    xe, ae = Value(x), Value(a)
                    (xe.prelu(ae) * g).backward()
                    if not (math.isclose(xv.grad, xe.grad) and math.isclose(av.grad, ae.grad, abs_tol=1e-15)):
                        return _fail(
                            f"at exactly x = 0 (a = {a:g}), with the output's gradient g = {g:.6g}, your closure "
                            f"sends {xv.grad:.6g} to x and {av.grad:.6g} to a; the engine (and PyTorch) take the "
                            "x <= 0 branch there, and multiply by g"
                        )
                    continue
                look = (
                    "on this side of 0, what does the output depend on? (With a < 0, the output's sign is not "
                    "the input's)"
                )
                hint = _gradcheck_hint(prelu, [x, a], ["x", "a"], f"x = {x:g}, a = {a:g}", look)
                if hint:
                    return _fail(hint)
        return CheckResult("pass")

    return _run(
        f"fill in {_name(prelu, 'prelu')}(x, a): one Value.custom_op(data, (x, a), backward) whose backward(g) returns "
        "(gradient for x, gradient for a)",
        body,
    )


# --- notebook 06: dying ReLUs ---------------------------------------------------------------------------------


def _wounded_net() -> tuple[Sequential, np.ndarray]:
    """A 2-16-16-1 ReLU net on 200 points with five units killed by a large negative bias."""

    X, _ = make_moons(200, noise=0.1, seed=0)
    model = Sequential(Linear(2, 16, seed=0), ReLU(), Linear(16, 16, seed=1), ReLU(), Linear(16, 1, seed=2))
    for lin, killed in zip(_linears(model), ([1, 5, 9], [0, 3])):
        lin.bias.data[killed] = -50.0  # type: ignore[union-attr]
    return model, X


def _linears(model: Sequential) -> list[Linear]:
    return [m for m in model if isinstance(m, Linear)]


def _numbers(lin: Linear) -> tuple[np.ndarray, np.ndarray]:
    """A Linear layer's weight and bias arrays (an empty bias for a layer built without one)."""
    return lin.weight.data, lin.bias.data if lin.bias is not None else np.zeros(0)


def check_revive_dead_units(revive: Callable[[Sequential, np.ndarray], Any] | None) -> CheckResult:
    """Exercise 06.1: ``revive(model, x)`` changes, in place, only the weights and bias of each ReLU layer's dead
    units so that ``dead_units(model, x)`` reports none; alive units must be left exactly as they were."""

    def body() -> CheckResult:
        model, X = _wounded_net()
        before = dead_units(model, Tensor(X))
        layers = list(model)
        linears = _linears(model)
        saved = [tuple(a.copy() for a in _numbers(lin)) for lin in linears]
        alive = []
        h = X
        for lin in linears[:2]:
            weight, bias = _numbers(lin)
            pre = h @ weight.T + bias
            alive.append(~np.all(pre <= 0, axis=0))
            h = np.maximum(pre, 0)
        if revive is None:
            raise _Unanswered
        try:
            done = revive(model, X.copy())
        except NotImplementedError:
            raise _Unanswered from None
        now = list(model)
        if len(now) != len(layers) or any(a is not b for a, b in zip(now, layers)):
            swapped = next((i for i, (a, b) in enumerate(zip(now, layers)) if a is not b), min(len(now), len(layers)))
            return _fail(
                f"revive replaced the model's layers (model[{swapped}] is no longer the layer it was): keep every "
                "layer, and change only the dead units' weights or bias inside model[0] and model[2]"
            )
        for i, (lin, old) in enumerate(zip(linears, saved)):
            if any(a.shape != b.shape for a, b in zip(_numbers(lin), old)):
                return _fail(f"the weight or bias of model[{2 * i}] changed shape: change values, not shapes")
        same = [all(np.array_equal(a, b) for a, b in zip(_numbers(lin), old)) for lin, old in zip(linears, saved)]
        unchanged = all(same)
        if done is None and unchanged:
            raise _Unanswered
        for k, (lin, (w, b), keep) in enumerate(zip(linears, saved, alive), start=1):
            weight, bias = _numbers(lin)
            moved = ~(np.all(weight == w, axis=1) & (bias == b))  # row j: unit j
            if (moved & keep).any():
                return _fail(
                    f"you changed unit {int(np.argmax(moved & keep))} of ReLU layer {k}, which was alive: "
                    "only touch the units whose pre-activation is <= 0 on every sample"
                )
        if not same[2]:
            return _fail("you changed model[4], the output layer: it has no ReLU after it, leave it as it was")
        after = dead_units(model, Tensor(X))
        still = [str(r) for r in after if r.dead]
        if still and isinstance(done, Module) and done is not model:
            return _fail(
                "revive returned a different model, and the one it was given still has dead units: change the "
                "model in place (assign into its layers' weight.data and bias.data); the check looks at the "
                "model it passed you, not at what revive returns"
            )
        if still:
            return _fail(
                "dead_units still reports "
                + "; ".join(still)
                + " (before: "
                + "; ".join(str(r) for r in before)
                + "). A unit is revived when its pre-activation is "
                "> 0 on at least one sample; fix the layers in order, the first one changes the second's input"
            )
        return CheckResult("pass")

    return _run(
        f"fill in {_name(revive, 'revive')}(model, x): find each ReLU layer's dead units on x and change only their "
        "weights/bias (model[0] and model[2] are the Linear layers)",
        body,
    )
