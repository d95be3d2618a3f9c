"""The shared op table on Tensors: autograd equals central differences for random arrays of several
shapes (broadcasting included), plus the Tensor-only ops; and gradcheck itself on Tensors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import OPS, TENSOR_OPS, TENSOR_SHAPES, TENSOR_SHAPES_OF

from tinygrad_relu import GradcheckError, KinkWarning, Tensor, gradcheck, no_grad


def _shape_cases():
    for name, fn, arity, domain in OPS:
        patterns = {tuple(p[:arity]) for p in TENSOR_SHAPES_OF.get(name, TENSOR_SHAPES)}
        for shapes in sorted(patterns):
            yield pytest.param(fn, list(shapes), domain, id=f"{name}-{'-'.join(map(str, shapes))}")
    for name, fn, shapes, domain in TENSOR_OPS:
        yield pytest.param(fn, shapes, domain, id=name)


def _weighted(fn):
    """fn's output times fixed uneven weights, summed: every output element gets its own gradient."""

    def scalar(*xs):
        out = fn(*xs)
        with no_grad():
            weights = np.random.default_rng(7).uniform(0.5, 1.5, out.data.shape)
        return (out * weights).sum()

    return scalar


@pytest.mark.parametrize("fn, shapes, domain", list(_shape_cases()))
@settings(max_examples=6, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_tensor_gradcheck(fn, shapes, domain, seed):
    rng = np.random.default_rng(seed)
    xs = [Tensor(rng.uniform(*domain, shape), requires_grad=True) for shape in shapes]
    assert gradcheck(_weighted(fn), *xs)


def test_gradcheck_on_tensors_reports_the_wrong_element():
    def half_wrong_square(x):  # a custom op whose gradient is wrong in the second element only
        return Tensor.custom_op(x.data**2, (x,), lambda g: g * x.data * np.array([2.0, 1.0]), op="sq")

    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: half_wrong_square(x).sum(), Tensor([1.0, 3.0]))
    ((k, index, auto, numeric),) = info.value.mismatches
    upstream = float(info.value.upstream.reshape(()))  # the sum's output is one number: one random seed
    assert (k, index) == (0, (1,))
    assert auto == pytest.approx(3.0 * upstream) and numeric == pytest.approx(6.0 * upstream)


def test_gradcheck_on_tensors_sees_a_kink():
    with pytest.warns(KinkWarning, match=r"input 0\[1\] = 0"):
        assert gradcheck(lambda x: x.leaky_relu(0.1).sum(), Tensor([1.0, 0.0]))


def test_gradcheck_leaves_tensor_inputs_as_they_were():
    x = Tensor([1.0, 2.0])  # requires_grad is off: gradcheck turns it on only while it checks
    x.grad = np.array([5.0, 5.0])
    assert gradcheck(lambda t: (t * t).sum(), x)
    assert x.requires_grad is False
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_gradcheck_takes_any_output_shape_as_a_vector_jacobian_product():
    """A non-scalar output is seeded with a random array of its shape: sum(u * d out / d in) is compared."""
    assert gradcheck(lambda t: t * 2.0, Tensor([1.0, 2.0]))
    assert gradcheck(lambda a, b: a @ b, Tensor(np.arange(6.0).reshape(2, 3)), Tensor(np.ones((3, 2))))

    def square_without_g(x):  # the closure ignores the upstream gradient: right only when it is all ones
        return Tensor.custom_op(x.data**2, (x,), lambda g: 2 * x.data, op="sq")

    with pytest.raises(GradcheckError, match=r"upstream gradient a random array of shape \(2,\)") as info:
        gradcheck(square_without_g, Tensor([1.0, 3.0]))
    assert info.value.upstream.shape == (2,) and len(info.value.mismatches) == 2
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: square_without_g(x).sum(), Tensor([1.0, 3.0]))  # one output, seeded != 1


def test_gradcheck_names_a_gradient_of_the_wrong_shape():
    def sq_summed(x):  # one number for a parent of shape (2,)
        return Tensor.custom_op(x.data**2, (x,), lambda g: np.sum(g * 2 * x.data), op="sq")

    with pytest.raises(ValueError, match=r"op 'sq' has shape \(\) for a parent of shape \(2,\)"):
        gradcheck(sq_summed, Tensor([1.0, 3.0]))


def test_gradcheck_needs_a_value_or_tensor_output():
    with pytest.raises(TypeError, match="return a Value or Tensor, got float"):
        gradcheck(lambda t: 2.0, Tensor([1.0, 2.0]))


def test_gradcheck_on_an_intermediate_tensor_leaves_the_leaves_behind_it_alone():
    w = Tensor([1.0, -2.0], requires_grad=True)
    w.grad = np.array([0.5, 0.5])
    kept = w.grad
    h = w * 3.0
    assert gradcheck(lambda t: (t * t).sum(), h)
    assert w.grad is kept
    np.testing.assert_array_equal(w.grad, [0.5, 0.5])
    np.testing.assert_array_equal(h.data, [3.0, -6.0])


class _Stop(Exception):
    pass


@pytest.mark.parametrize("error", [_Stop, KeyboardInterrupt])
def test_gradcheck_puts_a_tensor_back_when_f_raises_mid_check(error):
    x = Tensor([1.0, 2.0])
    data = x.data
    calls = []

    def f(t):
        calls.append(t.data.copy())
        if len(calls) == 4:  # the second element is shifted now
            raise error
        return (t * t).sum()

    with pytest.raises(error):
        gradcheck(f, x)
    assert calls[3][1] != 2.0 and x.data is data and x.grad is None and x.requires_grad is False
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
