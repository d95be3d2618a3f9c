"""Neuron, Layer, MLP on Values: shapes, init, activations, parameters, and training XOR."""

import math

import numpy as np
import pytest

from tinygrad_relu import Value
from tinygrad_relu.losses import binary_cross_entropy_with_logits, hinge_loss
from tinygrad_relu.nn import MLP, Layer, Module, Neuron, init_bound
from tinygrad_relu.optim import Adam


def _weights(model):
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("nin, nouts", [(2, [16, 16, 1]), (3, [4, 4, 4]), (1, [1]), (5, [7, 2])])
def test_parameter_count_is_sum_of_nin_nout_plus_nout(nin, nouts):
    sizes = [nin, *nouts]
    expected = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    assert len(MLP(nin, nouts, seed=0).parameters()) == expected


def test_prelu_adds_one_slope_per_layer_or_per_neuron():
    base = 2 * 4 + 4 + 4 * 3 + 3 + 3 * 1 + 1
    assert len(MLP(2, [4, 3, 1], activation="prelu", seed=0).parameters()) == base + 2
    per_neuron = MLP(2, [4, 3, 1], activation="prelu", prelu_per="neuron", seed=0)
    assert len(per_neuron.parameters()) == base + 4 + 3
    slopes = [n.alpha.data for layer in per_neuron.layers[:-1] for n in layer.neurons]
    assert slopes == [0.25] * 7  # PyTorch's PReLU init


def test_call_signature_is_micrograds():
    model = MLP(3, [4, 1], seed=0)
    out = model([1.0, -2.0, 0.5])
    assert isinstance(out, Value)
    assert isinstance(model([Value(1.0), Value(-2.0), Value(0.5)]), Value)
    many = MLP(3, [4, 2], seed=0)([1.0, -2.0, 0.5])
    assert isinstance(many, list) and len(many) == 2
    assert out.data == pytest.approx(model([1.0, -2.0, 0.5]).data)


def test_layer_feeds_one_input_node_to_all_neurons():
    out = Layer(2, 3, seed=0)([1.0, 2.0])
    inputs = {id(p) for o in out for p in o._prev[0]._prev[2:4]}  # the relu's wsum: (w0, w1, x0, x1, b)
    assert len(inputs) == 2


def test_same_seed_same_weights_other_seed_other_weights():
    assert _weights(MLP(2, [8, 1], seed=3)) == _weights(MLP(2, [8, 1], seed=3))
    assert _weights(MLP(2, [8, 1], seed=3)) != _weights(MLP(2, [8, 1], seed=4))
    assert all(b.data == 0.0 for layer in MLP(2, [8, 1], seed=0).layers for b in (n.b for n in layer.neurons))


@pytest.mark.parametrize(
    "activation, alpha, bound",
    [
        ("relu", None, math.sqrt(2.0) * math.sqrt(3.0 / 400)),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04) * math.sqrt(3.0 / 400)),
        ("prelu", None, math.sqrt(2.0 / 1.0625) * math.sqrt(3.0 / 400)),
        ("tanh", None, math.sqrt(6.0 / (400 + 50))),
        ("sigmoid", None, math.sqrt(6.0 / (400 + 50))),
    ],
)
def test_init_is_kaiming_for_the_relu_family_and_xavier_for_tanh_sigmoid(activation, alpha, bound):
    assert init_bound(activation, 0.25 if activation == "prelu" else alpha, 400, 50) == pytest.approx(bound)
    layer = Layer(400, 50, activation, alpha, seed=0)
    w = np.array([p.data for n in layer.neurons for p in n.w])
    assert np.abs(w).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.02)  # uniform(-a, a) has std a / sqrt(3)


@pytest.mark.parametrize(
    "activation, alpha, expected",
    [
        ("relu", None, [0.0, 1.5]),
        ("leaky_relu", None, [-0.02, 1.5]),
        ("leaky_relu", 0.3, [-0.6, 1.5]),
        ("prelu", None, [-0.5, 1.5]),
        ("tanh", None, [math.tanh(-2.0), math.tanh(1.5)]),
        ("sigmoid", None, [1 / (1 + math.exp(2.0)), 1 / (1 + math.exp(-1.5))]),
        ("linear", None, [-2.0, 1.5]),
    ],
)
def test_neuron_applies_its_activation(activation, alpha, expected):
    n = Neuron(2, activation, alpha, seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 1.0, -1.0, 0.5
    got = [n([-1.0, 1.5]).data, n([2.0, 1.0]).data]  # pre-activations -2.0 and 1.5
    assert got == pytest.approx(expected)


def test_prelu_slope_learns():
    n = Neuron(1, "prelu", seed=0)
    n.w[0].data = 1.0
    n([-2.0]).backward()
    assert n.alpha.grad == -2.0 and n.parameters()[-1] is n.alpha


def test_zero_grad_zeroes_every_parameter():
    model = MLP(2, [4, 4, 1], activation="prelu", seed=0)
    model.zero_grad()
    hinge_loss([model([0.3, -0.7]), model([1.0, 2.0])], [1, -1]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_names_activation_and_alpha():
    text = repr(MLP(2, [16, 1], activation="leaky_relu", alpha=0.1, seed=0))
    assert text == "MLP of [Layer of [16 x LeakyReLUNeuron(2, alpha=0.1)], Layer of [LinearNeuron(16)]]"
    assert "PReLUNeuron(2, alpha=0.25 learned)" in repr(MLP(2, [3, 1], activation="prelu", seed=0))
    assert repr(MLP(2, [2, 1], activation="tanh", seed=0)).startswith("MLP of [Layer of [2 x TanhNeuron(2)]")


def test_module_is_importable_from_nn():
    assert isinstance(MLP(1, [1], seed=0), Module)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="relu, leaky_relu, prelu, tanh, sigmoid"):
        MLP(2, [4, 1], activation="swish")
    with pytest.raises(ValueError, match="alpha only applies to leaky_relu and prelu"):
        MLP(2, [4, 1], activation="relu", alpha=0.1)
    with pytest.raises(ValueError, match="alpha must be a finite real number"):
        MLP(2, [4, 1], activation="leaky_relu", alpha=float("nan"))
    with pytest.raises(ValueError, match="nouts must be a non-empty list"):
        MLP(2, 4)
    with pytest.raises(ValueError, match="nin must be a positive int"):
        MLP(0, [4])
    with pytest.raises(ValueError, match="prelu_per"):
        MLP(2, [4, 1], activation="prelu", prelu_per="channel")
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        MLP(2, [4, 1], seed=0)([1.0, 2.0, 3.0])


XOR = [([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0)]


def test_leaky_relu_mlp_learns_xor_with_adam_and_bce():
    model = MLP(2, [8, 1], activation="leaky_relu", alpha=0.1, seed=0)
    opt = Adam(model.parameters(), lr=0.05)
    for _ in range(150):
        loss = binary_cross_entropy_with_logits([model(x) for x, _ in XOR], [y for _, y in XOR])
        opt.zero_grad()
        loss.backward()
        opt.step()
    for x, y in XOR:
        p = model(x).sigmoid().data
        assert (p if y else 1.0 - p) > 0.9, (x, p)


def test_relu_mlp_learns_xor_the_micrograd_way():
    # micrograd's recipe: hinge loss on -1/+1 labels, plain SGD with the update written out
    model = MLP(2, [8, 1], seed=1)
    for _ in range(200):
        loss = hinge_loss([model(x) for x, _ in XOR], [2 * y - 1 for _, y in XOR])
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    assert [model(x).data > 0 for x, _ in XOR] == [False, True, True, False]
