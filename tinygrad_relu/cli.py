"""The command line: ``python -m tinygrad_relu``."""

from __future__ import annotations

from typing import Sequence

from .value import Value


def main(argv: Sequence[str] | None = None) -> int:
    """Build a small leaky-ReLU expression, run backward, print the gradients."""
    w, x, b = Value(-3.0, "w"), Value(2.0, "x"), Value(1.0, "b")
    y = (w * x + b).leaky_relu(0.1)
    y.backward()
    print(f"y = leaky_relu(w*x + b, alpha=0.1) = {y.data:g}")
    for v in (w, x, b):
        print(f"dy/d{v.label} = {v.grad:g}")
    return 0
