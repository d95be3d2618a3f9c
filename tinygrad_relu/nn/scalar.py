"""Neural networks on Values: Neuron, Layer and MLP with micrograd's call signature.

``MLP(2, [16, 16, 1])`` is called on a list of floats or Values and returns one Value when the last
layer has one output (a list otherwise), so code written for micrograd runs after changing the import.
Each neuron's ``b + sum(w_i * x_i)`` is one fused graph node (``Value.weighted_sum``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import checks
from ..engine import Value
from .init import ACTIVATIONS, LAYER_ACTIVATIONS, Seed, check_activation, init_bound, resolve_alpha
from .module import Module

Input = Sequence[Value | float]
_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "prelu": "PReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "linear": "Linear",
}


class Neuron(Module):
    """One unit: ``activation(b + sum_i w_i * x_i)``.

    ``alpha`` is the negative slope (PyTorch's ``negative_slope``) of leaky_relu (default 0.01), or the
    initial learnable slope of prelu (default 0.25); pass a Value as ``alpha`` to share one prelu
    slope among neurons (their layer does). ``nout`` is the fan-out Xavier init needs (the size of
    the neuron's layer).
    """

    def __init__(
        self, nin: int, activation: str = "relu", alpha: float | Value | None = None, seed: Seed = None, nout: int = 1
    ) -> None:
        nin = checks.count(nin, "nin")
        self.activation = check_activation(activation, LAYER_ACTIVATIONS)
        slope: float | Value | None
        if activation == "prelu":
            slope = alpha if isinstance(alpha, Value) else Value(resolve_alpha(activation, alpha) or 0.0)
        else:
            slope = resolve_alpha(activation, alpha)  # type: ignore[arg-type]  # a Value is an error here
        bound = init_bound(activation, slope.data if isinstance(slope, Value) else slope, nin, nout)
        rng = np.random.default_rng(seed)
        self.w = tuple(Value(float(x)) for x in rng.uniform(-bound, bound, nin))
        self.b = Value(0.0)
        self.alpha = slope  # after w and b: parameters() lists the weights, the bias, then a learned slope
        # Value's own method (Value.relu, Value.leaky_relu, ...): a plain function, so a Neuron can be
        # copied and pickled; None for a linear neuron.
        self._act: Callable[..., Value] | None = None if activation == "linear" else getattr(Value, activation)

    @property
    def alpha_value(self) -> float | None:
        """The current negative slope as a number (None for relu, tanh, sigmoid, linear)."""
        return self.alpha.data if isinstance(self.alpha, Value) else self.alpha

    def forward(self, x: Input) -> Value:
        """The neuron's output for one input list."""
        out = Value.weighted_sum(self.w, x, self.b)
        if self._act is None:
            return out
        return self._act(out) if self.alpha is None else self._act(out, self.alpha)

    def __repr__(self) -> str:
        name = f"{_NAMES[self.activation]}Neuron({len(self.w)}"
        if isinstance(self.alpha, Value):
            return f"{name}, alpha={self.alpha.data:.4g} learned)"
        return name + ("" if self.alpha is None else f", alpha={self.alpha:g}") + ")"


class Layer(Module):
    """``nout`` neurons reading the same inputs; prelu slopes are per layer (one shared) or per neuron."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        alpha: float | None = None,
        seed: Seed = None,
        prelu_per: str = "layer",
    ) -> None:
        nout = checks.count(nout, "nout")
        if prelu_per not in ("layer", "neuron"):
            raise ValueError(f"prelu_per must be 'layer' or 'neuron', got {prelu_per!r}")
        check_activation(activation, LAYER_ACTIVATIONS)
        slope: float | Value | None = alpha
        if activation == "prelu" and prelu_per == "layer":
            slope = Value(resolve_alpha(activation, alpha) or 0.0)  # one slope, shared by every neuron
        rng = np.random.default_rng(seed)
        self.nin = nin
        self.neurons = [Neuron(nin, activation, slope, rng, nout) for _ in range(nout)]

    def forward(self, x: Input) -> Value | list[Value]:
        """Every neuron's output: a list, or one Value if the layer has one neuron."""
        if len(x) != self.nin:
            raise ValueError(f"layer of {len(self.neurons)} neurons expects {self.nin} inputs, got {len(x)}")
        # Floats become leaves once here, so all neurons share them (one input node each, not nout).
        xs = tuple([xi if isinstance(xi, Value) else Value(xi) for xi in x])
        # Each neuron's forward, not a module call per neuron: a network makes thousands of them a step. The
        # layer's call tags all its outputs at once, and the drawings find each one's neuron by its weights.
        out = [neuron.forward(xs) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        groups: list[list[Any]] = []  # runs of neurons that print the same, shown once with a count
        for text in map(repr, self.neurons):
            if groups and groups[-1][0] == text:
                groups[-1][1] += 1
            else:
                groups.append([text, 1])
        return "Layer of [" + ", ".join(t if k == 1 else f"{k} x {t}" for t, k in groups) + "]"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use ``activation``, the last layer is linear.

    ``MLP(2, [16, 16, 1], activation="leaky_relu", alpha=0.1, seed=0)`` gives the same weights for the
    same seed. ``alpha`` defaults to 0.01 for leaky_relu and 0.25 for prelu, and is an error for
    the others; ``prelu_per`` ("layer" or "neuron") says how many prelu slopes are learned.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        alpha: float | None = None,
        seed: Seed = None,
        prelu_per: str = "layer",
    ) -> None:
        check_activation(activation, ACTIVATIONS)
        if isinstance(nouts, (int, str)) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.activation = activation
        self.alpha = resolve_alpha(activation, alpha)
        rng = np.random.default_rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < last else "linear",
                alpha if i < last else None,
                rng,
                prelu_per,
            )
            for i in range(len(nouts))
        ]
        for n, layer in enumerate(self.layers, 1):  # the names a drawing shows: w<layer>.<neuron>.<input>
            for j, neuron in enumerate(layer.neurons, 1):
                neuron.b.label = f"b{n}.{j}"
                for i, w in enumerate(neuron.w, 1):
                    w.label = f"w{n}.{j}.{i}"

    def forward(self, x: Input) -> Value | list[Value]:
        """Run the layers in turn on one input list."""
        out: Input | Value = x
        for layer in self.layers:
            out = layer(out)
        return out  # type: ignore[return-value]  # a Layer returns a Value or a list of them

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
