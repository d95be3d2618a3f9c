"""Every op of the table: autograd on Value equals central differences at random points."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optable import OPS
from tinygrad_relu import Value, gradcheck


@pytest.mark.parametrize("name, fn, arity, domain", OPS, ids=[row[0] for row in OPS])
@settings(max_examples=25, derandomize=True, deadline=None)
@given(data=st.data())
def test_value_gradcheck(name, fn, arity, domain, data):
    low, high = domain
    xs = [data.draw(st.floats(low, high, allow_nan=False), label=f"x{i}") for i in range(arity)]
    assert gradcheck(fn, *[Value(x) for x in xs])


def test_gradcheck_reports_wrong_gradient():
    from tinygrad_relu import GradcheckError

    def wrong_square(x):  # a custom op whose backward forgets the factor 2
        return Value.custom_op(x.data ** 2, (x,), lambda g: x.data * g, op="square")

    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_square, Value(3.0))
    assert info.value.mismatches[0][0] == 0
    assert info.value.mismatches[0][2] == pytest.approx(3.0)
    assert info.value.mismatches[0][3] == pytest.approx(6.0)
    assert "autograd 3.0" in str(info.value)


def test_gradcheck_calls_a_kink_a_kink_not_a_failure():
    from tinygrad_relu import KinkWarning

    with pytest.warns(KinkWarning, match="slope 0.1 left, 1 right"):
        assert gradcheck(lambda x: x.leaky_relu(0.1), Value(0.0))


def test_gradcheck_leaves_input_gradients_alone():
    x = Value(2.0)
    x.grad = 5.0
    gradcheck(lambda v: v * v, x)
    assert x.grad == 5.0 and x.data == 2.0
