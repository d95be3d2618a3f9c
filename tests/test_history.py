"""The training history fit keeps, checked against a hand computation on a tiny network, for both engines."""

import numpy as np
import pytest

from tinygrad_relu.nn import MLP, RectifierWatch, mlp
from tinygrad_relu.optim import SGD
from tinygrad_relu.train import HEADS, History, fit, weight_layers

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]])
Y = np.array([1, 0, 1])
X_TEST, Y_TEST = np.array([[2.0, 1.0], [-2.0, -1.0]]), np.array([1, 1])
W1 = np.array([[0.5, -0.4], [0.3, -0.2]])  # the second hidden unit: pre-activation <= 0 on all three samples
B1 = np.array([0.1, -0.35])
W2 = np.array([[0.7], [-0.6]])
B2 = np.array([0.05])
LR = 0.5


def by_hand(W1, B1, W2, B2):
    """Loss, accuracy, gradients and dead share of 2-2-1 relu with a BCE head, written out in numpy."""
    pre = X @ W1 + B1
    h = np.maximum(pre, 0.0)
    z = (h @ W2 + B2)[:, 0]
    loss = np.mean(np.logaddexp(0.0, z) - Y * z)
    dz = (1.0 / (1.0 + np.exp(-z)) - Y) / len(Y)
    dW2, dB2 = h.T @ dz[:, None], dz.sum(keepdims=True)
    dpre = (dz[:, None] @ W2.T) * (pre > 0)
    dW1, dB1 = X.T @ dpre, dpre.sum(axis=0)
    norms = [np.sqrt(np.sum(dW1**2) + np.sum(dB1**2)), np.sqrt(np.sum(dW2**2) + np.sum(dB2**2))]
    z_test = (np.maximum(X_TEST @ W1 + B1, 0.0) @ W2 + B2)[:, 0]
    return {
        "loss": loss,
        "accuracy": np.mean((z > 0) == Y),
        "grad_norm": norms,
        "dead_share": [np.mean(np.all(pre <= 0, axis=0))],
        "test_accuracy": np.mean((z_test > 0) == Y_TEST),
        "grads": (dW1, dB1, dW2, dB2),
    }


def tensor_model():
    model = mlp(2, [2, 1], activation="relu", seed=0)
    for layer, (w, b) in zip([model[0], model[2]], [(W1, B1), (W2, B2)]):
        layer.weight.data[...], layer.bias.data[...] = w.T, b  # Linear keeps PyTorch's (out, in) layout
    return model


def value_model():
    model = MLP(2, [2, 1], activation="relu", seed=0)
    for layer, (w, b) in zip(model.layers, [(W1, B1), (W2, B2)]):
        for j, neuron in enumerate(layer.neurons):
            for i, weight in enumerate(neuron.w):
                weight.data = float(w[i, j])
            neuron.b.data = float(b[j])
    return model


@pytest.mark.parametrize("make", [tensor_model, value_model], ids=["tensor", "value"])
def test_history_matches_the_hand_computation(make):
    model = make()
    result = fit(model, HEADS["bce"], SGD(model.parameters(), lr=LR), X, Y, 2, test=(X_TEST, Y_TEST), label="relu")
    history = result.history
    first = by_hand(W1, B1, W2, B2)
    dW1, dB1, dW2, dB2 = first["grads"]
    second = by_hand(W1 - LR * dW1, B1 - LR * dB1, W2 - LR * dW2, B2 - LR * dB2)  # after one SGD step
    assert history.label == "relu" and history.epochs == 2
    assert history.layers == ["layer 1", "layer 2"] and history.rectifiers == ["layer 1"]
    for epoch, expected in enumerate([first, second]):
        assert history.loss[epoch] == pytest.approx(expected["loss"], rel=1e-12)
        assert history.accuracy[epoch] == expected["accuracy"]
        assert history.test_accuracy[epoch] == expected["test_accuracy"]
        assert history.grad_norm[epoch] == pytest.approx(expected["grad_norm"], rel=1e-12)
        assert history.dead_share[epoch] == expected["dead_share"]
    assert first["dead_share"] == [0.5] and first["accuracy"] == pytest.approx(2 / 3)  # the case is not trivial
    assert first["grad_norm"][0] == pytest.approx(0.166383, abs=1e-6)


def test_history_without_a_test_set_or_rectifiers():
    model = mlp(2, [3, 1], activation="tanh", seed=0)
    history = fit(model, HEADS["mse"], SGD(model.parameters(), lr=0.1), X, Y, 3).history
    assert history.test_accuracy == [] and history.rectifiers == [] and history.dead_share == [[], [], []]
    assert np.array(history.grad_norm).shape == (3, 2) and history.epochs == 3
    assert History().epochs == 0


def test_fit_still_calls_on_epoch_with_the_recorded_numbers():
    model = tensor_model()
    seen = []
    result = fit(
        model,
        HEADS["bce"],
        SGD(model.parameters(), lr=LR),
        X,
        Y,
        2,
        on_epoch=lambda e, loss, acc: seen.append((e, loss, acc)),
    )
    assert seen == [
        (1, result.history.loss[0], result.history.accuracy[0]),
        (2, result.history.loss[1], result.history.accuracy[1]),
    ]
    assert result.test_accuracy is None


def test_rectifier_watch_sees_only_the_passes_inside_it():
    tensor, value = tensor_model(), value_model()
    for model in (tensor, value):
        watch = RectifierWatch(model)
        assert watch.shares() == []  # no pass has called a rectifier yet
        with watch:
            model(X) if model is tensor else [model(row) for row in X.tolist()]
        assert watch.shares() == [0.5] and watch.names == ["layer 1"]
        model(X) if model is tensor else [model(row) for row in X.tolist()]  # outside: not seen
        assert np.isnan(watch.shares()[0])
    assert [len(g) for g in weight_layers(value)] == [6, 3] and [len(g) for g in weight_layers(tensor)] == [2, 2]
