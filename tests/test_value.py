"""Exact values and named regression tests for the scalar engine."""

import math

import pytest

from tinygrad_relu import Value, no_grad


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.2, 1.5, -0.5])
@pytest.mark.parametrize("x", [-2.0, 0.0, 3.0])
def test_leaky_relu_exact(alpha, x):
    v = Value(x)
    out = v.leaky_relu(alpha)
    out.backward()
    assert out.data == (x if x > 0 else alpha * x)
    assert v.grad == (1.0 if x > 0 else alpha)  # alpha at exactly 0, as PyTorch


def test_leaky_relu_is_piecewise_not_max():
    # max(x, 2x) at x = -2 would be -2 with slope 1; the piecewise definition gives -4 with slope 2.
    v = Value(-2.0)
    out = v.leaky_relu(2.0)
    out.backward()
    assert (out.data, v.grad) == (-4.0, 2.0)


def test_leaky_relu_default_alpha_is_pytorch_0_01():
    assert Value(-3.0).leaky_relu().data == pytest.approx(-0.03)


@pytest.mark.parametrize("x, y, dx", [(-2.0, 0.0, 0.0), (0.0, 0.0, 0.0), (3.0, 3.0, 1.0)])
def test_relu_exact(x, y, dx):
    v = Value(x)
    out = v.relu()
    out.backward()
    assert (out.data, v.grad) == (y, dx)


@pytest.mark.parametrize("a", [0.0, 0.25, 1.5, -0.5])
@pytest.mark.parametrize("x", [-2.0, 0.0, 3.0])
def test_prelu_exact(a, x):
    v, s = Value(x), Value(a)
    out = v.prelu(s)
    out.backward()
    assert out.data == (x if x > 0 else a * x)
    assert v.grad == (1.0 if x > 0 else a)
    assert s.grad == (0.0 if x > 0 else x)


def test_prelu_accepts_a_float_slope():
    v = Value(-2.0)
    v.prelu(0.25).backward()
    assert v.grad == 0.25


def test_mixed_with_python_numbers_on_both_sides():
    x = Value(2.0)
    y = 1 + x * 3 - 4 / x + 2**x - x**2 + (5 - x) / 2
    y.backward()
    assert y.data == pytest.approx(1 + 6 - 2 + 4 - 4 + 1.5)
    assert x.grad == pytest.approx(3 + 4 / 4 + 4 * math.log(2) - 4 - 0.5)


def test_reuse_adds_up():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    (b * b).backward()
    assert b.grad == 6.0


def test_diamond():
    x = Value(2.0)
    top = x * 3.0
    left, right = top.exp(), top * top
    (left + right).backward()
    assert x.grad == pytest.approx(3 * math.exp(6) + 2 * 6 * 3)


def test_second_backward_doubles_leaf_gradients_exactly():
    w, x = Value(-1.5), Value(2.0)
    y = (w * x).leaky_relu(0.1) * (w + x)
    y.backward()
    first = (w.grad, x.grad)
    y.backward()
    assert (w.grad, x.grad) == (2 * first[0], 2 * first[1])


def test_zero_grad_resets_a_leaf():
    x = Value(2.0)
    (x * x).backward()
    x.zero_grad()
    assert x.grad == 0.0


def test_deep_chain_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y = y.leaky_relu()
    y.backward()
    assert x.grad == 1.0 and y.data == 1.0


def test_deep_diamonds_are_searched_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(50_000):  # every level a diamond: two inner parents, so the walker searches, 100,000 deep
        y = y * 0.5 + y * 0.5
    y.backward()
    assert x.grad == 1.0 and y.data == 1.0


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    assert y.data == 6.0 and y._prev == ()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()
    z = x * 3.0  # recording is back on after the block
    z.backward()
    assert x.grad == 3.0


def test_detach_cuts_the_graph():
    x = Value(2.0)
    y = (x * x).detach() * x
    y.backward()
    assert x.grad == 4.0  # only the direct path; the detached x*x is a constant


@pytest.mark.parametrize("bad", ["abc", None, [1, 2], 1 + 2j])
def test_bad_data_names_the_problem(bad):
    with pytest.raises(TypeError, match=f"Value data must be a real number.*{type(bad).__name__}"):
        Value(bad)


