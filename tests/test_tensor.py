"""Exact values, engine rules and named regression tests for the Tensor engine."""

import math
import warnings

import numpy as np
import pytest
from needs import require_torch

from tinygrad_relu import Tensor, Value, no_grad
from tinygrad_relu.losses import mse_loss
from tinygrad_relu.nn import MLP


def leaf(x):
    return Tensor(x, requires_grad=True)


# ---------------------------------------------------------------- construction
def test_data_is_a_float64_copy():
    source = np.array([1, 2, 3])
    t = Tensor(source)
    source[0] = 99
    assert t.data.dtype == np.float64 and t.data.tolist() == [1.0, 2.0, 3.0]
    assert (t.shape, t.ndim, t.size, len(t)) == ((3,), 1, 3, 3)
    assert t.numpy() is t.data
    assert Tensor(2.5).item() == 2.5 and float(Tensor([[4.0]])) == 4.0
    assert Tensor([True, False]).data.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    "bad, dtype",
    [("abc", "<U3"), (None, "object"), ([1 + 2j], "complex128"), ([object()], "object"), (np.array(["1"]), "<U1")],
)
def test_non_numeric_data_names_the_dtype(bad, dtype):
    with pytest.raises(TypeError, match=f"Tensor data must be numeric.*got dtype {dtype}"):
        Tensor(bad)


def test_ragged_data_says_so():
    with pytest.raises(ValueError, match="Tensor data is not a rectangular array"):
        Tensor([[1.0, 2.0], [3.0]])


def test_item_of_many_elements_names_the_shape():
    with pytest.raises(ValueError, match=r"one-element Tensor, got shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


# ---------------------------------------------------------------- backward rules
def test_scalar_backward_seeds_one_and_grads_have_the_data_shape():
    x, w = leaf([[1.0, -2.0, 3.0]]), leaf(2.0)
    (x * w).sum().backward()
    assert isinstance(w.grad, np.ndarray) and w.grad.shape == () and w.grad.dtype == np.float64
    assert w.grad == 2.0 and x.grad.tolist() == [[2.0, 2.0, 2.0]]


def test_non_scalar_backward_needs_a_gradient():
    y = leaf([1.0, 2.0]) * 3.0
    with pytest.raises(RuntimeError, match=r"one-element Tensor.*shape \(2,\).*gradient="):
        y.backward()


def test_backward_gradient_of_the_wrong_shape_names_both():
    y = leaf([1.0, 2.0]) * 3.0
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the Tensor has shape \(2,\)"):
        y.backward(np.ones(3))


def test_backward_with_an_explicit_gradient():
    x = leaf([1.0, 2.0])
    (x * x).backward(np.array([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 40.0]


def test_backward_on_a_leaf():
    x = leaf([[3.0]])
    x.backward()
    assert x.grad.tolist() == [[1.0]]
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).backward()


def test_second_backward_doubles_leaf_gradients_exactly():
    w, x = leaf([-1.5, 0.5]), leaf([2.0, -3.0])
    y = ((w * x).leaky_relu(0.1) * (w + x)).sum()
    y.backward()
    first = (w.grad.copy(), x.grad.copy())
    y.backward()
    assert w.grad.tolist() == (2 * first[0]).tolist() and x.grad.tolist() == (2 * first[1]).tolist()
    w.zero_grad()
    assert w.grad is None


def test_no_grad_and_constants_record_nothing():
    x = leaf([2.0])
    with no_grad():
        y = x * 3.0
    z = Tensor([2.0]) * 3.0  # no input requires a gradient
    for t in (y, z):
        assert t._prev == () and t._op == "*" and not t.requires_grad
        with pytest.raises(RuntimeError, match="no graph"):
            t.sum().backward()
    (x * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0]


def test_constants_get_no_gradient():
    x, c = leaf([1.0, 2.0]), Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad.tolist() == [3.0, 4.0]


def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([2.0])
    d = (x * x).detach()
    assert not d.requires_grad and d._prev == () and d.data.tolist() == [4.0]
    (d * x).sum().backward()
    assert x.grad.tolist() == [4.0]  # only the direct path
    y = x.detach()
    assert y.data is x.data


def test_leaf_gradients_are_never_shared():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad *= 10  # an in-place update of one leaf's gradient (a clip, an optimizer) ...
    assert b.grad.tolist() == [1.0, 1.0]  # ... must not reach another's
    seed = np.array([1.0, 1.0])
    c = leaf([0.0, 0.0])
    c.backward(seed)
    seed[0] = 7.0
    assert c.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("order", ["qbl", "lqb", "blq"])
def test_a_gradient_passed_through_to_a_leaf_is_not_updated_in_place(order):
    # linear's bias gets out.grad as it is when x has no batch axis; that array is also the gradient of
    # the q node (both came from one +), so adding b's second contribution in place would corrupt q's.
    x, w = Tensor([1.0, 2.0]), leaf(np.eye(2))
    b, c = leaf([0.0, 0.0]), leaf([1.0, 1.0])
    terms = {"l": lambda: x.linear(w, b), "q": lambda: c * 3.0, "b": lambda: b * 5.0}
    total = terms[order[0]]() + terms[order[1]]() + terms[order[2]]()
    (total * Tensor([1.0, 10.0])).sum().backward()
    assert b.grad.tolist() == [6.0, 60.0] and c.grad.tolist() == [3.0, 30.0]


def test_reused_node_adds_up():
    x = leaf([3.0])
    y = x * 2.0
    (y * y + y).sum().backward()
    assert x.grad.tolist() == [2 * 2 * 6.0 + 2.0]


def test_deep_chain_has_no_recursion_limit():
    x = leaf([1.0])
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


# ---------------------------------------------------------------- values and gradients
@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.2, 1.5, -0.5, -0.7, 1 / 3])
def test_leaky_relu_exact(alpha):
    x = leaf([-2.0, 0.0, 3.0, -0.3])
    out = x.leaky_relu(alpha)
    out.backward(np.ones(4))
    assert out.data.tolist() == [alpha * -2.0, alpha * 0.0, 3.0, alpha * -0.3]
    assert x.grad.tolist() == [alpha, alpha, 1.0, alpha]  # alpha at exactly 0, as PyTorch


