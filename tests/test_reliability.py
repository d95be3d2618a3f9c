"""Regression tests for defects an adversarial pass against PyTorch found: each named by what must hold."""

import copy
import gc
import pickle
import threading
import warnings
from fractions import Fraction

import numpy as np
import pytest
from needs import require_torch

from tinygrad_relu import Tensor, Value, is_grad_enabled, no_grad
from tinygrad_relu.losses import cross_entropy
from tinygrad_relu.nn import MLP, LeakyReLU, Linear, Sequential, mlp
from tinygrad_relu.optim import SGD, Adam


# ---------------------------------------------------------------- silently wrong results
def test_a_tuple_inside_an_index_adds_up_repeated_elements():
    m = Tensor(np.ones((2, 3)), requires_grad=True)
    m[:, (0, 0, 2)].sum().backward()
    assert m.grad.tolist() == [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0]]  # PyTorch's
    m.zero_grad()
    m[(0, 1)].backward()  # a tuple as the whole index is m[0, 1], one element
    assert m.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_no_grad_in_one_thread_leaves_the_others_recording():
    inside, leave, results = threading.Event(), threading.Event(), {}

    def evaluator():
        with no_grad():
            inside.set()
            leave.wait(5)
            results["evaluator"] = is_grad_enabled()

    thread = threading.Thread(target=evaluator)
    thread.start()
    inside.wait(5)
    w = Tensor([2.0], requires_grad=True)
    v = Value(3.0)
    (w * w).sum().backward()
    (v * v).backward()
    results["trainer"] = is_grad_enabled()
    leave.set()
    thread.join(5)
    assert w.grad.tolist() == [4.0] and v.grad == 6.0
    assert results == {"evaluator": False, "trainer": True}
    assert is_grad_enabled()


def test_interleaved_no_grad_in_two_threads_restores_grad_mode():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert is_grad_enabled() and (Value(1.0) * 2)._prev  # recording again, in every thread


def test_a_deep_copy_of_a_prelu_mlp_has_its_own_slope():
    model = MLP(2, [3, 1], activation="prelu", seed=0)
    twin = copy.deepcopy(model)
    twin([-1.0, -2.0]).backward()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert any(p.grad != 0.0 for p in twin.parameters())


def test_a_custom_op_that_edits_its_gradient_in_place_does_not_corrupt_a_sibling():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)

    def doubling(g):
        g *= 2
        return g

    (y * 3 + Tensor.custom_op(x.data.copy(), (x,), doubling)).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0] and x.grad.tolist() == [2.0, 2.0]


def test_a_failed_backward_leaves_every_grad_and_the_collector_as_they_were():
    a = Value(2.0)
    (a * a).backward()
    assert a.grad == 4.0

    def fail(g):
        raise RuntimeError("boom")

    broken = a * 3 + Value.custom_op(1.0, (a,), fail)
    with pytest.raises(RuntimeError, match="boom"):
        broken.backward()
    assert a.grad == 4.0 and gc.isenabled()
    (a * a).backward()
    assert a.grad == 8.0  # a retry counts once


def test_a_malformed_node_fails_before_the_walk_without_disabling_the_collector():
    a = Value(2.0)
    a.grad = 1.5
    out = a * 2
    out._prev = (a, object())  # not a node: the walk itself fails
    with pytest.raises(AttributeError):
        out.backward()
    assert gc.isenabled() and a.grad == 1.5


def test_a_failing_step_callback_leaves_every_grad_as_it_was():
    from tinygrad_relu.engine.graph import backward

    a, b = Value(2.0), Value(3.0)
    mid = a * b
    out = (mid + a).relu() * 0.5
    out.backward()
    before = [(v, v.grad) for v in (a, b, mid, out)]
    assert [g for _, g in before] == [2.0, 1.0, 0.5, 1.0]
    seen = []

    def stop_at_second(node):
        seen.append(node)
        if len(seen) == 2:
            raise KeyboardInterrupt  # as a drawing interrupted by the user would

    with pytest.raises(KeyboardInterrupt):
        backward(out, 1.0, after=stop_at_second)
    assert [v.grad for v, _ in before] == [g for _, g in before] and gc.isenabled()
    assert seen[0] is out and len(seen) == 2


def test_a_failed_tensor_backward_restores_the_same_gradient_array():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w.grad
    broken = (w * 2 + Tensor.custom_op([0.0, 0.0], (w,), lambda g: np.ones(3))).sum()
    with pytest.raises(ValueError, match="shape"):
        broken.backward()
    assert w.grad is before and w.grad.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("slope", [np.inf, -np.inf, np.nan])
