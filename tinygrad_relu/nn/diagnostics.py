"""Dying-ReLU diagnostics: which units of a model never see a positive input.

``RectifierWatch`` observes a model's rectifiers through forward hooks while forward passes run: each
ReLU, LeakyReLU or PReLU layer of a Tensor network (its units: the positions of its input's non-batch
axes), and each scalar ``Layer`` whose neurons use relu, leaky_relu or prelu (its units: its neurons).
``dead_units`` runs one batch under a watch; ``fit``'s history and the drawings read a watch too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Value, no_grad
from ..tensor import Tensor
from .calls import module_call, note_module_calls
from .module import Module, RemovableHandle
from .scalar import Layer
from .tensor import LeakyReLU, PReLU, ReLU

_RECTIFIER_NAMES = ("relu", "leaky_relu", "prelu")


def _is_rectifier(module: Module) -> bool:
    """A Tensor ReLU-family layer, or a scalar Layer of ReLU-family neurons."""
    if isinstance(module, (ReLU, LeakyReLU, PReLU)):
        return True
    return isinstance(module, Layer) and module.neurons[0].activation in _RECTIFIER_NAMES


@dataclass
class RectifierCall:
    """One rectifier call of a forward pass (the k-th call of its module in the pass): what it read so far."""

    module: Module  # the rectifier layer, or the scalar Layer whose neurons it is
    source: Any  # the module whose output it read (for a Tensor rectifier in grad mode), or None
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per unit: ever not <= 0
    seen: int = 0  # how many calls it saw since the last shares()


def _pre_activations(module: Module, x: Any, out: Any) -> np.ndarray:
    """What a rectifier read, one row per sample: a Tensor layer's input (one sample if it has no batch axis);
    a scalar Layer's weighted sums, read off its output nodes or, under no_grad() where nodes keep no
    parents, computed again from its inputs."""
    if not isinstance(module, Layer):
        pre = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
        return pre.reshape(len(pre), -1) if pre.ndim >= 2 else pre.reshape(1, -1)
    outs = out if isinstance(out, list) else [out]
    with no_grad():
        sums = [
            o._prev[0].data if o._prev else Value.weighted_sum(n.w, x, n.b).data for o, n in zip(outs, module.neurons)
        ]
    return np.array([sums])


class RectifierWatch:
    """``with RectifierWatch(model) as watch:`` records, for each rectifier call of the forward passes run
    meanwhile, which of its units had a pre-activation that was not <= 0 on some sample. ``calls`` lists them in
    the order of a pass; ``shares()`` gives each one's share of units that never did (dead for ReLU, only
    on the alpha side for the leaky ones), named ``layer 1``, ``layer 2``, ... in that order. An activation
    module used twice in a pass counts as two layers, as it is.
    """

    def __init__(self, model: Module) -> None:
        note_module_calls()  # which layer made a rectifier's input: the module call that returned it
        self.model = model
        self.rectifiers = [m for m in model.modules() if _is_rectifier(m)]
        self.calls: list[RectifierCall] = []
        self._slot: dict[tuple[int, int], RectifierCall] = {}  # (id(module), k) -> its k-th call in a pass
        self._count: dict[int, int] = {}  # id(module) -> its calls so far in this pass
        self._handles: list[RemovableHandle] = []

    @property
    def names(self) -> list[str]:
        """``layer k`` for the k-th rectifier call of a pass (as ``dead_units`` numbers them)."""
        return [f"layer {k}" for k in range(1, len(self.calls) + 1)]

    def __enter__(self) -> RectifierWatch:
        self._handles = [m.register_forward_hook(self._record) for m in self.rectifiers]
        self._handles.append(self.model.register_forward_hook(self._end_of_pass))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._count.clear()

    def _record(self, module: Module, args: tuple[Any, ...], out: Any) -> None:
        k = self._count.get(id(module), 0)
        self._count[id(module)] = k + 1
        call = self._slot.get((id(module), k))
        if call is None:
            source = module_call(args[0])  # the call that made its input: the layer the activation belongs to
            call = self._slot[(id(module), k)] = RectifierCall(module, None if source is None else source.module)
            self.calls.append(call)
        alive = np.any(~(_pre_activations(module, args[0], out) <= 0), axis=0)  # a nan input is not <= 0
        call.alive = alive if not call.seen else call.alive | alive
        call.seen += 1

    def _end_of_pass(self, module: Module, args: tuple[Any, ...], out: Any) -> None:
        self._count.clear()

    def shares(self) -> list[float]:
        """Per rectifier call, the share of units <= 0 on every sample since the last call (nan if it saw nothing)."""
        out = [float(np.mean(~c.alive)) if c.seen else float("nan") for c in self.calls]
        for call in self.calls:
            call.seen = 0
        return out


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
    watch = RectifierWatch(model)
    if not any(isinstance(m, (ReLU, LeakyReLU, PReLU)) for m in watch.rectifiers):
        raise ValueError(f"dead_units: {type(model).__name__} contains no ReLU, LeakyReLU or PReLU layer")
    batch = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float64)
    if batch.ndim < 2:
        raise ValueError(f"dead_units needs a batch (samples on axis 0), but got shape {batch.shape}")
    with watch, no_grad():
        model(x)
    return [
        DeadUnits(k, repr(c.module), int((~c.alive).sum()), int(c.alive.size)) for k, c in enumerate(watch.calls, 1)
    ]
