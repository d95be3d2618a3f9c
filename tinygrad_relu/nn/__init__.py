"""Neural networks, for both engines: ``MLP`` of Values (micrograd's API) and Tensor layers (PyTorch's).

- ``module.py``: ``Module``, the base of both, with ``parameters()``, ``named_parameters()``,
  ``children()``, ``modules()`` and ``zero_grad()``;
- ``init.py``: the activations, their default slopes and the weight init both families share;
- ``scalar.py``: ``Neuron``, ``Layer``, ``MLP`` on Values;
- ``tensor.py``: ``Linear``, ``Sequential``, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``Tanh``, ``Sigmoid``, ``mlp``;
- ``diagnostics.py``: ``dead_units``, the dying-ReLU report, and ``RectifierWatch`` for training histories.
"""

from .diagnostics import DeadUnits, RectifierWatch, dead_units
from .init import ACTIVATIONS, init_bound
from .module import Module
from .scalar import MLP, Layer, Neuron
from .tensor import LeakyReLU, Linear, PReLU, ReLU, Sequential, Sigmoid, Tanh, activation_layer, mlp

__all__ = [
    "ACTIVATIONS",
    "DeadUnits",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MLP",
    "Module",
    "Neuron",
    "PReLU",
    "RectifierWatch",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "activation_layer",
    "dead_units",
    "init_bound",
    "mlp",
]
