"""Every exercise checker: a right answer passes, a wrong one fails with a hint saying where to look, and the
notebook's stub (left as is) is a "to do" that names the task instead of failing."""

import math

import numpy as np
import pytest

from tinygrad_relu import Tensor, Value
from tinygrad_relu import exercises as ex
from tinygrad_relu.nn import LeakyReLU, Linear, ReLU, Sequential, Sigmoid


def stub(*args):
    """What every notebook stub looks like: a body of `...`."""


# --- right and wrong answers, one pair per checker -------------------------------------------------------------


def softplus_right(v):
    return Value.custom_op(math.log1p(math.exp(v.data)), (v,), lambda g: g / (1 + math.exp(-v.data)), op="softplus")


def softplus_wrong(v):  # the derivative of exp, not of log(1 + exp)
    return Value.custom_op(math.log1p(math.exp(v.data)), (v,), lambda g: g * math.exp(v.data), op="softplus")


def softplus_composed(v):
    return (v.exp() + 1).log()


def prime_right(x, alpha=0.1):
    return np.where(x > 0, 1.0, alpha)


def prime_threshold_at_alpha(x, alpha=0.1):
    return np.where(x > alpha, 1.0, alpha)


def prime_one_number(x, alpha=0.1):
    return 1.0 if np.all(x > 0) else alpha


def xor_backward(slope):
    def backward(X, Y, W1, b1, W2, b2):
        z = X @ W1 + b1
        h = np.where(z > 0, z, 0.1 * z)
        d_out = 2 * (h @ W2 + b2 - Y) / len(X)
        d_z = (d_out @ W2.T) * slope(z)
        return X.T @ d_z, d_z.sum(0), h.T @ d_out, d_out.sum(0)

    return backward


def xor_backward_no_mean(X, Y, W1, b1, W2, b2):
    dW1, db1, dW2, db2 = xor_backward(prime_right)(X, Y, W1, b1, W2, b2)
    return dW1 * 4, db1 * 4, dW2 * 4, db2 * 4


def bce_right(logits, targets):
    softplus = logits.relu() + (1 + (-(logits.relu() + (-logits).relu())).exp()).log()
    return (softplus - logits * targets).mean()


def bce_naive(logits, targets):
    p = logits.sigmoid()
    return -(targets * p.log() + (1 - targets) * (1 - p).log()).mean()


def bce_sum(logits, targets):
    return bce_right(logits, targets) * 5


def leaky_right(x, alpha):
    return np.where(x > 0, x, alpha * x)


def leaky_max(x, alpha):
    return np.maximum(x, alpha * x)


def prelu_right(x, a):
    neg = x.data <= 0
    return Value.custom_op(
        a.data * x.data if neg else x.data,
        (x, a),
        lambda g: (g * (a.data if neg else 1.0), g * (x.data if neg else 0.0)),
        op="prelu",
    )


def prelu_no_slope_grad(x, a):
    neg = x.data <= 0
    return Value.custom_op(
        a.data * x.data if neg else x.data, (x, a), lambda g: (g * (a.data if neg else 1.0), 0.0), op="prelu"
    )


def prelu_strict_at_zero(x, a):  # x < 0 instead of x <= 0: at exactly 0 the slope is 1
    neg = x.data < 0
    return Value.custom_op(
        a.data * x.data if neg else x.data,
        (x, a),
        lambda g: (g * (a.data if neg else 1.0), g * (x.data if neg else 0.0)),
        op="prelu",
    )


def relu_half(v):
    x = v.data
    slope = 1.0 if x > 0 else (0.5 if x == 0 else 0.0)
    return Value.custom_op(max(x, 0.0), (v,), lambda g: slope * g, op="relu_half")


def relu_pytorch(v):
    x = v.data
    return Value.custom_op(max(x, 0.0), (v,), lambda g: (1.0 if x > 0 else 0.0) * g, op="relu")


def revive_right(model, x):
    h = x
    for layer in model:
        if isinstance(layer, Linear):
            pre = h @ layer.weight.data.T + layer.bias.data
            dead = np.all(pre <= 0, axis=0)
            layer.bias.data[dead] += -pre[:, dead].max(axis=0) + 0.1  # just above 0 on its best sample
            h = h @ layer.weight.data.T + layer.bias.data
        else:
            h = layer(Tensor(h)).data
    return True


def revive_everything(model, x):
    for layer in model:
        if isinstance(layer, Linear):
            layer.bias.data[:] = 100.0
    return True


def revive_first_layer_only(model, x):
    lin = model[0]
    pre = x @ lin.weight.data.T + lin.bias.data
    dead = np.all(pre <= 0, axis=0)
    lin.bias.data[dead] = -pre[:, dead].max(axis=0) + 0.1
    return True


def first_over_right(shares, level):
    return next((epoch for epoch, share in enumerate(shares, 1) if share > level), None)


def first_over_from_0(shares, level):
    return next((epoch for epoch, share in enumerate(shares) if share > level), None)


def first_over_at_least(shares, level):
    return next((epoch for epoch, share in enumerate(shares, 1) if share >= level), None)


def first_over_never_zero(shares, level):
    return next((epoch for epoch, share in enumerate(shares, 1) if share > level), 0)


ZERO_RIGHT = {"relu": 0.0, "leaky_relu(0.2)": 0.2, "prelu d/dx (a=0.25)": 0.25, "prelu d/da (a=0.25)": 0.0}

