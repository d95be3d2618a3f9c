"""SGD and Adam: updates worked out by hand, parameters without a gradient, arrays, bad settings."""

import numpy as np
import pytest

from tinygrad_relu import Value
from tinygrad_relu.nn import MLP
from tinygrad_relu.optim import SGD, Adam


class ArrayParam:
    """A stand-in for a Tensor parameter: float64 arrays in .data and .grad (None = no gradient)."""

    def __init__(self, data, grad=None):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None if grad is None else np.array(grad, dtype=np.float64)

    def zero_grad(self):
        self.grad = None


def _param(data, grad):
    p = Value(data)
    p.grad = grad
    return p


def test_sgd_plain_step():
    p = _param(1.0, 0.5)
    SGD([p], lr=0.1).step()
    assert p.data == pytest.approx(0.95)  # 1 - 0.1 * 0.5


def test_sgd_momentum_two_steps_by_hand():
    p = _param(1.0, 1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = 1 (the first velocity is the gradient); p = 1 - 0.1 = 0.9
    assert p.data == pytest.approx(0.9)
    opt.step()  # v = 0.9 * 1 + 1 = 1.9; p = 0.9 - 0.19 = 0.71
    assert p.data == pytest.approx(0.71)


def test_sgd_weight_decay():
    p = _param(2.0, 0.5)
    SGD([p], lr=0.1, weight_decay=0.1).step()  # g = 0.5 + 0.1 * 2 = 0.7; p = 2 - 0.07
    assert p.data == pytest.approx(1.93)


def test_adam_two_steps_by_hand():
    p = _param(1.0, 0.5)
    opt = Adam([p], lr=0.1)
    opt.step()
    # m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025; m_hat = 0.05 / 0.1 = 0.5,
    # v_hat = 0.00025 / 0.001 = 0.25; p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002
    assert p.data == pytest.approx(0.900000002, abs=1e-12)
    p.grad = -1.0
    opt.step()
    # m = 0.9 * 0.05 + 0.1 * -1 = -0.055, v = 0.999 * 0.00025 + 0.001 * 1 = 0.00124975;
    # m_hat = -0.055 / 0.19 = -0.2894736842, v_hat = 0.00124975 / 0.001999 = 0.6251875938,
    # sqrt(v_hat) = 0.7906880509; p = 0.900000002 + 0.1 * 0.2894736842 / 0.7906880509 = 0.9366103542
    assert p.data == pytest.approx(0.9366103542, abs=1e-9)
    assert opt.m[0] == pytest.approx(-0.055) and opt.v[0] == pytest.approx(0.00124975)


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01), lambda ps: Adam(ps, lr=0.1)]
)
def test_arrays_step_like_floats_and_none_grads_are_skipped(make):
    floats = [_param(1.0, 0.5), _param(-2.0, 0.25)]
    array = ArrayParam([1.0, -2.0], [0.5, 0.25])
    skipped = ArrayParam([3.0])
    opt_f, opt_a = make(floats), make([array, skipped])
    for _ in range(3):
        opt_f.step()
        opt_a.step()
    assert array.data == pytest.approx([p.data for p in floats], abs=1e-15)
    assert skipped.data.tolist() == [3.0]


def test_velocity_does_not_alias_the_gradient_array():
    p = ArrayParam([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    p.grad += 100.0  # an engine accumulating in place must not change the stored velocity
    assert opt.velocity[0].tolist() == [1.0]


def test_zero_grad_zeroes_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 1.0
    opt = Adam(model.parameters())
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_lr_can_change_between_steps():
    p = _param(1.0, 1.0)
    opt = SGD([p], lr=0.1)
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data == pytest.approx(0.4)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda ps: SGD(ps, lr=-0.1), ValueError, "lr must be a number in \\[0, inf\\]"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-1), ValueError, "momentum"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay="a"), ValueError, "weight_decay"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), ValueError, "betas\\[1\\] must be a number in \\[0, 1\\)"),
        (lambda ps: Adam(ps, betas=0.9), ValueError, "betas must be a pair"),
        (lambda ps: Adam(ps, eps=-1.0), ValueError, "eps"),
        (lambda ps: Adam([]), ValueError, "empty parameter list"),
        (lambda ps: Adam(MLP(1, [1], seed=0)), TypeError, "pass model.parameters\\(\\)"),
        (lambda ps: SGD([1.0], lr=0.1), TypeError, "parameter 0 is a float"),
    ],
)
def test_bad_settings_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call([Value(1.0)])
