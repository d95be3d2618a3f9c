"""Tensor layers, their init and training, and the dying-ReLU diagnostics."""

import math

import numpy as np
import pytest

from tinygrad_relu import Tensor, gradcheck
from tinygrad_relu.nn import LeakyReLU, Linear, Module, PReLU, ReLU, Sequential, Sigmoid, Tanh, dead_units
from tinygrad_relu.optim import SGD, Adam


def test_linear_shapes_seed_and_kaiming_bound():
    layer = Linear(400, 300, seed=1, alpha=0.1)
    assert layer.weight.shape == (300, 400) and layer.bias.data.tolist() == [0.0] * 300  # PyTorch's (out, in)
    bound = math.sqrt(2 / (1 + 0.1**2)) * math.sqrt(3 / 400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.99 * bound  # uniform over the whole interval
    np.testing.assert_array_equal(layer.weight.data, Linear(400, 300, seed=1, alpha=0.1).weight.data)
    assert layer(np.ones((5, 400))).shape == (5, 300)
    assert Linear(3, 2, bias=False).parameters()[0].shape == (2, 3) and len(Linear(3, 2, bias=False).parameters()) == 1


def test_linear_keeps_the_signal_scale_through_relu_layers():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2000, 256)))
    model = Sequential(*[m for i in range(6) for m in (Linear(256, 256, seed=i), ReLU())])
    out = model(x)
    # Kaiming's gain keeps E[x^2] about constant through ReLU layers (it would shrink by half per layer without it)
    assert 0.5 < np.mean(out.data**2) / 0.5 < 2.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda: Linear(0, 2), "in_features must be a positive int"),
        (lambda: Linear(2, 2.5), "out_features must be a positive int"),
        (lambda: LeakyReLU("0.1"), "alpha must be a finite real number"),
        (lambda: PReLU(0), "num_parameters must be a positive int"),
        (lambda: Sequential(Linear(2, 2), "relu"), "Sequential layer 1 must be a Module"),
        (lambda: Linear(3, 2)(np.ones((4, 2))), r"expects inputs whose last dimension is 3, got shape \(4, 2\)"),
    ],
)
def test_bad_layer_arguments_say_what_is_wrong(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        bad()


def test_activation_layers_apply_their_op():
    x = Tensor([[-2.0, 0.5]])
    assert ReLU()(x).data.tolist() == [[0.0, 0.5]]
    assert LeakyReLU(0.1)(x).data.tolist() == [[-0.2, 0.5]]
    assert LeakyReLU()(x).data.tolist() == [[-0.02, 0.5]]  # PyTorch's default slope
    assert PReLU()(x).data.tolist() == [[-0.5, 0.5]]  # PyTorch's init 0.25
    assert Tanh()(x).data.tolist() == np.tanh(x.data).tolist()
    np.testing.assert_allclose(Sigmoid()(x).data, 1 / (1 + np.exp(-x.data)))


def test_prelu_per_channel_learns_its_slopes():
    act = PReLU(num_parameters=2, init=0.5)
    x = Tensor([[-1.0, -2.0], [3.0, -4.0]])
    act(x).sum().backward()
    assert act.parameters() == [act.weight] and act.weight.grad.tolist() == [-1.0, -6.0]
    assert gradcheck(lambda w: (x.prelu(w) * x).sum(), act.weight)


def test_sequential_trains_xor_with_the_shared_optimizers():
    x = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = Tensor([[0.0], [1.0], [1.0], [0.0]])
    model = Sequential(Linear(2, 8, seed=0, alpha=0.1), LeakyReLU(0.1), Linear(8, 1, seed=1))
    assert len(model) == 3 and isinstance(model[1], LeakyReLU) and len(list(model)) == 3
    opt = Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        diff = model(x) - y
        loss = (diff * diff).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_sgd_step_updates_tensor_data():
    layer = Linear(2, 1, seed=0)
    before = layer.weight.data.copy()
    layer(Tensor([[1.0, 2.0]])).sum().backward()
    SGD(layer.parameters(), lr=0.5).step()
    np.testing.assert_allclose(layer.weight.data, before - 0.5 * np.array([[1.0, 2.0]]))
    assert layer.bias.data.tolist() == [-0.5]


# ---------------------------------------------------------------- dying-ReLU diagnostics
def _dead_model(alpha=None):
    """2 -> 4 -> 3: the first layer's units 1 and 3 and the second layer's unit 0 never see a positive input."""
    act = ReLU if alpha is None else (lambda: LeakyReLU(alpha))
    first, second = Linear(2, 4), Linear(4, 3)
    first.weight.data[:] = np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.0, 0.0]]).T
    first.bias.data[:] = [0.0, -0.5, 0.0, -1.0]
    second.weight.data[:] = np.array([[-1.0, 1.0, 0.5]] * 4).T
    second.bias.data[:] = [-0.1, 0.1, 0.0]
    return Sequential(first, act(), second, act())


