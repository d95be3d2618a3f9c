"""Layers on Tensors: Linear, Sequential and the activation layers, and ``mlp`` to build a network.

Names and defaults follow ``torch.nn``; the negative slope is called ``alpha`` as everywhere in this
package (PyTorch's ``negative_slope``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import checks
from ..tensor import Tensor
from .init import ACTIVATIONS, LAYER_ACTIVATIONS, Seed, check_activation, init_bound, resolve_alpha
from .module import Module


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Linear(Module):
    """``x @ weight.T + bias`` for a batch ``x`` of shape (N, in_features), as one ``Tensor.linear`` node.

    ``weight`` has PyTorch's layout, (out_features, in_features), so a ``state_dict`` moves between the
    two unchanged. It starts uniform, scaled for the ``activation`` that follows
    (``nn.init.init_bound``): Kaiming with the leaky gain sqrt(2 / (1 + alpha^2)) for the ReLU family
    (the default, ``alpha=0``, is PyTorch's kaiming for ReLU), Xavier for tanh and sigmoid, gain 1 for
    "linear" (an output layer). The bias starts at 0. The same ``seed`` gives the same weights.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: Seed = None,
        alpha: float = 0.0,
        activation: str = "leaky_relu",
    ) -> None:
        self.in_features = checks.count(in_features, "in_features")
        self.out_features = checks.count(out_features, "out_features")
        check_activation(activation, LAYER_ACTIVATIONS)
        bound = init_bound(activation, checks.finite(alpha, "alpha"), self.in_features, self.out_features)
        rng = np.random.default_rng(seed)
        # drawn (in, out) and stored transposed, (out, in) as PyTorch's layout: seeds give the weights they always gave
        draw = rng.uniform(-bound, bound, (self.in_features, self.out_features))
        self.weight = Tensor(draw.T, requires_grad=True, label="weight")
        self.bias = Tensor(np.zeros(self.out_features), requires_grad=True, label="bias") if bias else None

    def forward(self, x: Any) -> Tensor:
        """The layer's output, shape (N, out_features)."""
        t = _tensor(x)
        try:
            return t.linear(self.weight, self.bias)
        except ValueError:  # checked only on failure: the layer's own message, in the layer's terms
            if not t.data.ndim or t.data.shape[-1] != self.in_features:
                raise ValueError(
                    f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                    f"dimension is {self.in_features}, got shape {t.data.shape}"
                ) from None
            raise

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}{'' if self.bias is not None else ', bias=False'})"


class _Elementwise(Module):
    """A layer without parameters that applies the Tensor method named ``_method``."""

    joins_previous = True
    _method = ""

    def forward(self, x: Any) -> Tensor:
        """Apply the function element-wise."""
        result: Tensor = getattr(_tensor(x), self._method)()
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Elementwise):
    """max(0, x), gradient 0 at exactly 0."""

    _method = "relu"


class Tanh(_Elementwise):
    """Hyperbolic tangent."""

    _method = "tanh"


class Sigmoid(_Elementwise):
    """Logistic function."""

    _method = "sigmoid"


class LeakyReLU(Module):
    """x if x > 0 else alpha * x (``alpha`` is PyTorch's ``negative_slope``, default 0.01)."""

    joins_previous = True

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = checks.finite(alpha, "alpha")

    def forward(self, x: Any) -> Tensor:
        """Apply leaky_relu element-wise."""
        return _tensor(x).leaky_relu(self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha:g})"


class PReLU(Module):
    """Leaky ReLU with a learned slope: one shared (``num_parameters=1``) or one per channel (dim 1), as PyTorch."""

    joins_previous = True

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        n = checks.count(num_parameters, "num_parameters")
        self.weight = Tensor(np.full(n, checks.finite(init, "init")), requires_grad=True, label="prelu slope")

    def forward(self, x: Any) -> Tensor:
        """Apply prelu with the current slope(s)."""
        return _tensor(x).prelu(self.weight)

    def __repr__(self) -> str:
        return f"PReLU(num_parameters={self.weight.size})"


class Sequential(Module):
    """Layers applied in turn: ``Sequential(Linear(2, 8), LeakyReLU(), Linear(8, 1))``; children named 0, 1, ..."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential layer {i} must be a Module (e.g. Linear, ReLU), got {type(layer).__name__}"
                )
        self.layers = list(layers)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(index as a string, layer) for each layer, as PyTorch names a Sequential's children."""
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def forward(self, x: Any) -> Any:
        """Run every layer on the output of the one before."""
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


def activation_layer(activation: str, alpha: float | None = None) -> Module:
    """The Tensor layer for an activation name: ``activation_layer("leaky_relu", 0.1)`` is ``LeakyReLU(0.1)``."""
    slope = resolve_alpha(check_activation(activation), alpha)
    if activation == "leaky_relu":
        return LeakyReLU(slope)  # type: ignore[arg-type]  # resolve_alpha gives leaky_relu a slope
    if activation == "prelu":
        return PReLU(1, slope)  # type: ignore[arg-type]
    return {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]()


def mlp(
    nin: int, nouts: Sequence[int], activation: str = "relu", alpha: float | None = None, seed: Seed = None
) -> Sequential:
    """``nn.MLP``'s network on Tensors: Linear layers of sizes ``nouts`` with ``activation`` between them
    (the last layer is linear), each initialized for the activation that follows it, as ``MLP`` is."""
    check_activation(activation, ACTIVATIONS)
    if isinstance(nouts, (int, str)) or len(nouts) == 0:
        raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
    slope = resolve_alpha(activation, alpha)
    rng = np.random.default_rng(seed)
    sizes = [nin, *nouts]
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(nouts) - 1
        linear = Linear(
            n_in, n_out, seed=rng, alpha=0.0 if last else slope or 0.0, activation="linear" if last else activation
        )
        linear.weight.label = f"W{i + 1}"  # the names a drawing shows
        if linear.bias is not None:
            linear.bias.label = f"b{i + 1}"
        layers.append(linear)
        if not last:
            layers.append(activation_layer(activation, alpha))
    return Sequential(*layers)