def test_leaky_relu_is_piecewise_not_max():
    x = leaf([-2.0])
    out = x.leaky_relu(2.0)
    out.sum().backward()
    assert (out.data.tolist(), x.grad.tolist()) == ([-4.0], [2.0])


@pytest.mark.parametrize("n", [4096, 4097, 70_000])  # np.where up to 4096 elements, arithmetic above
@pytest.mark.parametrize("alpha", [0.01, 1 / 3, -0.7, np.inf, np.nan])
def test_leaky_relu_slope_is_exact_on_both_sides_of_the_size_switch(n, alpha):
    x_np = np.random.default_rng(n).standard_normal(n)
    x_np[::7] = 0.0  # exactly 0 gets alpha
    x = leaf(x_np)
    out = x.leaky_relu(alpha)
    out.backward(np.ones(n))
    slope = np.where(x_np > 0, 1.0, alpha)
    assert np.array_equal(x.grad, slope, equal_nan=True)
    with np.errstate(invalid="ignore"):  # 0 * inf is nan, as the engine gives it
        assert np.array_equal(out.data, x_np * slope, equal_nan=True)
    c = x_np.reshape(-1, 2) if n % 2 == 0 else None  # prelu with a per-channel slope array, both sides
    if c is not None:
        y, a = leaf(c), leaf([alpha, 0.25])
        y.prelu(a).sum().backward()
        assert np.array_equal(y.grad, np.where(c > 0, 1.0, np.array([alpha, 0.25])), equal_nan=True)


def test_relu_exact():
    x = leaf([-2.0, 0.0, 3.0, -np.inf])
    out = x.relu()
    out.sum().backward()
    assert out.data.tolist() == [0.0, 0.0, 3.0, 0.0] and x.grad.tolist() == [0.0, 0.0, 1.0, 0.0]
    y = leaf([-1.0, 2.0])
    y.relu().backward(np.array([np.inf, np.inf]))  # an infinite gradient is still cut where x <= 0
    assert y.grad.tolist() == [0.0, np.inf]


