"""Neural networks on Values: Neuron, Layer and MLP with micrograd's call signature.

``MLP(2, [16, 16, 1])`` is called on a list of floats or Values and returns one Value when the last
layer has one output (a list otherwise), so code written for micrograd runs after changing the import.
Each neuron's ``b + sum(w_i * x_i)`` is one fused graph node (``Value.weighted_sum``).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Optional, Sequence, Union

import numpy as np

from .module import Module
from .value import Value

__all__ = ["ACTIVATIONS", "Layer", "MLP", "Module", "Neuron", "init_bound"]

Seed = Union[int, np.random.Generator, None]
Input = Sequence[Union[Value, float]]

#: The hidden-layer activations an MLP accepts.
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "tanh", "sigmoid")
# "linear" is what the output layer uses; a lone Neuron or Layer may ask for it too.
_NEURON_ACTIVATIONS = ACTIVATIONS + ("linear",)
_DEFAULT_ALPHA = {"leaky_relu": 0.01, "prelu": 0.25}  # PyTorch's negative_slope and PReLU init
_NAMES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "tanh": "Tanh",
          "sigmoid": "Sigmoid", "linear": "Linear"}


def _check_activation(activation: str, allowed: Sequence[str]) -> str:
    if activation not in allowed:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(allowed)}")
    return activation


def _resolve_alpha(activation: str, alpha: Optional[float]) -> Optional[float]:
    """The negative slope for this activation: the given one, the default, or None if it has none."""
    if activation not in _DEFAULT_ALPHA:
        if alpha is not None:
            raise ValueError(f"alpha only applies to leaky_relu and prelu, not {activation!r}")
        return None
    if alpha is None:
        return _DEFAULT_ALPHA[activation]
    if not isinstance(alpha, Real) or isinstance(alpha, bool) or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite real number, got {alpha!r}")
    return float(alpha)


def init_bound(activation: str, alpha: Optional[float], nin: int, nout: int) -> float:
    """Half-width of the uniform weight init: Kaiming for the ReLU family, Xavier for tanh/sigmoid.

    Kaiming uses the leaky gain sqrt(2 / (1 + alpha^2)) (alpha = 0 for relu) and gain 1 for a linear
    (output) neuron; both schemes keep the signal's variance roughly constant from layer to layer.
    """
    if activation in ("tanh", "sigmoid"):
        return math.sqrt(6.0 / (nin + nout))
    gain = 1.0 if activation == "linear" else math.sqrt(2.0 / (1.0 + (alpha or 0.0) ** 2))
    return gain * math.sqrt(3.0 / nin)


class Neuron(Module):
    """One unit: ``activation(b + sum_i w_i * x_i)``.

    ``alpha`` is the negative slope (PyTorch's ``negative_slope``) of leaky_relu (default 0.01), or the
    initial learnable slope of prelu (default 0.25); pass a Value as ``alpha`` to share one prelu
    slope among neurons -- the neuron then leaves it out of ``parameters()``, as its owner lists it.
    ``nout`` is the fan-out Xavier init needs (the size of the neuron's layer).
    """

    def __init__(self, nin: int, activation: str = "relu", alpha: Union[float, Value, None] = None,
                 seed: Seed = None, nout: int = 1) -> None:
        if not isinstance(nin, int) or isinstance(nin, bool) or nin < 1:
            raise ValueError(f"nin must be a positive int, got {nin!r}")
        self.activation = _check_activation(activation, _NEURON_ACTIVATIONS)
        self._owns_alpha = not isinstance(alpha, Value)
        if activation == "prelu":
            self.alpha = Value(_resolve_alpha(activation, alpha)) if self._owns_alpha else alpha
        else:
            self.alpha = _resolve_alpha(activation, alpha)
        bound = init_bound(activation, self.alpha_value, nin, nout)
        rng = np.random.default_rng(seed)
        self.w = tuple(Value(float(x)) for x in rng.uniform(-bound, bound, nin))
        self.b = Value(0.0)
        self._act = self._activation_fn()

    @property
    def alpha_value(self) -> Optional[float]:
        """The current negative slope as a number (None for relu, tanh, sigmoid, linear)."""
        return self.alpha.data if isinstance(self.alpha, Value) else self.alpha

    def _activation_fn(self) -> Optional[Callable[[Value], Value]]:
        act, alpha = self.activation, self.alpha
        if act == "leaky_relu":
            return lambda v: v.leaky_relu(alpha)
        if act == "prelu":
            return lambda v: v.prelu(alpha)
        return None if act == "linear" else getattr(Value, act)

    def forward(self, x: Input) -> Value:
        """The neuron's output for one input list."""
        out = Value.weighted_sum(self.w, x, self.b)
        return out if self._act is None else self._act(out)

    def parameters(self) -> list:
        """The weights, the bias, and the prelu slope if this neuron owns it."""
        own = [self.alpha] if self.activation == "prelu" and self._owns_alpha else []
        return [*self.w, self.b, *own]

    def __repr__(self) -> str:
        name = f"{_NAMES[self.activation]}Neuron({len(self.w)}"
        if self.activation == "leaky_relu":
            return f"{name}, alpha={self.alpha:g})"
        if self.activation == "prelu":
            return f"{name}, alpha={self.alpha.data:.4g} learned)"
        return name + ")"


class Layer(Module):
    """``nout`` neurons reading the same inputs; prelu slopes are per layer (one shared) or per neuron."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", alpha: Optional[float] = None,
                 seed: Seed = None, prelu_per: str = "layer") -> None:
        if not isinstance(nout, int) or isinstance(nout, bool) or nout < 1:
            raise ValueError(f"nout must be a positive int, got {nout!r}")
        if prelu_per not in ("layer", "neuron"):
            raise ValueError(f"prelu_per must be 'layer' or 'neuron', got {prelu_per!r}")
        _check_activation(activation, _NEURON_ACTIVATIONS)
        self.shared_alpha = None
        if activation == "prelu" and prelu_per == "layer":
            self.shared_alpha = Value(_resolve_alpha(activation, alpha))
            alpha = self.shared_alpha
        rng = np.random.default_rng(seed)
        self.nin = nin
        self.neurons = [Neuron(nin, activation, alpha, rng, nout) for _ in range(nout)]

    def forward(self, x: Input) -> Union[Value, list]:
        """Every neuron's output: a list, or one Value if the layer has one neuron."""
        if len(x) != self.nin:
            raise ValueError(f"layer of {len(self.neurons)} neurons expects {self.nin} inputs, got {len(x)}")
        # Floats become leaves once here, so all neurons share them (one input node each, not nout).
        x = tuple([xi if type(xi) is Value else Value(xi) for xi in x])
        out = [n.forward(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list:
        """Every neuron's parameters, then the shared prelu slope if there is one."""
        shared = [] if self.shared_alpha is None else [self.shared_alpha]
        return [p for n in self.neurons for p in n.parameters()] + shared

    def __repr__(self) -> str:
        groups: list[list] = []  # runs of neurons that print the same, shown once with a count
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

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 alpha: Optional[float] = None, seed: Seed = None, prelu_per: str = "layer") -> None:
        _check_activation(activation, ACTIVATIONS)
        if isinstance(nouts, (int, str)) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.activation = activation
        self.alpha = _resolve_alpha(activation, alpha)
        rng = np.random.default_rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear",
                  alpha if i < last else None, rng, prelu_per)
            for i in range(len(nouts))
        ]

    def forward(self, x: Input) -> Union[Value, list]:
        """Run the layers in turn on one input list."""
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list:
        """Every layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(map(repr, self.layers))}]"
from .tensor_nn import LeakyReLU, Linear, PReLU, ReLU, Sequential, Sigmoid, Tanh  # noqa: E402,F401  (Tensor layers)
