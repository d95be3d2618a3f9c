"""The scalar engine, in the order to read it: ``graph.py`` (the walker both engines share), ``value.py``
(``Value`` and its ops), ``grad_mode.py`` (``no_grad``) and ``ieee.py`` (IEEE arithmetic on floats)."""

from .grad_mode import is_grad_enabled, no_grad
from .value import Value

__all__ = ["Value", "is_grad_enabled", "no_grad"]