def test_prelu_per_channel_on_dim_1():
    x = leaf([[-2.0, 3.0], [0.0, -1.0]])  # 2 samples, 2 channels
    a = leaf([0.25, 0.5])
    out = x.prelu(a)
    out.sum().backward()
    assert out.data.tolist() == [[-0.5, 3.0], [0.0, -0.5]]
    assert x.grad.tolist() == [[0.25, 1.0], [0.25, 0.5]]
    assert a.grad.tolist() == [-2.0 + 0.0, -1.0]  # x where x <= 0, summed over the batch


@pytest.mark.parametrize("slope", [0.25, Tensor(0.25), Tensor([0.25])])
def test_prelu_single_slope(slope):
    x = leaf([[-2.0, 3.0, -4.0]])
    x.prelu(slope).sum().backward()
    assert x.grad.tolist() == [[0.25, 1.0, 0.25]]


@pytest.mark.parametrize("x_shape, a_shape", [((2, 3), (2,)), ((3,), (3,)), ((2, 3), (3, 1))])
def test_prelu_slope_of_the_wrong_shape_names_both(x_shape, a_shape):
    with pytest.raises(ValueError, match=rf"slope has shape \({a_shape[0]},.*input, of shape \({x_shape[0]},"):
        Tensor(np.ones(x_shape)).prelu(Tensor(np.ones(a_shape)))


