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


def xor_backward(slope, dW2_from_z=False, reduce=np.sum):
    def backward(X, Y, W1, b1, W2, b2):
        z = X @ W1 + b1
        h = np.where(z > 0, z, 0.1 * z)
        d_out = 2 * (h @ W2 + b2 - Y) / len(X)
        d_z = (d_out @ W2.T) * slope(z)
        return X.T @ d_z, reduce(d_z, axis=0), (z if dW2_from_z else h).T @ d_out, reduce(d_out, axis=0)

    return backward


def prime_at_least_zero_xor(x, alpha=0.1):
    return np.where(x >= 0, 1.0, alpha)


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


def zero_grads_right(z, alpha):
    dead = np.all(z <= 0, axis=0)
    h = np.where(z > 0, z, alpha * z)
    return (dead if alpha == 0 else np.zeros_like(dead)), np.all(h == 0, axis=0)


def zero_grads_strict(z, alpha):  # z < 0: a unit exactly at 0 counted as alive
    rows, cols = zero_grads_right(z, alpha)
    return rows & np.any(z < 0, axis=0), cols


def zero_grads_leaky_like_relu(z, alpha):  # alpha ignored: the leaky units' rows said to be cut
    dead = np.all(z <= 0, axis=0)
    return dead, dead


def zero_grads_no_columns(z, alpha):  # the outgoing weights forgotten
    return zero_grads_right(z, alpha)[0], np.zeros(z.shape[1], bool)


def zero_grads_leaky_exact_zero(z, alpha):  # a leaky unit at exactly 0 said to pass its output's gradient on
    rows, cols = zero_grads_right(z, alpha)
    return rows, cols if alpha == 0 else np.zeros_like(cols)


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def softplus_without_g(v):  # the classic bug: the local derivative alone, g dropped
    return Value.custom_op(math.log1p(math.exp(v.data)), (v,), lambda g: _sigmoid(v.data), op="softplus")


def softplus_minus(v):
    return Value.custom_op(math.log1p(math.exp(v.data)), (v,), lambda g: -g * _sigmoid(v.data), op="softplus")


def softplus_assigns(v):  # '=' where the engine does '+=': overwrites what the other uses of v sent
    def backward(g):
        v.grad = g * _sigmoid(v.data)
        return 0.0

    return Value.custom_op(math.log1p(math.exp(v.data)), (v,), backward, op="softplus")


def prime_threshold_tiny(x, alpha=0.1):  # wrong only on (0, 0.005]: a grid step of 0.01 never sees it
    return np.where(x > 0.005, 1.0, alpha)


def prime_threshold_1e6(x, alpha=0.1):
    return np.where(x > 1e-6, 1.0, alpha)


def prime_at_least_zero(x, alpha=0.1):  # x >= 0: wrong at exactly 0 only
    return np.where(x >= 0, 1.0, alpha)


def prime_sides_swapped(x, alpha=0.1):
    return np.where(x < 0, 1.0, alpha)


def bce_sqrt_abs(logits, targets):  # |z| as sqrt(z * z): its gradient at z = 0 is 0 * inf = nan
    absolute = (logits * logits) ** 0.5
    softplus = logits.relu() + (1 + (-absolute).exp()).log()
    return (softplus - logits * targets).mean()


def bce_custom(backward_of):
    def bce(logits, targets):
        z = logits.data
        sigmoid = 1 / (1 + np.exp(-z))
        value = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        softplus = Tensor.custom_op(value, (logits,), lambda g: backward_of(g, sigmoid), op="softplus")
        return (softplus - logits * targets).mean()

    return bce


def revive_returns_a_fixed_copy(model, x):
    import copy

    fixed = copy.deepcopy(model)
    revive_right(fixed, x)
    return fixed


def revive_new_layers(model, x):  # swaps both ReLU layers' Linear for new ones with zero weights: nothing dead
    for i in (0, 2):
        old = model[i]
        new = Linear(old.weight.data.shape[1], old.weight.data.shape[0])
        new.weight.data[...] = 0.0
        new.bias.data[...] = 1.0
        model.layers[i] = new
    return True


def revive_output_layer_too(model, x):
    revive_right(model, x)
    model[4].bias.data += 1.0
    return True


def prelu_without_g(x, a):
    neg = x.data <= 0
    return Value.custom_op(
        a.data * x.data if neg else x.data, (x, a), lambda g: (a.data if neg else 1.0, x.data if neg else 0.0)
    )


