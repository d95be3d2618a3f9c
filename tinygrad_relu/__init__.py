"""tinygrad_relu: a small autograd engine that shows its backward pass."""

from .graph import is_grad_enabled, no_grad
from .gradcheck import DerivativeReport, GradcheckError, KinkWarning, check_derivative, gradcheck
from .tensor import Tensor
from .value import Value
from .viz import backward_frames, draw_graph, write_frames

__all__ = [
    "DerivativeReport",
    "GradcheckError",
    "KinkWarning",
    "Tensor",
    "Value",
    "backward_frames",
    "check_derivative",
    "draw_graph",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "write_frames",
]
__version__ = "0.1.0"
