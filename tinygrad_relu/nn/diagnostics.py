"""Dying-ReLU diagnostics: which units of a Tensor model never see a positive input on a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor
from .module import Module
from .tensor import LeakyReLU, PReLU, ReLU

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
        setattr(module, "forward", recording(module))  # an instance attribute: found before the class's
    try:
        with no_grad():
            model(x)
    finally:
        for module in modules:
            del module.forward
    return reports