def test_dead_units_per_relu_layer():
    batch = np.array([[1.0, 2.0], [0.5, 0.1], [2.0, 0.0]])
    reports = dead_units(_dead_model(), batch)
    assert [(r.layer, r.dead, r.units) for r in reports] == [(1, 2, 4), (2, 1, 3)]
    assert reports[0].fraction == 0.5
    assert str(reports[0]) == "layer 1 (ReLU()): 50% dead (2 of 4 units)"


def test_dead_units_for_leaky_layers_counts_the_alpha_side():
    batch = np.array([[1.0, 2.0], [0.5, 0.1]])
    reports = dead_units(_dead_model(alpha=0.1), batch)
    assert [r.dead for r in reports] == [2, 1]
    assert str(reports[1]) == "layer 2 (LeakyReLU(alpha=0.1)): 33% only on the alpha side (1 of 3 units)"


def test_dead_units_with_prelu_a_reused_activation_and_a_custom_module():
    class TwoLayers(Module):
        def __init__(self):
            self.fc = [Linear(2, 3, seed=0), Linear(3, 3, seed=1)]
            self.act = PReLU(3)

        def forward(self, x):
            return self.act(self.fc[1](self.act(self.fc[0](x))))

        def parameters(self):
            return [p for m in (*self.fc, self.act) for p in m.parameters()]

    model = TwoLayers()
    model.fc[0].bias.data[:] = [-100.0, 0.0, 0.0]  # unit 0 of the first call is always negative
    reports = dead_units(model, np.ones((5, 2)))
    # first call: ones @ W + b = [-101.2, 0.288, -0.160]; second: [-0.518, -32.4, 25.4] (all 5 rows alike)
    assert [(r.layer, r.dead, r.units) for r in reports] == [(1, 2, 3), (2, 2, 3)]
    assert "forward" not in vars(model.act)  # the recording hook is gone
    assert model(Tensor(np.ones((1, 2)))).shape == (1, 3)


def test_dead_units_errors():
    with pytest.raises(ValueError, match="contains no ReLU, LeakyReLU or PReLU"):
        dead_units(Sequential(Linear(2, 2), Tanh()), np.ones((3, 2)))
    with pytest.raises(ValueError, match="needs a batch"):
        dead_units(Sequential(ReLU()), np.ones(3))


def test_mlp_builds_the_value_mlps_network_on_tensors():
    from tinygrad_relu.nn import init_bound, mlp

    model = mlp(2, [16, 16, 3], activation="tanh", seed=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    for layer, kind in zip(model.layers[::2], ["tanh", "tanh", "linear"]):
        n_out, n_in = layer.weight.shape
        assert np.abs(layer.weight.data).max() <= init_bound(kind, None, n_in, n_out)
    assert mlp(2, [4, 1], "leaky_relu", seed=0)[1].alpha == 0.01
    assert mlp(2, [4, 1], "prelu", alpha=0.1, seed=0)[1].weight.data.tolist() == [0.1]
    with pytest.raises(ValueError, match="alpha only applies to leaky_relu and prelu, not 'relu'"):
        mlp(2, [4, 1], "relu", alpha=0.1)
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        mlp(2, [4, 1], "gelu")