def prelu_mask_from_output(x, a):  # the output's sign picks the branch: wrong for a < 0
    out = a.data * x.data if x.data <= 0 else x.data
    neg = out <= 0
    return Value.custom_op(out, (x, a), lambda g: (g * (a.data if neg else 1.0), g * (x.data if neg else 0.0)))


def prelu_minus_slope_grad(x, a):
    neg = x.data <= 0
    return Value.custom_op(
        a.data * x.data if neg else x.data,
        (x, a),
        lambda g: (g * (a.data if neg else 1.0), -g * x.data if neg else 0.0),
    )


def prelu_assigns(x, a):
    neg = x.data <= 0

    def backward(g):
        x.grad = g * (a.data if neg else 1.0)
        return 0.0, g * (x.data if neg else 0.0)

    return Value.custom_op(a.data * x.data if neg else x.data, (x, a), backward)


def relu_half_without_g(v):
    x = v.data
    slope = 1.0 if x > 0 else (0.5 if x == 0 else 0.0)
    return Value.custom_op(max(x, 0.0), (v,), lambda g: slope, op="relu_half")


def relu_at_least_zero(v):  # x >= 0: the slope at 0 is 1
    x = v.data
    return Value.custom_op(max(x, 0.0), (v,), lambda g: (1.0 if x >= 0 else 0.0) * g)


ZERO_RIGHT = {"relu": 0.0, "leaky_relu(0.2)": 0.2, "prelu d/dx (a=0.25)": 0.25, "prelu d/da (a=0.25)": 0.0}


def layer_backward(x, W, b, d_h, alpha=0.2, threshold=0.0, ones=False, bias=np.sum, at_least=False):
    z = x @ W.T + b
    on = z >= threshold if at_least else z > threshold
    d_z = (np.ones_like(d_h) if ones else d_h) * np.where(on, 1.0, alpha)
    return d_z @ W, d_z.T @ x, bias(d_z, axis=0)


