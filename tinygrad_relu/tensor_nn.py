"""Layers on Tensors (Linear, Sequential, the activations) and the dying-ReLU diagnostics.

Names and defaults follow ``torch.nn``; the negative slope is called ``alpha`` as everywhere in
this package (PyTorch's ``negative_slope``). ``from tinygrad_relu.nn import Linear, ...`` works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any, Iterator, Sequence, Union

import numpy as np

from .graph import no_grad
from .module import Module
from .tensor import Tensor

__all__ = ["DeadUnits", "LeakyReLU", "Linear", "PReLU", "ReLU", "Sequential", "Sigmoid", "Tanh", "dead_units", "mlp"]

Seed = Union[int, np.random.Generator, None]


def _size(n: Any, what: str) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def _slope(alpha: Any, what: str) -> float:
    if not isinstance(alpha, Real) or isinstance(alpha, bool) or not np.isfinite(alpha):
        raise ValueError(f"{what} must be a finite real number, got {alpha!r}")
    return float(alpha)


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Linear(Module):
    """``x @ weight + bias`` for a batch ``x`` of shape (N, in_features), as one ``Tensor.linear`` node.

    ``weight`` has shape (in_features, out_features) -- the transpose of PyTorch's layout, so the
    forward pass needs no transpose. It starts Kaiming-uniform with the leaky gain
    sqrt(2 / (1 + alpha^2)), where ``alpha`` is the negative slope of the activation that follows
    (0 for ReLU, PyTorch's kaiming default); the bias starts at 0. The same ``seed`` gives the same weights.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, seed: Seed = None,
                 alpha: float = 0.0) -> None:
        from .nn import init_bound  # here, not at the top: nn re-exports this module's layers

        self.in_features = _size(in_features, "in_features")
        self.out_features = _size(out_features, "out_features")
        bound = init_bound("leaky_relu", _slope(alpha, "alpha"), self.in_features, self.out_features)
        rng = np.random.default_rng(seed)
        self.weight = Tensor(rng.uniform(-bound, bound, (self.in_features, self.out_features)),
                             requires_grad=True, label="weight")
        self.bias = Tensor(np.zeros(self.out_features), requires_grad=True, label="bias") if bias else None

    def forward(self, x: Any) -> Tensor:
        """The layer's output, shape (N, out_features)."""
        try:
            return (x if type(x) is Tensor else Tensor(x)).linear(self.weight, self.bias)
        except ValueError:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last dimension "
                             f"is {self.in_features}, got shape {np.shape(getattr(x, 'data', x))}") from None

    def parameters(self) -> list:
        """The weight, then the bias (if any)."""
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}{'' if self.bias is not None else ', bias=False'})"


class _Elementwise(Module):
    """A layer without parameters that applies the Tensor method named ``_method``."""

    _method = ""

    def forward(self, x: Any) -> Tensor:
        """Apply the function element-wise."""
        return getattr(_tensor(x), self._method)()

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

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = _slope(alpha, "alpha")

    def forward(self, x: Any) -> Tensor:
        """Apply leaky_relu element-wise."""
        return (x if type(x) is Tensor else Tensor(x)).leaky_relu(self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha:g})"


class PReLU(Module):
    """Leaky ReLU with a learned slope: one shared (``num_parameters=1``) or one per channel (dim 1), as PyTorch."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        n = _size(num_parameters, "num_parameters")
        self.weight = Tensor(np.full(n, _slope(init, "init")), requires_grad=True, label="prelu slope")

    def forward(self, x: Any) -> Tensor:
        """Apply prelu with the current slope(s)."""
        return _tensor(x).prelu(self.weight)

    def parameters(self) -> list:
        """The slope(s)."""
        return [self.weight]

    def __repr__(self) -> str:
        return f"PReLU(num_parameters={self.weight.size})"


class Sequential(Module):
    """Layers applied in turn: ``Sequential(Linear(2, 8), LeakyReLU(), Linear(8, 1))``."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential layer {i} must be a Module (e.g. Linear, ReLU), got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        """Run every layer on the output of the one before."""
        for layer in self.layers:
            x = layer.forward(x)  # what layer(x) calls, one Python call fewer per layer
        return x

    def parameters(self) -> list:
        """Every layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


