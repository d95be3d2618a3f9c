"""Notebook 11's checker (tinygrad_relu.exercises.second_order): the worked Hessian-vector product passes, each
classic mistake fails with the hint that names it, and the notebook's stub is "to do"."""

import numpy as np

from tinygrad_relu import Tensor, grad
from tinygrad_relu.exercises import check_hvp


def my_hvp(f, x, v):
    g = grad(f(x), x, create_graph=True)
    return grad((g * Tensor(v)).sum(), x)


def test_two_calls_of_grad_pass():
    assert check_hvp(my_hvp).ok
    assert check_hvp(lambda f, x, v: Tensor(my_hvp(f, x, v))).ok  # a node is read as its numbers


def test_the_stub_is_to_do():
    def stub(f, x, v): ...

    assert check_hvp(stub).status == "todo" and check_hvp(None).status == "todo"


def test_the_gradient_instead_of_its_derivative_is_named():
    result = check_hvp(lambda f, x, v: grad(f(x), x))
    assert result.status == "fail" and "gradient of f" in result.message


def test_a_first_gradient_without_create_graph_is_named():
    def flat(f, x, v):
        g = grad(f(x), x)  # numbers: nothing behind them to differentiate
        return grad((Tensor(g) * Tensor(v)).sum(), x)

    result = check_hvp(flat)
    assert result.status == "fail" and "create_graph=True" in result.message


def test_backward_instead_of_grad_is_named():
    def with_backward(f, x, v):
        f(x).backward()
        return np.zeros(x.shape)

    result = check_hvp(with_backward)
    assert result.status == "fail" and "x.grad" in result.message


def test_a_wrong_shape_and_a_wrong_product_are_named():
    assert "shape" in check_hvp(lambda f, x, v: np.zeros(2 * x.data.size)).message
    assert "differs from H v" in check_hvp(lambda f, x, v: 2.0 * my_hvp(f, x, v)).message
