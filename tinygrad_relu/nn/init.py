"""What both families of layers agree on: the activations, their default slopes, and weight init.

The scalar layers (``nn.scalar``) and the Tensor layers (``nn.tensor``) read these, so an MLP built
either way accepts the same settings, rejects the same mistakes with the same message, and starts
from weights drawn the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import checks

#: What a ``seed=`` argument takes: an int, a numpy Generator (shared by the layers of a model), or None.
Seed = int | np.random.Generator | None

#: The hidden-layer activations an MLP accepts.
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "tanh", "sigmoid")
#: "linear" is what an output layer uses; a lone Neuron, Layer or Linear may ask for it too.
LAYER_ACTIVATIONS = ACTIVATIONS + ("linear",)
#: PyTorch's defaults: LeakyReLU's negative_slope and PReLU's init.
DEFAULT_ALPHA = {"leaky_relu": 0.01, "prelu": 0.25}


def check_activation(activation: object, allowed: Sequence[str] = ACTIVATIONS) -> str:
    """``activation`` if it is one of ``allowed``, else a ValueError listing them."""
    if activation not in allowed:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(allowed)}")
    return str(activation)


def resolve_alpha(activation: str, alpha: float | None) -> float | None:
    """The negative slope for this activation: the given one, the default, or None if it has none."""
    if activation not in DEFAULT_ALPHA:
        if alpha is not None:
            raise ValueError(f"alpha only applies to leaky_relu and prelu, not {activation!r}")
        return None
    return DEFAULT_ALPHA[activation] if alpha is None else checks.finite(alpha, "alpha")


def init_bound(activation: str, alpha: float | None, nin: int, nout: int) -> float:
    """Half-width of the uniform weight init: Kaiming for the ReLU family, Xavier for tanh/sigmoid.

    Kaiming uses the leaky gain sqrt(2 / (1 + alpha^2)) (alpha = 0 for relu) and gain 1 for a linear
    (output) neuron; both schemes keep the signal's variance roughly constant from layer to layer.
    """
    if activation in ("tanh", "sigmoid"):
        return math.sqrt(6.0 / (nin + nout))
    # hypot: 1 + alpha**2 overflows for |alpha| > 1e154, where the gain is still a finite positive number
    gain = 1.0 if activation == "linear" else math.sqrt(2.0) / math.hypot(1.0, alpha or 0.0)
    return gain * math.sqrt(3.0 / nin)
