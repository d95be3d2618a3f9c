"""Module knows its children and parameters, by name, as PyTorch's does; both families share one set of checks."""

import numpy as np
import pytest

from tinygrad_relu import Tensor, Value
from tinygrad_relu.nn import MLP, LeakyReLU, Linear, Module, PReLU, ReLU, Sequential, mlp, module_call
from tinygrad_relu.viz.groups import module_calls


def test_sequential_names_follow_pytorch():
    model = Sequential(Linear(2, 8, seed=0), LeakyReLU(0.1), Linear(8, 1, seed=1), PReLU())
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight"]
    assert [name for name, _ in model.named_children()] == ["0", "1", "2", "3"]
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "2", "3"]
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_scalar_mlp_names_and_a_shared_slope_listed_once():
    model = MLP(2, [3, 1], activation="prelu", seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[3] == "layers.0.neurons.0.alpha"  # the layer's one slope, under its first name
    assert len(names) == 2 * 3 + 3 + 1 + 3 + 1 == len(set(map(id, model.parameters())))
    assert names[-2:] == ["layers.1.neurons.0.w.2", "layers.1.neurons.0.b"]
    assert len(list(model.children())) == 2 and len(list(model.modules())) == 1 + 2 + 3 + 1


def test_a_users_module_is_walked_through_attributes_and_lists():
    class Net(Module):
        def __init__(self):
            self.blocks = [Linear(2, 2, seed=0), ReLU()]
            self.head = Linear(2, 1, seed=1)
            self.scale = Tensor([2.0])  # a constant: no gradient wanted, not a parameter
            self._cache = Linear(1, 1)  # private: not walked

        def forward(self, x):
            return self.head(self.blocks[1](self.blocks[0](x))) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["blocks.0.weight", "blocks.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_children()] == ["blocks.0", "blocks.1", "head"]
    net(np.ones((3, 2))).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_mlp_labels_the_parameters_a_drawing_shows():
    assert [p.label for p in MLP(2, [2, 1], seed=0).parameters()][:3] == ["w1.1.1", "w1.1.2", "b1.1"]
    assert [p.label for p in mlp(2, [4, 1], seed=0).parameters()] == ["W1", "b1", "W2", "b2"]


def test_linear_draws_for_the_activation_that_follows():
    # Xavier for tanh, as nn.MLP draws it; gain 1 for an output layer
    assert np.abs(Linear(400, 50, seed=0, activation="tanh").weight.data).max() == pytest.approx(
        np.sqrt(6 / 450), rel=1e-3
    )
    assert np.abs(Linear(400, 50, seed=0, activation="linear").weight.data).max() == pytest.approx(
        np.sqrt(3 / 400), rel=1e-3
    )
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        Linear(2, 2, activation="gelu")


@pytest.mark.parametrize(
    "slope, error, message",
    [
        (True, TypeError, "leaky_relu alpha must be a real number \\(int or float\\), got bool True"),
        ("0.1", TypeError, "leaky_relu alpha must be a real number \\(int or float\\), got str '0.1'"),
        (None, TypeError, "leaky_relu alpha must be a real number \\(int or float\\), got NoneType None"),
    ],
)
def test_both_engines_reject_the_same_slopes_with_the_same_message(slope, error, message):
    for x in (Value(1.0), Tensor([1.0])):
        with pytest.raises(error, match=message):
            x.leaky_relu(slope)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: LeakyReLU(a),
        lambda a: MLP(2, [2, 1], "leaky_relu", alpha=a),
        lambda a: mlp(2, [2, 1], "leaky_relu", alpha=a),
        lambda a: PReLU(init=a),
    ],
)
@pytest.mark.parametrize("alpha", [True, float("inf"), "0.1"])
def test_both_families_reject_the_same_layer_slopes(make, alpha):
    with pytest.raises(ValueError, match="must be a finite real number"):
        make(alpha)


@pytest.mark.parametrize(
    "make, what",
    [(lambda n: Linear(n, 2), "in_features"), (lambda n: MLP(n, [2]), "nin"), (lambda n: PReLU(n), "num_parameters")],
)
@pytest.mark.parametrize("n", [0, True, 2.0])
def test_sizes_are_checked_alike(make, what, n):
    with pytest.raises(ValueError, match=f"{what} must be a positive int, got {n!r}"):
        make(n)


def test_every_module_call_tags_its_output_with_the_modules_being_called():
    class Gated(Linear):  # defines its own forward, which calls a module: it is on the path of that call
        def __init__(self):
            super().__init__(3, 3, seed=0)
            self.act = ReLU()

        def forward(self, x):
            return self.act(super().forward(x))

    class Plain(Linear):
        pass

    first, gated, last = Plain(2, 3, seed=0), Gated(), LeakyReLU(0.1)
    model = Sequential(first, gated, last)
    x = Tensor(np.ones((4, 2)))
    h1 = first(x)  # called alone: it is the innermost and the outermost module

    def made_by(node):
        call = module_call(node)
        return call.module, call.inputs, call.outermost

    assert made_by(h1) == (first, (x,), first)
    out = model(x)
    a = out._prev[0]  # the Gated layer's output: made by its ReLU, inside it, inside the Sequential
    h = a._prev[0]  # Gated's linear node: made inside Gated's forward, by no module of its own
    assert made_by(out) == (last, (a,), model)
    assert made_by(a) == (gated.act, (h,), gated) and module_call(h) is None  # the Sequential did not return it
    assert made_by(h._prev[0]) == (first, (x,), first)
    assert module_calls([h._prev[0], a, out])[id(a)][0] == (model, gated, gated.act)


def test_parameters_lists_what_named_parameters_names_in_the_same_order():
    shared = Linear(2, 2, seed=0)

    class Twice(Module):  # one module reached twice, and a list mixing modules and a parameter
        def __init__(self):
            self.first = shared
            self.parts = [ReLU(), Tensor([1.0], requires_grad=True), shared, Linear(2, 1, seed=1)]

    class Picky(Module):  # lists its children itself: only the second one
        def __init__(self):
            self.a, self.b = Linear(1, 1, seed=2), Linear(1, 1, seed=3)

        def named_children(self):
            yield "b", self.b

    for model in (
        Twice(),
        Picky(),
        MLP(2, [3, 2, 1], activation="prelu", seed=0),
        MLP(2, [2, 1], activation="prelu", prelu_per="neuron", seed=0),
        mlp(3, [4, 2], seed=0),
    ):
        named = [p for _, p in model.named_parameters()]
        assert [id(p) for p in model.parameters()] == [id(p) for p in named]
    assert len(Twice().parameters()) == 2 + 1 + 2  # the shared layer's weight and bias once
    picky = Picky()
    assert [id(p) for p in picky.parameters()] == [id(picky.b.weight), id(picky.b.bias)]