def _activation_layer(activation: str, alpha: float | None) -> Module:
    if activation == "leaky_relu":
        return LeakyReLU(0.01 if alpha is None else alpha)
    if activation == "prelu":
        return PReLU(1, 0.25 if alpha is None else alpha)
    if alpha is not None:
        raise ValueError(f"alpha only applies to leaky_relu and prelu, not {activation!r}")
    return {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]()


def mlp(nin: int, nouts: Sequence[int], activation: str = "relu", alpha: float | None = None,
        seed: Seed = None) -> Sequential:
    """``nn.MLP``'s network on Tensors: Linear layers of sizes ``nouts`` with ``activation`` between them
    (the last layer is linear), initialized as ``nn.init_bound`` says (Kaiming or Xavier)."""
    from .nn import ACTIVATIONS, init_bound  # here, not at the top: nn re-exports this module's layers

    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    rng = np.random.default_rng(seed)
    sizes = [nin, *nouts]
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(nouts) - 1
        layer = Linear(n_in, n_out, seed=rng)
        # Linear draws Kaiming for ReLU (gain sqrt 2); rescaling a uniform draw keeps it uniform
        kind, slope = ("linear", None) if last else (activation, alpha)
        layer.weight.data *= init_bound(kind, slope, n_in, n_out) / init_bound("relu", 0.0, n_in, n_out)
        layers.append(layer)
        if not last:
            layers.append(_activation_layer(activation, alpha))
    return Sequential(*layers)


# ---------------------------------------------------------------- dying-ReLU diagnostics
_RECTIFIERS = (ReLU, LeakyReLU, PReLU)


@dataclass
class DeadUnits:
    """One activation call of a forward pass: how many of its units had pre-activation <= 0 on every sample."""

    layer: int  # 1 for the first rectifier the forward pass calls, 2 for the next, ...
    activation: str
    dead: int
    units: int

    @property
    def fraction(self) -> float:
        """dead / units."""
        return self.dead / self.units if self.units else 0.0

    def __str__(self) -> str:
        # A relu unit there gets no gradient at all; a leaky or prelu one only ever the alpha-scaled one.
        state = "dead" if self.activation.startswith("ReLU") else "only on the alpha side"
        return (f"layer {self.layer} ({self.activation}): {100 * self.fraction:.0f}% {state} "
                f"({self.dead} of {self.units} units)")


def _rectifiers(model: Module) -> list:
    """Every ReLU, LeakyReLU and PReLU module reachable from ``model`` through attributes and lists."""
    found, seen, stack = [], set(), [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _RECTIFIERS):
            found.append(obj)
        children = vars(obj).values() if isinstance(obj, Module) else obj
        stack.extend(c for c in children if isinstance(c, (Module, list, tuple)))
    return found


def dead_units(model: Module, x: Any) -> list[DeadUnits]:
    """Run ``model`` on the batch ``x`` (without a graph) and report, for each ReLU, LeakyReLU or PReLU it
    calls, the units whose input was <= 0 on every sample: dead for ReLU (zero gradient everywhere),
    only ever on the alpha side for the leaky ones. A unit is one position of the non-batch axes.

    ``for r in dead_units(model, x): print(r)`` prints lines like ``layer 1 (ReLU): 40% dead (6 of 15 units)``.
    """
    modules = _rectifiers(model)
    if not modules:
        raise ValueError(f"dead_units: {type(model).__name__} contains no ReLU, LeakyReLU or PReLU layer")
    reports: list[DeadUnits] = []

    def recording(module: Module) -> Any:
        def forward(inp: Any) -> Tensor:
            pre = _tensor(inp).data
            if pre.ndim < 2:
                raise ValueError(f"dead_units needs a batch (samples on axis 0), but {module!r} got shape {pre.shape}")
            dead = np.all(pre <= 0, axis=0)
            reports.append(DeadUnits(len(reports) + 1, repr(module), int(dead.sum()), int(dead.size)))
            return type(module).forward(module, inp)
        return forward

    for module in modules:
        module.forward = recording(module)  # an instance attribute: __call__ finds it before the class's
    try:
        with no_grad():
            model(x)
    finally:
        for module in modules:
            del module.forward
    return reports
