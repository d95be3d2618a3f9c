"""tinygrad_relu: a small autograd engine that shows its backward pass."""

from .graph import is_grad_enabled, no_grad
from .gradcheck import DerivativeReport, GradcheckError, KinkWarning, check_derivative, gradcheck
from .value import Value

__all__ = [
    "DerivativeReport",
    "GradcheckError",
    "KinkWarning",
    "Value",
    "check_derivative",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
]
__version__ = "0.1.0"