def test_max_gradient_goes_to_the_arg_max_like_pytorch():
    x = leaf([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]  # the first of tied maxima
    y = leaf([1.0, 3.0, 3.0])
    y.max().backward()
    assert y.grad.tolist() == [0.0, 0.5, 0.5]  # a full max shares among ties, as torch.max(x)
    assert leaf([[1.0, 4.0]]).max(axis=0, keepdims=True).shape == (1, 2)


def test_reductions_keep_or_drop_dims():
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(axis=(0, 2)).shape == (3,) and x.sum(axis=1, keepdims=True).shape == (2, 1, 4)
    m = x.mean(axis=-1)
    assert m.data.tolist() == np.arange(24.0).reshape(2, 3, 4).mean(axis=-1).tolist()
    m.sum().backward()
    assert np.all(x.grad == 0.25)


def test_log_softmax_is_stable_and_sums_to_one():
    z = leaf([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    logp = z.log_softmax()
    assert np.all(np.isfinite(logp.data[1])) and logp.data[0, 0] == 0.0
    np.testing.assert_allclose(np.exp(logp.data).sum(axis=1), [1.0, 1.0])
    assert Tensor([[1e4, 1e4]]).logsumexp(axis=1).data[0] == pytest.approx(1e4 + math.log(2))
    assert Tensor([-np.inf, -np.inf]).logsumexp().data == -np.inf


def test_indexing_with_repeats_adds_up():
    x = leaf([10.0, 20.0, 30.0])
    x[np.array([0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]
    with pytest.raises(TypeError, match="not a Tensor"):
        x[Tensor([0])]


def test_reshape_and_transpose_round_trip():
    x = leaf(np.arange(6.0).reshape(2, 3))
    y = x.T.reshape(-1)
    assert y.data.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    (y * Tensor(np.arange(6.0))).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    with pytest.raises(ValueError, match=r"cannot reshape a Tensor of shape \(2, 3\) \(6 elements\) into \(4,\)"):
        x.reshape(4)


INF = math.inf
IEEE = {  # op: (inputs, values, gradients), as Value and PyTorch give them
    "exp": (lambda t: t.exp(), [1000.0, -1000.0], [INF, 0.0], [INF, 0.0]),
    "log": (lambda t: t.log(), [0.0, 1.0], [-INF, 0.0], [INF, 1.0]),
    "tanh": (lambda t: t.tanh(), [1000.0, -1000.0], [1.0, -1.0], [0.0, 0.0]),
    "sigmoid": (lambda t: t.sigmoid(), [1000.0, -1000.0], [1.0, 0.0], [0.0, 0.0]),
    "reciprocal": (lambda t: 1.0 / t, [0.0, 4.0], [INF, 0.25], [-INF, -0.0625]),
    "pow": (lambda t: t**-1, [0.0, 2.0], [INF, 0.5], [-INF, -0.25]),
    "pow_overflow": (lambda t: t**2, [1e200, -1e200], [INF, INF], [2e200, -2e200]),
}


@pytest.mark.parametrize("name", IEEE)
def test_ieee_values_and_gradients_without_warnings(name):
    op, xs, values, grads = IEEE[name]
    t = leaf(xs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = op(t)
        out.sum().backward()
    assert out.data.tolist() == values and t.grad.tolist() == grads


def test_log_of_negative_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(Tensor([-1.0]).log().data[0]) and np.isnan((Tensor([-8.0]) ** 0.5).data[0])


def test_sigmoid_keeps_precision_in_the_left_tail():
    assert Tensor([-40.0]).sigmoid().data[0] == pytest.approx(math.exp(-40.0), rel=1e-12)


# ---------------------------------------------------------------- operands and errors
def test_numpy_and_python_operands_on_both_sides():
    x = leaf([1.0, 2.0])
    y = np.array([1.0, 1.0]) + x * 3 - 4 / x + 2**x - x**2 + (5 - x) / 2 + [1.0, 1.0] @ x
    assert isinstance(y, Tensor)
    y.sum().backward()
    expected = 3 + 4 / x.data**2 + 2**x.data * math.log(2) - 2 * x.data - 0.5 + 2.0
    np.testing.assert_allclose(x.grad, expected)


def test_adding_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="'Tensor' and 'str'"):
        Tensor([1.0]) + "x"
    with pytest.raises(TypeError, match="'str' and 'Tensor'"):
        "x" - Tensor([1.0])


@pytest.mark.parametrize(
    "op, symbol",
    [(lambda a, b: a + b, r"\+"), (lambda a, b: a * b, r"\*"), (lambda a, b: a - b, "-"), (lambda a, b: a / b, "/")],
)
def test_mismatched_shapes_name_both_and_the_op(op, symbol):
    with pytest.raises(ValueError, match=rf"^{symbol}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        op(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((2, 3), (4, 5), r"left's last dimension is 3 but the right's second-to-last dimension is 4"),
        ((2, 3), (4,), r"left's last dimension is 3 but the right's only dimension is 4"),
        ((2, 2, 3), (3, 3, 4), r"batch dimensions \(2,\) of \(2, 2, 3\) and \(3,\) of \(3, 3, 4\)"),
        ((), (3,), r"left operand has shape \(\) but @ needs at least 1 dimension"),
    ],
)
def test_matmul_says_which_dimensions_disagree(a, b, message):
    with pytest.raises(ValueError, match=message):
        Tensor(np.ones(a)) @ Tensor(np.ones(b))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: t.sum(axis=2), "sum: axis 2 is out of range for a Tensor of 2 dimension"),
        (lambda t: t.mean(axis=(0, 0)), "mean: repeated axis"),
        (lambda t: t.max(axis=(0, 1)), "max: axis must be one int or None"),
        (lambda t: t.leaky_relu("0.1"), "leaky_relu alpha must be a real number"),
        (lambda t: t.transpose(0), "transpose: 1 axes given for a Tensor of 2 dimensions"),
    ],
)
def test_bad_arguments_name_the_op(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(Tensor(np.ones((2, 3))))


# ---------------------------------------------------------------- custom ops
def test_custom_op_with_a_closure():
    def cube(x):
        return Tensor.custom_op(x.data**3, (x,), lambda g: 3 * x.data**2 * g, op="cube")

    x = leaf([2.0, -1.0])
    y = cube(x) + x
    y.sum().backward()
    assert y.data.tolist() == [10.0, -2.0] and x.grad.tolist() == [13.0, 4.0] and y._prev[0]._op == "cube"


def test_custom_op_gradient_is_summed_back_and_none_skips():
    b, w = leaf([1.0]), leaf([[1.0, 2.0]])
    out = Tensor.custom_op(np.array([[3.0, 4.0]]), (b, w), lambda g: (g, None), op="bias_like")
    out.sum().backward()
    assert b.grad.tolist() == [2.0] and w.grad is None


@pytest.mark.parametrize(
    "grads, error, message",
    [
        (lambda g: (g,), ValueError, "returned 1 gradients for 2 parents"),
        (
            lambda g: (g, np.ones(3)),
            ValueError,
            r"gradient 1 returned by backward of op 'bad' has shape \(3,\) "
            r"for a parent of shape \(2,\)",
        ),
        (lambda g: (g, "x"), TypeError, r"gradient 1 returned by backward of op 'bad' must be numeric"),
    ],
)
def test_custom_op_bad_gradients_say_what_is_wrong(grads, error, message):
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = Tensor.custom_op(x.data * w.data, (x, w), grads, op="bad")
    with pytest.raises(error, match=message):
        y.sum().backward()


def test_custom_op_returning_its_input_gradient_does_not_alias():
    x = leaf([1.0, 2.0])
    kept = []

    def identity_backward(g):
        kept.append(g)
        return g

    Tensor.custom_op(x.data, (x,), identity_backward, op="id").backward(np.array([1.0, 1.0]))
    kept[0][0] = 50.0
    assert x.grad.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- the two engines agree
def test_value_and_tensor_mlp_agree():
    model = MLP(2, [4, 1], activation="leaky_relu", alpha=0.1, seed=3)
    xs = np.array([[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8], [0.0, -2.0], [1.0, 1.0]])
    ys = np.array([1.0, -1.0, 0.5, 0.0, 2.0])
    loss_v = mse_loss([model(list(x)) for x in xs], list(ys))
    loss_v.backward()

    hidden, output = model.layers
    w1 = leaf([[n.w[i].data for n in hidden.neurons] for i in range(2)])
    b1 = leaf([n.b.data for n in hidden.neurons])
    w2 = leaf([[n.w[i].data for n in output.neurons] for i in range(4)])
    b2 = leaf([n.b.data for n in output.neurons])
    pred = (Tensor(xs) @ w1 + b1).leaky_relu(0.1) @ w2 + b2
    diff = pred - Tensor(ys.reshape(-1, 1))
    loss_t = (diff * diff).mean()
    loss_t.backward()

    assert loss_t.item() == pytest.approx(loss_v.data, rel=1e-12)
    np.testing.assert_allclose(w1.grad, [[n.w[i].grad for n in hidden.neurons] for i in range(2)], rtol=1e-10)
    np.testing.assert_allclose(b1.grad, [n.b.grad for n in hidden.neurons], rtol=1e-10)
    np.testing.assert_allclose(w2.grad, [[n.w[i].grad for n in output.neurons] for i in range(4)], rtol=1e-10)
    np.testing.assert_allclose(b2.grad, [n.b.grad for n in output.neurons], rtol=1e-10)


def test_value_and_tensor_give_the_same_numbers_op_by_op():
    xs = [-1.5, -0.2, 0.0, 0.7, 2.0]
    t = leaf(xs)
    out_t = (t.leaky_relu(0.2) * t.tanh() + t.sigmoid() * t.exp()).sum()
    out_t.backward()
    for x, gt in zip(xs, t.grad):
        v = Value(x)
        out_v = v.leaky_relu(0.2) * v.tanh() + v.sigmoid() * v.exp()
        out_v.backward()
        assert gt == pytest.approx(v.grad, rel=1e-14, abs=1e-15)


# ---------------------------------------------------------------- audit against PyTorch (float64)
def test_pow_zero_has_gradient_zero_even_at_zero():
    # torch: d(x ** 0)/dx is 0 everywhere; 0 * 0 ** -1 used to give nan at x = 0
    x = leaf([0.0, -0.0, -2.0, np.nan])
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    a, b = leaf([0.0, 0.0, 2.0]), leaf([0.0, 2.0, 0.0])
    (a**b).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [0.0, 0.0, math.log(2.0)]


def test_full_max_of_a_tensor_with_nan_sends_the_gradient_to_the_nan():
    # torch.max(x) is nan and its gradient goes to the nan element (x.max(axis) already did so)
    x = leaf([[1.0, np.nan, 3.0], [2.0, 2.0, 0.0]])
    out = x.max()
    out.backward()
    assert np.isnan(out.data) and x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("big", [1e15, 1e17, 1e308])
def test_log_softmax_keeps_log_two_for_huge_tied_logits(big):
    # torch: log_softmax([big, big, 0]) = [-log 2, -log 2, -big], gradient of the sum [-0.5, -0.5, 1];
    # x - (log(2) + big) rounded log(2) away: [0, 0, -big] and gradient [-2, -2, 1]
    z = leaf([[big, big, 0.0]])
    logp = z.log_softmax(axis=1)
    logp.sum().backward()
    assert logp.data[0].tolist() == pytest.approx([-math.log(2.0), -math.log(2.0), -big], rel=1e-12)
    assert z.grad[0].tolist() == pytest.approx([-0.5, -0.5, 1.0], rel=1e-12)


def test_mean_is_bit_for_bit_numpy_and_pytorch_forward_and_backward():
    torch = require_torch()
    rng = np.random.default_rng(14)
    for shape, axis in [((7,), None), ((3, 5), None), ((3, 7), 1), ((6, 3), 0), ((2, 3, 5), (0, 2)), ((11, 13), -1)]:
        for _ in range(20):
            x = leaf(rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4))
            m = x.mean(axis=axis)
            assert m.data.tobytes() == np.mean(x.data, axis=axis).tobytes()
            g = rng.normal(size=m.shape)
            m.backward(g)
            theirs = torch.tensor(x.data, requires_grad=True)
            (theirs.mean() if axis is None else theirs.mean(dim=axis)).backward(torch.tensor(g))
            assert x.grad.tobytes() == theirs.grad.numpy().tobytes()


def test_mean_of_nothing_is_nan_with_an_empty_gradient_and_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, y = leaf(np.zeros(0)), leaf(np.zeros((2, 0)))
        m = x.mean()
        m.backward()
        assert np.isnan(m.item()) and x.grad.shape == (0,)
        rows = y.mean(axis=1)
        rows.backward(np.ones(2))
        assert np.isnan(rows.data).all() and y.grad.shape == (2, 0)


@pytest.mark.parametrize(
    "shape, axis", [((0,), None), ((0,), 0), ((3, 0), 1), ((3, 0), 0), ((0, 3), 1), ((0, 3), 0), ((2, 0, 3), (1, 2))]
)
def test_logsumexp_and_log_softmax_over_an_empty_axis_do_what_pytorch_does(shape, axis):
    torch = require_torch()
    dims = tuple(range(len(shape))) if axis is None else axis
    x, theirs = leaf(np.zeros(shape)), torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lse = x.logsumexp(axis=axis)
        lse.backward(np.ones(lse.shape))
    expected = torch.logsumexp(theirs, dim=dims)
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    assert lse.shape == tuple(expected.shape) and lse.data.tolist() == expected.tolist()  # -inf per empty row
    assert x.grad.shape == shape and theirs.grad.shape == shape
    if isinstance(axis, int):
        x, theirs = leaf(np.zeros(shape)), torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        logp = x.log_softmax(axis=axis)
        logp.backward(np.ones(shape))
        assert logp.shape == shape == tuple(torch.log_softmax(theirs, dim=axis).shape) and x.grad.shape == shape


# ---------------------------------------------------------------- iteration and comparisons, as PyTorch
def test_a_0d_tensor_refuses_iteration_and_others_iterate_over_rows():
    with pytest.raises(TypeError, match="iteration over a 0-d Tensor"):
        iter(Tensor(3.0))
    with pytest.raises(TypeError, match="0-d"):
        sum(Tensor(3.0))  # was 0: an empty iteration
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    sum(r.sum() * k for k, r in enumerate(rows, 1)).backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


COMPARISONS = [
    ("==", lambda a, b: a == b),
    ("!=", lambda a, b: a != b),
    ("<", lambda a, b: a < b),
    ("<=", lambda a, b: a <= b),
    (">", lambda a, b: a > b),
    (">=", lambda a, b: a >= b),
]


@pytest.mark.parametrize("symbol, compare", COMPARISONS, ids=[s for s, _ in COMPARISONS])
def test_comparisons_are_elementwise_without_a_gradient_as_in_pytorch(symbol, compare):
    torch = require_torch()
    xs, ys = [[0.0, 1.0, -2.0], [np.nan, np.inf, 3.0]], [0.0, 2.0, -2.0]
    x, y = leaf(xs), Tensor(ys)
    tx, ty = torch.tensor(xs), torch.tensor(ys)
    for ours, theirs in [
        (compare(x, y), compare(tx, ty)),
        (compare(x, 0.0), compare(tx, 0.0)),
        (compare(0.0, x), compare(0.0, tx)),  # reflected: Python asks the Tensor
        (compare(x, np.array(ys)), compare(tx, ty)),
        (compare(np.array(ys), x), compare(ty, tx)),
        (compare(x, ys), compare(tx, ty)),
    ]:
        assert isinstance(ours, Tensor) and not ours.requires_grad and not ours._prev
        assert ours.data.dtype == np.float64 and ours.data.tolist() == theirs.double().tolist()
    with pytest.raises(ValueError, match=f"{symbol}: shapes \\(2, 3\\) and \\(2,\\) cannot be broadcast"):
        compare(x, Tensor([1.0, 2.0]))


def test_a_comparison_is_a_mask_that_indexes_with_pytorch_gradients():
    torch = require_torch()
    data = [[0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]]
    x, theirs = leaf(data), torch.tensor(data, requires_grad=True)
    picked = x[x == 0]  # was empty: == compared identities
    assert picked.data.tolist() == theirs[theirs == 0].tolist() == [0.0, 0.0, 0.0]
    (x[x > 0] * 2.0).sum().backward()
    (theirs[theirs > 0] * 2.0).sum().backward()
    assert x.grad.tolist() == theirs.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    columns = x[:, Tensor([1.0, 0.0, 1.0]) != 0]
    assert columns.data.tolist() == theirs[:, torch.tensor([1.0, 0.0, 1.0]) != 0].tolist()
    assert (x != 0).mean().item() == 0.5  # 0/1 float64: the share of true, as .float().mean() in PyTorch
    with pytest.raises(TypeError, match="not a Tensor"):
        x[Tensor([0.0, 1.0])]  # a Tensor of numbers is not a mask: only a comparison's result is


def test_tensors_still_hash_by_identity_so_backward_and_drawings_work():
    from tinygrad_relu import draw_graph
    from tinygrad_relu.engine.graph import topological_order

    a, b = leaf([1.0, 2.0]), leaf([1.0, 2.0])  # equal data, different nodes
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2 and a in {a} and b not in {a}
    h = a * b
    out = (h * a + h).sum()  # a node and leaves used twice
    out.backward()
    assert a.grad.tolist() == [3.0, 10.0] and b.grad.tolist() == [2.0, 6.0]  # 2ab + b and a^2 + a
    assert len(topological_order(out)) == 6
    assert draw_graph(out).source.count("->") >= 5


def test_log_softmax_of_rows_with_infinities_and_nan_is_pytorch_s():
    torch = require_torch()
    inf, nan = math.inf, math.nan
    rows = [[inf, 1.0], [inf, -inf], [inf, inf], [-inf, -inf], [-inf, 1.0], [nan, 1.0], [1e308, -1e308], [0.5, -2.5]]
    upstream = np.array([[1.0, 0.5]] * len(rows))
    x, theirs = leaf(rows), torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.log_softmax(axis=1)
        out.backward(upstream)
    expected = torch.log_softmax(theirs, dim=1)
    expected.backward(torch.tensor(upstream))
    # a row holding +inf is nan throughout, as in PyTorch; nan, inf and their places must match exactly
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-14, atol=0)
    np.testing.assert_allclose(x.grad, theirs.grad.numpy(), rtol=1e-14, atol=0)