# (checker, right answer, wrong answer, a phrase the wrong answer's hint must contain, the stub)
CASES = {
    "layer backward, threshold at alpha": (
        ex.check_layer_backward,
        layer_backward,
        lambda *a: layer_backward(*a, threshold=0.2),
        "with pre-activations just above 0, below alpha",
        stub,
    ),
    "layer backward, ones upstream": (
        ex.check_layer_backward,
        None,
        lambda *a: layer_backward(*a, ones=True),
        "the upstream gradient d_h is used",
        None,
    ),
    "layer backward, bias mean": (
        ex.check_layer_backward,
        None,
        lambda *a: layer_backward(*a, bias=np.mean),
        "every row sends it something",
        None,
    ),
    "softplus": (ex.check_softplus_op, softplus_right, softplus_wrong, "look at the closure", stub),
    "softplus composed": (ex.check_softplus_op, softplus_right, softplus_composed, "Value.custom_op", stub),
    "softplus ignores g": (ex.check_softplus_op, None, softplus_without_g, "at x = -3 the output's gradient g", None),
    "softplus ignores g, said": (ex.check_softplus_op, None, softplus_without_g, "it ignores g", None),
    "softplus sign": (ex.check_softplus_op, None, softplus_minus, "at x = -3 your closure sends", None),
    "softplus sign, said": (ex.check_softplus_op, None, softplus_minus, "it has the opposite sign", None),
    "softplus = not +=": (
        ex.check_softplus_op,
        None,
        softplus_assigns,
        "at x = -3 your op is right on its own, but in softplus_assigns(x) + x",
        None,
    ),
    "gradients at zero": (
        ex.check_gradients_at_zero,
        ZERO_RIGHT,
        {**ZERO_RIGHT, "relu": 0.5},
        "relu: not what",
        dict.fromkeys(ZERO_RIGHT),
    ),
    "gradients at zero, misspelled key": (
        ex.check_gradients_at_zero,
        None,
        {**{k: v for k, v in ZERO_RIGHT.items() if k != "leaky_relu(0.2)"}, "leaky_relu(.2)": 0.2},
        "unknown key 'leaky_relu(.2)' (did you mean 'leaky_relu(0.2)'?)",
        None,
    ),
    "gradients at zero, a word": (
        ex.check_gradients_at_zero,
        None,
        {**ZERO_RIGHT, "relu": "zero"},
        "'relu': 'zero' is not a number",
        None,
    ),
    "gradients at zero, a list": (
        ex.check_gradients_at_zero,
        None,
        {**ZERO_RIGHT, "prelu d/da (a=0.25)": [0]},
        "'prelu d/da (a=0.25)': [0] is not a number",
        None,
    ),
    "gradients at zero, a bool": (
        ex.check_gradients_at_zero,
        None,
        {**ZERO_RIGHT, "relu": False},
        "'relu': False is not a number",
        None,
    ),
    "gradients at zero, not a dict": (ex.check_gradients_at_zero, None, "zero", "must be a dict", None),
    "gradients at zero, a list for the dict": (ex.check_gradients_at_zero, None, [0], "got list", None),
    "leaky prime threshold": (
        ex.check_leaky_relu_prime,
        prime_right,
        prime_threshold_at_alpha,
        "wrong on x in (0, 0.1] (23 points): autograd gives 1, yours gives 0.1",
        stub,
    ),
    "leaky prime one number": (ex.check_leaky_relu_prime, prime_right, prime_one_number, "returned one number", stub),
    "leaky prime threshold 0.005": (
        ex.check_leaky_relu_prime,
        None,
        prime_threshold_tiny,
        "wrong on x in (0, 0.005]",
        None,
    ),
    "leaky prime threshold 1e-6": (
        ex.check_leaky_relu_prime,
        None,
        prime_threshold_1e6,
        "wrong on x in (0, 1e-06]",
        None,
    ),
    "leaky prime >= 0": (ex.check_leaky_relu_prime, None, prime_at_least_zero, "only x = 0 itself is wrong", None),
    "leaky prime sides swapped": (
        ex.check_leaky_relu_prime,
        None,
        prime_sides_swapped,
        "wrong on x in [-1, -1e-12]",
        None,
    ),
    "xor backward one number": (
        ex.check_xor_backward,
        xor_backward(prime_right),
        xor_backward(prime_one_number),
        "with hidden pre-activations of both signs and with zero biases (every hidden pre-activation exactly 0 at "
        "the input (0, 0)) (right with all hidden pre-activations > 0",
        stub,
    ),
    "xor backward threshold": (
        ex.check_xor_backward,
        xor_backward(prime_right),
        xor_backward(lambda z: 1.0),
        "with all hidden pre-activations < 0",
        stub,
    ),
    "xor backward >= 0": (
        ex.check_xor_backward,
        None,
        xor_backward(prime_at_least_zero_xor),
        "db1 is what a slope of 1 at exactly 0 gives (a mask like z >= 0)",
        None,
    ),
    "xor backward dW2 from z": (
        ex.check_xor_backward,
        None,
        xor_backward(prime_right, dW2_from_z=True),
        "dW2 is what the pre-activations z give",
        None,
    ),
    "xor backward db as a mean": (
        ex.check_xor_backward,
        None,
        xor_backward(prime_right, reduce=np.mean),
        "db1 and db2 are autograd's divided by 4",
        None,
    ),
    "layer backward, >= 0": (
        ex.check_layer_backward,
        None,
        lambda *a: layer_backward(*a, at_least=True),
        "only with zero biases and an all-zero input row",
        None,
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
    "classifier, the hidden activation reused at the output": (
        ex.check_classifier,
        None,
        lambda: Sequential(Linear(2, 8, seed=0), act := LeakyReLU(0.01), Linear(8, 1, seed=1), act),
        "the model's output comes out of LeakyReLU(alpha=0.01)",
        None,
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
    "bce nan at 0": (ex.check_bce_with_logits, None, bce_sqrt_abs, "at a logit of exactly 0 the gradient", None),
    "bce custom op": (
        ex.check_bce_with_logits,
        bce_custom(lambda g, s: g * s),
        bce_custom(lambda g, s: s),
        "for logit -1.3 (entry 0), with the loss seeded with g = ",
        None,
    ),
    "bce custom op wrong sign": (
        ex.check_bce_with_logits,
        None,
        bce_custom(lambda g, s: -g * s),
        "must multiply by the g it receives",
        None,
    ),
    "bce custom op wrong shape": (
        ex.check_bce_with_logits,
        None,
        bce_custom(lambda g, s: np.sum(g * s)),
        "op 'softplus' has shape () for a parent of shape (2,)",
        None,
    ),
    "leaky any alpha": (ex.check_leaky_relu_any_alpha, leaky_right, leaky_max, "with alpha = 2 it is wrong", stub),
    "prelu": (ex.check_prelu_op, prelu_right, prelu_no_slope_grad, "your closure sends 0 to a", stub),
    "prelu at zero": (ex.check_prelu_op, None, prelu_strict_at_zero, "at exactly x = 0", None),
    "prelu ignores g": (
        ex.check_prelu_op,
        None,
        prelu_without_g,
        "at x = -1.5, a = 0.25 the output's gradient g",
        None,
    ),
    "prelu ignores g, said": (ex.check_prelu_op, None, prelu_without_g, "it ignores g", None),
    "prelu mask from the output": (
        ex.check_prelu_op,
        None,
        prelu_mask_from_output,
        "at x = -1.5, a = -1 your closure sends",
        None,
    ),
    "prelu sign of d/da": (ex.check_prelu_op, None, prelu_minus_slope_grad, "sends", None),
    "prelu sign of d/da, said": (ex.check_prelu_op, None, prelu_minus_slope_grad, "it has the opposite sign", None),
    "prelu = not +=": (ex.check_prelu_op, None, prelu_assigns, "in prelu_assigns(x, a) + x + a", None),
    "relu at zero": (
        ex.check_relu_at_zero,
        relu_half,
        relu_pytorch,
        "at exactly x = 0 your closure gives 0 times g",
        stub,
    ),
    "relu at zero ignores g": (
        ex.check_relu_at_zero,
        None,
        relu_half_without_g,
        "at x = 0.3 the output's gradient",
        None,
    ),
    "relu at zero >= 0": (ex.check_relu_at_zero, None, relu_at_least_zero, "your closure gives 1 times g", None),
    "revive": (ex.check_revive_dead_units, revive_right, revive_everything, "which was alive", stub),
    "revive order": (ex.check_revive_dead_units, None, revive_first_layer_only, "dead_units still reports", None),
    "revive a copy": (ex.check_revive_dead_units, None, revive_returns_a_fixed_copy, "change the model in place", None),
    "revive new layers": (ex.check_revive_dead_units, None, revive_new_layers, "model[0] is no longer the layer", None),
    "revive the output layer": (
        ex.check_revive_dead_units,
        None,
        revive_output_layer_too,
        "you changed model[4]",
        None,
    ),
    "zero gradients, z < 0": (
        ex.check_zero_gradients,
        zero_grads_right,
        zero_grads_strict,
        "a test like z < 0 leaves this unit out",
        stub,
    ),
    "zero gradients, leaky cut": (ex.check_zero_gradients, None, zero_grads_leaky_like_relu, "small, not zero", None),
    "zero gradients, columns": (
        ex.check_zero_gradients,
        None,
        zero_grads_no_columns,
        "its column gets exactly 0, your prediction says otherwise. An outgoing weight's gradient",
        None,
    ),
    "zero gradients, leaky at exactly 0": (
        ex.check_zero_gradients,
        None,
        zero_grads_leaky_exact_zero,
        "alpha times exactly 0 is 0",
        None,
    ),
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
    # notebook 00's, 09's and 11's checks (by hand, the learner's own engine and loop, a Tensor op's backward, a
    # Hessian-vector product) have test files of their own
    own_files = ("engine", "first_steps", "tensor_ops", "second_order")
    elsewhere = {n for n in checkers if getattr(ex, n).__module__.rsplit(".", 1)[-1] in own_files}
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


# --- notebook 07: the first grey-dashed edge of an explorer page -------------------------------------------------


@pytest.fixture(scope="module")
def relu_page():
    """Notebook 07's kind of page: a 2-16-16-1 ReLU net on one moons sample, one box per neuron."""
    from tinygrad_relu import explore
    from tinygrad_relu.data import make_moons
    from tinygrad_relu.nn import MLP
    from tinygrad_relu.train import HEADS, loss_of

    X, Y = make_moons(seed=0)
    loss = loss_of(MLP(2, [16, 16, 1], activation="relu", seed=0), HEADS["bce"], X[:1], Y[:1])[0]
    return explore(loss, group="neuron")


def _first_dashed_step_in_the_svg(page):
    """What the learner sees: the main picture's grey-dashed edges, each shown from the first step a closure
    of its head box fills it (the page's script), read from the SVG itself."""
    import html
    import re

    main = page.html.split('<div id="main"', 1)[1].split('<section class="view"', 1)[0]
    nodes, groups = page.data["nodes"], page.data["groups"]

    def members(key):
        return [int(m[1:]) for m in groups[key]["members"]] if key in groups else [int(key[1:])]

    steps = []
    for chunk in main.split('class="edge">')[1:]:
        tail, head = html.unescape(re.search(r"<title>(.*?)</title>", chunk).group(1)).split("->")
        if 'stroke="#a0a0a0" stroke-dasharray' not in chunk:
            continue
        sources = set(members(tail))
        ran = [nodes[i]["ran"] for i in members(head) if sources & set(nodes[i]["parents"]) and nodes[i]["ran"]]
        steps.append(min(ran))
    return min(steps)


def test_first_zero_step_is_what_the_main_picture_shows(relu_page):
    from tinygrad_relu.exercises.explorer import first_zero_edges

    first, edges = first_zero_edges(relu_page.data)
    assert first == _first_dashed_step_in_the_svg(relu_page)
    assert edges[0] == ("neuron 1.1", "neuron 2.15")  # a dead unit of layer 2 passes nothing to layer 1
    scalar = [
        k
        for k, s in enumerate(relu_page.data["steps"], 1)
        if any(i["kind"] == "zero" for i in relu_page.data["nodes"][s["node"]]["inputs"])
    ]
    assert scalar[0] < first  # a zero sent inside a box comes earlier, but is not drawn until the box is opened


def test_first_zero_step_check_right_wrong_and_stub(relu_page):
    from tinygrad_relu.exercises.explorer import first_zero_edges

    first = first_zero_edges(relu_page.data)[0]
    data = relu_page.data
    inside = next(  # a closure that sends a zero only between scalar nodes of one box
        k
        for k, s in enumerate(data["steps"], 1)
        if any(i["kind"] == "zero" for i in data["nodes"][s["node"]]["inputs"])
    )
    assert inside < first
    assert ex.check_first_zero_step(relu_page, first).status == "pass"
    assert ex.check_first_zero_step(relu_page, np.int64(first)).status == "pass"
    todo = ex.check_first_zero_step(relu_page, None)
    assert todo.status == "todo" and "edge between two boxes of the main picture" in todo.message
    hints = {
        "earlier zero inside a box": (inside, "inside one box"),
        "too early": (1, "every edge the closure filled carries a nonzero gradient"),
        "too late": (first + 1, "already grey-dashed at an earlier step"),
        "out of range": (10**6, "a step number between 1 and"),
        "True": (True, "not bool True"),
        "a string": (str(first), "not str"),
        "a float": (float(first), "not float"),
    }
    for name, (answer, phrase) in hints.items():
        result = ex.check_first_zero_step(relu_page, answer)
        assert result.status == "fail" and phrase in result.message, (name, str(result))
        if name != "out of range":
            assert str(first) not in result.message.replace(repr(answer), ""), (name, str(result))


@pytest.mark.parametrize("explorer", [None, "page", object()])
def test_first_zero_step_without_an_explorer_is_a_hint_not_a_crash(explorer):
    result = ex.check_first_zero_step(explorer, 7)
    assert result.status == "fail" and "the explorer page built above" in result.message


def test_first_zero_step_on_a_pass_with_no_zero_edge():
    from tinygrad_relu import explore

    x = Value(2.0, "x")
    result = ex.check_first_zero_step(explore((x * 3.0).relu()), 1)
    assert result.status == "fail" and "no zero gradient between boxes" in result.message


# --- what every hint must and must not say -----------------------------------------------------------------------


def test_a_stub_todo_names_the_learners_function():
    def relu_half(v): ...

    def my_softplus(v): ...

    assert "fill in relu_half(v)" in ex.check_relu_at_zero(relu_half).message
    assert "fill in my_softplus(v)" in ex.check_softplus_op(my_softplus).message
    assert "fill in relu(v)" in ex.check_relu_at_zero(None).message  # no function yet: the exercise's own name


def test_gradients_at_zero_with_no_dict_yet_is_a_todo():
    assert ex.check_gradients_at_zero(None).status == "todo"


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][0] is not ex.check_gradients_at_zero))
def test_no_hint_contains_a_formula_for_the_answer(case):
    checker, _, wrong, _, _ = CASES[case]
    text = str(checker(_answer(checker, wrong)))
    for formula in ("sigmoid(x)", "1 / (1 + e", "relu(x) -", "np.where(x > 0", "x > 0 else", "g * "):
        assert formula not in text, (case, text)
