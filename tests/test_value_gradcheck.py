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
        return Value.custom_op(x.data**2, (x,), lambda g: x.data * g, op="square")

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


def test_check_derivative_names_the_epsilon_interval_and_a_scalar_answer():
    import numpy as np

    from tinygrad_relu import check_derivative

    def one_number(x, eps=0.1):
        return 1.0 if np.all(x > eps) else eps

    xs = np.arange(-100, 101) / 100
    report = check_derivative(lambda v: v.leaky_relu(0.1), one_number, xs)
    assert not report.ok and "returned one number (0.1) for an array of 201 points" in str(report)
    assert report.intervals() == [(0.0, 0.1, 10)]
    assert "wrong on x in (0, 0.1] (10 points): autograd gives 1, yours gives 0.1" in str(report)
    assert [x for x, _, _ in report.mismatches] == [k / 100 for k in range(1, 11)]


def test_check_derivative_closes_a_run_that_starts_the_grid():
    import numpy as np

    from tinygrad_relu import check_derivative

    xs = np.arange(-4, 5) / 2
    report = check_derivative(lambda v: v.leaky_relu(-0.5), lambda x: np.where(x > 0, 1.0, 1.0), xs)
    assert "wrong on x in [-2, 0] (5 points): autograd gives -0.5, yours gives 1" in str(report)
