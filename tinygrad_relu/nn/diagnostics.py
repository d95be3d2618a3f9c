"""Dying-ReLU diagnostics: which units of a model never see a positive input on a batch.

``dead_units`` reports on one batch of a Tensor model; ``RectifierWatch`` watches the forward passes
of a training step, for either engine, and is what the training history reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Value, no_grad
from ..tensor import Tensor
from .module import Module
from .scalar import Layer, Neuron
from .tensor import LeakyReLU, Linear, PReLU, ReLU

_RECTIFIERS = (ReLU, LeakyReLU, PReLU)
_RECTIFIER_NAMES = ("relu", "leaky_relu", "prelu")
_MISSING = object()


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
        return (
            f"layer {self.layer} ({self.activation}): {100 * self.fraction:.0f}% {state} "
            f"({self.dead} of {self.units} units)"
        )


def dead_units(model: Module, x: Any) -> list[DeadUnits]:
    """Run ``model`` on the batch ``x`` (without a graph) and report, for each ReLU, LeakyReLU or PReLU it
    calls, the units whose input was <= 0 on every sample: dead for ReLU (zero gradient everywhere),
    only ever on the alpha side for the leaky ones. A unit is one position of the non-batch axes.

    ``for r in dead_units(model, x): print(r)`` prints lines like ``layer 1 (ReLU): 40% dead (6 of 15 units)``.
    """
    modules = [m for m in model.modules() if isinstance(m, _RECTIFIERS)]
    if not modules:
        raise ValueError(f"dead_units: {type(model).__name__} contains no ReLU, LeakyReLU or PReLU layer")
    reports: list[DeadUnits] = []

    def recording(module: Module) -> Callable[[Any], Tensor]:
        def forward(inp: Any) -> Tensor:
            pre = inp.data if isinstance(inp, Tensor) else np.asarray(inp, dtype=np.float64)
            if pre.ndim < 2:
                raise ValueError(f"dead_units needs a batch (samples on axis 0), but {module!r} got shape {pre.shape}")
            dead = np.all(pre <= 0, axis=0)
            reports.append(DeadUnits(len(reports) + 1, repr(module), int(dead.sum()), int(dead.size)))
            result: Tensor = type(module).forward(module, inp)
            return result

        return forward

    for module in modules:
        setattr(module, "forward", recording(module))  # noqa: B010  # an instance attribute: found before the class's
    try:
        with no_grad():
            model(x)
    finally:
        for module in modules:
            del module.forward
    return reports


class RectifierWatch:
    """Inside ``with watch:``, records for each rectifier layer of ``model`` which of its units had a positive
    pre-activation on some sample of the forward passes run meanwhile; ``shares()`` then gives, per layer,
    the share of units that never did (``dead_units``'s definition: dead for ReLU, only on the alpha side
    for the leaky ones).

    Layers are named after the weight layer that feeds them: ``layer 1`` is the rectifier after the first
    ``Linear`` of a ``Sequential``, or the first ``Layer`` of an ``MLP`` of Values. Works for both engines.
    """

    def __init__(self, model: Module) -> None:
        self.names: list[str] = []
        self._positive: list[np.ndarray | None] = []
        self._targets: list[tuple[Any, str, Callable[..., Any]]] = []  # (object, attribute, recording wrapper)
        weight_layers = 0
        for module in model.modules():
            if isinstance(module, (Linear, Layer)):
                weight_layers += 1
            if isinstance(module, _RECTIFIERS):
                self._watch_tensor_layer(module, f"layer {weight_layers}")
            elif isinstance(module, Layer) and module.neurons[0].activation in _RECTIFIER_NAMES:
                self._watch_value_layer(module.neurons, f"layer {weight_layers}")

    def _watch_tensor_layer(self, module: Module, name: str) -> None:
        slot = self._new_slot(name)

        def forward(inp: Any) -> Tensor:
            pre = inp.data if isinstance(inp, Tensor) else np.asarray(inp, dtype=np.float64)
            positive = np.any(pre.reshape(len(pre), -1) > 0, axis=0)
            seen = self._positive[slot]
            self._positive[slot] = positive if seen is None else seen | positive
            result: Tensor = type(module).forward(module, inp)
            return result

        self._targets.append((module, "forward", forward))

    def _watch_value_layer(self, neurons: list[Neuron], name: str) -> None:
        slot = self._new_slot(name)
        for j, neuron in enumerate(neurons):
            act: Callable[..., Value] = neuron._act  # type: ignore[assignment]  # a rectifier, not None

            # The neuron calls its activation on its pre-activation: watching that call sees every sample.
            def recording(pre: Value, *slope: Any, j: int = j, act: Callable[..., Value] = act) -> Value:
                seen = self._positive[slot]
                if seen is None:
                    seen = self._positive[slot] = np.zeros(len(neurons), dtype=bool)
                if pre.data > 0:
                    seen[j] = True
                return act(pre, *slope)

            self._targets.append((neuron, "_act", recording))

    def _new_slot(self, name: str) -> int:
        self.names.append(name)
        self._positive.append(None)
        return len(self.names) - 1

    def __enter__(self) -> RectifierWatch:
        self._saved = [obj.__dict__.get(attr, _MISSING) for obj, attr, _ in self._targets]
        for obj, attr, wrapper in self._targets:
            setattr(obj, attr, wrapper)  # an instance attribute: found before the class's method
        return self

    def __exit__(self, *exc: object) -> None:
        for (obj, attr, _), saved in zip(self._targets, self._saved):
            if saved is _MISSING:
                delattr(obj, attr)
            else:
                setattr(obj, attr, saved)

    def shares(self) -> list[float]:
        """Per watched layer, the share of units never positive since the last call (nan if it never ran)."""
        out = [float("nan") if p is None else float(1.0 - p.mean()) for p in self._positive]
        self._positive = [None] * len(self._positive)
        return out