def test_an_infinite_or_nan_slope_keeps_the_positive_side_without_warnings(slope):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor([2.0, -1.0], requires_grad=True)
        y = x.leaky_relu(slope)
        y.sum().backward()
        w = Tensor([slope], requires_grad=True)
        z = Tensor([[3.0, -1.0]]).prelu(w)
    assert y.data[0] == 2.0 and x.grad[0] == 1.0 and z.data[0, 0] == 3.0
    np.testing.assert_array_equal(y.data[1], Value(-1.0).leaky_relu(slope).data)  # -inf, inf or nan, as Value


def test_augmented_assignment_updates_in_place_under_no_grad():
    p = Tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    data = p.data
    with no_grad():
        p -= 0.5 * p.grad
        p *= 2.0
    assert p.data is data and p.data.tolist() == [0.0, 0.0]
    v = Value(3.0)
    v.grad = 2.0
    with no_grad():
        v -= 0.5 * v.grad
        v /= 4.0
    assert v.data == 0.5 and not v._prev


def test_outside_no_grad_a_leaf_refuses_and_everything_else_records():
    p = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place op .* on a leaf Tensor that requires grad"):
        p += 1.0
    t = Tensor([1.0])
    u = t
    t += 1.0
    assert t is not u and t.data.tolist() == [2.0] and u.data.tolist() == [1.0]
    total = Value(0.0)
    for term in (Value(1.0), Value(2.0)):
        total += term  # micrograd's idiom builds the graph
    total.backward()
    assert total.data == 3.0 and total._op == "+"


# ---------------------------------------------------------------- crashes and unclear errors
@pytest.mark.parametrize(
    "mix",
    [
        lambda: Value(1.0) + Tensor([1.0]),
        lambda: Tensor([1.0]) * Value(2.0),
        lambda: Tensor([1.0]) - Value(2.0),
        lambda: Value(2.0) / Tensor([1.0]),
    ],
)
def test_value_and_tensor_do_not_mix_and_say_how(mix):
    with pytest.raises(TypeError, match="Value and Tensor do not mix. Use Tensor\\(v.data\\)"):
        mix()


@pytest.mark.parametrize("activation", ["leaky_relu", "prelu", "relu"])
def test_an_mlp_pickles_and_computes_the_same(activation):
    model = MLP(2, [3, 1], activation=activation, seed=0)
    again = pickle.loads(pickle.dumps(model))
    assert again([0.5, -1.0]).data == model([0.5, -1.0]).data
    assert pickle.loads(pickle.dumps(mlp(2, [3, 1], activation, seed=0)))(np.ones((1, 2))).shape == (1, 1)


def test_object_labels_work_and_bad_ones_are_named():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    loss = cross_entropy(logits, np.array([0, 2], dtype=object))
    assert loss.item() == pytest.approx(np.log(3.0))
    with pytest.raises(ValueError, match="label None of sample 1 is not a class index in 0..2"):
        cross_entropy(logits, np.array([0, None], dtype=object))


def test_weighted_sum_takes_numpy_numbers_and_rows():
    w = Value(2.0)
    out = Value.weighted_sum(np.array([1.0, 3.0]), [w, np.float64(4.0)], np.float64(0.5))
    out.backward()
    assert out.data == 14.5 and w.grad == 1.0


def test_adam_with_eps_0_and_a_zero_gradient_gives_nan_like_a_tensor():
    v = Value(1.0)
    v.grad = 0.0
    Adam([v], eps=0.0).step()
    assert np.isnan(v.data)


