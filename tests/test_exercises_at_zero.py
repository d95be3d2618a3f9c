"""Every checker of a rectifier's backward has a case with a pre-activation of exactly 0, so an answer that
masks with ``>= 0`` (slope 1 at exactly 0, where the engine and PyTorch take the x <= 0 branch) is rejected,
with a hint that names that mistake. One ``>= 0`` answer per checker, restated in that exercise's terms."""

import numpy as np
import pytest

from tinygrad_relu import Value
from tinygrad_relu import exercises as ex


class GeScalar:
    """Notebook 00's engine, right except that leaky_relu's slope is 1 at exactly 0."""

    def __init__(self, data, _prev=()):
        self.data, self.grad, self._prev = float(data), 0.0, tuple(_prev)
        self._backward = lambda: None

    def leaky_relu(self, alpha=0.01):
        x = self.data
        out = GeScalar(x if x > 0 else alpha * x, (self,))

        def _backward():
            self.grad += (1.0 if x >= 0 else alpha) * out.grad

        out._backward = _backward
        return out


def ge_prime(x, alpha=0.1):
    return np.where(x >= 0, 1.0, alpha)


def ge_xor_backward(X, Y, W1, b1, W2, b2):
    z = X @ W1 + b1
    h = np.where(z > 0, z, 0.1 * z)
    d_out = 2 * (h @ W2 + b2 - Y) / len(X)
    d_z = (d_out @ W2.T) * ge_prime(z)
    return X.T @ d_z, d_z.sum(0), h.T @ d_out, d_out.sum(0)


def ge_layer_backward(x, W, b, d_h, alpha=0.2):
    z = x @ W.T + b
    d_z = d_h * np.where(z >= 0, 1.0, alpha)
    return d_z @ W, d_z.T @ x, d_z.sum(0)


def ge_relu(v):
    x = v.data
    return Value.custom_op(max(x, 0.0), (v,), lambda g: (1.0 if x >= 0 else 0.0) * g)


def ge_prelu(x, a):
    on = x.data >= 0
    return Value.custom_op(
        x.data if on else a.data * x.data, (x, a), lambda g: (g * (1.0 if on else a.data), g * (0.0 if on else x.data))
    )


def ge_zero_gradients(z, alpha):  # "dead" read as < 0: a unit exactly at 0 counted as passing its gradient on
    dead = np.all(z < 0, axis=0)
    h = np.where(z > 0, z, alpha * z)
    return (dead if alpha == 0 else np.zeros_like(dead)), np.all(h == 0, axis=0)


# (checker, the >= 0 answer, words of the hint that name the mistake)
AT_ZERO = {
    "00 leaky_relu": (ex.check_leaky_relu, GeScalar, "at exactly x = 0 the contract is the else branch"),
    "02 leaky_relu_prime": (ex.check_leaky_relu_prime, ge_prime, "only x = 0 itself is wrong"),
    "02 xor_backward": (ex.check_xor_backward, ge_xor_backward, "a slope of 1 at exactly 0 gives (a mask like z >= 0)"),
    "04 prelu": (ex.check_prelu_op, ge_prelu, "take the x <= 0 branch there"),
    "05 relu at zero": (lambda f: ex.check_relu_at_zero(f, slope_at_zero=0.0), ge_relu, "gives 1 times g"),
    "08 zero gradients": (ex.check_zero_gradients, ge_zero_gradients, "a test like z < 0 leaves this unit out"),
    "10 layer_backward": (ex.check_layer_backward, ge_layer_backward, "a mask like z >= 0 gives 1 there"),
}


@pytest.mark.parametrize("case", sorted(AT_ZERO))
def test_a_ge_zero_answer_is_rejected_with_a_hint_that_names_it(case):
    check, answer, words = AT_ZERO[case]
    result = check(answer)
    assert result.status == "fail" and words in result.message, result


def test_every_rectifier_backward_checker_is_in_the_table():
    """The checkers whose exercise differentiates a ReLU-family op: a new one must join the table above."""
    rectifier_checks = {
        "check_leaky_relu",
        "check_leaky_relu_prime",
        "check_xor_backward",
        "check_prelu_op",
        "check_relu_at_zero",
        "check_zero_gradients",
        "check_layer_backward",
    }
    covered = {AT_ZERO[c][0].__name__ for c in AT_ZERO} | {"check_relu_at_zero"}  # 05's is wrapped in a lambda
    assert rectifier_checks <= covered
    assert rectifier_checks <= set(ex.__all__)
