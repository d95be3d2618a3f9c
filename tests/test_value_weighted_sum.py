"""Value.weighted_sum: one node equal, in value and gradients, to the chain of * and + it replaces."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_relu import Value, gradcheck, no_grad


def _chain(ws, xs, b):
    out = b
    for w, x in zip(ws, xs):
        out = out + w * x
    return out


@settings(max_examples=25, derandomize=True, deadline=None)
@given(n=st.integers(1, 6), data=st.data())
def test_weighted_sum_gradcheck(n, data):
    numbers = st.floats(-3.0, 3.0, allow_nan=False)
    values = [Value(data.draw(numbers, label=f"v{i}")) for i in range(2 * n + 1)]
    assert gradcheck(lambda *v: Value.weighted_sum(v[:n], v[n : 2 * n], v[-1]), *values)


def test_weighted_sum_matches_the_chain_of_ops():
    ws = [Value(0.5), Value(-2.0), Value(3.0)]
    xs = [Value(1.5), Value(0.25), Value(-1.0)]
    b = Value(0.75)
    fused = Value.weighted_sum(ws, xs, b)
    assert fused.data == pytest.approx(0.75 + 0.75 - 0.5 - 3.0)
    (fused * fused).backward()
    fused_grads = [v.grad for v in (*ws, *xs, b)]
    for v in (*ws, *xs, b):
        v.grad = 0.0
    chain = _chain(ws, xs, b)
    (chain * chain).backward()
    assert fused_grads == pytest.approx([v.grad for v in (*ws, *xs, b)])
    # d(s^2)/dw_i = 2 s x_i with s = -2.0
    assert fused_grads[:3] == pytest.approx([-6.0, -1.0, 4.0])


def test_weighted_sum_is_one_node_with_every_input_as_parent():
    ws, xs, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], Value(5.0)
    out = Value.weighted_sum(ws, xs, b)
    assert out.data == 16.0 and out._op == "wsum"
    assert out._prev == (*ws, *xs, b)


def test_weighted_sum_without_bias_and_with_plain_numbers():
    w = Value(2.0)
    out = Value.weighted_sum([w, 3.0], [4.0, w])  # numbers become leaves, as in w * 4.0
    assert out.data == 14.0 and len(out._prev) == 4
    out.backward()
    assert w.grad == 4.0 + 3.0  # w appears as a weight (times 4) and as an input (times 3)
    assert Value.weighted_sum([], [], 1.5).data == 1.5


def test_weighted_sum_twice_doubles_leaf_gradients():
    w, x = Value(2.0), Value(-3.0)
    out = Value.weighted_sum([w], [x], 1.0)
    out.backward()
    out.backward()
    assert (w.grad, x.grad) == (-6.0, 4.0)


def test_weighted_sum_keeps_ieee_numbers():
    out = Value.weighted_sum([Value(math.inf)], [Value(0.0)], 0.0)
    assert math.isnan(out.data)  # inf * 0, as in PyTorch


def test_weighted_sum_under_no_grad_records_nothing():
    with no_grad():
        out = Value.weighted_sum([Value(1.0)], [Value(2.0)], Value(0.5))
    assert out.data == 2.5 and out._prev == ()


def test_weighted_sum_bad_input_is_named():
    with pytest.raises(ValueError, match="2 weights for 3 inputs"):
        Value.weighted_sum([Value(1.0)] * 2, [Value(1.0)] * 3)
    with pytest.raises(TypeError, match="weighted_sum input 1"):
        Value.weighted_sum([1.0, 2.0], [Value(1.0), "x"])
    with pytest.raises(TypeError, match="weighted_sum bias"):
        Value.weighted_sum([1.0], [2.0], [0.5])
