"""Module: the base of every model, for Values and Tensors alike."""

from __future__ import annotations

from typing import Any


class Module:
    """A callable holding parameters: subclasses define ``forward`` and ``parameters``."""

    def parameters(self) -> list:
        """Every trainable node (Value or Tensor) of this module and its children."""
        return []

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter (0.0 for a Value, None for a Tensor, as PyTorch)."""
        for p in self.parameters():
            p.zero_grad()

    def forward(self, *args: Any) -> Any:
        """Compute the module's output."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)