def test_a_fractional_exponent_names_its_op():
    y = Value(4.0) ** Fraction(1, 2)
    assert y.data == 2.0 and y._op == "**" and y._arg == 0.5


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [float("nan")]), ValueError, "label nan of sample 0"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [float("inf")]), ValueError, "label inf of sample 0"),
        (lambda: Linear(2, 1)([[1.0, 2.0], [3.0]]), ValueError, "Tensor data is not a rectangular array"),
        (lambda: Value.custom_op(1.0, (Tensor([1.0]),), lambda g: g), TypeError, "Value and Tensor do not mix"),
        (
            lambda: Tensor([[1.0]]).sum(axis=1.0),
            TypeError,
            "sum: axis must be an int, a tuple of ints or None, got float",
        ),
        (lambda: Tensor([1.0]).reshape(1.0), TypeError, "reshape: the shape must be ints, got float 1.0"),
        (lambda: mlp(2, 3), ValueError, "nouts must be a non-empty list of layer sizes, got 3"),
        (lambda: mlp(2, []), ValueError, "nouts must be a non-empty list of layer sizes, got \\[\\]"),
        (lambda: MLP(2, []), ValueError, "nouts must be a non-empty list of layer sizes, got \\[\\]"),
        (lambda: SGD([Value(1.0)] * 2, lr=0.1), ValueError, "parameter 1 is parameter 0 again"),
        (lambda: SGD([Tensor([1.0])], lr=0.1), ValueError, "parameter 0 is a Tensor with requires_grad=False"),
        (lambda: bool(Tensor([1.0, 2.0])), ValueError, "truth value of a Tensor of shape \\(2,\\) is ambiguous"),
    ],
)
def test_small_mistakes_get_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda draw: draw(5), TypeError, "the root to draw must be a Value or a Tensor .*got int 5"),
        (lambda draw: draw(Value(1.0) * 2, max_nodes=None), ValueError, "max_nodes must be a positive int, got None"),
        (
            lambda draw: draw(Value(1.0) * 2, group="neuron", max_nodes=0),
            ValueError,
            "max_nodes must be a positive int",
        ),
    ],
)
def test_drawing_a_non_node_or_without_a_cap_says_so(call, error, message):
    from tinygrad_relu import draw_graph

    with pytest.raises(error, match=message):
        call(draw_graph)


def test_a_wrong_bias_shape_is_named_as_such():
    layer = Linear(2, 3)
    layer.bias = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="bias must be a Tensor of shape \\(3,\\)"):
        layer(np.ones((1, 2)))
    assert bool(Tensor([0.5])) and not bool(Tensor([[0.0]]))


# ---------------------------------------------------------------- the bridge to PyTorch
def test_state_dict_round_trips_through_a_file(tmp_path):
    model = Sequential(Linear(2, 8, seed=0), LeakyReLU(0.1), Linear(8, 1, seed=1))
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        "0.weight": (8, 2),
        "0.bias": (8,),
        "2.weight": (1, 8),
        "2.bias": (1,),
    }
    model.save(tmp_path / "m.npz")
    other = Sequential(Linear(2, 8, seed=5), LeakyReLU(0.1), Linear(8, 1, seed=6))
    other.load(tmp_path / "m.npz")
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_array_equal(other(x).data, model(x).data)
    scalar = MLP(2, [2, 1], seed=0)
    names = list(scalar.state_dict())
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    twin = MLP(2, [2, 1], seed=9)
    twin.load_state_dict(scalar.state_dict())
    assert twin([0.1, 0.2]).data == scalar([0.1, 0.2]).data


def test_load_state_dict_names_what_is_wrong_and_changes_nothing():
    model = Sequential(Linear(2, 3, seed=0))
    before = model.state_dict()
    with pytest.raises(KeyError, match="missing \\['0.bias'\\], unexpected \\['bias'\\]"):
        model.load_state_dict({"0.weight": before["0.weight"], "bias": before["0.bias"]})
    with pytest.raises(ValueError, match="'0.weight' has shape \\(2, 3\\), but the parameter has shape \\(3, 2\\)"):
        model.load_state_dict({"0.weight": np.zeros((2, 3)), "0.bias": np.ones(3)})
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    model.load_state_dict({"0.bias": np.ones(3)}, strict=False)
    assert model.state_dict()["0.bias"].tolist() == [1.0, 1.0, 1.0]


def test_pytorch_and_tinygrad_relu_agree_both_ways():
    torch = require_torch()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.1), torch.nn.Linear(8, 1)).double()
    ours = Sequential(Linear(2, 8), LeakyReLU(0.1), Linear(8, 1))
    ours.load_state_dict(theirs.state_dict())
    x, y = np.random.default_rng(0).normal(size=(16, 2)), np.random.default_rng(1).normal(size=(16, 1))
    loss_theirs = torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y))
    loss_theirs.backward()
    from tinygrad_relu.losses import mse_loss

    loss_ours = mse_loss(ours(x), y)
    loss_ours.backward()
    assert loss_ours.item() == pytest.approx(loss_theirs.item(), abs=1e-12)
    grads = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name].grad, p.grad.numpy(), rtol=0, atol=1e-12)
    # and back: ours -> theirs
    fresh = Sequential(Linear(2, 8, seed=3), LeakyReLU(0.1), Linear(8, 1, seed=4))
    theirs.load_state_dict({k: torch.tensor(v) for k, v in fresh.state_dict().items()})
    assert theirs(torch.tensor(x)).detach().numpy() == pytest.approx(fresh(x).data, abs=1e-12)