# (checker, right answer, wrong answer, a phrase the wrong answer's hint must contain, the stub)
CASES = {
    "softplus": (ex.check_softplus_op, softplus_right, softplus_wrong, "look at the closure", stub),
    "softplus composed": (ex.check_softplus_op, softplus_right, softplus_composed, "Value.custom_op", stub),
    "gradients at zero": (
        ex.check_gradients_at_zero,
        ZERO_RIGHT,
        {**ZERO_RIGHT, "relu": 0.5},
        "relu: not what",
        dict.fromkeys(ZERO_RIGHT),
    ),
    "leaky prime threshold": (
        ex.check_leaky_relu_prime,
        prime_right,
        prime_threshold_at_alpha,
        "wrong on x in (0, 0.1] (10 points)",
        stub,
    ),
    "leaky prime one number": (ex.check_leaky_relu_prime, prime_right, prime_one_number, "returned one number", stub),
    "xor backward one number": (
        ex.check_xor_backward,
        xor_backward(prime_right),
        xor_backward(prime_one_number),
        "with hidden pre-activations of both signs (right with all",
        stub,
    ),
    "xor backward threshold": (
        ex.check_xor_backward,
        xor_backward(prime_right),
        xor_backward(lambda z: 1.0),
        "with all hidden pre-activations < 0",
        stub,
    ),
    "xor backward output": (
        ex.check_xor_backward,
        xor_backward(prime_right),
        xor_backward_no_mean,
        "d loss / d output",
        stub,
    ),
    "classifier": (
        ex.check_classifier,
        lambda: Sequential(Linear(2, 8, seed=0), LeakyReLU(0.01), Linear(8, 1, seed=1)),
        lambda: Sequential(Linear(2, 1, seed=0), LeakyReLU(0.01)),
        "section 1",
        lambda: None,
    ),
    "classifier sigmoid": (
        ex.check_classifier,
        None,
        lambda: Sequential(Linear(2, 8, seed=0), ReLU(), Linear(8, 1, seed=1), Sigmoid()),
        "applies the sigmoid itself",
        None,
    ),
    "bce": (ex.check_bce_with_logits, bce_right, bce_naive, "nothing large is ever exponentiated", stub),
    "bce sum": (ex.check_bce_with_logits, None, bce_sum, "averaged over the samples", None),
    "leaky any alpha": (ex.check_leaky_relu_any_alpha, leaky_right, leaky_max, "with alpha = 2 it is wrong", stub),
    "prelu": (ex.check_prelu_op, prelu_right, prelu_no_slope_grad, "the gradient your closure returns for a", stub),
    "prelu at zero": (ex.check_prelu_op, None, prelu_strict_at_zero, "at exactly x = 0", None),
    "relu at zero": (ex.check_relu_at_zero, relu_half, relu_pytorch, "at exactly x = 0 your closure gives 0", stub),
    "revive": (ex.check_revive_dead_units, revive_right, revive_everything, "which was alive", stub),
    "revive order": (ex.check_revive_dead_units, None, revive_first_layer_only, "dead_units still reports", None),
    "first epoch over": (
        ex.check_first_epoch_over,
        first_over_right,
        first_over_from_0,
        "yours looks counted from 0",
        stub,
    ),
    "first epoch over, >=": (ex.check_first_epoch_over, None, first_over_at_least, "is not over 0.5", None),
    "first epoch over, never": (ex.check_first_epoch_over, None, first_over_never_zero, "return None then", None),
}


def _answer(checker, answer):
    return answer() if checker is ex.check_classifier and callable(answer) else answer


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][1] is not None))  # None: tested in a twin case
def test_right_answer_passes(case):
    checker, right, _, _, _ = CASES[case]
    result = checker(_answer(checker, right))
    assert result.ok and result.status == "pass" and str(result) == "pass", str(result)


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_answer_fails_with_a_hint(case):
    checker, _, wrong, hint, _ = CASES[case]
    result = checker(_answer(checker, wrong))
    assert result.status == "fail" and not result, str(result)
    assert str(result).startswith("not yet: ") and hint in str(result), str(result)


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][4] is not None))
def test_untouched_stub_is_a_todo_not_a_failure(case):
    checker, _, _, _, untouched = CASES[case]
    result = checker(_answer(checker, untouched))
    assert result.status == "todo" and str(result).startswith("to do: ") and len(result.message) > 20, str(result)


def test_every_checker_is_tested():
    checkers = {name for name in ex.__all__ if name.startswith("check_")}
    assert len(checkers) >= 8
    # notebook 07's check reads an explorer page: tests/test_viz_groups.py fills in right and wrong answers
    # notebook 00's and 09's checks (the learner's own engine, a Tensor op's backward) have test files of their own
    elsewhere = {n for n in checkers if getattr(ex, n).__module__.rsplit(".", 1)[-1] in ("engine", "tensor_ops")}
    assert checkers - {"check_first_zero_step"} - elsewhere <= {CASES[c][0].__name__ for c in CASES}


def test_hints_never_contain_the_answer():
    """A hint points at the mistake; it must not print a formula for the answer (e.g. softplus' derivative)."""
    text = str(ex.check_softplus_op(softplus_wrong)) + str(ex.check_bce_with_logits(bce_naive))
    assert "sigmoid(x)" not in text and "1 / (1 + e" not in text and "relu(x) -" not in text


def test_a_crashing_answer_is_a_failure_that_names_the_error():
    result = ex.check_leaky_relu_any_alpha(lambda x, alpha: x.nonexistent)
    assert result.status == "fail" and "AttributeError" in str(result)


def test_exercises_import_nothing_into_the_engines():
    """The engines never import exercises (it imports them): checked on the source, so no import order hides it."""
    import pathlib

    import tinygrad_relu

    root = pathlib.Path(tinygrad_relu.__file__).parent
    importers = [p.name for p in root.rglob("*.py") if "exercises" not in p.parts and "exercises" in p.read_text()]
    assert importers == []
