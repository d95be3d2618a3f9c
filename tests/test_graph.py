"""The walker: the order it runs the closures in, and exact gradients through chains and diamonds."""

import os
import sys

import numpy as np

import tinygrad_relu
from tinygrad_relu import Tensor, Value
from tinygrad_relu.engine.graph import backward_order, topological_order


def test_a_chain_above_a_diamond_above_a_chain():
    x = Value(3.0, label="x")
    low = (x * 2.0).leaky_relu(0.1)  # a chain below the diamond
    top = (low * low + low).relu() * 0.5 - 1.0  # the diamond (low used twice), then a chain up to the root
    order = backward_order(top)
    assert [n._op for n in order] == ["-", "*", "relu", "+", "*", "leaky_relu", "*"]
    assert order[5]._arg == 0.1  # the op's parameter is on its node, not in its name
    top.backward()
    assert x.grad == 0.5 * (2 * 6.0 + 1.0) * 2.0  # d/dx of (4x^2 + 2x) / 2 - 1 at x = 3
    nodes = topological_order(top)
    assert nodes[0] is x and nodes[-1] is top and len(nodes) == len(order) + 4  # x and the constants 2, 0.5, 1


def test_a_tensor_chain_gets_exact_gradients():
    w = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    b = Tensor(np.array([0.25, -1.0]), requires_grad=True)
    x = Tensor(np.array([[1.0, 2.0]]))
    loss = ((x.linear(w, b).leaky_relu(0.5) - 1.0) ** 2).mean()
    loss.backward()
    # h = [1 - 4 + 0.25, 0.5 + 6 - 1] = [-2.75, 5.5]; out = [-1.375, 5.5]; d/dout = (out - 1) = [-2.375, 4.5]
    assert b.grad.tolist() == [-2.375 * 0.5, 4.5]
    assert w.grad.tolist() == [[-1.1875, -2.375], [4.5, 9.0]]


def test_a_times_b_plus_c_then_backward_runs_at_most_45_lines_of_the_package():
    # The path a learner reads after micrograd, measured as micrograd's is (31 lines there): the distinct lines of
    # the package that run, from the two ops to the end of backward().
    package = os.path.dirname(tinygrad_relu.__file__) + os.sep
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    ran = set()

    def watch(frame, event, arg):
        if not frame.f_code.co_filename.startswith(package):
            return None
        if event == "line":
            ran.add((os.path.relpath(frame.f_code.co_filename, package), frame.f_lineno))
        return watch

    previous = sys.gettrace()  # a coverage tool's, if any: put back after
    sys.settrace(watch)
    try:
        d = a * b + c
        d.backward()
    finally:
        sys.settrace(previous)
    assert (d.data, a.grad, b.grad, c.grad) == (4.0, -3.0, 2.0, 1.0)
    # 64 before the ops said once; micrograd's loop inside `with one_pass(...)`, not handed to it as a function, 45
    assert len(ran) <= 45, sorted(ran)
