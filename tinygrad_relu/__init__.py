"""tinygrad_relu: a small autograd engine that shows its backward pass.

``Value`` (one number) and ``Tensor`` (a numpy array) record the graph of the ops applied to them;
``backward()`` runs it in reverse; ``grad`` returns gradients instead, as nodes to differentiate again if
asked (``hessian``, ``hvp``). The drawing functions (``draw_graph``, ``backward_frames``,
``write_frames``, and ``explore`` for the interactive page) load graphviz only when first used, and the
plotting ones (``plot_history``, ``plot_decision_boundary``) matplotlib only when they draw, so
``import tinygrad_relu`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .autodiff import grad, hessian, hvp
from .engine import Value, is_grad_enabled, no_grad
from .gradcheck import DerivativeReport, GradcheckError, KinkWarning, check_derivative, gradcheck, gradgradcheck
from .tensor import Tensor
from .tracing import Program, TraceError, trace

_LAZY = {
    "backward_frames": "viz",
    "draw_graph": "viz",
    "explore": "viz",
    "write_frames": "viz",
    "plot_decision_boundary": "plot",
    "plot_history": "plot",
}

__all__ = [
    "DerivativeReport",
    "GradcheckError",
    "KinkWarning",
    "Program",
    "Tensor",
    "TraceError",
    "Value",
    "backward_frames",
    "check_derivative",
    "draw_graph",
    "explore",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "no_grad",
    "plot_decision_boundary",
    "plot_history",
    "trace",
    "write_frames",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The drawing names, imported on first use (PEP 562): graphviz loads only when someone draws."""
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