def test_adding_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="'Value' and 'str'"):
        Value(1) + "x"
    with pytest.raises(TypeError, match="'str' and 'Value'"):
        "x" - Value(1)


def test_bad_alpha_names_the_argument():
    with pytest.raises(TypeError, match="leaky_relu alpha"):
        Value(1.0).leaky_relu("0.1")


@pytest.mark.parametrize(
    "op, x, y, dy",
    [
        (lambda v: v.exp(), 1000.0, math.inf, math.inf),
        (lambda v: v.log(), 0.0, -math.inf, math.inf),
        (lambda v: v.tanh(), 1000.0, 1.0, 0.0),
        (lambda v: v.sigmoid(), -1000.0, 0.0, 0.0),
        (lambda v: v.sigmoid(), 1000.0, 1.0, 0.0),
        (lambda v: 1.0 / v, 0.0, math.inf, -math.inf),
        (lambda v: v**-1, 0.0, math.inf, -math.inf),
        (lambda v: v**2, 1e200, math.inf, 2e200),
    ],
    ids=["exp", "log0", "tanh", "sigmoid-", "sigmoid+", "div0", "pow-1", "pow-overflow"],
)
def test_ieee_values_and_gradients(op, x, y, dy):
    v = Value(x)
    out = op(v)
    out.backward()
    assert out.data == y and v.grad == dy


def test_log_of_negative_is_nan():
    v = Value(-1.0)
    out = v.log()
    out.backward()
    assert math.isnan(out.data) and v.grad == -1.0
    assert math.isnan((Value(-8.0) ** 0.5).data)


def test_custom_op_with_a_closure():
    def cube(x):
        return Value.custom_op(x.data**3, (x,), lambda g: 3 * x.data**2 * g, op="cube")

    x = Value(2.0)
    y = cube(x) + x
    y.backward()
    assert (y.data, x.grad, y._prev[0]._op) == (10.0, 13.0, "cube")


def test_custom_op_with_wrong_gradient_count_says_so():
    x, w = Value(1.0), Value(2.0)
    y = Value.custom_op(x.data * w.data, (x, w), lambda g: (g,), op="mul2")
    with pytest.raises(ValueError, match="returned 1 gradients for 2 parents"):
        y.backward()


def test_custom_op_rejects_an_array_gradient():
    np = pytest.importorskip("numpy")
    x = Value(1.0)
    y = Value.custom_op(1.0, (x,), lambda g: (np.array([1.0, 2.0]),), op="bad")
    with pytest.raises(TypeError, match="gradient 0 returned by backward of op 'bad'"):
        y.backward()


# ---------------------------------------------------------------- audit against PyTorch (float64)
@pytest.mark.parametrize("x", [0.0, -0.0, -2.0, math.nan])
def test_pow_zero_has_gradient_zero_even_at_zero(x):
    # torch: d(x ** 0)/dx is 0 everywhere; 0 * 0 ** -1 used to give nan at x = 0
    v = Value(x)
    out = v**0
    out.backward()
    assert out.data == 1.0 and v.grad == 0.0
    a, b = Value(x), Value(0.0)
    (a**b).backward()
    assert a.grad == 0.0


def test_negative_zero_to_a_negative_odd_power_is_minus_inf():
    # IEEE and torch: (-0.0) ** -1 = -inf, (-0.0) ** -2 = inf, (-0.0) ** -0.5 = inf
    assert (Value(-0.0) ** -1).data == -math.inf and (Value(0.0) ** -1).data == math.inf
    assert (Value(-0.0) ** -2).data == math.inf and (Value(-0.0) ** -0.5).data == math.inf
    assert (Value(-0.0) ** Value(-1.0)).data == -math.inf
    v = Value(-0.0)
    (v**-2).backward()
    assert v.grad == math.inf  # -2 * (-0.0) ** -3 = -2 * -inf


def test_an_add_node_with_its_constant_leaf_holds_at_most_416_bytes():
    import tracemalloc

    y = Value(0.0)
    tracemalloc.start()
    for _ in range(10_000):
        y = y + 1.0  # the add node, its closure and tuple, and the new leaf for 1.0
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # 408-413 measured with the op's parameter in a slot of its own (_arg); a slot more on every node would break it
    assert held / 10_000 <= 416
