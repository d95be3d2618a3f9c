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
    upstream = info.value.upstream  # both numbers are multiples of the random gradient seeded at the output
    assert info.value.mismatches[0][0] == 0
    assert info.value.mismatches[0][2] == pytest.approx(3.0 * upstream)
    assert info.value.mismatches[0][3] == pytest.approx(6.0 * upstream)
    assert f"upstream gradient {upstream:.6g}" in str(info.value) and f"autograd {3.0 * upstream!r}" in str(info.value)


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


def cube_without_g(x):
    """The classic bug: the closure returns the local derivative and drops the incoming gradient g."""
    return Value.custom_op(x.data**3, (x,), lambda g: 3 * x.data**2, op="cube")


def test_gradcheck_seeds_a_random_upstream_gradient_so_a_closure_ignoring_g_fails():
    from tinygrad_relu import GradcheckError

    with pytest.raises(GradcheckError) as info:
        gradcheck(cube_without_g, Value(1.5))
    upstream = info.value.upstream
    assert 0.5 <= abs(upstream) <= 2.0 and abs(abs(upstream) - 1.0) >= 0.2
    ((_, _, auto, numeric),) = info.value.mismatches
    assert auto == pytest.approx(3 * 1.5**2) and numeric == pytest.approx(upstream * 3 * 1.5**2)


def test_gradcheck_catches_g_ignored_wherever_the_op_stands():
    from tinygrad_relu import GradcheckError

    for f in (cube_without_g, lambda x: cube_without_g(x) * 2.0, lambda x: (cube_without_g(x) + x).tanh()):
        with pytest.raises(GradcheckError):
            gradcheck(f, Value(1.5))


def test_gradcheck_upstream_is_seeded_and_deterministic():
    from tinygrad_relu import GradcheckError

    seen = []
    for seed in (0, 0, 1):
        with pytest.raises(GradcheckError) as info:
            gradcheck(cube_without_g, Value(1.5), seed=seed)
        seen.append(info.value.upstream)
    assert seen[0] == seen[1] != seen[2]


def test_gradcheck_on_an_intermediate_node_leaves_the_nodes_behind_it_alone():
    w, p = Value(2.0), Value(-0.5)
    w.grad, p.grad = 0.25, 0.0
    h = w * 3
    h.grad = 7.0
    assert gradcheck(lambda t: t * t * p, h)  # p is closed over by f: its gradient must stay too
    assert (w.grad, p.grad, h.grad, h.data, w.data) == (0.25, 0.0, 7.0, 6.0, 2.0)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("error", [_Stop, KeyboardInterrupt])
def test_gradcheck_puts_the_input_back_when_f_raises_mid_check(error):
    x = Value(1.0)
    x.grad = 0.5
    calls = []

    def f(v):
        calls.append(v.data)
        if len(calls) == 2:  # the first shifted evaluation: x is 1 + eps now
            raise error
        return v * v

    with pytest.raises(error):
        gradcheck(f, x)
    assert calls[1] != 1.0 and x.data == 1.0 and x.grad == 0.5
