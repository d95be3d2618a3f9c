"""Optimizers: SGD (with momentum and weight decay) and Adam, as PyTorch defines them.

They touch a parameter only through ``.data`` and ``.grad`` with arithmetic that works on a float
(Value) and on a float64 array (Tensor) alike. A parameter whose ``.grad`` is None is skipped, as in
PyTorch. Change ``opt.lr`` between steps to schedule the learning rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .checks import in_range

__all__ = ["Adam", "Optimizer", "SGD"]


class Optimizer:
    """Holds the parameters; subclasses define ``step()``."""

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        if hasattr(params, "parameters"):
            raise TypeError(f"pass model.parameters(), not the {type(params).__name__} itself")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, which has no .data/.grad")
            if not getattr(p, "requires_grad", True):
                raise ValueError(
                    f"parameter {i} is a Tensor with requires_grad=False: it never gets a gradient to "
                    "step with (create it with requires_grad=True, or leave it out)"
                )
            if first.setdefault(id(p), i) != i:
                raise ValueError(f"parameter {i} is parameter {first[id(p)]} again: it would be stepped twice")
        self.lr = in_range(lr, "lr", 0.0)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (each engine's own zero: 0.0 for a Value)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter from its gradient."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")


class SGD(Optimizer):
    """Stochastic gradient descent: ``v = momentum * v + (grad + weight_decay * data)``; ``data -= lr * v``.

    With momentum 0 this is plain ``data -= lr * grad``. The first step's velocity is the gradient
    itself (PyTorch's convention, no dampening).
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = in_range(momentum, "momentum", 0.0)
        self.weight_decay = in_range(weight_decay, "weight_decay", 0.0)
        # 0.0 starts every velocity: momentum * 0.0 + g is g, a new float or array (never g itself).
        self.velocity: list[Any] = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if decay:
                g = g + decay * p.data
            if momentum:
                g = self.velocity[i] = momentum * self.velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam: moving averages m of the gradient and v of its square, bias-corrected, then
    ``data -= lr * m_hat / (sqrt(v_hat) + eps)`` (Kingma & Ba, PyTorch's defaults)."""

    def __init__(
        self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            in_range(betas[0], "betas[0]", 0.0, 1.0, high_open=True),
            in_range(betas[1], "betas[1]", 0.0, 1.0, high_open=True),
        )
        self.eps = in_range(eps, "eps", 0.0)
        n = len(self.params)
        self.m: list[Any] = [0.0] * n
        self.v: list[Any] = [0.0] * n
        self.steps = [0] * n  # per parameter, since one without a gradient skips a step

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        lr, (b1, b2), eps = self.lr, self.betas, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            self.steps[i] = t = self.steps[i] + 1
            self.m[i] = m = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = v = b2 * self.v[i] + (1.0 - b2) * (g * g)
            m_hat = m / (1.0 - b1**t)
            v_hat = v / (1.0 - b2**t)
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 with eps = 0 is nan, as in PyTorch
                update = np.divide(lr * m_hat, v_hat**0.5 + eps)
            p.data -= float(update) if type(p.data) is float else update
