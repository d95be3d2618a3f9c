"""Neural networks, for both engines: ``MLP`` of Values (micrograd's API) and Tensor layers (PyTorch's).

- ``module.py``: ``Module``, the base of both, with ``parameters()``, ``named_parameters()``,
  ``children()``, ``modules()``, ``zero_grad()`` and forward hooks (``register_module_forward_hook`` for all);
- ``serialize.py``: ``save`` and ``load`` (``Module.save`` and ``Module.load``), numpy's ``.npz`` archive;
- ``calls.py``: which module call returned a node (``module_call``), noted by a forward hook for the drawings;
- ``init.py``: the activations, their default slopes and the weight init both families share;
- ``scalar.py``: ``Neuron``, ``Layer``, ``MLP`` on Values;
- ``tensor.py``: ``Linear``, ``Sequential``, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``Tanh``, ``Sigmoid``, ``mlp``;
- ``diagnostics.py``: ``dead_units``, the dying-ReLU report, and ``RectifierWatch`` for training histories.
"""

from .calls import ModuleCall, module_call, note_module_calls
from .diagnostics import DeadUnits, RectifierWatch, dead_units
from .init import ACTIVATIONS, init_bound
from .module import Module, register_module_forward_hook
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
    "ModuleCall",
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
    "module_call",
    "note_module_calls",
    "register_module_forward_hook",
]
